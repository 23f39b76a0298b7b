use crate::App;
use api::{ApiError, Ctx, Reply};
use domain::account::{claim_lockout, decide_claim, open_claim, ClaimRequest, Decision, PackClaim};
use domain::time::Instant;
use domain::ReviewStatus;
use serde_json::json;
use store::accounts::{ClaimAttempt, DecideClaimOutcome, OpenClaimOutcome};

fn instants(attempts: &[ClaimAttempt], except: Option<&ClaimAttempt>) -> Vec<Instant> {
    attempts
        .iter()
        .filter(|a| except.is_none_or(|e| e.nonce != a.nonce))
        .map(|a| a.at)
        .collect()
}

fn answer(claim: &PackClaim) -> serde_json::Value {
    json!({"claim_id": claim.claim_id, "status": claim.status, "pack_id": claim.pack_id})
}

/// `POST /pack-claims` (S11): the rate limit is checked before the number is looked up. The
/// attempt is recorded as a failure first and withdrawn if the number is right, so concurrent
/// guesses cannot slip past the limit; whatever races in counts against the account.
pub async fn submit(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let request = ctx.read(ClaimRequest::parse)?;
    let account = &ctx.actor.account_id;
    let now = ctx.now;
    let earlier = app.store.claim_attempts(account, now).await?;
    if let Some(retry_after_secs) = claim_lockout(&instants(&earlier, None), now) {
        return Err(ApiError::TooManyAttempts { retry_after_secs });
    }
    let attempt = app.store.record_claim_attempt(account, now).await?;
    let others = app.store.claim_attempts(account, now).await?;
    if let Some(retry_after_secs) = claim_lockout(&instants(&others, Some(&attempt)), now) {
        app.store.withdraw_claim_attempt(&attempt).await?;
        return Err(ApiError::TooManyAttempts { retry_after_secs });
    }
    let pack = match app
        .store
        .pack_id_by_order_number(&request.order_confirmation_number)
        .await?
    {
        Some(pack_id) => app.store.pack(&pack_id).await?,
        None => None,
    };
    // An unknown number stays recorded: it is one of the failures the limit counts.
    let Some(pack) = pack else {
        return Err(ApiError::NotFound);
    };
    app.store.withdraw_claim_attempt(&attempt).await?;
    let claim = open_claim(
        store::ids::new_id("clm"),
        &pack,
        account,
        request.reason,
        now,
    )?;
    match app.store.open_claim(&claim).await? {
        OpenClaimOutcome::Opened => Reply::created(answer(&claim)),
        OpenClaimOutcome::AlreadyOpen(id) => Err(ApiError::InvalidState(format!(
            "You already have a pending claim on this pack ({id}); wait for its decision."
        ))),
        OpenClaimOutcome::PackChanged => Err(ApiError::InvalidState(
            "The pack changed owner while the claim was being made; try again.".into(),
        )),
    }
}

/// `GET /pack-claims` (support-admins): pending claims, oldest first.
pub async fn list_pending(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let page = ctx.page()?;
    let (claims, next) = app
        .store
        .claims_with_status(ReviewStatus::Pending, &page)
        .await?;
    Reply::page(&ctx, claims, next)
}

/// `POST /pack-claims/{claim_id}/decision` (support-admins): approval moves the pack to the
/// claimant with its units and expiry, in one transaction; a claim is decided once.
pub async fn decide(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let decision = ctx.read(Decision::parse)?;
    let Some(claim) = app.store.claim(ctx.param("claim_id")).await? else {
        return Err(ApiError::NotFound);
    };
    let decided = decide_claim(&claim, decision, &ctx.actor.account_id, ctx.now)?;
    match app.store.decide_claim(&decided).await? {
        DecideClaimOutcome::Decided => Reply::ok(answer(&decided)),
        DecideClaimOutcome::NotPending => Err(ApiError::InvalidState(
            "The claim was decided meanwhile; it cannot be decided again.".into(),
        )),
        DecideClaimOutcome::OwnerChanged => Err(ApiError::InvalidState(
            "The pack no longer belongs to the account this claim was made against; reject the claim.".into(),
        )),
    }
}
