//! The S3 adapter for attachments: presigned upload and download URLs, the size check of an
//! upload, the copy that freezes it, and the bucket's rules (CORS, lifecycle) for local setup and
//! the template check. The only crate that names aws-sdk-s3; it decides nothing about who may
//! attach what (that is the domain's), it moves and signs exactly what it is told.

pub mod archive;
pub mod bucket;
pub mod keys;

use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::Client;
use awsconf::{SdkConfig, Service, TimeoutConfig};
use std::time::{Duration, SystemTime};

/// The attachments bucket and a client for it, built once per cold start.
#[derive(Clone)]
pub struct Objects {
    client: Client,
    bucket: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ObjectsInitError {
    #[error("environment variable {0} is not set")]
    MissingVariable(&'static str),
    #[error(transparent)]
    Aws(#[from] awsconf::EnvError),
}

/// Object storage failures: transient ones are worth a retry (`503`), the rest are bugs.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ObjectError {
    #[error("object storage unavailable: {0}")]
    Unavailable(String),
    #[error("object storage error: {0}")]
    Other(String),
}

impl ObjectError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, ObjectError::Unavailable(_))
    }
}

/// A presigned request the caller makes itself: every header here is signed and must be sent
/// exactly as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedUpload {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
}

/// What a HEAD of an object tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size_bytes: u64,
}

const RETRYABLE_CODES: &[&str] = &[
    "SlowDown",
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeout",
    "RequestTimeTooSkewed",
];

fn classify<E, R>(operation: &'static str, err: SdkError<E, R>) -> ObjectError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ObjectError::Unavailable(format!("{operation}: {}", DisplayErrorContext(&err)))
        }
        SdkError::ServiceError(service) => match service.err().code() {
            Some(code) if RETRYABLE_CODES.contains(&code) => {
                ObjectError::Unavailable(format!("{operation}: {code}"))
            }
            _ => ObjectError::Other(format!("{operation}: {}", DisplayErrorContext(&err))),
        },
        _ => ObjectError::Other(format!("{operation}: {}", DisplayErrorContext(&err))),
    }
}

/// The client settings every use shares. Path-style addressing where an endpoint is set (the
/// local server answers on one host, not `<bucket>.<host>`). Checksums only where S3 requires
/// them: the SDK would otherwise sign the CRC32 of the empty body into an upload URL, and real
/// S3 would refuse every upload through it.
pub fn s3_config(base: &SdkConfig, path_style: bool) -> aws_sdk_s3::Config {
    aws_sdk_s3::config::Builder::from(base)
        .force_path_style(path_style)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .build()
}

fn presigning(signed_at: SystemTime, valid_for: Duration) -> Result<PresigningConfig, ObjectError> {
    PresigningConfig::builder()
        .start_time(signed_at)
        .expires_in(valid_for)
        .build()
        .map_err(|e| ObjectError::Other(format!("presigning: {e}")))
}

impl Objects {
    /// Reads `ATTACHMENTS_BUCKET`, and the SDK's own variables (`AWS_REGION`, credentials,
    /// `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` for the local server, either of which also turns on
    /// path-style addressing).
    pub async fn from_env() -> Result<Objects, ObjectsInitError> {
        let bucket = std::env::var("ATTACHMENTS_BUCKET")
            .ok()
            .filter(|b| !b.is_empty())
            .ok_or(ObjectsInitError::MissingVariable("ATTACHMENTS_BUCKET"))?;
        Ok(Objects {
            client: client_from_env()?,
            bucket,
        })
    }

