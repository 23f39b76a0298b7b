//! Attachments (S1): the caller declares a file, uploads it straight to object storage through
//! a presigned URL, and completes it; no function carries the bytes. A pending upload is kept
//! apart from completed ones (the bucket's lifecycle rule empties pending uploads after a day);
//! a completed one is copied (inside the storage) to where downloads read it, so the bytes
//! cannot be replaced through the still-valid upload URL.
//!
//! The storage is the [`Bucket`] port: only what this use case needs of it, implemented by the
//! function that links the S3 adapter (`functions/attachments`), so no other function links it.

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
use std::future::Future;
use std::time::{Duration as StdDuration, SystemTime};
use store::attachments::AttachOutcome;
use store::ids::new_id;
use store::incidents::ApplyOutcome;
use store::Store;

/// Where an attachment's bytes live. Keys are the implementation's, derived from the incident
/// and attachment ids only (never from the file name). Failures: `Unavailable` when a retry may
/// help, `Internal` otherwise.
pub trait Bucket: Sync {
    /// A presigned upload: where, how, with which headers.
    type Upload: Send;

    /// Signs an upload of exactly the attachment's declared type and size to its pending place.
    fn presign_upload(
        &self,
        a: &Attachment,
        signed_at: SystemTime,
        valid_for: StdDuration,
    ) -> impl Future<Output = Result<Self::Upload, Failure>> + Send;

    /// The size of what was uploaded to the pending place, `None` if nothing was.
    fn pending_size(
        &self,
        a: &Attachment,
    ) -> impl Future<Output = Result<Option<u64>, Failure>> + Send;

    /// Copies the pending upload to where downloads read it.
    fn promote(&self, a: &Attachment) -> impl Future<Output = Result<(), Failure>> + Send;

    /// Signs a download of the completed upload, as an attachment named `content_disposition`.
    fn presign_download(
        &self,
        a: &Attachment,
        content_disposition: &str,
        signed_at: SystemTime,
        valid_for: StdDuration,
    ) -> impl Future<Output = Result<String, Failure>> + Send;
}

fn window(secs: i64) -> Result<StdDuration, Failure> {
    Duration::seconds(secs)
        .to_std()
        .map_err(|e| Failure::Internal(format!("a URL validity: {e}")))
}

/// Declares a file on an open incident (the owner or support engineers): the pending
/// attachment, and where and how to upload its bytes (15 minutes).
pub async fn declare<B: Bucket>(
    store: &Store,
    objects: &B,
    actor: &Actor,
    incident_id: &domain::IncidentId,
    request: AttachmentRequest,
    now: Instant,
) -> Result<(Attachment, B::Upload), Failure> {
    let stored = visible(store, actor, incident_id).await?;
    let incident = &stored.incident;
    may_attach(incident, actor)?;
    let attachment = Attachment::new(
        request,
        &incident.incident_id,
        &new_id("att").into(),
        actor,
        now,
    );
    // Signed before anything is written: a failure here leaves no pending attachment behind.
    let upload = objects
        .presign_upload(&attachment, now.into(), window(UPLOAD_WINDOW_SECS)?)
        .await?;
    let open: Vec<IncidentStatus> = IncidentStatus::ALL
        .iter()
        .copied()
        .filter(|s| !s.is_closed())
        .collect();
    let mut rounds = store.rounds();
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
pub async fn complete<B: Bucket>(
    store: &Store,
    objects: &B,
    actor: &Actor,
    incident_id: &domain::IncidentId,
    attachment_id: &domain::AttachmentId,
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
    let size = objects.pending_size(&attachment).await?;
    check_upload(&attachment, size)?;
    objects.promote(&attachment).await?;
    let mut rounds = store.rounds();
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
    incident_id: &domain::IncidentId,
) -> Result<Vec<Attachment>, Failure> {
    let stored = visible(store, actor, incident_id).await?;
    may_read(&stored.incident, actor)?;
    Ok(store.attachments(&stored.incident.incident_id).await?)
}

/// The attachment as the API shows it, with a fresh download URL (5 minutes) once uploaded.
pub async fn view<B: Bucket>(
    objects: &B,
    a: &Attachment,
    now: Instant,
) -> Result<AttachmentView, Failure> {
    if !a.is_uploaded() {
        return Ok(a.view(None));
    }
    let url = objects
        .presign_download(
            a,
            &content_disposition(&a.file_name),
            now.into(),
            window(DOWNLOAD_WINDOW_SECS)?,
        )
        .await?;
    Ok(a.view(Some(url)))
}
