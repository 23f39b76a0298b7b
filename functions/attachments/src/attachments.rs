//! Attachments (S1): the caller declares a file, uploads it straight to S3 through a presigned
//! URL, and completes it; the function never carries the bytes. Pending uploads live under a
//! prefix the bucket's lifecycle rule empties after a day; a completed one is copied (inside S3)
//! to where downloads read it, so the bytes cannot be replaced through the still-valid upload URL.

use crate::App;
use api::{ApiError, Ctx, Reply};
use chrono::Duration;
use domain::attachment::{AttachmentRequest, UPLOAD_WINDOW_SECS};
use domain::time::format_instant;
use serde_json::json;
use usecases::attachment;

/// `POST /incidents/{incident_id}/attachments` (the owner or support engineers).
pub async fn create(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let request = ctx.read(AttachmentRequest::parse)?;
    let (declared, upload) = attachment::declare(
        &app.store,
        &app.objects,
        &ctx.actor,
        &ctx.incident_id(),
        request,
        ctx.now,
    )
    .await?;
    let headers: serde_json::Map<String, serde_json::Value> = upload
        .headers
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    Reply::created(json!({
        "attachment_id": declared.attachment_id,
        "upload_url": upload.url,
        "upload_method": upload.method,
        "upload_headers": headers,
        "expires_at": format_instant(ctx.now + Duration::seconds(UPLOAD_WINDOW_SECS)),
    }))
}

/// `POST /incidents/{incident_id}/attachments/{attachment_id}/complete` (the uploader).
pub async fn complete_upload(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let completed = attachment::complete(
        &app.store,
        &app.objects,
        &ctx.actor,
        &ctx.incident_id(),
        &ctx.attachment_id(),
    )
    .await?;
    Reply::ok(attachment::view(&app.objects, &completed, ctx.now).await?)
}

/// `GET /incidents/{incident_id}/attachments` (the owner or staff).
pub async fn list(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let mut items = Vec::new();
    for a in attachment::list(&app.store, &ctx.actor, &ctx.incident_id()).await? {
        items.push(attachment::view(&app.objects, &a, ctx.now).await?);
    }
    Reply::ok(json!({"items": items, "next_cursor": null}))
}
