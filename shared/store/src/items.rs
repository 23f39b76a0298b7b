//! Item mapping and the transaction building blocks every store module uses.

use crate::StoreError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    Update,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

pub fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Other(format!("mapping an item: {e}")))
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("building a request: {e}"))
}

/// Condition and its placeholders.
#[derive(Default, Clone)]
pub struct Cond {
    pub expression: Option<String>,
    pub names: HashMap<String, String>,
    pub values: Item,
}

impl Cond {
    pub fn new(expression: &str) -> Cond {
        Cond {
            expression: Some(expression.to_string()),
            ..Cond::default()
        }
    }
    pub fn name(mut self, placeholder: &str, attribute: &str) -> Cond {
        self.names
            .insert(placeholder.to_string(), attribute.to_string());
        self
    }
    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Cond {
        self.values.insert(placeholder.to_string(), value);
        self
    }
    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }
    fn values(&self) -> Option<Item> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

pub fn put(table: &str, item: Item, cond: Cond) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(cond.expression.clone())
        .set_expression_attribute_names(cond.names())
        .set_expression_attribute_values(cond.values())
        .build()
        .map_err(build_err)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A put that only creates: it fails if the item exists.
pub fn put_new(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    put(table, item, Cond::new("attribute_not_exists(PK)"))
}

/// `put_new` that, when the item exists, hands the existing item back in the cancellation
/// (`ReturnValuesOnConditionCheckFailure=ALL_OLD`; read with `Store::transact_keeping_old`), so
/// no second read is needed to learn what was there.
pub fn put_new_returning_old(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let mut write = put_new(table, item)?;
    write.put = write.put.map(|mut p| {
        p.return_values_on_condition_check_failure =
            Some(ReturnValuesOnConditionCheckFailure::AllOld);
        p
    });
    Ok(write)
}

pub fn update(
    table: &str,
    key: Item,
    update_expression: &str,
    cond: Cond,
) -> Result<TransactWriteItem, StoreError> {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression(update_expression)
        .set_condition_expression(cond.expression.clone())
        .set_expression_attribute_names(cond.names())
        .set_expression_attribute_values(cond.values())
        .build()
        .map_err(build_err)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

pub fn check(table: &str, key: Item, cond: Cond) -> Result<TransactWriteItem, StoreError> {
    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key))
        .set_condition_expression(cond.expression.clone())
        .set_expression_attribute_names(cond.names())
        .set_expression_attribute_values(cond.values())
        .build()
        .map_err(build_err)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

