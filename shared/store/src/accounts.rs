//! Tax exemptions, pack claims and the rate limit on wrong order confirmation numbers.
//!
//! - An exemption is one item in the account's partition (`ACCOUNT#{id}` / `TAX_EXEMPTION`),
//!   replaced whole under a version guard; `by_status` lists exemptions per review state.
//! - A claim is its own item (`CLAIM#{id}`); `by_status` (`CLAIM_STATUS#{status}`, oldest
//!   first) is the admins' list. While pending, a marker in the pack's partition
//!   (`OPEN_CLAIM#{claimant}`) refuses a second claim by the same account on the same pack.
//!   Approval is one transaction: claim decided (only if still pending), pack owner and its
//!   `by_owner` partition moved (only from the owner the claim was made against), a ledger
//!   `Transfer` entry keyed by the claim, marker removed.
//! - Each wrong number is an item `ACCOUNT#{id}` / `CLAIM_FAILURE#{at}#{nonce}` with a TTL; the
//!   window is one key-range Query of the account's partition.

use crate::items::{check, from_item, key_attrs, n, put, put_new, s, to_item, update, with, Cond};
use crate::keys::{self, Key, CLAIM_FAILURE_PREFIX};
use crate::packs::{LedgerEntry, LedgerKind};
use crate::table::{BY_OWNER, BY_STATUS, USABLE_PACKS};
use crate::{Page, Store, StoreError};
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use domain::account::{failure_leaves_window, window_start, PackClaim, TaxExemption};
use domain::time::{format_instant, parse_instant, Instant};
use domain::{ExemptionStatus, ReviewStatus};
use serde::{Deserialize, Serialize};

/// An exemption as stored: the record plus the version its next change must match.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredExemption {
    pub exemption: TaxExemption,
    pub version: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved,
    /// Someone else changed the record since it was read: read and decide again.
    Conflict,
}

/// One attempt with an order confirmation number, recorded before the number is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimAttempt {
    pub account_id: String,
    pub at: Instant,
    pub nonce: String,
}

impl ClaimAttempt {
    fn key(&self) -> Key {
        keys::claim_failure(&self.account_id, &format_instant(self.at), &self.nonce)
    }
}

/// A claim attempt as stored besides its key; the TTL is a number. Read back, only `at` and
/// `nonce` are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ClaimAttemptItem {
    #[serde(default)]
    account_id: String,
    at: String,
    nonce: String,
    /// `TTL_ATTRIBUTE`: when the failure leaves the window.
    #[serde(default)]
    expires_ttl: i64,
}

impl ClaimAttemptItem {
    fn of(attempt: &ClaimAttempt) -> ClaimAttemptItem {
        ClaimAttemptItem {
            account_id: attempt.account_id.clone(),
            at: format_instant(attempt.at),
            nonce: attempt.nonce.clone(),
            expires_ttl: failure_leaves_window(attempt.at).timestamp(),
        }
    }
}

/// The marker of a pending claim, in the pack's partition, besides its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct OpenClaimMarker {
    claim_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenClaimOutcome {
    Opened,
    /// The same account has a pending claim on this pack: its id.
    AlreadyOpen(String),
    /// The pack changed owner (or vanished) while the claim was being made.
    PackChanged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecideClaimOutcome {
    Decided,
    /// Another decision landed first.
    NotPending,
    /// The pack no longer belongs to the account the claim was made against.
    OwnerChanged,
}

fn claim_item(claim: &PackClaim) -> Result<crate::items::Item, StoreError> {
    Ok(with(
        to_item(claim)?,
        key_attrs(&keys::claim(&claim.claim_id)).into_iter().chain([
            (BY_STATUS.pk, s(keys::claim_status(claim.status.as_str()))),
            (
                BY_STATUS.sk,
                s(format!(
                    "{}#{}",
                    format_instant(claim.submitted_at),
                    claim.claim_id
                )),
            ),
        ]),
    ))
}

fn delete(table: &str, key: &Key) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key.to_item()))
        .build()
        .map_err(|e| StoreError::Other(format!("building a request: {e}")))?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

fn pending() -> Cond {
    Cond::new("#status = :pending")
        .name("#status", "status")
        .value(":pending", s(ReviewStatus::Pending.as_str()))
}

impl Store {
    // ---- tax exemptions ---------------------------------------------------------------------

