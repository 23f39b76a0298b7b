//! "Sent" records: one item per (source, recipient) makes each message go out once however often
//! the stream delivers its record (`NOTIFICATION#{source}` / `TO#{recipient}`).
//!
//! The protocol, per message:
//! 1. `claim`: a conditional put takes the message (`state = sending`, a lease). It fails if the
//!    message was sent, or another invocation holds a live lease on it.
//! 2. send it;
//! 3. `mark_sent` (`state = sent`, the provider's message id), or on a failed send `release`
//!    (`state = failed`), which lets the next delivery of the record take it again at once.
//!
//! A crash between 1 and 3 leaves a lease; once it runs out (longer than the function's
//! timeout, so no live invocation still holds it), a later delivery sends again. That window —
//! a crash after the provider accepted the message and before `mark_sent` — is the only way
//! a message can go twice; a failed send never makes anything else go twice.

use crate::items::{n, s};
use crate::table::TTL_ATTRIBUTE;
use crate::{keys, Store, StoreError};
use domain::time::{format_instant, Instant};

/// Sent records outlive every redelivery: a stream keeps records 24 hours.
const KEPT_FOR_DAYS: i64 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// This invocation sends it now.
    Claimed,
    /// It went out before: nothing to do.
    AlreadySent,
    /// Another invocation holds it (its lease has not run out): try again later.
    InFlight,
}

impl Store {
    pub async fn claim_notification(
        &self,
        source: &str,
        recipient: &str,
        now: Instant,
        lease: chrono::Duration,
    ) -> Result<ClaimOutcome, StoreError> {
        let key = keys::notification(source, recipient);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.to_item()))
            .update_expression(
                "SET #state = :sending, lease_until = :until, claimed_at = :now, #ttl = :ttl \
                 ADD attempts :one",
            )
            .condition_expression(
                "attribute_not_exists(#state) OR #state = :failed \
                 OR (#state = :sending AND lease_until < :epoch)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":failed", s("failed"))
            .expression_attribute_values(":until", n((now + lease).timestamp()))
            .expression_attribute_values(":epoch", n(now.timestamp()))
            .expression_attribute_values(":now", s(format_instant(now)))
            .expression_attribute_values(
                ":ttl",
                n((now + chrono::Duration::days(KEPT_FOR_DAYS)).timestamp()),
            )
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(|e| crate::error::classify("UpdateItem", e));
        match result {
            Ok(_) => Ok(ClaimOutcome::Claimed),
            Err(StoreError::ConditionFailed) => {
                let state = self
                    .get(&key)
                    .await?
                    .and_then(|i| i.get("state").and_then(|v| v.as_s().ok()).cloned());
                Ok(match state.as_deref() {
                    Some("sent") => ClaimOutcome::AlreadySent,
                    _ => ClaimOutcome::InFlight,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The message went out: record it for good.
    pub async fn mark_notification_sent(
        &self,
        source: &str,
        recipient: &str,
        provider_id: &str,
        now: Instant,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::notification(source, recipient).to_item()))
            .update_expression(
                "SET #state = :sent, sent_at = :now, provider_message_id = :id REMOVE lease_until",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":now", s(format_instant(now)))
            .expression_attribute_values(":id", s(provider_id))
            .send()
            .await
            .map_err(|e| crate::error::classify("UpdateItem", e))?;
        Ok(())
    }

    /// The send failed: the next delivery of the record may take the message again at once.
    /// Only a claim still in `sending` is released (never a sent one).
    pub async fn release_notification(
        &self,
        source: &str,
        recipient: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::notification(source, recipient).to_item()))
            .update_expression("SET #state = :failed, last_failure = :reason REMOVE lease_until")
            .condition_expression("#state = :sending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":failed", s("failed"))
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":reason", s(reason.chars().take(200).collect::<String>()))
            .send()
            .await
            .map_err(|e| crate::error::classify("UpdateItem", e));
        match result {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The record of one message, for tests and operations: its state and attempts.
    pub async fn notification_state(
        &self,
        source: &str,
        recipient: &str,
    ) -> Result<Option<(String, u64)>, StoreError> {
        Ok(self
            .get(&keys::notification(source, recipient))
            .await?
            .map(|i| {
                let state = i
                    .get("state")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                let attempts = i
                    .get("attempts")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                (state, attempts)
            }))
    }
}
