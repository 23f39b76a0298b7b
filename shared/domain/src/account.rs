//! Accounts: tax exemptions (S12), claims of a lost purchaser's pack (S11) and the rate limit on
//! wrong order confirmation numbers. Pure decisions; the store persists what they return.

use crate::pack::{normalise_order_confirmation_number, Pack};
use crate::time::{serde_instant, Instant};
use crate::validation::{FieldError, Fields};
use crate::{Actor, ExemptionStatus, ReviewStatus};
use chrono::Duration;
use serde::{Deserialize, Serialize};
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

// ---------------------------------------------------------------------------------------------
// Tax exemptions (S12)

/// An account's exemption proof and where its review stands. One per account: a resubmission
/// replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxExemption {
    pub account_id: String,
    pub jurisdiction: String,
    pub certificate_reference: String,
    pub status: ExemptionStatus,
    #[serde(with = "serde_instant")]
    pub submitted_at: Instant,
    #[serde(with = "serde_instant::option", default)]
    pub decided_at: Option<Instant>,
    #[serde(default)]
    pub decided_by: Option<String>,
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
        account_id: account_id.to_string(),
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
        decided_by: Some(admin_account_id.to_string()),
        note: decision.note,
        ..current.clone()
    })
}

// ---------------------------------------------------------------------------------------------
// Pack claims (S11)

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
    pub claim_id: String,
    pub pack_id: String,
    pub claimant_account_id: String,
    /// The owner when the claim was made; approval moves the pack only from this owner.
    pub owner_account_id: String,
    pub reason: String,
    pub status: ReviewStatus,
    #[serde(with = "serde_instant")]
    pub submitted_at: Instant,
    #[serde(with = "serde_instant::option", default)]
    pub decided_at: Option<Instant>,
    #[serde(default)]
    pub decided_by: Option<String>,
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
    claim_id: String,
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
        claimant_account_id: claimant_account_id.to_string(),
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
        decided_by: Some(admin_account_id.to_string()),
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

// ---------------------------------------------------------------------------------------------
// Rate limit on wrong order confirmation numbers (S11)

/// Wrong numbers one account may try within the window before it is refused.
pub const CLAIM_FAILURE_LIMIT: usize = 5;
/// The rolling window, in seconds.
pub const CLAIM_FAILURE_WINDOW_SECS: i64 = 3_600;

/// A failure at `at` counts while `now < at + window`: from this instant on it no longer does
/// (also the instant its record may be deleted).
pub fn failure_leaves_window(at: Instant) -> Instant {
    at + Duration::seconds(CLAIM_FAILURE_WINDOW_SECS)
}

/// Failures at or before this instant have left the window at `now`.
pub fn window_start(now: Instant) -> Instant {
    now - Duration::seconds(CLAIM_FAILURE_WINDOW_SECS)
}

