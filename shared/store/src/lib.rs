//! The DynamoDB adapter: keys, item mapping, conditional writes and transactions, idempotency
//! records, error classification. The only crate that names aws-sdk-dynamodb; it makes no
//! business decision (the domain decides, the store persists exactly what it was told).
//!
//! The table design and its access patterns are written down in `shared/store/ACCESS_PATTERNS.md`.

pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod catalogue;
pub mod engineers;
pub mod error;
pub mod idempotency;
pub mod ids;
pub mod inbound;
pub mod incidents;
pub(crate) mod items;
pub mod keys;
pub mod notifications;
pub mod packs;
pub mod paging;
pub mod payments;
pub mod privacy;
pub mod profiles;
pub mod reports;
pub mod retry;
pub mod stream;
pub mod sweep;
pub mod table;
pub mod testkit;

pub use error::StoreError;
pub use paging::Page;

use aws_sdk_dynamodb::Client;
use awsconf::{RetryConfig, Service, TimeoutConfig};
use std::time::Duration;

/// The table and a client for it, built once per cold start.
#[derive(Clone)]
pub struct Store {
    pub(crate) client: Client,
    pub(crate) table: String,
    /// The product catalogue as last read (`catalogue.rs`), shared by the store's clones.
    pub(crate) catalogue: std::sync::Arc<catalogue::CatalogueCache>,
    /// How long a read → decide → write loop on this store goes on (`retry`).
    pub(crate) retry_budget: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreInitError {
    #[error("environment variable {0} is not set")]
    MissingVariable(&'static str),
    #[error("environment variable {0} must be a whole number of milliseconds from 1 to 600000, not {1:?}")]
    InvalidVariable(&'static str, String),
    #[error(transparent)]
    Aws(#[from] awsconf::EnvError),
}

impl Store {
    /// Reads `TABLE_NAME`, the timeouts (`STORE_*_TIMEOUT_MS`; a value that is not a number
    /// of milliseconds fails here, naming the variable), and the SDK's own variables
    /// (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB` for the local server, credentials: see
    /// `awsconf`; a missing one fails here too, naming it). The
    /// operation timeout keeps a stalled data store's answer (`503`) well inside the function's
    /// own timeout.
    pub async fn from_env() -> Result<Store, StoreInitError> {
        let table = std::env::var("TABLE_NAME")
            .ok()
            .filter(|t| !t.is_empty())
            .ok_or(StoreInitError::MissingVariable("TABLE_NAME"))?;
        let timeouts = Timeouts::from_lookup(|name| std::env::var(name).ok())?;
        let aws = awsconf::Aws::from_env()?;
        Ok(Store::new(client_with(&aws, timeouts), table).with_retry_budget(timeouts.retry_budget))
    }

    pub fn new(client: Client, table: impl Into<String>) -> Store {
        Store {
            client,
            table: table.into(),
            catalogue: Default::default(),
            retry_budget: retry::DEFAULT_BUDGET,
        }
    }

    /// The same store with its retry loops bounded by `budget` instead of the default.
    pub fn with_retry_budget(mut self, budget: Duration) -> Store {
        self.retry_budget = budget;
        self
    }

    /// The rounds of one read → decide → write loop on this store, with its budget.
    pub fn rounds(&self) -> retry::Rounds {
        retry::Rounds::with_budget(self.retry_budget)
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// The data store's timeouts, from `STORE_CONNECT_TIMEOUT_MS` (default 1 s),
/// `STORE_OPERATION_TIMEOUT_MS` (default 5 s: every attempt of one operation together) and
/// `STORE_ATTEMPT_TIMEOUT_MS` (default none: re-sending a write that was merely slow could apply
/// it twice, so only the whole operation is bounded unless an operator asks for more), and the
/// retry loops' budget, `STORE_RETRY_BUDGET_MS` (default 6 s: see `retry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub operation: Duration,
    pub attempt: Option<Duration>,
    pub retry_budget: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_millis(1_000),
            operation: Duration::from_millis(5_000),
            attempt: None,
            retry_budget: retry::DEFAULT_BUDGET,
        }
    }
}

impl Timeouts {
    /// `lookup` reads a variable; an unset or empty one takes its default, any other value
    /// must be 1..=600000 milliseconds.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Timeouts, StoreInitError> {
        let millis = |name: &'static str| -> Result<Option<Duration>, StoreInitError> {
            match lookup(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(None),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(ms) if (1..=600_000).contains(&ms) => Ok(Some(Duration::from_millis(ms))),
                    _ => Err(StoreInitError::InvalidVariable(name, v)),
                },
            }
        };
        let defaults = Timeouts::default();
        Ok(Timeouts {
            connect: millis("STORE_CONNECT_TIMEOUT_MS")?.unwrap_or(defaults.connect),
            operation: millis("STORE_OPERATION_TIMEOUT_MS")?.unwrap_or(defaults.operation),
            attempt: millis("STORE_ATTEMPT_TIMEOUT_MS")?,
            retry_budget: millis("STORE_RETRY_BUDGET_MS")?.unwrap_or(defaults.retry_budget),
        })
    }
}

