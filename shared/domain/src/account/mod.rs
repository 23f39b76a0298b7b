//! Accounts: tax exemptions (S12), claims of a lost purchaser's pack (S11) and the rate limit on
//! wrong order confirmation numbers. Pure decisions; the store persists what they return.
//!
//! - `exemption`: a tax exemption's submission and review (S12)
//! - `claim`: a claim of a lost purchaser's pack and its decision (S11)
//! - `claim_rate`: the rate limit on wrong order confirmation numbers (S11)

mod claim;
mod claim_rate;
mod exemption;

pub use claim::*;
pub use claim_rate::*;
pub use exemption::*;

use crate::pack::Pack;
use crate::validation::{FieldError, Fields};
use crate::Actor;
use serde_json::Value;

pub const MAX_JURISDICTION: usize = 100;
pub const MAX_CERTIFICATE_REFERENCE: usize = 200;
pub const MAX_REASON: usize = 2_000;
pub const MAX_NOTE: usize = 2_000;

/// A customer sees only its own packs; support staff see any (to review claims and incidents).
pub fn may_view_pack(pack: &Pack, actor: &Actor) -> bool {
    actor.is_staff() || pack.owner_account_id == actor.account_id
}

/// A support admin's decision on an exemption or a claim: `{"approve": bool, "note"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub approve: bool,
    pub note: Option<String>,
}

impl Decision {
    pub fn parse(body: &Value) -> Result<Decision, Vec<FieldError>> {
        let mut f = Fields::of(body);
        let approve = f.required_bool("approve");
        let note = f.optional_str("note", MAX_NOTE);
        let value = approve.map(|approve| Decision { approve, note });
        f.finish(value)
    }
}

#[cfg(test)]
mod tests;
