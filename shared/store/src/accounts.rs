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
//! - The wrong numbers of the last hour are one versioned item `ACCOUNT#{id}` / `CLAIM_FAILURES`
//!   with a TTL; every attempt's write is guarded by the version it was judged on.

use crate::items::{
    check, from_item, key_attrs, n, put, put_new, s, to_item, update, with, Cond, Item, Record,
};
use crate::keys::{self, Key};
use crate::packs::{LedgerEntry, LedgerKind};
use crate::table::{BY_OWNER, BY_STATUS, USABLE_PACKS};
use crate::{Page, Store, StoreError};
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use domain::account::{failure_leaves_window, PackClaim, TaxExemption};
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

/// The account's wrong order confirmation numbers still inside the rate limit's window, as one
/// item under a version: every attempt's write is guarded by the version it read, so
/// concurrent guesses serialise and each is judged on every failure that landed before it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClaimFailures {
    pub failures: Vec<Instant>,
    /// 0: no failure was ever recorded (no item).
    pub version: u64,
}

/// The failures item besides its key; the TTL is a number (when the latest failure leaves the
/// window, so an account that stops guessing leaves nothing behind).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ClaimFailuresItem {
    failures: Vec<String>,
    version: u64,
    /// `TTL_ATTRIBUTE`.
    expires_ttl: i64,
}

impl ClaimFailures {
    fn condition(&self) -> Cond {
        if self.version == 0 {
            Cond::new("attribute_not_exists(PK)")
        } else {
            Cond::new("version = :failures_version").value(":failures_version", n(self.version))
        }
    }