/// Adds attributes (keys, index keys, bookkeeping) to a mapped item.
pub fn with(
    mut item: Item,
    extra: impl IntoIterator<Item = (&'static str, AttributeValue)>,
) -> Item {
    for (k, v) in extra {
        item.insert(k.to_string(), v);
    }
    item
}

pub fn key_attrs(key: &crate::keys::Key) -> [(&'static str, AttributeValue); 2] {
    [(crate::keys::PK, s(&key.pk)), (crate::keys::SK, s(&key.sk))]
}

/// An item's attribute names with their DynamoDB types (`S`, `N`, …), sorted by name: what
/// the item-shape tests pin.
#[cfg(test)]
pub(crate) fn attribute_types(item: &Item) -> Vec<(&str, &'static str)> {
    let mut types: Vec<(&str, &'static str)> = item
        .iter()
        .map(|(name, value)| {
            let kind = match value {
                AttributeValue::S(_) => "S",
                AttributeValue::N(_) => "N",
                AttributeValue::B(_) => "B",
                AttributeValue::Bool(_) => "BOOL",
                AttributeValue::Null(_) => "NULL",
                AttributeValue::M(_) => "M",
                AttributeValue::L(_) => "L",
                AttributeValue::Ss(_) => "SS",
                AttributeValue::Ns(_) => "NS",
                AttributeValue::Bs(_) => "BS",
                _ => "?",
            };
            (name.as_str(), kind)
        })
        .collect();
    types.sort_unstable();
    types
}

impl crate::Store {
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        self.transact_keeping_old(items).await.map_err(|(e, _)| e)
    }

    /// `transact`, keeping what a cancellation hands back: per item, the existing item where its
    /// condition failed and it was built to return it (`put_new_returning_old`).
    pub(crate) async fn transact_keeping_old(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<(), (StoreError, Vec<Option<Item>>)> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            // The SDK re-sends the same token when it retries, so DynamoDB applies the
            // transaction at most once even if a response was lost on the way back.
            .client_request_token(crate::ids::new_id("tx"))
            .send()
            .await
            .map_err(crate::error::classify_transaction_keeping_old)?;
        Ok(())
    }

    pub(crate) async fn get(&self, key: &crate::keys::Key) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.to_item()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| crate::error::classify("GetItem", e))?;
        Ok(out.item)
    }

    /// All items of one partition whose sort key starts with `prefix` (every page).
    pub(crate) async fn query_prefix(
        &self,
        pk: &str,
        prefix: &str,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_values(":pk", s(pk));
            // DynamoDB refuses an empty key value, so "the whole partition" has no prefix test.
            q = if prefix.is_empty() {
                q.key_condition_expression("PK = :pk")
            } else {
                q.key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                    .expression_attribute_values(":prefix", s(prefix))
            };
            let out = q
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| crate::error::classify("Query", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// One page of an index partition, optionally bounded by a sort-key prefix, in either order,
    /// read as domain records.
    pub(crate) async fn query_index_page<T: Record>(
        &self,
        index: &crate::table::IndexSpec,
        partition: &str,
        sk_prefix: Option<&str>,
        newest_first: bool,
        page: &crate::Page,
    ) -> Result<(Vec<T>, Option<String>), StoreError> {
        self.query_index_filtered(index, partition, sk_prefix, newest_first, page, &[])
            .await
    }

    /// Like `query_index_page`, keeping only items whose every `filters` attribute equals its
    /// value (a filter expression on attributes the index projects, so DynamoDB drops the
    /// others). The page is full unless the
    /// partition ends: it reads on (one item more than the page, to know whether another page
    /// exists) until it has `limit + 1` matches, the partition ends, or `FILTERED_READ_BOUND`
    /// items were read — only then can a page be short and still carry a cursor.
    pub(crate) async fn query_index_filtered<T: Record>(
        &self,
        index: &crate::table::IndexSpec,
        partition: &str,
        sk_prefix: Option<&str>,
        newest_first: bool,
        page: &crate::Page,
        filters: &[(&str, &str)],
    ) -> Result<(Vec<T>, Option<String>), StoreError> {
        let mut start = match &page.cursor {
            Some(c) => Some(crate::paging::decode(c, (index.pk, partition))?),
            None => None,
        };
        let want = usize::try_from(page.limit.max(1)).unwrap_or(1);
        let key_attributes = [index.pk, index.sk, crate::keys::PK, crate::keys::SK];
        let mut kept: Vec<Item> = Vec::new();
        let mut read = 0usize;
        loop {
            let need = want + 1 - kept.len();
            // Filtered: most items read may be dropped, so read in larger steps.
            let limit = if !filters.is_empty() {
                need.max(100)
            } else {
                need
            };
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index.name)
                .expression_attribute_names("#pk", index.pk)
                .expression_attribute_values(":pk", s(partition))
                .scan_index_forward(!newest_first)
                .limit(i32::try_from(limit).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            q = match sk_prefix {
                Some(prefix) => q
                    .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                    .expression_attribute_names("#sk", index.sk)
                    .expression_attribute_values(":prefix", s(prefix)),
                None => q.key_condition_expression("#pk = :pk"),
            };
            if !filters.is_empty() {
                let mut expression = Vec::with_capacity(filters.len());
                for (i, (attribute, value)) in filters.iter().enumerate() {
                    expression.push(format!("#f{i} = :f{i}"));
                    q = q
                        .expression_attribute_names(format!("#f{i}"), *attribute)
                        .expression_attribute_values(format!(":f{i}"), s(*value));
                }
                q = q.filter_expression(expression.join(" AND "));
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
                return Ok((
                    records(self.hydrate(index, partition, filters, kept).await?)?,
                    next,
                ));
            }
            match out.last_evaluated_key.filter(|k| !k.is_empty()) {
                None => {
                    return Ok((
                        records(self.hydrate(index, partition, filters, kept).await?)?,
                        None,
                    ))
                }
                Some(k) if read >= FILTERED_READ_BOUND => {
                    return Ok((
                        records(self.hydrate(index, partition, filters, kept).await?)?,
                        crate::paging::encode(&k),
                    ))
                }
                Some(k) => start = Some(k),
            }
        }
    }
}

impl crate::Store {
    /// The table's items behind a page of `index` items, in the page's order: the index items
    /// themselves when the index copies every attribute, else one consistent BatchGetItem of
    /// their keys (a page is at most 100 items; unprocessed keys are asked again). An item
    /// deleted since the index was read is left out, and so is one that has left the index
    /// meanwhile (it no longer has the index's key attributes: a queued incident responded to,
    /// a due one settled) or moved to another of its partitions or out of the list's filters
    /// (an unowned incident taken, a pending one answered), so a page never lists what its
    /// index and filters no longer hold.
    pub(crate) async fn hydrate(
        &self,
        index: &crate::table::IndexSpec,
        partition: &str,
        filters: &[(&str, &str)],
        page: Vec<Item>,
    ) -> Result<Vec<Item>, StoreError> {
        if index.projection == crate::table::IndexProjection::All || page.is_empty() {
            return Ok(page);
        }
        let order: Vec<(String, String)> = page.iter().filter_map(key_of).collect();
        let mut found: HashMap<(String, String), Item> = HashMap::with_capacity(order.len());
        for chunk in order.chunks(BATCH_GET_MAX) {
            self.batch_get_into(chunk, &mut found).await?;
        }
        Ok(order
            .iter()
            .filter_map(|k| found.remove(k))
            .filter(|item| still_listed(index, partition, filters, item))
            .collect())
    }

    async fn batch_get_into(
        &self,
        keys: &[(String, String)],
        found: &mut HashMap<(String, String), Item>,
    ) -> Result<(), StoreError> {
        let mut wanted: Vec<Item> = keys
            .iter()
            .map(|(pk, sk)| {
                Item::from([
                    (crate::keys::PK.into(), s(pk)),
                    (crate::keys::SK.into(), s(sk)),
                ])
            })
            .collect();
        let mut rounds = self.rounds();
        while !wanted.is_empty() {
            if !rounds.start().await {
                return Err(StoreError::Unavailable(
                    "BatchGetItem: keys left unprocessed; retry".into(),
                ));
            }
            let keys = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut wanted)))
                .consistent_read(true)
                .build()
                .map_err(build_err)?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, keys)
                .send()
                .await
                .map_err(|e| crate::error::classify("BatchGetItem", e))?;
            for item in out
                .responses
                .and_then(|mut r| r.remove(&self.table))
                .unwrap_or_default()
            {
                if let Some(key) = key_of(&item) {
                    found.insert(key, item);
                }
            }
            wanted = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
                .map(|k| k.keys)
                .unwrap_or_default();
        }
        Ok(())
    }
}

