//! What a sweep answers, logs and measures.

use domain::time::{format_instant, Instant};
use serde::Serialize;
use std::time::Duration;
use usecases::sweep::SweepTally;

/// What a sweep answers, logs and measures. API.md names `as_of`, `examined`, `breached`,
/// `warned`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub as_of: String,
    pub examined: u64,
    pub breached: u64,
    pub warned: u64,
    pub skipped: u64,
    /// Stopped by the page budget, the time limit or a failure while more may be due.
    pub remaining: bool,
    pub pages: u32,
    pub duration_ms: u64,
    /// What the privacy step did (`null` if it failed; logged).
    pub privacy: Option<usecases::privacy::PrivacyTally>,
}

impl SweepReport {
    pub fn new(as_of: Instant, tally: &SweepTally, elapsed: Duration) -> SweepReport {
        SweepReport {
            as_of: format_instant(as_of),
            examined: tally.examined,
            breached: tally.breached,
            warned: tally.warned,
            skipped: tally.skipped,
            remaining: tally.remaining,
            pages: tally.pages,
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            privacy: None,
        }
    }
}
