use crate::App;
use api::{ApiError, Ctx, Reply};
use domain::account::{Decision, ExemptionRequest, TaxExemption};
use domain::time::format_instant;
use domain::ExemptionStatus;
use serde_json::{json, Value};
use usecases::exemption;

/// What the account and the admins see of an exemption (not who decided it).
fn view(e: &TaxExemption) -> Value {
    json!({
        "account_id": e.account_id,
        "status": e.status,
        "jurisdiction": e.jurisdiction,
        "certificate_reference": e.certificate_reference,
        "submitted_at": format_instant(e.submitted_at),
        "decided_at": e.decided_at.map(format_instant),
        "note": e.note,
    })
}

/// `POST /tax-exemptions`: submits (or, while pending or after a rejection, replaces) the
/// account's proof; review starts again. A verified exemption is not replaced (`409`).
pub async fn submit(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let request = ctx.read(ExemptionRequest::parse)?;
    let saved = exemption::submit(&app.store, &ctx.actor, &request, ctx.now).await?;
    Reply::created(view(&saved))
}

/// `POST /tax-exemptions/{account_id}/decision` (support-admins): verifies or rejects the
/// pending proof the admin read; if it was resubmitted meanwhile, the admin must look again.
pub async fn decide(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let decision = ctx.read(Decision::parse)?;
    let decided =
        exemption::decide(&app.store, &ctx.actor, &ctx.account_id(), decision, ctx.now).await?;
    Reply::ok(view(&decided))
}

/// `GET /tax-exemptions?status=pending|verified|rejected` (support-admins): exemptions in one
/// review state (default `pending`), oldest submission first.
pub async fn list(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let status = match ctx.query("status") {
        None => ExemptionStatus::Pending,
        Some(s) => s
            .parse::<ExemptionStatus>()
            .map_err(|m| ApiError::invalid_field("status", &m))?,
    };
    let page = ctx.page()?;
    let (exemptions, next) = usecases::lists::exemptions(&app.store, status, &page).await?;
    Reply::page(&ctx, exemptions.iter().map(view).collect(), next)
}

/// `GET /account`: who the caller is, the e-mail address its account mail goes to (the last
/// one a token of it presented) and where its tax exemption stands.
pub async fn account(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let (exemption, email) = usecases::lists::account(&app.store, &ctx.actor).await?;
    Reply::ok(json!({
        "account_id": ctx.actor.account_id,
        "email": email,
        "tax_exemption": exemption.as_ref().map(view),
    }))
}
