//! SLA report counters and the breaches list. A counter item per (deadline month in UTC,
//! calendar, severity, shard) holds `met`, `breached` and `withdrawn`; the one transaction that
//! settles an incident's SLA adds 1 to one of them, so the counts can never disagree with the
//! incidents. A report reads those few items (months × calendars × severities × shards), never
//! the incidents; the breaches list reads the sparse `breaches` index.

use crate::items::{n, s, update, Cond, Item};
use crate::keys::{self, SLA_REPORT_PK};
use crate::table::BREACHES;
use crate::{Page, Store, StoreError};
use aws_sdk_dynamodb::types::TransactWriteItem;
use domain::incident::{settled_outcome, Incident};
use domain::report::{Month, SlaCounts};
use domain::{CalendarId, Severity, SlaOutcome};
use std::collections::HashMap;

/// The counter update for a change from `before` to `after`, when it settles the SLA.
pub(crate) fn settle_item(
    table: &str,
    before: &Incident,
    after: &Incident,
) -> Result<Option<TransactWriteItem>, StoreError> {
    let Some(outcome) = settled_outcome(before, after) else {
        return Ok(None);
    };
    let month = Month::of(after.first_response_due_at).to_string();
    let key = keys::sla_counter(
        &month,
        after.calendar.as_str(),
        after.severity.as_str(),
        keys::shard_of(&after.incident_id),
    );
    let cond = Cond::default()
        .name("#month", "month")
        .name("#calendar", "calendar")
        .name("#severity", "severity")
        .name("#outcome", outcome.as_str())
        .value(":month", s(month))
        .value(":calendar", s(after.calendar.as_str()))
        .value(":severity", s(after.severity.as_str()))
        .value(":one", n(1));
    update(
        table,
        key.to_item(),
        "SET #month = :month, #calendar = :calendar, #severity = :severity ADD #outcome :one",
        cond,
    )
    .map(Some)
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

fn count(item: &Item, outcome: SlaOutcome) -> Result<u64, StoreError> {
    match item.get(outcome.as_str()) {
        None => Ok(0),
        Some(v) => v
            .as_n()
            .ok()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| StoreError::Corrupt(format!("SLA counter {outcome} is not a count"))),
    }
}

pub use domain::report::CountsKey;

impl Store {
    /// The counters of every month from `from` to `to` (both included): one Query of the
    /// counters' partition, a sort-key range of at most months × 3 × 3 × shards small items.
    pub async fn sla_counts(
        &self,
        from: Month,
        to: Month,
    ) -> Result<HashMap<CountsKey, SlaCounts>, StoreError> {
        let mut counts: HashMap<CountsKey, SlaCounts> = HashMap::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND SK BETWEEN :lo AND :hi")
                .expression_attribute_values(":pk", s(SLA_REPORT_PK))
                .expression_attribute_values(":lo", s(format!("{from}#")))
                // '~' sorts after every character of a counter's sort key.
                .expression_attribute_values(":hi", s(format!("{to}#~")))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| crate::error::classify("Query", e))?;
            for item in out.items.unwrap_or_default() {
                let (Some(month), Some(calendar), Some(severity)) = (
                    text(&item, "month").and_then(Month::parse),
                    text(&item, "calendar").and_then(|c| c.parse::<CalendarId>().ok()),
                    text(&item, "severity").and_then(|c| c.parse::<Severity>().ok()),
                ) else {
                    return Err(StoreError::Corrupt("SLA counter without its key".into()));
                };
                let c = SlaCounts {
                    met: count(&item, SlaOutcome::Met)?,
                    breached: count(&item, SlaOutcome::Breached)?,
                    withdrawn: count(&item, SlaOutcome::Withdrawn)?,
                };
                counts
                    .entry((month, calendar, severity))
                    .or_default()
                    .add(c);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(counts),
            }
        }
    }

    /// One page of the incidents breached with a deadline in `month`, earliest deadline first.
    pub async fn breaches(
        &self,
        month: Month,
        page: &Page,
    ) -> Result<(Vec<Incident>, Option<String>), StoreError> {
        self.query_index_page(
            &BREACHES,
            &keys::breach_partition(&month.to_string()),
            None,
            false,
            page,
        )
        .await
    }
}

// ---- satisfaction ---------------------------------------------------------------------------

/// The satisfaction counter updates of a change from `before` to `after` (a rating given or
/// replaced): each counter it moves, once (`domain::rating::counter_moves`). Nothing for a change
/// that leaves the rating as it was.
pub(crate) fn satisfaction_items(
    table: &str,
    before: &Incident,
    after: &Incident,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    domain::rating::counter_moves(before, after)
        .into_iter()
        .map(|(bucket, good, bad)| {
            let month = bucket.month.to_string();
            let key = keys::satisfaction_counter(
                &month,
                bucket.severity.as_str(),
                bucket.owner_account_id.as_deref(),
            );
            let owner = match &bucket.owner_account_id {
                Some(id) => s(id),
                None => aws_sdk_dynamodb::types::AttributeValue::Null(true),
            };
            update(
                table,
                key.to_item(),
                "SET #month = :month, #severity = :severity, #owner = :owner ADD good :good, bad :bad",
                Cond::default()
                    .name("#month", "month")
                    .name("#severity", "severity")
                    .name("#owner", "owner_account_id")
                    .value(":month", s(month))
                    .value(":severity", s(bucket.severity.as_str()))
                    .value(":owner", owner)
                    .value(":good", n(good))
                    .value(":bad", n(bad)),
            )
        })
        .collect()
}

pub use domain::report::SatisfactionCount;

fn signed(item: &Item, name: &str) -> Result<i64, StoreError> {
    match item.get(name) {
        None => Ok(0),
        Some(v) => v
            .as_n()
            .ok()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| StoreError::Corrupt(format!("satisfaction counter {name}"))),
    }
}

impl Store {
    /// The satisfaction counters of the months `from` to `to` (both included) that count at
    /// least one rating: one Query of the counters' partition.
    pub async fn satisfaction_counts(
        &self,
        from: Month,
        to: Month,
    ) -> Result<Vec<SatisfactionCount>, StoreError> {
        let mut lines = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND SK BETWEEN :lo AND :hi")
                .expression_attribute_values(":pk", s(keys::SATISFACTION_PK))
                .expression_attribute_values(":lo", s(format!("{from}#")))
                .expression_attribute_values(":hi", s(format!("{to}#~")))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| crate::error::classify("Query", e))?;
            for item in out.items.unwrap_or_default() {
                let (Some(month), Some(severity)) = (
                    text(&item, "month").and_then(Month::parse),
                    text(&item, "severity").and_then(|c| c.parse::<Severity>().ok()),
                ) else {
                    return Err(StoreError::Corrupt(
                        "satisfaction counter without its key".into(),
                    ));
                };
                let (good, bad) = (signed(&item, "good")?, signed(&item, "bad")?);
                if good <= 0 && bad <= 0 {
                    continue;
                }
                lines.push(SatisfactionCount {
                    month,
                    severity,
                    owner_account_id: text(&item, "owner_account_id").map(str::to_string),
                    good: u64::try_from(good).unwrap_or(0),
                    bad: u64::try_from(bad).unwrap_or(0),
                });
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(lines),
            }
        }
    }
}
