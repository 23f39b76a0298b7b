//! Card orders and the payment provider's notifications. An order is reserved (a draft beside
//! its idempotency record, never a pack) before its Checkout Session is created, so a retry after
//! a failure reuses the same pack id, price and session, and nothing a customer can see or draw
//! exists until the session does. Each notification is applied in one conditional transaction
//! that also writes its event id once.

use crate::idempotency::{IdempotencyWrite, RETENTION_SECS};
use crate::items::{from_item, key_attrs, n, put, put_new, s, to_item, update, with, Cond, Item};
use crate::keys::{self, Key};
use crate::packs::{opening, usable_sort_key, PACK_STATE_ATTRIBUTE};
use crate::table::{BY_OWNER, TTL_ATTRIBUTE, USABLE_PACKS};
use crate::{Store, StoreError};
use aws_sdk_dynamodb::types::TransactWriteItem;
use domain::pack::{Pack, PaymentMismatch};
use domain::time::{format_instant, Instant};
use serde::{Deserialize, Serialize};

/// Processed event ids are kept 90 days (Stripe retries a delivery for up to three days).
pub const EVENT_RETENTION_SECS: i64 = 90 * 24 * 3600;

/// A reserved order: the request it answers (fingerprint) and the pack it will become.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDraft {
    pub fingerprint: String,
    pub pack: Pack,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeOutcome {
    /// Written, with the event id.
    Applied,
    /// This event id was applied before: nothing changed.
    Duplicate,
    /// The pack changed since it was read: read it again and decide again.
    PackChanged,
}

#[derive(Serialize)]
struct EventRecord<'a> {
    event_id: &'a str,
    pack_id: &'a str,
    outcome: &'a str,
    at: String,
}

/// A reserved order as stored besides its key: the draft as JSON text, the TTL a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct OrderDraftItem {
    draft: String,
    created_at: String,
    /// `TTL_ATTRIBUTE`.
    expires_ttl: i64,
}

fn order_draft_item(
    idempotency: &Key,
    draft: &OrderDraft,
    now: Instant,
) -> Result<Item, StoreError> {
    let text = serde_json::to_string(draft)
        .map_err(|e| StoreError::Other(format!("serialising an order draft: {e}")))?;
    let stored = OrderDraftItem {
        draft: text,
        created_at: format_instant(now),
        expires_ttl: now.timestamp() + RETENTION_SECS,
    };
    Ok(with(
        to_item(&stored)?,
        key_attrs(&keys::order_draft(idempotency)),
    ))
}

fn live(item: &Item, now: Instant) -> bool {
    item.get(TTL_ATTRIBUTE)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .is_none_or(|ttl| ttl > now.timestamp())
}

