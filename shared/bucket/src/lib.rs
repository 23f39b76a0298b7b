//! The attachments bucket as the use cases see it: the S3 adapter (`objects`) behind the
//! attachment use case's port (`usecases::attachment::Bucket`) and the e-mailed reply's
//! (`usecases::reply::Uploads`), with the keys derived from the incident and attachment ids only
//! (never from a file name). One adapter for every function that stores attachments' bytes
//! (attachments: presigned browser uploads and downloads; inbound-mail: bytes it carries itself).
//! A failure that a retry may mend is `Unavailable`, any other `Internal`.

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

/// An e-mailed attachment's bytes go to its pending place; `complete` then promotes them as it
/// does a browser upload.
impl usecases::reply::Uploads for AttachmentsBucket {
    async fn put_pending(&self, a: &Attachment, bytes: &[u8]) -> Result<(), Failure> {
        self.0
            .write_bytes(&pending(a), bytes.to_vec(), &a.content_type)
            .await
            .map_err(failure)
    }
}
