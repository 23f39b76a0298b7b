//! Tax exemptions (S12).

use super::{Decision, MAX_CERTIFICATE_REFERENCE, MAX_JURISDICTION};
use crate::time::{serde_instant, Instant};
use crate::validation::{FieldError, Fields};
use crate::ExemptionStatus;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An account's exemption proof and where its review stands. One per account: a resubmission
/// replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxExemption {
    pub account_id: crate::AccountId,
    pub jurisdiction: String,
    pub certificate_reference: String,
    pub status: ExemptionStatus,
    #[serde(with = "serde_instant")]
    pub submitted_at: Instant,
    #[serde(with = "serde_instant::option", default)]
    pub decided_at: Option<Instant>,
    #[serde(default)]
    pub decided_by: Option<crate::AccountId>,
    #[serde(default)]
    pub note: Option<String>,
}

impl TaxExemption {
    /// Only a verified exemption takes tax off a purchase, and only off purchases made while it
    /// is verified; earlier purchases are never rewritten.
    pub fn exempts_purchases(&self) -> bool {
        self.status == ExemptionStatus::Verified
    }
}

/// `POST /tax-exemptions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExemptionRequest {
    pub jurisdiction: String,
    pub certificate_reference: String,
}

impl ExemptionRequest {
    pub fn parse(body: &Value) -> Result<ExemptionRequest, Vec<FieldError>> {
        let mut f = Fields::of(body);
        let jurisdiction = f.required_str("jurisdiction", MAX_JURISDICTION);
        let certificate_reference =
            f.required_str("certificate_reference", MAX_CERTIFICATE_REFERENCE);
        let value = jurisdiction
            .zip(certificate_reference)
            .map(|(j, c)| ExemptionRequest {
                jurisdiction: j,
                certificate_reference: c,
            });
        f.finish(value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExemptionRefusal {
    /// A verified exemption is not replaced by an unreviewed one (that would silently put tax
    /// back on the account's purchases until someone reviews it).
    AlreadyVerified,
    /// Only a pending submission can be decided.
    NotPending(ExemptionStatus),
}

impl ExemptionRefusal {
    pub fn message(&self) -> String {
        match self {
            ExemptionRefusal::AlreadyVerified => {
                "The account's tax exemption is already verified; to change it, contact support."
                    .into()
            }
            ExemptionRefusal::NotPending(s) => {
                format!("The tax exemption is {s}, not pending; it cannot be decided again.")
            }
        }
    }
}

/// A submission or resubmission: new or after a rejection or while pending, it (re)starts review.
pub fn submit_exemption(
    current: Option<&TaxExemption>,
    account_id: &str,
    request: ExemptionRequest,
    now: Instant,
) -> Result<TaxExemption, ExemptionRefusal> {
    if current.is_some_and(|c| c.status == ExemptionStatus::Verified) {
        return Err(ExemptionRefusal::AlreadyVerified);
    }
    Ok(TaxExemption {
        account_id: account_id.into(),
        jurisdiction: request.jurisdiction,
        certificate_reference: request.certificate_reference,
        status: ExemptionStatus::Pending,
        submitted_at: now,
        decided_at: None,
        decided_by: None,
        note: None,
    })
}

/// A support admin verifies or rejects a pending exemption; every other state is final here.
pub fn decide_exemption(
    current: &TaxExemption,
    decision: Decision,
    admin_account_id: &str,
    now: Instant,
) -> Result<TaxExemption, ExemptionRefusal> {
    if current.status != ExemptionStatus::Pending {
        return Err(ExemptionRefusal::NotPending(current.status));
    }
    Ok(TaxExemption {
        status: if decision.approve {
            ExemptionStatus::Verified
        } else {
            ExemptionStatus::Rejected
        },
        decided_at: Some(now),
        decided_by: Some(admin_account_id.into()),
        note: decision.note,
        ..current.clone()
    })
}
