use crate::App;
use api::{ApiError, Ctx, Reply};
use domain::rating::RatingRequest;
use domain::time::format_instant;
use serde_json::json;

/// `POST /ratings/{token}` (no sign-in; the token is the authority): the contact's rating of
/// the incident the token names. A token that does not verify or has expired is `404` before the
/// body is read; a later rating replaces the earlier.
pub async fn rate(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let token = ctx.param("token");
    if app.rating_key.verify(token, ctx.now).is_none() {
        return Err(ApiError::NotFound);
    }
    let request = ctx.read(RatingRequest::parse)?;
    let (incident_id, rating) =
        usecases::rate::rate(&app.store, &app.rating_key, token, &request, ctx.now).await?;
    Reply::ok(json!({
        "incident_id": incident_id,
        "score": rating.score,
        "comment": rating.comment,
        "at": format_instant(rating.at),
    }))
}
