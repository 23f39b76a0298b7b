use crate::App;
use api::{ApiError, Ctx, Reply};

/// `GET /products`: every product with its lifecycle phase as of today.
pub async fn list_products(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let today = ctx.now.date_naive();
    let products = usecases::lists::products(&app.store).await?;
    let items: Vec<_> = products.iter().map(|p| p.view(today)).collect();
    Reply::ok(serde_json::json!({ "items": items }))
}
