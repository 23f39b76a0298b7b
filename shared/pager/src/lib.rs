//! The SNS adapter: publishes one page to the on-call topic. The only crate that names
//! aws-sdk-sns; who is paged for what is decided elsewhere.

use aws_sdk_sns::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sns::Client;
use std::fmt::Debug;

/// One page: a short subject (SNS allows 100 printable ASCII characters) and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub subject: String,
    pub text: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum PageError {
    #[error("paging service unavailable: {0}")]
    Unavailable(String),
    #[error("page refused: {0}")]
    Refused(String),
}

impl PageError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, PageError::Unavailable(_))
    }
}

const RETRYABLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottledException",
    "InternalError",
    "KMSThrottlingException",
    "ServiceUnavailable",
];

#[derive(Clone)]
pub struct Pager {
    client: Client,
    topic_arn: String,
}

impl Pager {
    /// Reads the SDK's own variables (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL_SNS` or
    /// `AWS_ENDPOINT_URL` locally: see `awsconf`); a missing region or key fails, naming it.
    pub fn from_env(topic_arn: impl Into<String>) -> Result<Pager, awsconf::EnvError> {
        let aws = awsconf::Aws::from_env()?;
        let mut config = aws_sdk_sns::config::Builder::from(&aws.sdk_config().build());
        if let Some(url) = aws.endpoint_url(awsconf::Service::Sns) {
            config = config.endpoint_url(url);
        }
        Ok(Pager {
            client: Client::from_conf(config.build()),
            topic_arn: topic_arn.into(),
        })
    }

    /// Publishes the page; the SNS message id on success.
    pub async fn page(&self, page: &Page) -> Result<String, PageError> {
        let subject: String = page
            .subject
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .take(100)
            .collect();
        let out = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject)
            .message(&page.text)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.message_id.unwrap_or_default())
    }
}

fn classify<E, R>(err: SdkError<E, R>) -> PageError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug,
{
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            PageError::Unavailable(DisplayErrorContext(&err).to_string())
        }
        SdkError::ServiceError(service) => match service.err().code() {
            Some(code) if RETRYABLE_CODES.contains(&code) => PageError::Unavailable(code.into()),
            Some(code) => PageError::Refused(code.into()),
            None => PageError::Refused(DisplayErrorContext(&err).to_string()),
        },
        _ => PageError::Unavailable(DisplayErrorContext(&err).to_string()),
    }
}
