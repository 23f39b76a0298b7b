//! A claim on a lost purchaser's pack (S11), and an admin's decision on it. The rate limit on
//! wrong order confirmation numbers is checked before the number is looked up; the attempt is
//! recorded as a failure first and withdrawn if the number is right, so concurrent guesses
//! cannot slip past the limit: whatever races in counts against the account.

use crate::Failure;
use domain::account::{claim_lockout, decide_claim, open_claim, ClaimRequest, Decision, PackClaim};
use domain::time::Instant;
use domain::Actor;
use store::accounts::{ClaimAttempt, DecideClaimOutcome, OpenClaimOutcome};
use store::Store;

fn instants(attempts: &[ClaimAttempt], except: Option<&ClaimAttempt>) -> Vec<Instant> {
    attempts
        .iter()
        .filter(|a| except.is_none_or(|e| e.nonce != a.nonce))
        .map(|a| a.at)
        .collect()
}

/// Opens the claim if the number names a pack; an unknown number is `NotFound` and stays
/// counted.
pub async fn submit(
    store: &Store,
    actor: &Actor,
    request: ClaimRequest,
    now: Instant,
) -> Result<PackClaim, Failure> {
    let account = &actor.account_id;
    let earlier = store.claim_attempts(account, now).await?;
    if let Some(retry_after_secs) = claim_lockout(&instants(&earlier, None), now) {
        return Err(Failure::TooManyAttempts { retry_after_secs });
    }
    let attempt = store.record_claim_attempt(account, now).await?;
    let others = store.claim_attempts(account, now).await?;
    if let Some(retry_after_secs) = claim_lockout(&instants(&others, Some(&attempt)), now) {
        store.withdraw_claim_attempt(&attempt).await?;
        return Err(Failure::TooManyAttempts { retry_after_secs });
    }
    let pack = match store
        .pack_id_by_order_number(&request.order_confirmation_number)
        .await?
    {
        Some(pack_id) => store.pack(&pack_id).await?,
        None => None,
    };
    // An unknown number stays recorded: it is one of the failures the limit counts.
    let Some(pack) = pack else {
        return Err(Failure::NotFound);
    };
    store.withdraw_claim_attempt(&attempt).await?;
    let claim = open_claim(
        store::ids::new_id("clm"),
        &pack,
        account,
        request.reason,
        now,
    )?;
    match store.open_claim(&claim).await? {
        OpenClaimOutcome::Opened => Ok(claim),
        OpenClaimOutcome::AlreadyOpen(id) => Err(Failure::Conflict(format!(
            "You already have a pending claim on this pack ({id}); wait for its decision."
        ))),
        OpenClaimOutcome::PackChanged => Err(Failure::Conflict(
            "The pack changed owner while the claim was being made; try again.".into(),
        )),
    }
}

/// Approval moves the pack to the claimant with its units and expiry, in one transaction; a
/// claim is decided once.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    claim_id: &str,
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
