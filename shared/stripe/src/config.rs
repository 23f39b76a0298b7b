//! Payment configuration, read once at cold start: which provider (`PAYMENT_PROVIDER`), and the
//! Stripe secrets, from the environment locally (`STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`) or,
//! deployed, from AWS Secrets Manager secrets (name or ARN) given by `STRIPE_SECRET_KEY_SECRET_ID` /
//! `STRIPE_WEBHOOK_SECRET_SECRET_ID`. A secret's value never reaches a log or a `Debug` output.

use crate::checkout::CheckoutClient;
use crate::secret::Secret;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("PAYMENT_PROVIDER must be none or stripe, not {0:?}")]
    UnknownProvider(String),
    #[error("environment variable {0} is required with PAYMENT_PROVIDER=stripe")]
    Missing(&'static str),
    #[error("reading the secret named by {0} from Secrets Manager failed: {1}")]
    SecretUnreadable(&'static str, String),
    #[error("{name} must be {expected}, not {value:?}")]
    Invalid {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
    #[error("Stripe client: {0}")]
    Client(String),
    #[error("reading a secret from Secrets Manager: {0}")]
    Aws(#[from] awsconf::EnvError),
}

/// `PAYMENT_PROVIDER`: `none` (the default) or `stripe`.
pub enum PaymentProvider {
    /// Packs are active at once (vendors who invoice).
    None,
    Stripe(Box<CheckoutClient>),
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Default bound on one Checkout Session request, well inside the function's own timeout.
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

impl PaymentProvider {
    pub fn is_stripe(&self) -> bool {
        matches!(self, PaymentProvider::Stripe(_))
    }

    /// Reads the provider and, for Stripe, builds the client with its secret key.
    pub async fn from_env() -> Result<PaymentProvider, ConfigError> {
        match var("PAYMENT_PROVIDER")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("none") => Ok(PaymentProvider::None),
            Some("stripe") => {
                let key = secret_from_env("STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY_SECRET_ID")
                    .await?
                    .ok_or(ConfigError::Missing(
                        "STRIPE_SECRET_KEY (or STRIPE_SECRET_KEY_SECRET_ID)",
                    ))?;
                let success = var("CHECKOUT_SUCCESS_URL")
                    .ok_or(ConfigError::Missing("CHECKOUT_SUCCESS_URL"))?;
                let cancel = var("CHECKOUT_CANCEL_URL")
                    .ok_or(ConfigError::Missing("CHECKOUT_CANCEL_URL"))?;
                let base = var("STRIPE_API_BASE").unwrap_or_else(|| DEFAULT_API_BASE.to_string());
                let timeout = timeout_ms(var("STRIPE_TIMEOUT_MS"))?;
                CheckoutClient::new(&base, key, success, cancel, Duration::from_millis(timeout))
                    .map(|client| PaymentProvider::Stripe(Box::new(client)))
                    .map_err(|e| ConfigError::Client(e.to_string()))
            }
            Some(other) => Err(ConfigError::UnknownProvider(other.to_string())),
        }
    }
}

/// `STRIPE_TIMEOUT_MS`: a whole number of milliseconds from 1 to 60,000 (unset: the default); any
/// other value stops the function at start, named, rather than being silently replaced.
fn timeout_ms(value: Option<String>) -> Result<u64, ConfigError> {
    let Some(value) = value else {
        return Ok(DEFAULT_TIMEOUT_MS);
    };
    match value.trim().parse::<u64>() {
        Ok(ms) if (1..=60_000).contains(&ms) => Ok(ms),
        _ => Err(ConfigError::Invalid {
            name: "STRIPE_TIMEOUT_MS",
            expected: "a whole number of milliseconds from 1 to 60000",
            value,
        }),
    }
}

/// The webhook's signing secret; `None` when none is configured (then nothing verifies).
pub async fn webhook_secret_from_env() -> Result<Option<Secret>, ConfigError> {
    secret_from_env("STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET_SECRET_ID").await
}

/// The value of `plain` if set, else the Secrets Manager secret `arn` names (its name or ARN) (its
/// `SecretString`), else `None`.
pub async fn secret_from_env(
    plain: &'static str,
    arn: &'static str,
) -> Result<Option<Secret>, ConfigError> {
    if let Some(value) = var(plain) {
        return Ok(Some(Secret::new(value.trim())));
    }
    let Some(secret_id) = var(arn) else {
        return Ok(None);
    };
    let aws = awsconf::Aws::from_env()?;
    let mut config = aws_sdk_secretsmanager::config::Builder::from(&aws.sdk_config().build());
    if let Some(url) = aws.endpoint_url(awsconf::Service::SecretsManager) {
        config = config.endpoint_url(url);
    }
    let client = aws_sdk_secretsmanager::Client::from_conf(config.build());
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            ConfigError::SecretUnreadable(
                arn,
                aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
            )
        })?;
    let value = out
        .secret_string()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ConfigError::SecretUnreadable(arn, "the secret has no SecretString".into())
        })?;
    Ok(Some(Secret::new(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeout_defaults_when_unset_and_is_read_when_valid() {
        assert_eq!(timeout_ms(None).unwrap(), DEFAULT_TIMEOUT_MS);
        assert_eq!(timeout_ms(Some(" 2500 ".into())).unwrap(), 2_500);
    }

    #[test]
    fn a_bad_timeout_is_named_not_ignored() {
        for bad in ["soon", "0", "-5", "60001", "1.5"] {
            let err = timeout_ms(Some(bad.into())).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("STRIPE_TIMEOUT_MS"), "{text}");
            assert!(text.contains(bad), "{text}");
        }
    }
}