    /// The item after one more failure at `now`: those still inside the window, then `now`.
    fn with_failure(&self, now: Instant) -> ClaimFailuresItem {
        let mut failures: Vec<Instant> = self
            .failures
            .iter()
            .copied()
            .filter(|at| failure_leaves_window(*at) > now)
            .collect();
        failures.push(now);
        let last = failures.iter().copied().max().unwrap_or(now);
        ClaimFailuresItem {
            failures: failures.into_iter().map(format_instant).collect(),
            version: self.version + 1,
            expires_ttl: failure_leaves_window(last).timestamp(),
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
    /// Another attempt of the account landed since its failures were read.
    FailuresChanged,
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
        self.save_tax_exemption_audited(exemption, read_version, None)
            .await
    }

    /// `save_tax_exemption` with the audit entry of the decision it records, in the same
    /// transaction (an admin's decision).
    pub async fn save_tax_exemption_audited(
        &self,
        exemption: &TaxExemption,
        read_version: Option<u64>,
        audit: Option<&domain::audit::AuditEntry>,
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
        let mut items = vec![put(&self.table, item, cond)?];
        if let Some(entry) = audit {
            items.push(crate::audit::entry_item(&self.table, entry)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(SaveOutcome::Saved),
            Err(e) if e.condition_failed_at(0) => Ok(SaveOutcome::Conflict),
            Err(e) => Err(e),
        }
    }

    // ---- wrong order confirmation numbers ---------------------------------------------------

    /// The account's recorded failures and the pack an order confirmation number names, read
    /// side by side (one round trip). The caller judges the rate limit before it uses the pack.
    pub async fn claim_failures_and_number(
        &self,
        account_id: &str,
        number: &str,
    ) -> Result<(ClaimFailures, Option<String>), StoreError> {
        let key = keys::claim_failures(account_id);
        let (failures, pack_id) =
            tokio::join!(self.get(&key), self.pack_id_by_order_number(number));
        let failures = match failures? {
            None => ClaimFailures::default(),
            Some(item) => {
                let stored: ClaimFailuresItem = from_item(item)?;
                let failures = stored
                    .failures
                    .iter()
                    .map(|at| {
                        parse_instant(at)
                            .ok_or_else(|| StoreError::Corrupt("claim failure instant".into()))
                    })
                    .collect::<Result<_, _>>()?;
                ClaimFailures {
                    failures,
                    version: stored.version,
                }
            }
        };
        Ok((failures, pack_id?))
    }

    /// Records a wrong number at `now`, if no other attempt landed since `read` was read.
    pub async fn record_claim_failure(
        &self,
        account_id: &str,
        read: &ClaimFailures,
        now: Instant,
    ) -> Result<SaveOutcome, StoreError> {
        let item = with(
            to_item(&read.with_failure(now))?,
            key_attrs(&keys::claim_failures(account_id)),
        );
        match self
            .transact(vec![put(&self.table, item, read.condition())?])
            .await
        {
            Ok(()) => Ok(SaveOutcome::Saved),
            Err(e) if e.condition_failed_at(0) => Ok(SaveOutcome::Conflict),
            Err(e) => Err(e),
        }
    }

    // ---- claims -----------------------------------------------------------------------------

    /// Opens a pending claim, unless this account already has one on the pack, the pack no
    /// longer belongs to the owner the claim names, or another attempt of the account landed
    /// since its failures were read (`failures`: judge the rate limit again).
    pub async fn open_claim(
        &self,
        claim: &PackClaim,
        failures: &ClaimFailures,
    ) -> Result<OpenClaimOutcome, StoreError> {
        let marker_key = keys::open_claim(&claim.pack_id, &claim.claimant_account_id);
        let marker = with(
            to_item(&OpenClaimMarker {
                claim_id: claim.claim_id.to_string(),
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
            check(
                &self.table,
                keys::claim_failures(&claim.claimant_account_id).to_item(),
                failures.condition(),
            )?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(OpenClaimOutcome::Opened),
            Err(e) if e.condition_failed_at(3) => Ok(OpenClaimOutcome::FailuresChanged),
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
                pack_id: decided.pack_id.to_string(),
                kind: LedgerKind::Transfer,
                units: 0,
                reference: decided.claim_id.to_string(),
                account_id: decided.claimant_account_id.to_string(),
                at: format_instant(at),
            };
            items.push(transfer.transact_item(&self.table)?);
            items.push(crate::packs::bump_generation(
                &self.table,
                &decided.claimant_account_id,
                &decided.pack_id,
                at,
            )?);
        }
        items.push(delete(
            &self.table,
            &keys::open_claim(&decided.pack_id, &decided.claimant_account_id),
        )?);
        items.push(crate::audit::entry_item(
            &self.table,
            &domain::audit::of_claim_decision(decided),
        )?);
        match self.transact(items).await {
            Ok(()) => Ok(DecideClaimOutcome::Decided),
            Err(e) if e.condition_failed_at(0) => Ok(DecideClaimOutcome::NotPending),
            Err(e) if approved && e.condition_failed_at(1) => Ok(DecideClaimOutcome::OwnerChanged),
            Err(e) => Err(e),
        }
    }
}

impl Record for TaxExemption {
    fn from_record(item: Item) -> Result<TaxExemption, StoreError> {
        from_item(item)
    }
}

impl Record for PackClaim {
    fn from_record(item: Item) -> Result<PackClaim, StoreError> {
        from_item(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::attribute_types;
    use crate::table::TTL_ATTRIBUTE;
    use chrono::TimeZone;

    #[test]
    fn the_failures_item_keeps_the_window_only_and_its_attribute_names_and_types() {
        let at = chrono::Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        let read = ClaimFailures {
            failures: vec![
                at - chrono::Duration::seconds(3600),
                at - chrono::Duration::seconds(3599),
            ],
            version: 4,
        };
        let item = with(
            to_item(&read.with_failure(at)).unwrap(),
            key_attrs(&keys::claim_failures("acc_1")),
        );
        assert_eq!(
            attribute_types(&item),
            [
                ("PK", "S"),
                ("SK", "S"),
                (TTL_ATTRIBUTE, "N"),
                ("failures", "L"),
                ("version", "N"),
            ]
        );
        // The failure an hour old has left the window; the newest one sets the TTL.
        let kept: Vec<&str> = item["failures"]
            .as_l()
            .unwrap()
            .iter()
            .map(|v| v.as_s().unwrap().as_str())
            .collect();
        assert_eq!(
            kept,
            [
                format_instant(at - chrono::Duration::seconds(3599)),
                format_instant(at)
            ]
        );
        assert_eq!(item["version"].as_n().unwrap(), "5");
        assert_eq!(
            item[TTL_ATTRIBUTE].as_n().unwrap(),
            &failure_leaves_window(at).timestamp().to_string()
        );
        assert_eq!(
            read.condition().expression.as_deref(),
            Some("version = :failures_version")
        );
        assert_eq!(
            ClaimFailures::default().condition().expression.as_deref(),
            Some("attribute_not_exists(PK)")
        );
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