    pub fn new(client: Client, bucket: impl Into<String>) -> Objects {
        Objects {
            client,
            bucket: bucket.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A PUT URL for `key` that signs the content type and length, valid `valid_for` from
    /// `signed_at`.
    pub async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        size_bytes: u64,
        signed_at: SystemTime,
        valid_for: Duration,
    ) -> Result<PresignedUpload, ObjectError> {
        let length = i64::try_from(size_bytes)
            .map_err(|_| ObjectError::Other(format!("size {size_bytes} out of range")))?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(length)
            .presigned(presigning(signed_at, valid_for)?)
            .await
            .map_err(|e| classify("PutObject (presign)", e))?;
        Ok(PresignedUpload {
            url: request.uri().to_string(),
            method: request.method().to_string(),
            headers: request
                .headers()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
    }

    /// A GET URL for `key` whose answer carries `content_disposition` and `content_type`
    /// (both signed into the URL), valid `valid_for` from `signed_at`.
    pub async fn presign_download(
        &self,
        key: &str,
        content_disposition: &str,
        content_type: &str,
        signed_at: SystemTime,
        valid_for: Duration,
    ) -> Result<String, ObjectError> {
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(content_disposition)
            .response_content_type(content_type)
            .presigned(presigning(signed_at, valid_for)?)
            .await
            .map_err(|e| classify("GetObject (presign)", e))?;
        Ok(request.uri().to_string())
    }

    /// The object's size, or `None` if there is none. Without `s3:ListBucket` (which the
    /// function is deliberately not given) S3 answers a missing key with `403`, not `404`; the
    /// function may read every key under its prefix, so there a `403` means "not there".
    pub async fn object_size(&self, key: &str) -> Result<Option<ObjectInfo>, ObjectError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => {
                let size = out.content_length().unwrap_or_default();
                Ok(Some(ObjectInfo {
                    size_bytes: u64::try_from(size).unwrap_or_default(),
                }))
            }
            Err(SdkError::ServiceError(service))
                if matches!(service.err(), HeadObjectError::NotFound(_))
                    || matches!(service.raw().status().as_u16(), 403 | 404) =>
            {
                if service.raw().status().as_u16() == 403 {
                    tracing::info!(key, "HEAD answered 403: taken as a missing object");
                }
                Ok(None)
            }
            Err(e) => Err(classify("HeadObject", e)),
        }
    }

    /// A server-side copy within the bucket (the bytes never reach the function).
    pub async fn copy_to(&self, from: &str, to: &str) -> Result<(), ObjectError> {
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(format!("{}/{}", self.bucket, from))
            .key(to)
            .send()
            .await
            .map_err(|e| classify("CopyObject", e))?;
        Ok(())
    }

    /// Writes `bytes` to `key` (the e-mailed attachments' pending place).
    pub async fn write_bytes(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), ObjectError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| classify("PutObject", e))?;
        Ok(())
    }

    /// The object's size and, if it is at most `max_bytes`, its bytes; `None` if it is not there.
    pub async fn read_bounded(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> Result<Option<(u64, Option<Vec<u8>>)>, ObjectError> {
        let Some(info) = self.object_size(key).await? else {
            return Ok(None);
        };
        let range = (info.size_bytes > max_bytes).then(|| format!("bytes=0-{}", 64 * 1024 - 1));
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_range(range.clone())
            .send()
            .await
            .map_err(|e| classify("GetObject", e))?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| ObjectError::Unavailable(format!("GetObject body: {e}")))?
            .into_bytes()
            .to_vec();
        Ok(Some((info.size_bytes, Some(bytes))))
    }

    /// Deletes `key` (gone already is fine).
    pub async fn delete_key(&self, key: &str) -> Result<(), ObjectError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify("DeleteObject", e))?;
        Ok(())
    }
}

/// The SDK's configuration from the environment, with bounded calls: a stalled object store
/// becomes a `503` well inside the function's own timeout (10 s). 6 s covers the completion's
/// server-side copy of a 50 MiB file with room to spare. The endpoint override
/// (`AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`) is set on it, as the S3 client's own.
pub fn sdk_config_from(aws: &awsconf::Aws) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_timeout(Duration::from_secs(6))
        .build();
    let mut config = aws.sdk_config().timeout_config(timeouts);
    if let Some(url) = aws.endpoint_url(Service::S3) {
        config = config.endpoint_url(url);
    }
    config.build()
}

/// The S3 client of the environment: path-style addressing exactly when an endpoint is set.
pub fn client_from_env() -> Result<Client, awsconf::EnvError> {
    let aws = awsconf::Aws::from_env()?;
    let path_style = aws.endpoint_url(Service::S3).is_some();
    Ok(Client::from_conf(s3_config(
        &sdk_config_from(&aws),
        path_style,
    )))
}

#[cfg(test)]
mod tests;
