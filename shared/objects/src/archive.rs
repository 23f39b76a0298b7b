//! A tar archive written straight into S3 through a multipart upload: each member is streamed
//! (an object's bytes are read in chunks and passed on in parts of `PART_BYTES`), so a function
//! holds at most about one part in memory whatever the archive's size.

use crate::{classify, ObjectError, Objects};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

/// S3 wants every part but the last to be at least 5 MiB.
pub const PART_BYTES: usize = 8 * 1024 * 1024;
const BLOCK: usize = 512;

/// An archive being written (the multipart upload's state); each step is a method of
/// [`Objects`] (`archive_begin`, `archive_add_bytes`, `archive_add_object`, `archive_complete`,
/// `archive_discard`).
pub struct Archive {
    key: String,
    upload_id: String,
    parts: Vec<CompletedPart>,
    buffer: Vec<u8>,
    /// Bytes written so far (headers, data, padding).
    pub written: u64,
}

/// The 512-byte ustar header of a regular file `name` (at most 100 bytes) of `size` bytes.
pub fn tar_header(name: &str, size: u64, mtime_secs: u64) -> Result<[u8; BLOCK], ObjectError> {
    let mut h = [0u8; BLOCK];
    let name = name.as_bytes();
    if name.is_empty() || name.len() > 100 {
        return Err(ObjectError::Other(format!(
            "archive member name of {} bytes",
            name.len()
        )));
    }
    h[..name.len()].copy_from_slice(name);
    let octal = |h: &mut [u8; BLOCK], at: usize, width: usize, v: u64| {
        let s = format!("{v:0w$o}", w = width - 1);
        h[at..at + width - 1].copy_from_slice(s.as_bytes());
    };
    octal(&mut h, 100, 8, 0o644);
    octal(&mut h, 108, 8, 0);
    octal(&mut h, 116, 8, 0);
    octal(&mut h, 124, 12, size);
    octal(&mut h, 136, 12, mtime_secs);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    Ok(h)
}

fn padding(size: u64) -> usize {
    let rest = (size % BLOCK as u64) as usize;
    if rest == 0 {
        0
    } else {
        BLOCK - rest
    }
}

impl Objects {
    /// Starts an archive at `key` (a multipart upload).
    pub async fn archive_begin(&self, key: &str) -> Result<Archive, ObjectError> {
        let out = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/x-tar")
            .send()
            .await
            .map_err(|e| classify("CreateMultipartUpload", e))?;
        let upload_id = out
            .upload_id
            .ok_or_else(|| ObjectError::Other("CreateMultipartUpload: no upload id".into()))?;
        Ok(Archive {
            key: key.to_string(),
            upload_id,
            parts: Vec::new(),
            buffer: Vec::with_capacity(PART_BYTES),
            written: 0,
        })
    }

    async fn archive_append(&self, a: &mut Archive, mut bytes: &[u8]) -> Result<(), ObjectError> {
        a.written += bytes.len() as u64;
        while !bytes.is_empty() {
            let room = PART_BYTES - a.buffer.len();
            let take = room.min(bytes.len());
            a.buffer.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if a.buffer.len() == PART_BYTES {
                self.archive_send_part(a).await?;
            }
        }
        Ok(())
    }

    async fn archive_send_part(&self, a: &mut Archive) -> Result<(), ObjectError> {
        if a.buffer.is_empty() {
            return Ok(());
        }
        let number = i32::try_from(a.parts.len() + 1).unwrap_or(i32::MAX);
        let body = std::mem::replace(&mut a.buffer, Vec::with_capacity(PART_BYTES));
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&a.key)
            .upload_id(&a.upload_id)
            .part_number(number)
            .body(aws_sdk_s3::primitives::ByteStream::from(body))
            .send()
            .await
            .map_err(|e| classify("UploadPart", e))?;
        a.parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag)
                .build(),
        );
        Ok(())
    }

    /// Adds a member with these bytes.
    pub async fn archive_add_bytes(
        &self,
        a: &mut Archive,
        name: &str,
        bytes: &[u8],
        mtime_secs: u64,
    ) -> Result<(), ObjectError> {
        let header = tar_header(name, bytes.len() as u64, mtime_secs)?;
        self.archive_append(a, &header).await?;
        self.archive_append(a, bytes).await?;
        self.archive_append(a, &[0u8; BLOCK][..padding(bytes.len() as u64)])
            .await
    }

    /// Adds a member with the bytes of the object `from`, streamed; `false` (nothing added)
    /// if the object is not there.
    pub async fn archive_add_object(
        &self,
        a: &mut Archive,
        name: &str,
        from: &str,
        mtime_secs: u64,
    ) -> Result<bool, ObjectError> {
        let Some(info) = self.object_size(from).await? else {
            return Ok(false);
        };
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(from)
            .send()
            .await
            .map_err(|e| classify("GetObject", e))?;
        let header = tar_header(name, info.size_bytes, mtime_secs)?;
        self.archive_append(a, &header).await?;
        let mut body = out.body;
        let mut copied = 0u64;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| ObjectError::Unavailable(format!("GetObject body: {e}")))?
        {
            let take = usize::try_from((info.size_bytes - copied).min(chunk.len() as u64))
                .unwrap_or(chunk.len());
            self.archive_append(a, &chunk[..take]).await?;
            copied += take as u64;
        }
        if copied != info.size_bytes {
            return Err(ObjectError::Unavailable(format!(
                "GetObject body ended after {copied} of {} bytes",
                info.size_bytes
            )));
        }
        self.archive_append(a, &[0u8; BLOCK][..padding(info.size_bytes)])
            .await?;
        Ok(true)
    }

    /// Ends the archive (two zero blocks) and completes the upload: its size in bytes.
    pub async fn archive_complete(&self, mut a: Archive) -> Result<u64, ObjectError> {
        self.archive_append(&mut a, &[0u8; 2 * BLOCK]).await?;
        self.archive_send_part(&mut a).await?;
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&a.key)
            .upload_id(&a.upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(std::mem::take(&mut a.parts)))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| classify("CompleteMultipartUpload", e))?;
        Ok(a.written)
    }

    /// Gives up: the parts written so far are discarded.
    pub async fn archive_discard(&self, a: Archive) {
        if let Err(e) = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(&a.key)
            .upload_id(&a.upload_id)
            .send()
            .await
        {
            tracing::warn!(error = %aws_sdk_s3::error::DisplayErrorContext(&e), "AbortMultipartUpload");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_carries_name_size_and_a_valid_checksum() {
        let h = tar_header("data.json", 1234, 0).unwrap();
        assert_eq!(&h[..9], b"data.json");
        assert_eq!(&h[124..135], format!("{:011o}", 1234).as_bytes());
        let stored = u32::from_str_radix(std::str::from_utf8(&h[148..154]).unwrap(), 8).unwrap();
        let mut blank = h;
        blank[148..156].copy_from_slice(b"        ");
        assert_eq!(stored, blank.iter().map(|b| u32::from(*b)).sum::<u32>());
        assert!(tar_header(&"x".repeat(101), 1, 0).is_err());
        assert_eq!(padding(512), 0);
        assert_eq!(padding(513), 511);
    }
}
