//! Privacy (API.md "Privacy"): data exports (the export item, the one-per-24-hours marker, the
//! exports waiting to be built), erasure requests (by status, with the erasure's progress on
//! the request item), the writes erasure makes (each idempotent: erasing an erased item writes
//! the same values again), and the retention step's reads. Access patterns in
//! `ACCESS_PATTERNS.md`.

use crate::incidents::items::incident_item;
use crate::incidents::StoredIncident;
use crate::items::{from_item, key_attrs, put, s, to_item, with, Cond, Item, Record};
use crate::keys::{self, Key};
use crate::table::BY_STATUS;
use crate::{paging, Page, Store, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use domain::attachment::Attachment;
use domain::audit::AuditEntry;
use domain::incident::{Incident, SubProblemProposal};
use domain::privacy::{DataExport, ErasureRequest, ErasureStatus, ExportStatus};
use domain::time::{format_instant, parse_instant, Instant};
use serde_json::Value;

/// How a request to start an export ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportStart {
    Started,
    /// An export was requested inside the interval, at this instant.
    TooSoon(Instant),
}

/// An erasure request as stored, with the erasure's progress (the position after the last
/// incident erased, `None` before the first step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredErasure {
    pub request: ErasureRequest,
    pub progress: Option<String>,
}

fn delete_item(table: &str, key: &Key) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key.to_item()))
        .build()
        .map_err(|e| StoreError::Other(format!("building a request: {e}")))?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