    pub async fn tax_exemption(
        &self,
        account_id: &str,
    ) -> Result<Option<StoredExemption>, StoreError> {
        let Some(item) = self.get(&keys::tax_exemption(account_id)).await? else {
            return Ok(None);
        };
        let version = item
            .get("version")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| StoreError::Corrupt("tax exemption without version".into()))?;
        Ok(Some(StoredExemption {
            exemption: from_item(item)?,
            version,
        }))
    }

    /// One page of the exemptions in a review state, oldest submission first (the admins' list).
    pub async fn exemptions_with_status(
        &self,
        status: ExemptionStatus,
        page: &Page,
    ) -> Result<(Vec<TaxExemption>, Option<String>), StoreError> {
        self.query_index_page(
            &BY_STATUS,
            &keys::exemption_status(status.as_str()),
            None,
            false,
            page,
        )
        .await
    }

    /// Writes the account's exemption if it is still as read (`None`: there was none).
    pub async fn save_tax_exemption(
        &self,
        exemption: &TaxExemption,
        read_version: Option<u64>,
    ) -> Result<SaveOutcome, StoreError> {
        let version = read_version.map_or(1, |v| v + 1);
        let item = with(
            to_item(exemption)?,
            key_attrs(&keys::tax_exemption(&exemption.account_id))
                .into_iter()
                .chain([
                    ("version", n(version)),
                    (
                        BY_STATUS.pk,
                        s(keys::exemption_status(exemption.status.as_str())),
                    ),
                    (
                        BY_STATUS.sk,
                        s(format!(
                            "{}#{}",
                            format_instant(exemption.submitted_at),
                            exemption.account_id
                        )),
                    ),
                ]),
        );
        let cond = match read_version {
            None => Cond::new("attribute_not_exists(PK)"),
            Some(v) => Cond::new("version = :v").value(":v", n(v)),
        };
        match self.transact(vec![put(&self.table, item, cond)?]).await {
            Ok(()) => Ok(SaveOutcome::Saved),
            Err(e) if e.condition_failed_at(0) => Ok(SaveOutcome::Conflict),
            Err(e) => Err(e),
        }
    }

    // ---- wrong order confirmation numbers ---------------------------------------------------

    /// The account's attempts still inside the rolling window at `now` (one key-range Query).
    pub async fn claim_attempts(
        &self,
        account_id: &str,
        now: Instant,
    ) -> Result<Vec<ClaimAttempt>, StoreError> {
        // Keys sort by instant; "<start>#~" is above every key at exactly `start`, which has
        // already left the window, and "~" is above every instant.
        let from = format!(
            "{CLAIM_FAILURE_PREFIX}{}#~",
            format_instant(window_start(now))
        );
        let to = format!("{CLAIM_FAILURE_PREFIX}~");
        let mut attempts = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(keys::account(account_id)))
                .expression_attribute_values(":from", s(&from))
                .expression_attribute_values(":to", s(&to))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| crate::error::classify("Query", e))?;
            for item in out.items.unwrap_or_default() {
                let stored = from_item::<ClaimAttemptItem>(item).ok();
                let Some((at, nonce)) = stored.and_then(|a| Some((parse_instant(&a.at)?, a.nonce)))
                else {
                    return Err(StoreError::Corrupt("claim attempt without at/nonce".into()));
                };
                attempts.push(ClaimAttempt {
                    account_id: account_id.to_string(),
                    at,
                    nonce,
                });
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(attempts),
            }
        }
    }

    /// Records an attempt as a failure up front; a successful lookup withdraws it. Recording
    /// before looking up is what keeps concurrent guesses inside the limit.
    pub async fn record_claim_attempt(
        &self,
        account_id: &str,
        now: Instant,
    ) -> Result<ClaimAttempt, StoreError> {
        let attempt = ClaimAttempt {
            account_id: account_id.to_string(),
            at: now,
            nonce: crate::ids::new_id("try"),
        };
        let item = with(
            to_item(&ClaimAttemptItem::of(&attempt))?,
            key_attrs(&attempt.key()),
        );
        self.transact(vec![put_new(&self.table, item)?]).await?;
        Ok(attempt)
    }

    /// The attempt was not a failure (the number was right, or it was refused unchecked).
    pub async fn withdraw_claim_attempt(&self, attempt: &ClaimAttempt) -> Result<(), StoreError> {
        self.transact(vec![delete(&self.table, &attempt.key())?])
            .await
    }

    // ---- claims -----------------------------------------------------------------------------

    /// Opens a pending claim, unless this account already has one on the pack or the pack no
    /// longer belongs to the owner the claim names.
    pub async fn open_claim(&self, claim: &PackClaim) -> Result<OpenClaimOutcome, StoreError> {
        let marker_key = keys::open_claim(&claim.pack_id, &claim.claimant_account_id);
        let marker = with(
            to_item(&OpenClaimMarker {
                claim_id: claim.claim_id.clone(),
            })?,
            key_attrs(&marker_key),
        );
        let items = vec![
            put_new(&self.table, claim_item(claim)?)?,
            put_new(&self.table, marker)?,
            check(
                &self.table,
                keys::pack(&claim.pack_id).to_item(),
                Cond::new("owner_account_id = :owner").value(":owner", s(&claim.owner_account_id)),
            )?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(OpenClaimOutcome::Opened),
            Err(e) if e.condition_failed_at(1) => {
                let existing = self
                    .get(&marker_key)
                    .await?
                    .and_then(|i| i.get("claim_id").and_then(|v| v.as_s().ok()).cloned());
                match existing {
                    Some(id) => Ok(OpenClaimOutcome::AlreadyOpen(id)),
                    // Decided in between: the caller may simply try again.
                    None => Err(StoreError::Unavailable(
                        "open claim marker changed; retry".into(),
                    )),
                }
            }
            Err(e) if e.condition_failed_at(2) => Ok(OpenClaimOutcome::PackChanged),
            Err(e) => Err(e),
        }
    }

    pub async fn claim(&self, claim_id: &str) -> Result<Option<PackClaim>, StoreError> {
        self.get(&keys::claim(claim_id))
            .await?
            .map(from_item)
            .transpose()
    }

    /// One page of the claims in a review state, oldest first (the admins' work list).
    pub async fn claims_with_status(
        &self,
        status: ReviewStatus,
        page: &Page,
    ) -> Result<(Vec<PackClaim>, Option<String>), StoreError> {
        self.query_index_page(
            &BY_STATUS,
            &keys::claim_status(status.as_str()),
            None,
            false,
            page,
        )
        .await
    }

    /// Records a decided claim. An approval moves the pack in the same transaction: owner and
    /// owner index change, remaining units and expiry stay, the ledger records the transfer.
    pub async fn decide_claim(
        &self,
        decided: &PackClaim,
    ) -> Result<DecideClaimOutcome, StoreError> {
        let mut items = vec![put(&self.table, claim_item(decided)?, pending())?];
        let approved = decided.status == ReviewStatus::Approved;
        if approved {
            let at = decided.decided_at.unwrap_or(decided.submitted_at);
            items.push(update(
                &self.table,
                keys::pack(&decided.pack_id).to_item(),
                // The pack's `usable_packs` place moves with it. A used-up pack is listed there
                // too after a transfer (no condition can tell here): harmless, a draw skips it.
                "SET owner_account_id = :new, #owner_pk = :new_pk, #usable_pk = :new_pk",
                Cond::new("owner_account_id = :previous")
                    .name("#owner_pk", BY_OWNER.pk)
                    .name("#usable_pk", USABLE_PACKS.pk)
                    .value(":new", s(&decided.claimant_account_id))
                    .value(":new_pk", s(keys::account(&decided.claimant_account_id)))
                    .value(":previous", s(&decided.owner_account_id)),
            )?);
            let transfer = LedgerEntry {
                pack_id: decided.pack_id.clone(),
                kind: LedgerKind::Transfer,
                units: 0,
                reference: decided.claim_id.clone(),
                account_id: decided.claimant_account_id.clone(),
                at: format_instant(at),
            };
            items.push(transfer.transact_item(&self.table)?);
        }
        items.push(delete(
            &self.table,
            &keys::open_claim(&decided.pack_id, &decided.claimant_account_id),
        )?);
        match self.transact(items).await {
            Ok(()) => Ok(DecideClaimOutcome::Decided),
            Err(e) if e.condition_failed_at(0) => Ok(DecideClaimOutcome::NotPending),
            Err(e) if approved && e.condition_failed_at(1) => Ok(DecideClaimOutcome::OwnerChanged),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::attribute_types;
    use crate::table::TTL_ATTRIBUTE;
    use chrono::TimeZone;

    #[test]
    fn a_claim_attempt_keeps_its_attribute_names_and_types() {
        let at = chrono::Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        let attempt = ClaimAttempt {
            account_id: "acc_1".into(),
            at,
            nonce: "try_1".into(),
        };
        let item = with(
            to_item(&ClaimAttemptItem::of(&attempt)).unwrap(),
            key_attrs(&attempt.key()),
        );
        assert_eq!(
            attribute_types(&item),
            [
                ("PK", "S"),
                ("SK", "S"),
                ("account_id", "S"),
                ("at", "S"),
                (TTL_ATTRIBUTE, "N"),
                ("nonce", "S"),
            ]
        );
        assert_eq!(item["at"].as_s().unwrap(), &format_instant(at));
        assert_eq!(
            item[TTL_ATTRIBUTE].as_n().unwrap(),
            &failure_leaves_window(at).timestamp().to_string()
        );
        // Read back, only `at` and `nonce` are needed.
        let mut minimal = item.clone();
        minimal.remove("account_id");
        minimal.remove(TTL_ATTRIBUTE);
        let read: ClaimAttemptItem = from_item(minimal).unwrap();
        assert_eq!((read.at, read.nonce), (format_instant(at), "try_1".into()));
    }

    #[test]
    fn an_open_claim_marker_keeps_its_attribute_names_and_types() {
        let key = keys::open_claim("pk_1", "acc_2");
        let marker = with(
            to_item(&OpenClaimMarker {
                claim_id: "clm_1".into(),
            })
            .unwrap(),
            key_attrs(&key),
        );
        assert_eq!(
            attribute_types(&marker),
            [("PK", "S"), ("SK", "S"), ("claim_id", "S")]
        );
        assert_eq!(marker["claim_id"].as_s().unwrap(), "clm_1");
    }
}
