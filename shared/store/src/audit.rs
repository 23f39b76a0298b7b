//! The audit log: entries are only ever created, each as one more item of the transaction that
//! makes the change it records (`entry_item`), so neither exists without the other. An entry
//! lives in its subject's partition (`AUDIT#<subject id>`, sorted by instant) and is indexed by
//! time (`audit_log`) and by actor (`audit_by_actor`): each filter of `GET /audit` is answered by
//! one of these three, `from`/`to` being a range of the sort key. No code here updates or
//! deletes an entry, and the functions' roles may not (`infra/template.yaml`, the `AUDIT#*`
//! condition).

use crate::items::{from_item, key_attrs, put_new, s, to_item, with, Item};
use crate::keys;
use crate::table::{AUDIT_BY_ACTOR, AUDIT_LOG};
use crate::{Page, Store, StoreError};
use aws_sdk_dynamodb::types::TransactWriteItem;
use domain::audit::{AuditEntry, AuditQuery};
use domain::time::format_instant;

/// The put that creates `entry` (it fails, and so its transaction, if the key exists).
pub fn entry_item(table: &str, entry: &AuditEntry) -> Result<TransactWriteItem, StoreError> {
    // Entries stamped in the same second (an assignment, then the resolution) keep the order
    // they were written in: the writer's clock below the second first, then random bytes, so
    // the newest-first log reads as the decisions were made.
    let random: String = crate::ids::random_bytes::<8>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let unique = format!(
        "{:09}{random}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let position = entry.position(&unique);
    let key = keys::audit_entry(&entry.subject.id, &position);
    let item = with(
        to_item(entry)?,
        key_attrs(&key).into_iter().chain([
            (AUDIT_LOG.pk, s(keys::AUDIT_LOG_PK)),
            (AUDIT_LOG.sk, s(&position)),
            (
                AUDIT_BY_ACTOR.pk,
                s(keys::audit_actor(&entry.actor_account_id)),
            ),
        ]),
    );
    put_new(table, item)
}

/// Reads at most this many entries for one page when a second filter drops some.
const FILTERED_READ_BOUND: usize = 1_000;

impl Store {
    /// One page of the entries `query` selects, newest first: the subject's partition (the
    /// actor then filtered), else the actor's index partition, else the whole log's.
    pub async fn audit_entries(
        &self,
        query: &AuditQuery,
        page: &Page,
    ) -> Result<(Vec<AuditEntry>, Option<String>), StoreError> {
        // (index, its partition key, its sort key, the partition)
        let (index, pk_attr, sk_attr, partition) = match (&query.subject, &query.actor) {
            (Some(subject), _) => (
                None,
                keys::PK,
                keys::SK,
                format!("{}{subject}", keys::AUDIT_PREFIX),
            ),
            (None, Some(actor)) => (
                Some(&AUDIT_BY_ACTOR),
                AUDIT_BY_ACTOR.pk,
                AUDIT_BY_ACTOR.sk,
                keys::audit_actor(actor),
            ),
            (None, None) => (
                Some(&AUDIT_LOG),
                AUDIT_LOG.pk,
                AUDIT_LOG.sk,
                keys::AUDIT_LOG_PK.to_string(),
            ),
        };
        let actor_filter = query.actor.as_ref().filter(|_| query.subject.is_some());
        let mut start = match &page.cursor {
            Some(c) => Some(crate::paging::decode(c, (pk_attr, &partition))?),
            None => None,
        };
        // Positions are `<instant>#<random>`: '#' sorts before every character of the random
        // part, '~' after it.
        let lo = query
            .from
            .map(|t| format!("{}#", format_instant(t)))
            .unwrap_or_else(|| "0".into());
        let hi = query
            .to
            .map(|t| format!("{}#~", format_instant(t)))
            .unwrap_or_else(|| "~".into());
        let want = usize::try_from(page.limit.max(1)).unwrap_or(1);
        let mut key_attributes = vec![pk_attr, sk_attr];
        for a in [keys::PK, keys::SK] {
            if !key_attributes.contains(&a) {
                key_attributes.push(a);
            }
        }
        let mut kept: Vec<Item> = Vec::new();
        let mut read = 0usize;
        loop {
            let need = want + 1 - kept.len();
            let limit = if actor_filter.is_some() {
                need.max(100)
            } else {
                need
            };
            let mut q = self.client.query().table_name(&self.table);
            q = match index {
                None => q,
                Some(i) if i.name == AUDIT_BY_ACTOR.name => q.index_name(AUDIT_BY_ACTOR.name),
                Some(_) => q.index_name(AUDIT_LOG.name),
            };
            q = q
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                .expression_attribute_names("#pk", pk_attr)
                .expression_attribute_names("#sk", sk_attr)
                .expression_attribute_values(":pk", s(&partition))
                .expression_attribute_values(":lo", s(&lo))
                .expression_attribute_values(":hi", s(&hi))
                .scan_index_forward(false)
                .limit(i32::try_from(limit).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            if let Some(actor) = actor_filter {
                q = q
                    .filter_expression("#actor = :actor")
                    .expression_attribute_names("#actor", "actor_account_id")
                    .expression_attribute_values(":actor", s(actor));
            }
            let out = q
                .send()
                .await
                .map_err(|e| crate::error::classify("Query", e))?;
            read += usize::try_from(out.scanned_count.max(out.count)).unwrap_or(0);
            kept.extend(out.items.unwrap_or_default());
            if kept.len() > want {
                kept.truncate(want);
                let next = kept
                    .last()
                    .and_then(|last| crate::paging::position_of(last, &key_attributes));
                return Ok((entries(kept)?, next));
            }
            match out.last_evaluated_key.filter(|k| !k.is_empty()) {
                None => return Ok((entries(kept)?, None)),
                Some(k) if read >= FILTERED_READ_BOUND => {
                    return Ok((entries(kept)?, crate::paging::encode(&k)))
                }
                Some(k) => start = Some(k),
            }
        }
    }
}

fn entries(items: Vec<Item>) -> Result<Vec<AuditEntry>, StoreError> {
    items.into_iter().map(from_item).collect()
}
