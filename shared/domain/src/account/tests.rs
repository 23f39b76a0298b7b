use super::*;
use crate::pack::order_confirmation_number;
use crate::time::parse_instant;
use crate::time::Instant;
use crate::{ExemptionStatus, ReviewStatus};
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
    let e =
        submit_exemption(None, "a", request("C-1"), at("2026-03-01T09:00:00Z")).expect("accepted");
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
    let c =
        open_claim("clm_1".into(), &p, "colleague", "left".into(), p.ordered_at).expect("opened");
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
    let c =
        open_claim("clm_1".into(), &p, "colleague", "left".into(), p.ordered_at).expect("opened");
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
    let c =
        open_claim("clm_1".into(), &p, "colleague", "left".into(), p.ordered_at).expect("opened");
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
    let errors =
        ClaimRequest::parse(&json!({"order_confirmation_number": "nope"})).expect_err("invalid");
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
