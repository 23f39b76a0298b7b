//! The DynamoDB adapter: keys, item mapping, conditional writes and transactions, idempotency
//! records, error classification. The only crate that names aws-sdk-dynamodb; it makes no
//! business decision (the domain decides, the store persists exactly what it was told).
//!
//! The table design and its access patterns are written down in `shared/store/ACCESS_PATTERNS.md`.

pub mod accounts;
pub mod attachments;
pub mod catalogue;
pub mod error;
pub mod idempotency;
pub mod ids;
pub mod incidents;
pub(crate) mod items;
pub mod keys;
pub mod notifications;
pub mod packs;
pub mod paging;
pub mod payments;
pub mod profiles;
pub mod reports;
pub mod stream;
pub mod sweep;
pub mod table;
pub mod testkit;

pub use error::StoreError;
pub use paging::Page;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::Client;
use std::time::Duration;

/// The table and a client for it, built once per cold start.
#[derive(Clone)]
pub struct Store {
    pub(crate) client: Client,
    pub(crate) table: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreInitError {
    #[error("environment variable {0} is not set")]
    MissingVariable(&'static str),
}

impl Store {
    /// Reads `TABLE_NAME`, and the SDK's own variables (`AWS_REGION`,
    /// `AWS_ENDPOINT_URL_DYNAMODB` for the local server, credentials). The operation timeout
    /// keeps a stalled data store's answer (`503`) well inside the function's own timeout.
    pub async fn from_env() -> Result<Store, StoreInitError> {
        let table = std::env::var("TABLE_NAME")
            .ok()
            .filter(|t| !t.is_empty())
            .ok_or(StoreInitError::MissingVariable("TABLE_NAME"))?;
        Ok(Store {
            client: client_from_env().await,
            table,
        })
    }

    pub fn new(client: Client, table: impl Into<String>) -> Store {
        Store {
            client,
            table: table.into(),
        }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Millisecond setting from the environment, or the default.
fn env_millis(name: &str, default: u64) -> Duration {
    Duration::from_millis(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

pub async fn client_from_env() -> Client {
    // No per-attempt timeout unless asked for: re-sending a write that was merely slow could apply
    // it twice. Only the whole operation is bounded (and transactions carry a request token).
    let mut timeouts = TimeoutConfig::builder()
        .connect_timeout(env_millis("STORE_CONNECT_TIMEOUT_MS", 1_000))
        .operation_timeout(env_millis("STORE_OPERATION_TIMEOUT_MS", 5_000));
    if std::env::var("STORE_ATTEMPT_TIMEOUT_MS").is_ok() {
        timeouts =
            timeouts.operation_attempt_timeout(env_millis("STORE_ATTEMPT_TIMEOUT_MS", 2_000));
    }
    let config = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts.build())
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await;
    Client::new(&config)
}