fn export_item(export: &DataExport) -> Result<Item, StoreError> {
    let mut attrs: Vec<(&'static str, AttributeValue)> =
        key_attrs(&keys::data_export(&export.account_id, &export.export_id)).into();
    // Only exports still to be built are in the by_status index (sparse).
    if export.status == ExportStatus::Preparing {
        attrs.extend([
            (
                BY_STATUS.pk,
                s(keys::export_status(ExportStatus::Preparing.as_str())),
            ),
            (
                BY_STATUS.sk,
                s(format!(
                    "{}#{}",
                    format_instant(export.requested_at),
                    export.export_id
                )),
            ),
        ]);
    }
    Ok(with(to_item(export)?, attrs))
}

fn erasure_item(request: &ErasureRequest, progress: Option<&str>) -> Result<Item, StoreError> {
    let mut attrs: Vec<(&'static str, AttributeValue)> =
        key_attrs(&keys::erasure_request(&request.account_id)).into();
    attrs.extend([
        (
            BY_STATUS.pk,
            s(keys::erasure_status(request.status.as_str())),
        ),
        (
            BY_STATUS.sk,
            s(format!(
                "{}#{}",
                format_instant(request.requested_at),
                request.account_id
            )),
        ),
    ]);
    if let Some(p) = progress {
        attrs.push(("progress", s(p)));
    }
    Ok(with(to_item(request)?, attrs))
}

fn erasure_from_item(mut item: Item) -> Result<StoredErasure, StoreError> {
    let progress = item.remove("progress").and_then(|v| v.as_s().ok().cloned());
    Ok(StoredErasure {
        request: from_item(item)?,
        progress,
    })
}

/// An item as JSON without its storage keys (an event read raw, so kinds this build does not
/// know are read too).
fn json_of(mut item: Item) -> Result<Value, StoreError> {
    for k in [
        keys::PK,
        keys::SK,
        BY_STATUS.pk,
        BY_STATUS.sk,
        crate::table::TTL_ATTRIBUTE,
    ] {
        item.remove(k);
    }
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    // ---- data exports -----------------------------------------------------------------------

    /// Starts `export` unless the account's latest export was requested after `since` (one per
    /// interval, enforced by the marker's condition), with its audit entry, in one transaction.
    pub async fn start_export(
        &self,
        export: &DataExport,
        since: Instant,
        audit: &AuditEntry,
    ) -> Result<ExportStart, StoreError> {
        let latest = with(
            keys::data_export_latest(&export.account_id).to_item(),
            [
                ("requested_at", s(format_instant(export.requested_at))),
                ("export_id", s(&export.export_id)),
            ],
        );
        let cond = Cond::new("attribute_not_exists(PK) OR requested_at <= :since")
            .value(":since", s(format_instant(since)));
        let items = vec![
            put(&self.table, latest, cond)?,
            crate::items::put_new(&self.table, export_item(export)?)?,
            crate::audit::entry_item(&self.table, audit)?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(ExportStart::Started),
            Err(e) if e.condition_failed_at(0) => {
                let at = self
                    .get(&keys::data_export_latest(&export.account_id))
                    .await?
                    .and_then(|i| i.get("requested_at").and_then(|v| v.as_s().ok()).cloned())
                    .and_then(|v| parse_instant(&v))
                    .unwrap_or(export.requested_at);
                Ok(ExportStart::TooSoon(at))
            }
            Err(e) => Err(e),
        }
    }

    pub async fn data_export(
        &self,
        account_id: &str,
        export_id: &str,
    ) -> Result<Option<DataExport>, StoreError> {
        self.get(&keys::data_export(account_id, export_id))
            .await?
            .map(from_item)
            .transpose()
    }

    /// Up to `limit` exports waiting to be built, oldest first.
    pub async fn exports_preparing(&self, limit: i32) -> Result<Vec<DataExport>, StoreError> {
        let page = Page {
            limit,
            cursor: None,
        };
        let (exports, _) = self
            .query_index_page(
                &BY_STATUS,
                &keys::export_status(ExportStatus::Preparing.as_str()),
                None,
                false,
                &page,
            )
            .await?;
        Ok(exports)
    }

    /// Marks a built export ready (once: only a preparing one). `false` if it was not.
    pub async fn export_ready(&self, ready: &DataExport) -> Result<bool, StoreError> {
        let cond = Cond::new("#status = :preparing")
            .name("#status", "status")
            .value(":preparing", s(ExportStatus::Preparing.as_str()));
        match self
            .transact(vec![put(&self.table, export_item(ready)?, cond)?])
            .await
        {
            Ok(()) => Ok(true),
            Err(e) if e.condition_failed_at(0) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Every export of an account (erasure deletes them and their archives).
    pub async fn exports_of(&self, account_id: &str) -> Result<Vec<DataExport>, StoreError> {
        self.query_prefix(&keys::account(account_id), "DATA_EXPORT#")
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// Deletes an export item and the account's interval marker (an erased account starts
    /// afresh).
    pub async fn delete_export(&self, export: &DataExport) -> Result<(), StoreError> {
        self.transact(vec![delete_item(
            &self.table,
            &keys::data_export(&export.account_id, &export.export_id),
        )?])
        .await
    }

    pub async fn delete_export_marker(&self, account_id: &str) -> Result<(), StoreError> {
        self.transact(vec![delete_item(
            &self.table,
            &keys::data_export_latest(account_id),
        )?])
        .await
    }

    // ---- what an export holds ---------------------------------------------------------------

    /// Every incident of an account, newest first (every page).
    pub async fn all_incidents_of(&self, account_id: &str) -> Result<Vec<Incident>, StoreError> {
        let mut out = Vec::new();
        let mut page = Page {
            limit: 100,
            cursor: None,
        };
        loop {
            let (mut items, next) = self.incidents_of(account_id, &page).await?;
            out.append(&mut items);
            match next {
                Some(c) => page.cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    /// Every event of an incident, in order, as stored (raw JSON, kinds unknown to this build
    /// included).
    pub async fn incident_events_raw(&self, incident_id: &str) -> Result<Vec<Value>, StoreError> {
        self.query_prefix(&keys::incident(incident_id).pk, keys::EVENT_PREFIX)
            .await?
            .into_iter()
            .map(json_of)
            .collect()
    }

    pub async fn proposals(
        &self,
        incident_id: &str,
    ) -> Result<Vec<SubProblemProposal>, StoreError> {
        self.query_prefix(&keys::incident(incident_id).pk, "PROPOSAL#")
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// The claims an account made (any status; claims are few: three status partitions read
    /// with a filter on the claimant).
    pub async fn claims_by(&self, account_id: &str) -> Result<Vec<Value>, StoreError> {
        let mut out = Vec::new();
        for status in domain::ReviewStatus::ALL {
            let mut page = Page {
                limit: 100,
                cursor: None,
            };
            loop {
                let (items, next): (Vec<Value>, Option<String>) = self
                    .query_index_page(
                        &BY_STATUS,
                        &keys::claim_status(status.as_str()),
                        None,
                        false,
                        &page,
                    )
                    .await?;
                out.extend(items.into_iter().filter(|c| {
                    c.get("claimant_account_id").and_then(Value::as_str) == Some(account_id)
                }));
                match next {
                    Some(c) => page.cursor = Some(c),
                    None => break,
                }
            }
        }
        for c in &mut out {
            if let Some(m) = c.as_object_mut() {
                for k in [keys::PK, keys::SK, BY_STATUS.pk, BY_STATUS.sk] {
                    m.remove(k);
                }
            }
        }
        Ok(out)
    }

    // ---- erasure requests -------------------------------------------------------------------

    pub async fn erasure_request(
        &self,
        account_id: &str,
    ) -> Result<Option<StoredErasure>, StoreError> {
        self.get(&keys::erasure_request(account_id))
            .await?
            .map(erasure_from_item)
            .transpose()
    }

    /// Writes `request` if the stored one is still in `expected` status (`None`: there was
    /// none), with the decision's audit entry in the same transaction. `false`: it changed.
    pub async fn save_erasure_request(
        &self,
        request: &ErasureRequest,
        expected: Option<ErasureStatus>,
        progress: Option<&str>,
        audit: Option<&AuditEntry>,
    ) -> Result<bool, StoreError> {
        let cond = match expected {
            None => Cond::new("attribute_not_exists(PK)"),
            Some(st) => Cond::new("#status = :expected")
                .name("#status", "status")
                .value(":expected", s(st.as_str())),
        };
        let mut items = vec![put(&self.table, erasure_item(request, progress)?, cond)?];
        if let Some(entry) = audit {
            items.push(crate::audit::entry_item(&self.table, entry)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(e) if e.condition_failed_at(0) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// One page of erasure requests in a status, oldest first.
    pub async fn erasure_requests_with_status(
        &self,
        status: ErasureStatus,
        page: &Page,
    ) -> Result<(Vec<ErasureRequest>, Option<String>), StoreError> {
        self.query_index_page(
            &BY_STATUS,
            &keys::erasure_status(status.as_str()),
            None,
            false,
            page,
        )
        .await
    }

    /// Records how far an erasure has got (only while it is erasing).
    pub async fn erasure_progress(
        &self,
        request: &ErasureRequest,
        progress: &str,
    ) -> Result<bool, StoreError> {
        self.save_erasure_request(request, Some(ErasureStatus::Erasing), Some(progress), None)
            .await
    }

    // ---- erasure's writes -------------------------------------------------------------------

    /// The next `limit` incidents of an account after `after` (oldest first, so incidents made
    /// meanwhile come last), with the position after the last one.
    pub async fn incidents_for_erasure(
        &self,
        account_id: &str,
        after: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<Incident>, Option<String>), StoreError> {
        let page = Page {
            limit,
            cursor: after.map(str::to_string),
        };
        self.query_index_page(
            &crate::table::BY_OWNER,
            &keys::account(account_id),
            Some("INCIDENT#"),
            false,
            &page,
        )
        .await
    }

    /// Rewrites an incident item as `erased` if it is still at the version read (erasure
    /// changes no state, so its index keys stay). `false`: it moved; read it again.
    pub async fn rewrite_incident(
        &self,
        stored: &StoredIncident,
        erased: &Incident,
    ) -> Result<bool, StoreError> {
        let mut item = incident_item(erased, stored.version + 1, stored.event_count)?;
        if let Some(at) = stored.last_event_at {
            item.insert(
                crate::incidents::LAST_EVENT_AT.to_string(),
                s(format_instant(at)),
            );
        }
        // The internal notes' numbering goes on after the erasure (their texts are erased with
        // the events; their keys stay), so the next note never lands on an existing one.
        if stored.note_count > 0 {
            item.insert(
                crate::incidents::NOTE_COUNT.to_string(),
                crate::items::n(stored.note_count),
            );
        }
        let cond = Cond::new("version = :v").value(":v", crate::items::n(stored.version));
        match self.transact(vec![put(&self.table, item, cond)?]).await {
            Ok(()) => Ok(true),
            Err(e) if e.condition_failed_at(0) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Rewrites every event of an incident, and every internal note staff wrote on it, through
    /// `erase` (raw JSON in, raw JSON out; the same key), a batch of puts. Idempotent.
    pub async fn rewrite_events(
        &self,
        incident_id: &str,
        erase: impl Fn(Value) -> Value,
    ) -> Result<usize, StoreError> {
        let partition = keys::incident(incident_id).pk;
        let mut items = self.query_prefix(&partition, keys::EVENT_PREFIX).await?;
        items.extend(self.query_prefix(&partition, keys::NOTE_PREFIX).await?);
        let mut writes = Vec::new();
        for item in items {
            let key = Key::new(
                item.get(keys::PK)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default(),
                item.get(keys::SK)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default(),
            );
            let erased = erase(json_of(item.clone())?);
            let mut next: Item = serde_dynamo::to_item(erased)
                .map_err(|e| StoreError::Other(format!("mapping an item: {e}")))?;
            next.extend(key.to_item());
            if next != item {
                writes.push(put(&self.table, next, Cond::default())?);
            }
        }
        let n = writes.len();
        for chunk in chunks(writes) {
            self.transact(chunk).await?;
        }
        Ok(n)
    }

    pub async fn rewrite_proposal(&self, p: &SubProblemProposal) -> Result<(), StoreError> {
        let item = with(
            to_item(p)?,
            key_attrs(&keys::proposal(&p.incident_id, &p.proposal_id)),
        );
        self.transact(vec![put(&self.table, item, Cond::default())?])
            .await
    }

    /// Rewrites an attachment's item (its file name erased, or its bytes gone), keeping its
    /// status.
    pub async fn rewrite_attachment(&self, a: &Attachment) -> Result<(), StoreError> {
        let item = with(
            to_item(a)?,
            key_attrs(&keys::attachment(&a.incident_id, &a.attachment_id)),
        );
        self.transact(vec![put(&self.table, item, Cond::default())?])
            .await
    }

    /// Removes an address from the suppression list (its owner's data is being erased).
    pub async fn forget_suppressed(&self, address: &str) -> Result<(), StoreError> {
        self.transact(vec![delete_item(&self.table, &keys::suppressed(address))?])
            .await
    }

    /// Erases the account's profile e-mail (the address its mail went to); the next token it
    /// presents is kept again, as a new account's.
    pub async fn forget_profile_email(&self, account_id: &str) -> Result<(), StoreError> {
        let key = keys::account_profile(account_id);
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.to_item()))
            .update_expression("REMOVE email")
            .condition_expression("attribute_exists(PK)")
            .send()
            .await
            .map(|_| ())
            .or_else(|e| match crate::error::classify("UpdateItem", e) {
                StoreError::ConditionFailed => Ok(()),
                other => Err(other),
            })
    }

    /// Erases the account's name and address in the engineers registry, if it is there.
    pub async fn erase_engineer(&self, account_id: &str) -> Result<(), StoreError> {
        let key = keys::engineer(account_id);
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.to_item()))
            .update_expression("SET display_name = :e, email = :e")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":e", s(domain::privacy::ERASED))
            .send()
            .await
            .map(|_| ())
            .or_else(|e| match crate::error::classify("UpdateItem", e) {
                StoreError::ConditionFailed => Ok(()),
                other => Err(other),
            })
    }

    /// Removes the reason (free text) of each of the account's claims.
    pub async fn erase_claim_reasons(&self, account_id: &str) -> Result<usize, StoreError> {
        let claims = self.claims_by(account_id).await?;
        let mut n = 0;
        for c in claims {
            let Some(id) = c.get("claim_id").and_then(Value::as_str) else {
                continue;
            };
            if c.get("reason").and_then(Value::as_str) == Some("") {
                continue;
            }
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(keys::claim(id).to_item()))
                .update_expression("SET reason = :empty, note = :null")
                .expression_attribute_values(":empty", s(""))
                .expression_attribute_values(":null", AttributeValue::Null(true))
                .send()
                .await
                .map_err(|e| crate::error::classify("UpdateItem", e))?;
            n += 1;
        }
        Ok(n)
    }

    // ---- retention --------------------------------------------------------------------------

    /// The next `limit` incidents of a closed status created before `before`, after the step's
    /// saved position; the new position (`None`: the range is done, start again next time).
    pub async fn retention_candidates(
        &self,
        status: domain::IncidentStatus,
        before: Instant,
        limit: i32,
    ) -> Result<(Vec<StoredIncident>, Option<String>), StoreError> {
        let partition = format!("INCIDENT_STATUS#{status}");
        let cursor_key = keys::retention_cursor(status.as_str());
        let start = self
            .get(&cursor_key)
            .await?
            .and_then(|i| i.get("position").and_then(|v| v.as_s().ok()).cloned())
            .and_then(|p| paging::decode(&p, (BY_STATUS.pk, &partition)).ok());
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_STATUS.name)
            .key_condition_expression("#pk = :pk AND #sk < :before")
            .expression_attribute_names("#pk", BY_STATUS.pk)
            .expression_attribute_names("#sk", BY_STATUS.sk)
            .expression_attribute_values(":pk", s(&partition))
            .expression_attribute_values(":before", s(format_instant(before)))
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| crate::error::classify("Query", e))?;
        let next = out
            .last_evaluated_key
            .filter(|k| !k.is_empty())
            .and_then(|k| paging::encode(&k));
        let found = self
            .hydrate(&BY_STATUS, &partition, &[], out.items.unwrap_or_default())
            .await?;
        let stored = found
            .into_iter()
            .map(crate::incidents::items::stored_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let mut cursor = cursor_key.to_item();
        if let Some(p) = &next {
            cursor.insert("position".into(), s(p));
        }
        self.transact(vec![put(&self.table, cursor, Cond::default())?])
            .await?;
        Ok((stored, next))
    }
}

/// Transactions hold at most 100 items; erasure writes 25 at a time.
fn chunks(mut writes: Vec<TransactWriteItem>) -> Vec<Vec<TransactWriteItem>> {
    let mut out = Vec::new();
    while !writes.is_empty() {
        let rest = writes.split_off(writes.len().min(25));
        out.push(std::mem::replace(&mut writes, rest));
    }
    out
}

impl Record for DataExport {
    fn from_record(item: Item) -> Result<DataExport, StoreError> {
        from_item(item)
    }
}

impl Record for ErasureRequest {
    fn from_record(item: Item) -> Result<ErasureRequest, StoreError> {
        from_item(item)
    }
}

/// An item read as it is, for the account's export (its attributes as JSON).
impl Record for Value {
    fn from_record(item: Item) -> Result<Value, StoreError> {
        from_item(item)
    }
}
