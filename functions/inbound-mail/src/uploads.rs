//! The bucket as the reply use case sees it: an e-mailed attachment's bytes are written to its
//! pending place, then completed (size check, copy) as a browser upload is.

use domain::attachment::Attachment;
use objects::{keys, ObjectError, Objects};
use std::time::{Duration, SystemTime};
use usecases::Failure;

pub struct Uploads(pub Objects);

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

impl usecases::attachment::Bucket for Uploads {
    /// Nothing is presigned here: the function carries the bytes itself.
    type Upload = ();

    async fn presign_upload(
        &self,
        _: &Attachment,
        _: SystemTime,
        _: Duration,
    ) -> Result<(), Failure> {
        Ok(())
    }

    async fn pending_size(&self, a: &Attachment) -> Result<Option<u64>, Failure> {
        Ok(self
            .0
            .object_size(&pending(a))
            .await
            .map_err(failure)?
            .map(|o| o.size_bytes))
    }

    async fn promote(&self, a: &Attachment) -> Result<(), Failure> {
        self.0
            .copy_to(
                &pending(a),
                &keys::uploaded(&a.incident_id, &a.attachment_id),
            )
            .await
            .map_err(failure)
    }

    async fn presign_download(
        &self,
        _: &Attachment,
        _: &str,
        _: SystemTime,
        _: Duration,
    ) -> Result<String, Failure> {
        Err(Failure::Internal("inbound-mail signs no downloads".into()))
    }
}

impl usecases::reply::Uploads for Uploads {
    async fn put_pending(&self, a: &Attachment, bytes: &[u8]) -> Result<(), Failure> {
        self.0
            .write_bytes(&pending(a), bytes.to_vec(), &a.content_type)
            .await
            .map_err(failure)
    }
}
