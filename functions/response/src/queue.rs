use crate::App;
use api::{ApiError, Ctx, Reply};
use usecases::lists::OwnerFilter;

/// `GET /queue` (support engineers): incidents awaiting a first response, earliest
/// `first_response_due_at` first, from the sparse queue index (no timelines); `?owner=me|none|any`
/// (default `any`) filters on the owner key the index projects.
pub async fn list(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let owner = match ctx.query("owner").unwrap_or("any") {
        "any" => OwnerFilter::Any,
        "none" => OwnerFilter::Nobody,
        "me" => OwnerFilter::Account(&ctx.actor.account_id),
        _ => {
            return Err(ApiError::invalid_field(
                "owner",
                "must be one of: me, none, any",
            ))
        }
    };
    let page = ctx.page()?;
    let (incidents, next) = usecases::lists::queue(&app.store, owner, &page).await?;
    Reply::page(&ctx, incidents.iter().map(|i| i.view(None)).collect(), next)
}
