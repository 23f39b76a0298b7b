//! Pack claims (S11).

use super::{Decision, MAX_REASON};
use crate::pack::{normalise_order_confirmation_number, Pack};
use crate::time::{serde_instant, Instant};
use crate::validation::{FieldError, Fields};
use crate::ReviewStatus;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /pack-claims`, with the number already read back into its canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    pub order_confirmation_number: String,
    pub reason: String,
}

impl ClaimRequest {
    pub fn parse(body: &Value) -> Result<ClaimRequest, Vec<FieldError>> {
        let mut f = Fields::of(body);
        let typed = f.required_str("order_confirmation_number", 64);
        let number = typed.and_then(|t| {
            let n = normalise_order_confirmation_number(&t);
            if n.is_none() {
                f.error(
                    "order_confirmation_number",
                    "is not an order confirmation number (20 characters such as 7K2QM-4XR9T-0BNHC-W3J8P)",
                );
            }
            n
        });
        let reason = f.required_str("reason", MAX_REASON);
        let value = number.zip(reason).map(|(n, r)| ClaimRequest {
            order_confirmation_number: n,
            reason: r,
        });
        f.finish(value)
    }
}

/// A request by another account of the same customer to take over a pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackClaim {
    pub claim_id: crate::ClaimId,
    pub pack_id: crate::PackId,
    /// The pack's order confirmation number, as the claimant proved it (what people read
    /// instead of the pack id). `None` for claims stored before it was kept.
    #[serde(default)]
    pub order_confirmation_number: Option<String>,
    pub claimant_account_id: crate::AccountId,
    /// The owner when the claim was made; approval moves the pack only from this owner.
    pub owner_account_id: crate::AccountId,
    pub reason: String,
    pub status: ReviewStatus,
    #[serde(with = "serde_instant")]
    pub submitted_at: Instant,
    #[serde(with = "serde_instant::option", default)]
    pub decided_at: Option<Instant>,
    #[serde(default)]
    pub decided_by: Option<crate::AccountId>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimRefusal {
    /// The claimant owns the pack already: there is nothing to move.
    OwnPack,
    NotPending(ReviewStatus),
}

impl ClaimRefusal {
    pub fn message(&self) -> String {
        match self {
            ClaimRefusal::OwnPack => "This pack already belongs to your account.".into(),
            ClaimRefusal::NotPending(s) => {
                format!("The claim is already {s}; it cannot be decided again.")
            }
        }
    }
}

/// A claim on a pack whose number the claimant proved by knowing it.
pub fn open_claim(
    claim_id: crate::ClaimId,
    pack: &Pack,
    claimant_account_id: &str,
    reason: String,
    now: Instant,
) -> Result<PackClaim, ClaimRefusal> {
    if pack.owner_account_id == claimant_account_id {
        return Err(ClaimRefusal::OwnPack);
    }
    Ok(PackClaim {
        claim_id,
        pack_id: pack.pack_id.clone(),
        order_confirmation_number: Some(pack.order_confirmation_number.clone()),
        claimant_account_id: claimant_account_id.into(),
        owner_account_id: pack.owner_account_id.clone(),
        reason,
        status: ReviewStatus::Pending,
        submitted_at: now,
        decided_at: None,
        decided_by: None,
        note: None,
    })
}

/// A support admin approves (the pack moves to the claimant, units and expiry unchanged) or
/// rejects (nothing moves). Decided once.
pub fn decide_claim(
    claim: &PackClaim,
    decision: Decision,
    admin_account_id: &str,
    now: Instant,
) -> Result<PackClaim, ClaimRefusal> {
    if claim.status != ReviewStatus::Pending {
        return Err(ClaimRefusal::NotPending(claim.status));
    }
    Ok(PackClaim {
        status: if decision.approve {
            ReviewStatus::Approved
        } else {
            ReviewStatus::Rejected
        },
        decided_at: Some(now),
        decided_by: Some(admin_account_id.into()),
        note: decision.note,
        ..claim.clone()
    })
}

/// The pack as it stands after an approved claim: a new owner, nothing else changed.
pub fn transferred(pack: &Pack, claim: &PackClaim) -> Pack {
    Pack {
        owner_account_id: claim.claimant_account_id.clone(),
        ..pack.clone()
    }
}
