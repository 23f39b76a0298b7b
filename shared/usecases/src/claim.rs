//! A claim on a lost purchaser's pack (S11), and an admin's decision on it. The rate limit on
//! wrong order confirmation numbers is judged before the number's answer is used; every
//! attempt's write (a recorded failure, or the opened claim) is guarded by the version of the
//! failures it was judged on, so concurrent guesses serialise and cannot slip past the limit:
//! whatever lands first counts against the account, and the others are judged again on it.
//!
//! Round trips: the failures and the number side by side, the pack, the write (three).

use crate::Failure;
use domain::account::{claim_lockout, decide_claim, open_claim, ClaimRequest, Decision, PackClaim};
use domain::time::Instant;
use domain::Actor;
use store::accounts::{DecideClaimOutcome, OpenClaimOutcome, SaveOutcome};
use store::Store;

/// Opens the claim if the number names a pack; an unknown number is `NotFound` and is
/// recorded as a failure.
pub async fn submit(
    store: &Store,
    actor: &Actor,
    request: ClaimRequest,
    now: Instant,
) -> Result<PackClaim, Failure> {
    let account = &actor.account_id;
    let mut rounds = store.rounds();
    while rounds.start().await {
        let (failures, pack_id) = store
            .claim_failures_and_number(account, &request.order_confirmation_number)
            .await?;
        if let Some(retry_after_secs) = claim_lockout(&failures.failures, now) {
            return Err(Failure::TooManyAttempts { retry_after_secs });
        }
        let pack = match pack_id {
            Some(pack_id) => store.pack(&pack_id).await?,
            None => None,
        };
        let Some(pack) = pack else {
            match store.record_claim_failure(account, &failures, now).await? {
                SaveOutcome::Saved => return Err(Failure::NotFound),
                SaveOutcome::Conflict => continue,
            }
        };
        let claim = open_claim(
            store::ids::new_id("clm").into(),
            &pack,
            account,
            request.reason.clone(),
            now,
        )?;
        return match store.open_claim(&claim, &failures).await? {
            OpenClaimOutcome::Opened => Ok(claim),
            OpenClaimOutcome::FailuresChanged => continue,
            OpenClaimOutcome::AlreadyOpen(id) => Err(Failure::Conflict(format!(
                "You already have a pending claim on this pack ({id}); wait for its decision."
            ))),
            OpenClaimOutcome::PackChanged => Err(Failure::Conflict(
                "The pack changed owner while the claim was being made; try again.".into(),
            )),
        };
    }
    Err(Failure::Unavailable(
        "claim attempts of this account are arriving too fast; retry".into(),
    ))
}

/// Approval moves the pack to the claimant with its units and expiry, in one transaction; a
/// claim is decided once.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    claim_id: &domain::ClaimId,
    decision: Decision,
    now: Instant,
) -> Result<PackClaim, Failure> {
    let Some(claim) = store.claim(claim_id).await? else {
        return Err(Failure::NotFound);
    };
    let decided = decide_claim(&claim, decision, &actor.account_id, now)?;
    match store.decide_claim(&decided).await? {
        DecideClaimOutcome::Decided => Ok(decided),
        DecideClaimOutcome::NotPending => Err(Failure::Conflict(
            "The claim was decided meanwhile; it cannot be decided again.".into(),
        )),
        DecideClaimOutcome::OwnerChanged => Err(Failure::Conflict(
            "The pack no longer belongs to the account this claim was made against; reject the claim.".into(),
        )),
    }
}

/// The claims awaiting a decision, oldest first. A claim stored before its order confirmation
/// number was kept shows its pack's (one read each; few).
pub async fn pending(
    store: &Store,
    page: &domain::paging::Page,
) -> Result<(Vec<PackClaim>, Option<String>), Failure> {
    let (mut claims, next) = store
        .claims_with_status(domain::ReviewStatus::Pending, page)
        .await?;
    for claim in claims
        .iter_mut()
        .filter(|c| c.order_confirmation_number.is_none())
    {
        claim.order_confirmation_number = store
            .pack(&claim.pack_id)
            .await?
            .map(|p| p.order_confirmation_number);
    }
    Ok((claims, next))
}
