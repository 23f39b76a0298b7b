//! The SES v2 adapter: sends one e-mail (plain text + HTML) and says whether a failure is worth
//! retrying. The only crate that names aws-sdk-sesv2; it decides nothing about who gets what.

use aws_sdk_sesv2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::types::{
    Body, Content, Destination, EmailContent, Message, MessageHeader, MessageTag,
};
use aws_sdk_sesv2::Client;
use std::fmt::Debug;

/// One e-mail to one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `Reply-To` (to an incident's contact: its reply address; issue 27).
    pub reply_to: Option<String>,
    /// Extra headers (an automatic answer's `Auto-Submitted: auto-replied`).
    pub headers: Vec<(String, String)>,
    /// Message tags: SES hands them back in bounce and complaint events (`incident_id`).
    pub tags: Vec<(String, String)>,
}

impl Email {
    /// A message with no extras.
    pub fn new(
        to: impl Into<String>,
        subject: impl Into<String>,
        text: impl Into<String>,
        html: impl Into<String>,
    ) -> Email {
        Email {
            to: to.into(),
            subject: subject.into(),
            text: text.into(),
            html: html.into(),
            reply_to: None,
            headers: Vec::new(),
            tags: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// Throttled, timed out, unreachable: the same send may succeed later.
    #[error("mail service unavailable: {0}")]
    Unavailable(String),
    /// Refused (unverified sender, bad address, account paused…): retrying the same message
    /// succeeds only once someone fixes the cause.
    #[error("mail refused: {0}")]
    Refused(String),
}

impl SendError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Unavailable(_))
    }
}

const RETRYABLE_CODES: &[&str] = &[
    "TooManyRequestsException",
    "ThrottlingException",
    "LimitExceededException",
    "InternalFailure",
    "ServiceUnavailable",
];

/// A client for SES v2 and the verified sender address, built once per cold start.
#[derive(Clone)]
pub struct Mailer {
    client: Client,
    from: String,
    /// `SES_CONFIGURATION_SET`: publishes bounces and complaints (to SNS) when set.
    configuration_set: Option<String>,
}

impl Mailer {
    /// Reads the SDK's own variables (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL_SESV2` or
    /// `AWS_ENDPOINT_URL` locally: see `awsconf`); a missing region or key fails, naming it.
    pub fn from_env(from: impl Into<String>) -> Result<Mailer, awsconf::EnvError> {
        let aws = awsconf::Aws::from_env()?;
        let mut config = aws_sdk_sesv2::config::Builder::from(&aws.sdk_config().build());
        if let Some(url) = aws.endpoint_url(awsconf::Service::SesV2) {
            config = config.endpoint_url(url);
        }
        Ok(Mailer {
            client: Client::from_conf(config.build()),
            from: from.into(),
            configuration_set: std::env::var("SES_CONFIGURATION_SET")
                .ok()
                .filter(|v| !v.trim().is_empty()),
        })
    }

    pub fn from_address(&self) -> &str {
        &self.from
    }

    /// Sends one message; its SES message id on success.
    pub async fn send(&self, email: &Email) -> Result<String, SendError> {
        let text = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(|e| SendError::Refused(format!("building the message: {e}")))
        };
        let mut message = Message::builder();
        for (name, value) in &email.headers {
            message = message.headers(
                MessageHeader::builder()
                    .name(name)
                    .value(value)
                    .build()
                    .map_err(|e| SendError::Refused(format!("building a header: {e}")))?,
            );
        }
        let message = message
            .subject(text(&email.subject)?)
            .body(
                Body::builder()
                    .text(text(&email.text)?)
                    .html(text(&email.html)?)
                    .build(),
            )
            .build();
        let mut request = self.client.send_email();
        for (name, value) in &email.tags {
            request = request.email_tags(
                MessageTag::builder()
                    .name(name)
                    .value(value)
                    .build()
                    .map_err(|e| SendError::Refused(format!("building a tag: {e}")))?,
            );
        }
        let out = request
            .set_reply_to_addresses(email.reply_to.clone().map(|r| vec![r]))
            .set_configuration_set_name(self.configuration_set.clone())
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(classify)?;
        Ok(out.message_id.unwrap_or_default())
    }

    /// Makes the sender an e-mail identity (local stack: moto refuses mail from any other).
    pub async fn create_sender_identity(&self) -> Result<(), SendError> {
        match self
            .client
            .create_email_identity()
            .email_identity(&self.from)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("AlreadyExistsException") => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }
}

fn classify<E, R>(err: SdkError<E, R>) -> SendError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug,
{
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            SendError::Unavailable(DisplayErrorContext(&err).to_string())
        }
        SdkError::ServiceError(service) => match service.err().code() {
            Some(code) if RETRYABLE_CODES.contains(&code) => SendError::Unavailable(code.into()),
            Some(code) => SendError::Refused(code.into()),
            None => SendError::Refused(DisplayErrorContext(&err).to_string()),
        },
        _ => SendError::Unavailable(DisplayErrorContext(&err).to_string()),
    }
}
