use crate::App;
use api::{ApiError, Ctx, Reply};
use domain::account::{ClaimRequest, Decision, PackClaim};
use serde_json::json;
use usecases::claim;

fn answer(claim: &PackClaim) -> serde_json::Value {
    json!({"claim_id": claim.claim_id, "status": claim.status, "pack_id": claim.pack_id,
           "order_confirmation_number": claim.order_confirmation_number})
}

/// `POST /pack-claims` (S11): `usecases::claim::submit` (rate limit first, then the number).
pub async fn submit(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let request = ctx.read(ClaimRequest::parse)?;
    let claim = claim::submit(&app.store, &ctx.actor, request, ctx.now).await?;
    Reply::created(answer(&claim))
}

/// `GET /pack-claims` (support-admins): pending claims, oldest first.
pub async fn list_pending(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let page = ctx.page()?;
    let (claims, next) = claim::pending(&app.store, &page).await?;
    Reply::page(&ctx, claims, next)
}

/// `POST /pack-claims/{claim_id}/decision` (support-admins): approval moves the pack to the
/// claimant with its units and expiry, in one transaction; a claim is decided once.
pub async fn decide(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let decision = ctx.read(Decision::parse)?;
    let decided = claim::decide(&app.store, &ctx.actor, &ctx.claim_id(), decision, ctx.now).await?;
    Reply::ok(answer(&decided))
}