/// `None` when another attempt is allowed; otherwise the whole seconds until enough failures
/// leave the window for one (at least 1), for `Retry-After`.
pub fn claim_lockout(failures: &[Instant], now: Instant) -> Option<u64> {
    let mut counting: Vec<Instant> = failures
        .iter()
        .copied()
        .filter(|at| failure_leaves_window(*at) > now)
        .collect();
    if counting.len() < CLAIM_FAILURE_LIMIT {
        return None;
    }
    counting.sort();
    // Allowed again once only LIMIT − 1 remain: when the failure at this position leaves.
    let freeing = counting[counting.len() - CLAIM_FAILURE_LIMIT];
    let wait = (failure_leaves_window(freeing) - now).num_seconds();
    Some(u64::try_from(wait).unwrap_or(0).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::order_confirmation_number;
    use crate::time::parse_instant;
    use crate::{Money, Offer};
    use serde_json::json;

    fn at(s: &str) -> Instant {
        parse_instant(s).expect("instant")
    }

    fn pack(owner: &str) -> Pack {
        let price = Money {
            currency: "PLN".into(),
            net: 1,
            tax: 0,
            gross: 1,
        };
        Pack::new(
            "pck_1".into(),
            Offer::FivePack,
            owner,
            at("2026-01-10T10:00:00Z"),
            order_confirmation_number(&[3; 13]),
            price,
            false,
        )
    }

    fn approve(yes: bool) -> Decision {
        Decision {
            approve: yes,
            note: Some("checked".into()),
        }
    }

    fn request(cert: &str) -> ExemptionRequest {
        ExemptionRequest {
            jurisdiction: "PL".into(),
            certificate_reference: cert.into(),
        }
    }

    #[test]
    fn a_new_exemption_starts_pending_and_does_not_yet_exempt() {
        let e = submit_exemption(None, "a", request("C-1"), at("2026-03-01T09:00:00Z"))
            .expect("accepted");
        assert_eq!(e.status, ExemptionStatus::Pending);
        assert!(!e.exempts_purchases());
    }

    #[test]
    fn verification_exempts_and_rejection_does_not() {
        let now = at("2026-03-01T09:00:00Z");
        let e = submit_exemption(None, "a", request("C-1"), now).expect("accepted");
        let verified = decide_exemption(&e, approve(true), "admin", now).expect("pending");
        assert_eq!(verified.status, ExemptionStatus::Verified);
        assert!(verified.exempts_purchases());
        assert_eq!(verified.decided_by.as_deref(), Some("admin"));
        let rejected = decide_exemption(&e, approve(false), "admin", now).expect("pending");
        assert_eq!(rejected.status, ExemptionStatus::Rejected);
        assert!(!rejected.exempts_purchases());
    }

    #[test]
    fn a_resubmission_while_pending_or_after_rejection_replaces_it_and_goes_back_to_pending() {
        let now = at("2026-03-01T09:00:00Z");
        let first = submit_exemption(None, "a", request("C-1"), now).expect("accepted");
        let again = submit_exemption(Some(&first), "a", request("C-2"), now).expect("replaced");
        assert_eq!(again.certificate_reference, "C-2");
        let rejected = decide_exemption(&again, approve(false), "admin", now).expect("pending");
        let retry = submit_exemption(Some(&rejected), "a", request("C-3"), now).expect("retry");
        assert_eq!(retry.status, ExemptionStatus::Pending);
        assert_eq!((retry.decided_at, retry.note), (None, None));
    }

    #[test]
    fn a_verified_exemption_is_not_replaced_by_a_resubmission() {
        let now = at("2026-03-01T09:00:00Z");
        let e = submit_exemption(None, "a", request("C-1"), now).expect("accepted");
        let verified = decide_exemption(&e, approve(true), "admin", now).expect("pending");
        assert_eq!(
            submit_exemption(Some(&verified), "a", request("C-2"), now),
            Err(ExemptionRefusal::AlreadyVerified)
        );
    }

    #[test]
    fn only_a_pending_exemption_can_be_decided() {
        let now = at("2026-03-01T09:00:00Z");
        let e = submit_exemption(None, "a", request("C-1"), now).expect("accepted");
        let rejected = decide_exemption(&e, approve(false), "admin", now).expect("pending");
        assert_eq!(
            decide_exemption(&rejected, approve(true), "admin", now),
            Err(ExemptionRefusal::NotPending(ExemptionStatus::Rejected))
        );
    }

    #[test]
    fn a_claim_records_the_owner_it_takes_the_pack_from() {
        let p = pack("buyer");
        let c = open_claim("clm_1".into(), &p, "colleague", "left".into(), p.ordered_at)
            .expect("opened");
        assert_eq!(c.status, ReviewStatus::Pending);
        assert_eq!(c.owner_account_id, "buyer");
        assert_eq!(c.claimant_account_id, "colleague");
    }

    #[test]
    fn claiming_a_pack_you_already_own_is_refused() {
        let p = pack("buyer");
        assert_eq!(
            open_claim("clm_1".into(), &p, "buyer", "mine".into(), p.ordered_at),
            Err(ClaimRefusal::OwnPack)
        );
    }

    #[test]
    fn an_approved_claim_moves_only_the_owner() {
        let mut p = pack("buyer");
        p.incidents_remaining = 3;
        let c = open_claim("clm_1".into(), &p, "colleague", "left".into(), p.ordered_at)
            .expect("opened");
        let decided = decide_claim(&c, approve(true), "admin", p.ordered_at).expect("pending");
        assert_eq!(decided.status, ReviewStatus::Approved);
        let moved = transferred(&p, &decided);
        assert_eq!(moved.owner_account_id, "colleague");
        assert_eq!(
            (
                moved.incidents_remaining,
                moved.expires_at,
                moved.purchased_at
            ),
            (3, p.expires_at, p.purchased_at)
        );
    }

    #[test]
    fn a_claim_is_decided_once() {
        let p = pack("buyer");
        let c = open_claim("clm_1".into(), &p, "colleague", "left".into(), p.ordered_at)
            .expect("opened");
        let rejected = decide_claim(&c, approve(false), "admin", p.ordered_at).expect("pending");
        assert_eq!(rejected.status, ReviewStatus::Rejected);
        assert_eq!(
            decide_claim(&rejected, approve(true), "admin", p.ordered_at),
            Err(ClaimRefusal::NotPending(ReviewStatus::Rejected))
        );
    }

    #[test]
    fn claim_requests_read_loosely_typed_numbers_and_name_bad_fields() {
        let n = order_confirmation_number(&[9; 13]);
        let typed = n.to_lowercase().replace('-', " ");
        let r = ClaimRequest::parse(&json!({"order_confirmation_number": typed, "reason": "left"}))
            .expect("valid");
        assert_eq!(r.order_confirmation_number, n);
        let errors = ClaimRequest::parse(&json!({"order_confirmation_number": "nope"}))
            .expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["order_confirmation_number", "reason"]);
    }

    #[test]
    fn decisions_need_a_boolean_and_take_an_optional_note() {
        assert_eq!(
            Decision::parse(&json!({"approve": true})),
            Ok(Decision {
                approve: true,
                note: None
            })
        );
        let errors = Decision::parse(&json!({"approve": "yes"})).expect_err("invalid");
        assert_eq!(errors[0].field, "approve");
    }

    #[test]
    fn exemption_requests_need_both_fields() {
        let errors = ExemptionRequest::parse(&json!({"jurisdiction": " "})).expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["jurisdiction", "certificate_reference"]);
    }

    #[test]
    fn four_failures_in_the_hour_still_allow_an_attempt() {
        let now = at("2026-05-01T12:00:00Z");
        let failures = [at("2026-05-01T11:10:00Z"); 4];
        assert_eq!(claim_lockout(&failures, now), None);
    }

    #[test]
    fn the_fifth_failure_locks_until_the_oldest_leaves_the_hour() {
        let now = at("2026-05-01T12:00:00Z");
        let failures = [
            at("2026-05-01T11:40:00Z"),
            at("2026-05-01T11:10:00Z"), // the oldest: leaves at 12:10
            at("2026-05-01T11:50:00Z"),
            at("2026-05-01T11:20:00Z"),
            at("2026-05-01T11:30:00Z"),
        ];
        assert_eq!(claim_lockout(&failures, now), Some(600));
        assert_eq!(claim_lockout(&failures, at("2026-05-01T12:10:00Z")), None);
        assert_eq!(
            claim_lockout(&failures, at("2026-05-01T12:09:59Z")),
            Some(1)
        );
    }

    #[test]
    fn failures_older_than_an_hour_do_not_count() {
        let now = at("2026-05-01T12:00:00Z");
        let mut failures = vec![at("2026-05-01T11:00:00Z")]; // exactly an hour ago: gone
        failures.extend([at("2026-05-01T11:30:00Z"); 4]);
        assert_eq!(claim_lockout(&failures, now), None);
    }

    #[test]
    fn with_more_than_five_failures_the_wait_lasts_until_only_four_remain() {
        let now = at("2026-05-01T12:00:00Z");
        let failures = [
            at("2026-05-01T11:05:00Z"),
            at("2026-05-01T11:15:00Z"),
            at("2026-05-01T11:25:00Z"), // the third of seven: four remain after it leaves
            at("2026-05-01T11:35:00Z"),
            at("2026-05-01T11:45:00Z"),
            at("2026-05-01T11:55:00Z"),
            at("2026-05-01T11:58:00Z"),
        ];
        assert_eq!(claim_lockout(&failures, now), Some(25 * 60));
    }

    #[test]
    fn a_failure_leaves_the_window_exactly_one_hour_later() {
        assert_eq!(
            failure_leaves_window(at("2026-05-01T11:00:00Z")),
            at("2026-05-01T12:00:00Z")
        );
        assert_eq!(
            window_start(at("2026-05-01T12:00:00Z")),
            at("2026-05-01T11:00:00Z")
        );
    }

    #[test]
    fn staff_see_any_pack_and_customers_only_their_own() {
        let p = pack("buyer");
        assert!(may_view_pack(&p, &Actor::customer("buyer")));
        assert!(!may_view_pack(&p, &Actor::customer("other")));
        let mut admin = Actor::customer("admin");
        admin.admin = true;
        assert!(may_view_pack(&p, &admin));
    }
}