/// A client with the environment's timeouts, for tests and tools; a bad value is logged and the
/// defaults used (the functions go through `Store::from_env`, which refuses it).
///
/// # Panics
/// Without a region or credentials in the environment (`awsconf::EnvError` names the variable).
pub async fn client_from_env() -> Client {
    let timeouts = Timeouts::from_lookup(|name| std::env::var(name).ok()).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "using the default data store timeouts");
        Timeouts::default()
    });
    let aws = awsconf::Aws::from_env().unwrap_or_else(|e| panic!("the data store client: {e}"));
    client_with(&aws, timeouts)
}

fn client_with(aws: &awsconf::Aws, timeouts: Timeouts) -> Client {
    let mut config = TimeoutConfig::builder()
        .connect_timeout(timeouts.connect)
        .operation_timeout(timeouts.operation);
    if let Some(attempt) = timeouts.attempt {
        config = config.operation_attempt_timeout(attempt);
    }
    let shared = aws
        .sdk_config()
        .timeout_config(config.build())
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .build();
    let mut config = aws_sdk_dynamodb::config::Builder::from(&shared);
    if let Some(url) = aws.endpoint_url(Service::DynamoDb) {
        config = config.endpoint_url(url);
    }
    Client::from_conf(config.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn a_timeout_that_is_not_a_number_of_milliseconds_is_refused_by_name() {
        for bad in ["5s", "-1", "0", "1e3", "99999999999"] {
            let pairs: &'static [(&str, &str)] =
                Box::leak(Box::new([("STORE_OPERATION_TIMEOUT_MS", bad)]));
            let e = Timeouts::from_lookup(lookup(pairs)).expect_err(bad);
            assert!(e.to_string().contains("STORE_OPERATION_TIMEOUT_MS"), "{e}");
        }
        for name in ["STORE_ATTEMPT_TIMEOUT_MS", "STORE_RETRY_BUDGET_MS"] {
            let pairs: &'static [(&str, &str)] = Box::leak(Box::new([(name, "2 s")]));
            let e = Timeouts::from_lookup(lookup(pairs)).expect_err("refused");
            assert!(e.to_string().contains(name), "{e}");
        }
    }

    #[test]
    fn unset_timeouts_take_the_documented_defaults() {
        let t = Timeouts::from_lookup(lookup(&[("STORE_CONNECT_TIMEOUT_MS", "")])).expect("ok");
        assert_eq!(t.connect, Duration::from_millis(1_000));
        assert_eq!(t.operation, Duration::from_millis(5_000));
        assert_eq!(t.attempt, None);
        assert_eq!(t.retry_budget, Duration::from_millis(6_000));
        let t = Timeouts::from_lookup(lookup(&[("STORE_ATTEMPT_TIMEOUT_MS", "2000")])).expect("ok");
        assert_eq!(t.attempt, Some(Duration::from_millis(2_000)));
        let t = Timeouts::from_lookup(lookup(&[("STORE_RETRY_BUDGET_MS", "20000")])).expect("ok");
        assert_eq!(t.retry_budget, Duration::from_millis(20_000));
    }

    #[tokio::test]
    async fn the_functions_store_refuses_a_bad_timeout_at_init() {
        // The one test in this crate that touches these variables.
        std::env::set_var("TABLE_NAME", "init-check");
        std::env::set_var("STORE_CONNECT_TIMEOUT_MS", "soon");
        let outcome = Store::from_env().await;
        std::env::remove_var("STORE_CONNECT_TIMEOUT_MS");
        let e = outcome.err().expect("init fails");
        assert!(e.to_string().contains("STORE_CONNECT_TIMEOUT_MS"), "{e}");
    }
}
