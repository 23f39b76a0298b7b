//! E-mail as a channel: the marker that makes an inbound message post once (`INBOUND#{key}`,
//! written in the transaction that appends its `customer_message`), and the suppression list
//! (`SUPPRESSED#{address}`): addresses that bounced or complained, which are not written to again.

use crate::incidents::{ApplyOutcome, StoredIncident};
use crate::items::{n, put_new, s, with, Item};
use crate::keys::{self, suppressed, Key};
use crate::table::TTL_ATTRIBUTE;
use crate::{Store, StoreError};
use domain::incident::Transition;
use domain::time::{format_instant, Instant};

/// Markers outlive every redelivery (SES and S3 retry for hours, not weeks).
const MARKER_DAYS: i64 = 30;

fn marker(key: &str) -> Key {
    keys::inbound_message(key)
}

/// The outcome of posting an e-mailed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostOutcome {
    Posted,
    /// Its marker stands: it was posted before.
    Duplicate,
    /// The incident moved: decide again.
    Conflict,
}

impl Store {
    /// Whether the inbound message `key` was posted.
    pub async fn inbound_posted(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.get(&marker(key)).await?.is_some())
    }

    /// Appends `t` (the `customer_message`) on the version it was decided on, with the message's
    /// marker: both or neither.
    pub async fn post_inbound(
        &self,
        stored: &StoredIncident,
        t: &Transition,
        now: Instant,
        key: &str,
    ) -> Result<PostOutcome, StoreError> {
        let item: Item = with(
            marker(key).to_item(),
            [
                ("incident_id", s(stored.incident.incident_id.clone())),
                ("posted_at", s(format_instant(now))),
                (
                    TTL_ATTRIBUTE,
                    n((now + chrono::Duration::days(MARKER_DAYS)).timestamp()),
                ),
            ],
        );
        let index = 1 + t.events.len();
        match self
            .apply_with(stored, t, now, vec![put_new(&self.table, item)?])
            .await
        {
            Ok(ApplyOutcome::Applied) => Ok(PostOutcome::Posted),
            Ok(ApplyOutcome::Conflict) => Ok(PostOutcome::Conflict),
            Err(e) if e.condition_failed_at(index) => Ok(PostOutcome::Duplicate),
            Err(e) => Err(e),
        }
    }

    /// Records that `address` bounced or complained (`kind`: `bounce|complaint`). `true` if it
    /// was not suppressed before.
    pub async fn suppress_address(
        &self,
        address: &str,
        kind: &str,
        now: Instant,
    ) -> Result<bool, StoreError> {
        let item = with(
            suppressed(address).to_item(),
            [("kind_of_failure", s(kind)), ("at", s(format_instant(now)))],
        );
        match self.transact(vec![put_new(&self.table, item)?]).await {
            Ok(()) => Ok(true),
            Err(e) if e.condition_failed_at(0) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether mail to `address` is suppressed (checked before each send).
    pub async fn is_suppressed(&self, address: &str) -> Result<bool, StoreError> {
        Ok(self.get(&suppressed(address)).await?.is_some())
    }
}