impl Store {
    /// The order reserved under this idempotency key, unless expired.
    pub async fn order_draft(
        &self,
        idempotency: &IdempotencyWrite,
        now: Instant,
    ) -> Result<Option<OrderDraft>, StoreError> {
        let key = crate::idempotency::key_of(idempotency);
        let Some(item) = self.get(&keys::order_draft(&key)).await? else {
            return Ok(None);
        };
        if !live(&item, now) {
            return Ok(None);
        }
        let draft = item
            .get("draft")
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| StoreError::Corrupt("order draft without its draft".into()))?;
        serde_json::from_str(draft)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("order draft: {e}")))
    }

    /// Reserves `draft` under the idempotency key; if another request reserved first, its
    /// draft (the caller must then use that one).
    pub async fn reserve_order(
        &self,
        idempotency: &IdempotencyWrite,
        draft: &OrderDraft,
        now: Instant,
    ) -> Result<OrderDraft, StoreError> {
        let item = order_draft_item(&crate::idempotency::key_of(idempotency), draft, now)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR #ttl <= :now")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now.timestamp()))
            .send()
            .await
            .map_err(|e| crate::error::classify("PutItem", e));
        match result {
            Ok(_) => Ok(draft.clone()),
            Err(StoreError::ConditionFailed) => self
                .order_draft(idempotency, now)
                .await?
                .ok_or_else(|| StoreError::Unavailable("order draft vanished; retry".into())),
            Err(e) => Err(e),
        }
    }

    fn event_record(
        &self,
        event_id: &str,
        pack_id: &str,
        outcome: &str,
        now: Instant,
    ) -> Result<TransactWriteItem, StoreError> {
        let record = EventRecord {
            event_id,
            pack_id,
            outcome,
            at: format_instant(now),
        };
        let item = with(
            to_item(&record)?,
            key_attrs(&keys::payment_event(event_id))
                .into_iter()
                .chain([(TTL_ATTRIBUTE, n(now.timestamp() + EVENT_RETENTION_SECS))]),
        );
        put_new(&self.table, item)
    }

    async fn apply_notice(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<NoticeOutcome, StoreError> {
        match self.transact(items).await {
            Ok(()) => Ok(NoticeOutcome::Applied),
            Err(e) if e.condition_failed_at(0) => Ok(NoticeOutcome::Duplicate),
            Err(e) if e.is_condition_failure() => Ok(NoticeOutcome::PackChanged),
            Err(e) => Err(e),
        }
    }

    /// Activation, one transaction: the event id (once), the pack from the state it was read in
    /// to `paid` (active, units, purchase instant, expiry), the ledger's opening (once).
    pub async fn activate_pack(
        &self,
        read: &Pack,
        paid: &Pack,
        event_id: &str,
        now: Instant,
    ) -> Result<NoticeOutcome, StoreError> {
        let (Some(purchased_at), Some(expires_at)) = (paid.purchased_at, paid.expires_at) else {
            return Err(StoreError::Other(
                "an activated pack needs its purchase and expiry".into(),
            ));
        };
        let pack_update = update(
            &self.table,
            keys::pack(&paid.pack_id).to_item(),
            "SET #status = :active, purchased_at = :purchased, expires_at = :expires, \
             incidents_remaining = :units, activated_by_event = :event, \
             #usable_pk = #owner_pk, #usable_sk = :usable_sk",
            Cond::new(
                "#status = :read AND owner_account_id = :owner AND incidents_remaining = :zero",
            )
            .name("#status", PACK_STATE_ATTRIBUTE)
            .name("#usable_pk", USABLE_PACKS.pk)
            .name("#owner_pk", BY_OWNER.pk)
            .name("#usable_sk", USABLE_PACKS.sk)
            .value(":usable_sk", s(usable_sort_key(expires_at, &paid.pack_id)))
            .value(":active", s(paid.state.as_str()))
            .value(":read", s(read.state.as_str()))
            .value(":owner", s(&read.owner_account_id))
            .value(":zero", n(0))
            .value(":purchased", s(format_instant(purchased_at)))
            .value(":expires", s(format_instant(expires_at)))
            .value(":units", n(paid.incidents_remaining))
            .value(":event", s(event_id)),
        )?;
        let items = vec![
            self.event_record(event_id, &paid.pack_id, "activated", now)?,
            pack_update,
            opening(paid, event_id, purchased_at).transact_item(&self.table)?,
            crate::packs::bump_generation(&self.table, &read.owner_account_id, &paid.pack_id, now)?,
        ];
        self.apply_notice(items).await
    }

    /// Cancellation of an order still awaiting payment, with the event id (once).
    pub async fn cancel_order(
        &self,
        read: &Pack,
        cancelled: &Pack,
        event_id: &str,
        now: Instant,
    ) -> Result<NoticeOutcome, StoreError> {
        let pack_update = update(
            &self.table,
            keys::pack(&cancelled.pack_id).to_item(),
            "SET #status = :cancelled, cancelled_by_event = :event",
            Cond::new("#status = :read")
                .name("#status", PACK_STATE_ATTRIBUTE)
                .value(":cancelled", s(cancelled.state.as_str()))
                .value(":read", s(read.state.as_str()))
                .value(":event", s(event_id)),
        )?;
        let items = vec![
            self.event_record(event_id, &cancelled.pack_id, "cancelled", now)?,
            pack_update,
        ];
        self.apply_notice(items).await
    }

    /// A paid notification that does not match its order: the event id (once), a mismatch item in
    /// the pack's partition, and the pack's `payment_mismatch` (what staff see on the pack). The
    /// pack's state is not touched.
    pub async fn record_payment_mismatch(
        &self,
        pack: &Pack,
        mismatch: &PaymentMismatch,
        now: Instant,
    ) -> Result<NoticeOutcome, StoreError> {
        let record = with(
            to_item(mismatch)?,
            key_attrs(&keys::payment_mismatch(&pack.pack_id, &mismatch.event_id))
                .into_iter()
                .chain([("pack_id", s(&pack.pack_id))]),
        );
        let on_pack: aws_sdk_dynamodb::types::AttributeValue =
            serde_dynamo::to_attribute_value(mismatch)
                .map_err(|e| StoreError::Other(format!("mapping a mismatch: {e}")))?;
        let pack_update = update(
            &self.table,
            keys::pack(&pack.pack_id).to_item(),
            "SET payment_mismatch = :m",
            Cond::new("attribute_exists(PK)").value(":m", on_pack),
        )?;
        let items = vec![
            self.event_record(&mismatch.event_id, &pack.pack_id, "amount_mismatch", now)?,
            put(&self.table, record, Cond::new("attribute_not_exists(PK)"))?,
            pack_update,
        ];
        self.apply_notice(items).await
    }

    /// Every mismatch recorded on a pack (oldest event id first).
    pub async fn payment_mismatches(
        &self,
        pack_id: &str,
    ) -> Result<Vec<PaymentMismatch>, StoreError> {
        self.query_prefix(&keys::pack(pack_id).pk, keys::PAYMENT_MISMATCH_PREFIX)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// Whether an event id was applied (for tests and operations).
    pub async fn payment_event_applied(&self, event_id: &str) -> Result<bool, StoreError> {
        Ok(self.get(&keys::payment_event(event_id)).await?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::attribute_types;

    #[test]
    fn an_order_draft_keeps_its_attribute_names_and_types() {
        let pack = crate::packs::tests::an_order();
        let now = pack.ordered_at;
        let draft = OrderDraft {
            fingerprint: "fp".into(),
            pack,
        };
        let idempotency = keys::idempotency("acc_1", "POST /orders", "k1");
        let item = order_draft_item(&idempotency, &draft, now).unwrap();
        assert_eq!(
            attribute_types(&item),
            [
                ("PK", "S"),
                ("SK", "S"),
                ("created_at", "S"),
                ("draft", "S"),
                (TTL_ATTRIBUTE, "N"),
            ]
        );
        assert_eq!(
            item[TTL_ATTRIBUTE].as_n().unwrap(),
            &(now.timestamp() + RETENTION_SECS).to_string()
        );
        assert!(live(&item, now));
        let text = item["draft"].as_s().unwrap();
        assert_eq!(serde_json::from_str::<OrderDraft>(text).unwrap(), draft);
        let key = keys::order_draft(&idempotency);
        assert_eq!(item["PK"].as_s().unwrap(), &key.pk);
        assert_eq!(item["SK"].as_s().unwrap(), &key.sk);
    }
}
