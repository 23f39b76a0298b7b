//! Attachments (S1): the caller declares a file, uploads it straight to S3 through a presigned
//! URL, and completes it; the function never carries the bytes. Pending uploads live under a
//! prefix the bucket's lifecycle rule empties after a day; a completed one is copied (inside S3)
//! to where downloads read it, so the bytes cannot be replaced through the still-valid upload URL.

use crate::App;
use api::{ApiError, Ctx, Reply};
use chrono::Duration;
use domain::attachment::{
    check_upload, complete, content_disposition, may_attach, may_complete, may_read, Attachment,
    AttachmentRequest, AttachmentView, DOWNLOAD_WINDOW_SECS, MAX_PER_INCIDENT, UPLOAD_WINDOW_SECS,
};
use domain::time::{format_instant, Instant};
use domain::IncidentStatus;
use objects::{keys, ObjectError};
use serde_json::json;
use store::attachments::AttachOutcome;
use store::ids::new_id;
use store::incidents::ApplyOutcome;
use store::retry::Rounds;
use usecases::act::{commit_now, visible};

fn object_error(e: ObjectError) -> ApiError {
    if e.is_retryable() {
        ApiError::ServiceUnavailable(e.to_string())
    } else {
        ApiError::Internal(e.to_string())
    }
}

fn window(secs: i64) -> Result<std::time::Duration, ApiError> {
    Duration::seconds(secs)
        .to_std()
        .map_err(|e| ApiError::Internal(format!("a URL validity: {e}")))
}

/// `POST /incidents/{incident_id}/attachments` (the owner or support engineers).
pub async fn create(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let request = ctx.read(AttachmentRequest::parse)?;
    let stored = visible(&app.store, &ctx.actor, ctx.param("incident_id")).await?;
    let incident = &stored.incident;
    may_attach(incident, &ctx.actor)?;
    let attachment = Attachment::new(
        request,
        &incident.incident_id,
        &new_id("att"),
        &ctx.actor,
        ctx.now,
    );
    // Signed before anything is written: a failure here leaves no pending attachment behind.
    let upload = app
        .objects
        .presign_upload(
            &keys::pending(&attachment.incident_id, &attachment.attachment_id),
            &attachment.content_type,
            attachment.size_bytes,
            ctx.now.into(),
            window(UPLOAD_WINDOW_SECS)?,
        )
        .await
        .map_err(object_error)?;
    let open: Vec<IncidentStatus> = IncidentStatus::ALL
        .iter()
        .copied()
        .filter(|s| !s.is_closed())
        .collect();
    let mut outcome = None;
    let mut rounds = Rounds::new();
    while rounds.start().await {
        match app
            .store
            .create_attachment(&attachment, &open, MAX_PER_INCIDENT)
            .await
        {
            Ok(o) => {
                outcome = Some(o);
                break;
            }
            // Cancelled only by a concurrent transaction on the same items (another create on the
            // counter): nothing was written, so the same attachment may be tried again.
            Err(e) if e.is_retryable() && !rounds.is_last() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    match outcome.ok_or_else(|| ApiError::ServiceUnavailable("the incident is busy".into()))? {
        AttachOutcome::Created => {}
        AttachOutcome::NotOpen => {
            return Err(ApiError::InvalidState(
                "the incident is closed: it takes no new attachments".into(),
            ))
        }
        AttachOutcome::LimitReached => {
            return Err(ApiError::InvalidState(format!(
                "the incident already has {MAX_PER_INCIDENT} attachments, the most it takes"
            )))
        }
    }
    let headers: serde_json::Map<String, serde_json::Value> = upload
        .headers
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    Reply::created(json!({
        "attachment_id": attachment.attachment_id,
        "upload_url": upload.url,
        "upload_method": upload.method,
        "upload_headers": headers,
        "expires_at": format_instant(ctx.now + Duration::seconds(UPLOAD_WINDOW_SECS)),
    }))
}

/// `POST /incidents/{incident_id}/attachments/{attachment_id}/complete` (the uploader).
pub async fn complete_upload(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let incident_id = ctx.param("incident_id");
    let attachment_id = ctx.param("attachment_id");
    let stored = visible(&app.store, &ctx.actor, incident_id).await?;
    let attachment = app
        .store
        .attachment(&stored.incident.incident_id, attachment_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    may_complete(&stored.incident, &attachment, &ctx.actor)?;
    if attachment.is_uploaded() {
        return Reply::ok(view(app, &attachment, ctx.now).await?);
    }
    let pending = keys::pending(&attachment.incident_id, &attachment.attachment_id);
    let object = app.objects.head(&pending).await.map_err(object_error)?;
    check_upload(&attachment, object.map(|o| o.size_bytes))?;
    app.objects
        .copy(
            &pending,
            &keys::uploaded(&attachment.incident_id, &attachment.attachment_id),
        )
        .await
        .map_err(object_error)?;
    let mut rounds = Rounds::new();
    while rounds.start().await {
        let stored = visible(&app.store, &ctx.actor, incident_id).await?;
        let current = app
            .store
            .attachment(&stored.incident.incident_id, attachment_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        // The `attachment_added` event is stamped at this attempt, never before the latest event.
        let now = commit_now(&stored);
        let Some((uploaded, t)) = complete(&stored.incident, &current, &ctx.actor, now)? else {
            // Completed meanwhile (a concurrent call won): the same answer, nothing written.
            return Reply::ok(view(app, &current, ctx.now).await?);
        };
        match app
            .store
            .complete_attachment(&stored, &t, &uploaded, now)
            .await?
        {
            ApplyOutcome::Applied => return Reply::ok(view(app, &uploaded, ctx.now).await?),
            ApplyOutcome::Conflict => continue,
        }
    }
    Err(ApiError::ServiceUnavailable(
        "the incident is changing too fast; retry".into(),
    ))
}

/// `GET /incidents/{incident_id}/attachments` (the owner or staff).
pub async fn list(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let stored = visible(&app.store, &ctx.actor, ctx.param("incident_id")).await?;
    may_read(&stored.incident, &ctx.actor)?;
    let mut items = Vec::new();
    for a in app.store.attachments(&stored.incident.incident_id).await? {
        items.push(view(app, &a, ctx.now).await?);
    }
    Reply::ok(json!({"items": items, "next_cursor": null}))
}

/// The attachment as the API shows it, with a fresh download URL once it is uploaded.
async fn view(app: &App, a: &Attachment, now: Instant) -> Result<AttachmentView, ApiError> {
    if !a.is_uploaded() {
        return Ok(a.view(None));
    }
    let url = app
        .objects
        .presign_download(
            &keys::uploaded(&a.incident_id, &a.attachment_id),
            &content_disposition(&a.file_name),
            &a.content_type,
            now.into(),
            window(DOWNLOAD_WINDOW_SECS)?,
        )
        .await
        .map_err(object_error)?;
    Ok(a.view(Some(url)))
}
