//! An incident's rating, as the incident shows it (the rules of rating are in `crate::rating`).

use crate::time::{serde_instant, Instant};
use crate::types::wire_enum;
use serde::{Deserialize, Serialize};

wire_enum!(
    Score { Good => "good", Bad => "bad" }
);

/// An incident's rating, as the incident shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub score: Score,
    pub comment: Option<String>,
    #[serde(with = "serde_instant")]
    pub at: Instant,
}
