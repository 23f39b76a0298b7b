use crate::App;
use api::{ApiError, Ctx, Reply};

/// `GET /queue` (support engineers): incidents awaiting a first response, earliest
/// `first_response_due_at` first, from the sparse queue index (no timelines).
pub async fn list(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let page = ctx.page()?;
    let (incidents, next) = app.store.queue(&page).await?;
    Reply::page(&ctx, incidents.iter().map(|i| i.view(None)).collect(), next)
}
