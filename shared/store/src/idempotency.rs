//! Idempotency records: the answer to a creating request, written in the same transaction as
//! what it created, so a retry finds either nothing (and may create) or the original answer.

use crate::items::{from_item, key_attrs, put_new_returning_old, to_item, with, Item};
use crate::keys::{self, Key};
use crate::{Store, StoreError};
use aws_sdk_dynamodb::types::TransactWriteItem;
use domain::time::format_instant;
use serde::{Deserialize, Serialize};

/// Kept 48 hours (the contract promises at least 24).
pub const RETENTION_SECS: i64 = 48 * 3600;

pub use domain::idempotency::IdempotencyWrite;

/// Where `write`'s record is kept.
pub(crate) fn key_of(write: &IdempotencyWrite) -> Key {
    keys::idempotency(&write.account_id, write.operation, &write.client_key)
}

pub(crate) fn transact_item(
    write: &IdempotencyWrite,
    table: &str,
) -> Result<TransactWriteItem, StoreError> {
    let record = IdempotencyItem {
        fingerprint: write.fingerprint.clone(),
        status: write.status,
        body: write.body.to_string(),
        created_at: format_instant(write.now),
        expires_ttl: write.now.timestamp() + RETENTION_SECS,
    };
    put_new_returning_old(table, with(to_item(&record)?, key_attrs(&key_of(write))))
}

/// The stored idempotency record besides its key: `status` and the TTL are numbers, the body
/// is the answer's JSON text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct IdempotencyItem {
    fingerprint: String,
    status: u16,
    body: String,
    created_at: String,
    /// `crate::table::TTL_ATTRIBUTE`.
    expires_ttl: i64,
}

pub use domain::idempotency::IdempotencyRecord;

impl Store {
    /// The record a transaction found in the way of `write` (its idempotency put failed): the
    /// item the cancellation handed back, or, should DynamoDB not have returned it, read.
    pub(crate) async fn replayed_record(
        &self,
        write: &IdempotencyWrite,
        handed_back: Option<Item>,
    ) -> Result<IdempotencyRecord, StoreError> {
        if let Some(item) = handed_back {
            return from_item(item);
        }
        self.idempotency_record(write).await?.ok_or_else(|| {
            StoreError::Unavailable("idempotency record not readable yet; retry".into())
        })
    }

    /// The record kept for `write`'s request, if a request with its key came before.
    pub async fn idempotency_record(
        &self,
        write: &IdempotencyWrite,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.get(&key_of(write)).await?.map(from_item).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::attribute_types;
    use chrono::TimeZone;

    #[test]
    fn the_record_keeps_its_attribute_names_and_types() {
        let now = chrono::Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        let mut write = IdempotencyWrite::new(&"acc_1".into(), "purchase", "k1", "fp".into(), now);
        write.body = serde_json::json!({"pack_id": "pk_1"});
        let put = transact_item(&write, "t").unwrap().put.unwrap();
        let item = put.item;
        assert_eq!(
            attribute_types(&item),
            [
                ("PK", "S"),
                ("SK", "S"),
                ("body", "S"),
                ("created_at", "S"),
                (crate::table::TTL_ATTRIBUTE, "N"),
                ("fingerprint", "S"),
                ("status", "N"),
            ]
        );
        assert_eq!(item["status"].as_n().unwrap(), "201");
        assert_eq!(item["body"].as_s().unwrap(), r#"{"pack_id":"pk_1"}"#);
        assert_eq!(
            item[crate::table::TTL_ATTRIBUTE].as_n().unwrap(),
            &(now.timestamp() + RETENTION_SECS).to_string()
        );
        assert_eq!(
            put.condition_expression.as_deref(),
            Some("attribute_not_exists(PK)")
        );
        // A retry's transaction learns the earlier answer from its own cancellation.
        assert_eq!(
            put.return_values_on_condition_check_failure,
            Some(aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld)
        );
        let read: IdempotencyRecord = from_item(item).unwrap();
        assert_eq!(read.status, 201);
        assert_eq!(read.fingerprint, "fp");
    }
}
