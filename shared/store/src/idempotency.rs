//! Idempotency records: the answer to a creating request, written in the same transaction as
//! what it created, so a retry finds either nothing (and may create) or the original answer.

use crate::items::{from_item, n, put_new, s, with, Item};
use crate::keys::{self, Key};
use crate::{Store, StoreError};
use aws_sdk_dynamodb::types::TransactWriteItem;
use domain::time::{format_instant, Instant};
use serde_json::Value;

/// Kept 48 hours (the contract promises at least 24).
pub const RETENTION_SECS: i64 = 48 * 3600;

/// What a creating request writes beside its result.
#[derive(Debug, Clone)]
pub struct IdempotencyWrite {
    pub key: Key,
    pub fingerprint: String,
    pub status: u16,
    pub body: Value,
    pub now: Instant,
}

impl IdempotencyWrite {
    pub fn new(
        account_id: &str,
        operation: &str,
        client_key: &str,
        fingerprint: String,
        now: Instant,
    ) -> Self {
        IdempotencyWrite {
            key: keys::idempotency(account_id, operation, client_key),
            fingerprint,
            status: 201,
            body: Value::Null,
            now,
        }
    }

    pub(crate) fn transact_item(&self, table: &str) -> Result<TransactWriteItem, StoreError> {
        let item: Item = with(
            Item::new(),
            [
                (keys::PK, s(&self.key.pk)),
                (keys::SK, s(&self.key.sk)),
                ("fingerprint", s(&self.fingerprint)),
                ("status", n(self.status)),
                ("body", s(self.body.to_string())),
                ("created_at", s(format_instant(self.now))),
                (
                    crate::table::TTL_ATTRIBUTE,
                    n(self.now.timestamp() + RETENTION_SECS),
                ),
            ],
        );
        put_new(table, item)
    }
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct IdempotencyRecord {
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
}

impl IdempotencyRecord {
    /// The stored answer's body. One that does not read back as a JSON object or array is a
    /// corrupt record (never replayed as `null`).
    pub fn body_json(&self) -> Result<Value, StoreError> {
        match serde_json::from_str::<Value>(&self.body) {
            Ok(v) if v.is_object() || v.is_array() => Ok(v),
            Ok(_) => Err(StoreError::Corrupt(
                "idempotency record holds no answer body".into(),
            )),
            Err(e) => Err(StoreError::Corrupt(format!(
                "idempotency record body is not JSON: {e}"
            ))),
        }
    }
}

impl Store {
    pub async fn idempotency_record(
        &self,
        key: &Key,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.get(key).await?.map(from_item).transpose()
    }
}