/// The item still has both of `index`'s key attributes, so the index still holds it (every
/// index but the table's own is sparse: an item leaves by losing them).
fn still_indexed(index: &crate::table::IndexSpec, item: &Item) -> bool {
    item.contains_key(index.pk) && item.contains_key(index.sk)
}

/// The item as read now is still in the list that was queried: in the index, in the same
/// partition, and matching every filter.
fn still_listed(
    index: &crate::table::IndexSpec,
    partition: &str,
    filters: &[(&str, &str)],
    item: &Item,
) -> bool {
    let equals = |name: &str, value: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .is_some_and(|v| v == value)
    };
    still_indexed(index, item)
        && equals(index.pk, partition)
        && filters.iter().all(|(name, value)| equals(name, value))
}

/// An item's table key.
fn key_of(item: &Item) -> Option<(String, String)> {
    Some((
        item.get(crate::keys::PK)?.as_s().ok()?.clone(),
        item.get(crate::keys::SK)?.as_s().ok()?.clone(),
    ))
}

/// Keys one BatchGetItem may ask for.
const BATCH_GET_MAX: usize = 100;

/// At most this many items are read for one page of a filtered list.
pub(crate) const FILTERED_READ_BOUND: usize = 1_000;

/// An entity the generic list readers hand back: each decodes its own item (the incident
/// upgrades its legacy items, the others read their attributes as written), so this module
/// knows none of them.
pub(crate) trait Record: Sized {
    fn from_record(item: Item) -> Result<Self, StoreError>;
}

fn records<T: Record>(items: Vec<Item>) -> Result<Vec<T>, StoreError> {
    items.into_iter().map(T::from_record).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::QUEUE;

    #[test]
    fn a_hydrated_item_moved_to_another_partition_or_out_of_the_filters_has_left_the_list() {
        let unowned = Item::from([
            (crate::keys::PK.into(), s("INCIDENT#inc_1")),
            (crate::keys::SK.into(), s("INCIDENT")),
            (QUEUE.pk.into(), s("QUEUE")),
            (QUEUE.sk.into(), s("2026-12-02T10:00:00Z#inc_1")),
            ("status".into(), s("awaiting_response")),
        ]);
        let filters = [("status", "awaiting_response")];
        assert!(still_listed(&QUEUE, "QUEUE", &filters, &unowned));
        assert!(!still_listed(&QUEUE, "CHARGE_PENDING", &filters, &unowned));
        let mut answered = unowned.clone();
        answered.insert("status".into(), s("in_progress"));
        assert!(!still_listed(&QUEUE, "QUEUE", &filters, &answered));
        assert!(still_listed(&QUEUE, "QUEUE", &[], &answered));
    }

    #[test]
    fn a_hydrated_item_that_lost_either_index_key_has_left_the_index() {
        let queued = Item::from([
            (crate::keys::PK.into(), s("INCIDENT#inc_1")),
            (crate::keys::SK.into(), s("INCIDENT")),
            (QUEUE.pk.into(), s("QUEUE")),
            (QUEUE.sk.into(), s("2026-12-02T10:00:00Z#inc_1")),
        ]);
        assert!(still_indexed(&QUEUE, &queued));
        for key in [QUEUE.pk, QUEUE.sk] {
            let mut left = queued.clone();
            left.remove(key);
            assert!(!still_indexed(&QUEUE, &left), "without {key}");
        }
    }
}
