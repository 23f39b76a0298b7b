//! Attachments (S1): the caller declares a file, uploads it straight to S3 through a presigned
//! URL, and completes it; no function carries the bytes. Pending uploads live under a prefix
//! the bucket's lifecycle rule empties after a day; a completed one is copied (inside S3) to
//! where downloads read it, so the bytes cannot be replaced through the still-valid upload URL.

use crate::act::{commit_now, visible};
use crate::Failure;
use chrono::Duration;
use domain::attachment::{
    check_upload, complete as complete_upload, content_disposition, may_attach, may_complete,
    may_read, Attachment, AttachmentRequest, AttachmentView, DOWNLOAD_WINDOW_SECS,
    MAX_PER_INCIDENT, UPLOAD_WINDOW_SECS,
};
use domain::time::Instant;
use domain::{Actor, IncidentStatus};
use objects::{keys, ObjectError, Objects, PresignedUpload};
use store::attachments::AttachOutcome;
use store::ids::new_id;
use store::incidents::ApplyOutcome;
use store::retry::Rounds;
use store::Store;

impl From<ObjectError> for Failure {
    fn from(e: ObjectError) -> Self {
        if e.is_retryable() {
            Failure::Unavailable(e.to_string())
        } else {
            Failure::Internal(e.to_string())
        }
    }
}

fn window(secs: i64) -> Result<std::time::Duration, Failure> {
    Duration::seconds(secs)
        .to_std()
        .map_err(|e| Failure::Internal(format!("a URL validity: {e}")))
}

/// Declares a file on an open incident (the owner or support engineers): the pending
/// attachment, and where and how to upload its bytes (15 minutes).
pub async fn declare(
    store: &Store,
    objects: &Objects,
    actor: &Actor,
    incident_id: &str,
    request: AttachmentRequest,
    now: Instant,
) -> Result<(Attachment, PresignedUpload), Failure> {
    let stored = visible(store, actor, incident_id).await?;
    let incident = &stored.incident;
    may_attach(incident, actor)?;
    let attachment = Attachment::new(request, &incident.incident_id, &new_id("att"), actor, now);
    // Signed before anything is written: a failure here leaves no pending attachment behind.
    let upload = objects
        .presign_upload(
            &keys::pending(&attachment.incident_id, &attachment.attachment_id),
            &attachment.content_type,
            attachment.size_bytes,
            now.into(),
            window(UPLOAD_WINDOW_SECS)?,
        )
        .await?;
    let open: Vec<IncidentStatus> = IncidentStatus::ALL
        .iter()
        .copied()
        .filter(|s| !s.is_closed())
        .collect();
    let mut rounds = Rounds::new();
    while rounds.start().await {
        match store
            .create_attachment(&attachment, &open, MAX_PER_INCIDENT)
            .await
        {
            Ok(AttachOutcome::Created) => return Ok((attachment, upload)),
            Ok(AttachOutcome::NotOpen) => {
                return Err(Failure::Conflict(
                    "the incident is closed: it takes no new attachments".into(),
                ))
            }
            Ok(AttachOutcome::LimitReached) => {
                return Err(Failure::Conflict(format!(
                    "the incident already has {MAX_PER_INCIDENT} attachments, the most it takes"
                )))
            }
            // Cancelled only by a concurrent transaction on the same items (another create on the
            // counter): nothing was written, so the same attachment may be tried again.
            Err(e) if e.is_retryable() && !rounds.is_last() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::Busy("the incident is busy".into()))
}

/// Completes an upload (the uploader): the object must be there with the declared size; it is
/// copied to where downloads read it, and `attachment_added` is written once. Answers the
/// attachment as it now stands (the same answer to a repeat).
pub async fn complete(
    store: &Store,
    objects: &Objects,
    actor: &Actor,
    incident_id: &str,
    attachment_id: &str,
) -> Result<Attachment, Failure> {
    let stored = visible(store, actor, incident_id).await?;
    let attachment = store
        .attachment(&stored.incident.incident_id, attachment_id)
        .await?
        .ok_or(Failure::NotFound)?;
    may_complete(&stored.incident, &attachment, actor)?;
    if attachment.is_uploaded() {
        return Ok(attachment);
    }
    let pending = keys::pending(&attachment.incident_id, &attachment.attachment_id);
    let object = objects.head(&pending).await?;
    check_upload(&attachment, object.map(|o| o.size_bytes))?;
    objects
        .copy(
            &pending,
            &keys::uploaded(&attachment.incident_id, &attachment.attachment_id),
        )
        .await?;
    let mut rounds = Rounds::new();
    while rounds.start().await {
        let stored = visible(store, actor, incident_id).await?;
        let current = store
            .attachment(&stored.incident.incident_id, attachment_id)
            .await?
            .ok_or(Failure::NotFound)?;
        // The `attachment_added` event is stamped at this round, never before the latest event.
        let now = commit_now(&stored);
        let Some((uploaded, t)) = complete_upload(&stored.incident, &current, actor, now)? else {
            // Completed meanwhile (a concurrent call won): the same answer, nothing written.
            return Ok(current);
        };
        match store
            .complete_attachment(&stored, &t, &uploaded, now)
            .await?
        {
            ApplyOutcome::Applied => return Ok(uploaded),
            ApplyOutcome::Conflict => continue,
        }
    }
    Err(Failure::Busy(
        "the incident is changing too fast; retry".into(),
    ))
}

/// An incident's attachments (the owner or staff), oldest first.
pub async fn list(
    store: &Store,
    actor: &Actor,
    incident_id: &str,
) -> Result<Vec<Attachment>, Failure> {
    let stored = visible(store, actor, incident_id).await?;
    may_read(&stored.incident, actor)?;
    Ok(store.attachments(&stored.incident.incident_id).await?)
}

/// The attachment as the API shows it, with a fresh download URL (5 minutes) once uploaded.
pub async fn view(
    objects: &Objects,
    a: &Attachment,
    now: Instant,
) -> Result<AttachmentView, Failure> {
    if !a.is_uploaded() {
        return Ok(a.view(None));
    }
    let url = objects
        .presign_download(
            &keys::uploaded(&a.incident_id, &a.attachment_id),
            &content_disposition(&a.file_name),
            &a.content_type,
            now.into(),
            window(DOWNLOAD_WINDOW_SECS)?,
        )
        .await?;
    Ok(a.view(Some(url)))
}
