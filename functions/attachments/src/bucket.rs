//! The attachments bucket as the attachment use case sees it (`usecases::attachment::Bucket`):
//! the S3 adapter (`objects`) with the keys derived from the incident and attachment ids.

use domain::attachment::Attachment;
use objects::{keys, ObjectError, Objects, PresignedUpload};
use std::time::{Duration, SystemTime};
use usecases::Failure;

pub struct AttachmentsBucket(pub Objects);

fn failure(e: ObjectError) -> Failure {
    if e.is_retryable() {
        Failure::Unavailable(e.to_string())
    } else {
        Failure::Internal(e.to_string())
    }
}

fn pending(a: &Attachment) -> String {
    keys::pending(&a.incident_id, &a.attachment_id)
}

fn uploaded(a: &Attachment) -> String {
    keys::uploaded(&a.incident_id, &a.attachment_id)
}

impl usecases::attachment::Bucket for AttachmentsBucket {
    type Upload = PresignedUpload;

    async fn presign_upload(
        &self,
        a: &Attachment,
        signed_at: SystemTime,
        valid_for: Duration,
    ) -> Result<PresignedUpload, Failure> {
        self.0
            .presign_upload(
                &pending(a),
                &a.content_type,
                a.size_bytes,
                signed_at,
                valid_for,
            )
            .await
            .map_err(failure)
    }

    async fn pending_size(&self, a: &Attachment) -> Result<Option<u64>, Failure> {
        let object = self.0.object_size(&pending(a)).await.map_err(failure)?;
        Ok(object.map(|o| o.size_bytes))
    }

    async fn promote(&self, a: &Attachment) -> Result<(), Failure> {
        self.0
            .copy_to(&pending(a), &uploaded(a))
            .await
            .map_err(failure)
    }

    async fn presign_download(
        &self,
        a: &Attachment,
        content_disposition: &str,
        signed_at: SystemTime,
        valid_for: Duration,
    ) -> Result<String, Failure> {
        self.0
            .presign_download(
                &uploaded(a),
                content_disposition,
                &a.content_type,
                signed_at,
                valid_for,
            )
            .await
            .map_err(failure)
    }
}
