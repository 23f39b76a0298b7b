//! Incidents, their timelines and sub-problem proposals. An incident and its timeline share a
//! partition: the incident item (`INCIDENT`), its events (`EVENT#<seq>`), and other items under
//! their own sort-key prefixes (`PROPOSAL#…`, attachments). Timeline reads are key conditions
//! on the `EVENT#` prefix only, a page at a time, so no other item is ever read for a timeline.
//! Every change after intake is one transaction guarded by the incident's version, so
//! concurrent actions serialise and never lose an update.

use crate::idempotency::{IdempotencyRecord, IdempotencyWrite};
use crate::items::{check, from_item, key_attrs, n, put, put_new, s, to_item, with, Cond, Item};
use crate::keys::{self, EVENT_PREFIX};
use crate::packs::{draw_unit, return_unit, LedgerEntry, LedgerKind};
use crate::table::{ALL_INCIDENTS, AWAITING, BREACHES, BY_OWNER, BY_STATUS, QUEUE};
use crate::{paging, Page, Store, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use domain::incident::{Event, Incident, SubProblemProposal, Transition};
use domain::report::Month;
use domain::time::{format_instant, parse_instant, Instant};
use domain::{IncidentStatus, SlaOutcome};

/// An incident as stored: the domain record plus the version its next change must match.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredIncident {
    pub incident: Incident,
    pub version: u64,
    pub event_count: u64,
    /// When its latest event was stamped (`None` for items written before this was kept).
    pub last_event_at: Option<Instant>,
}

impl StoredIncident {
    /// The instant a change committed on this version stamps its events with: `now`, or the
    /// latest event's instant if the clock reads earlier, so `at` never decreases along a
    /// timeline.
    pub fn commit_now(&self, now: Instant) -> Instant {
        self.last_event_at.map_or(now, |last| now.max(last))
    }
}

/// The incident item's record of its latest event's instant (see `StoredIncident::commit_now`).
const LAST_EVENT_AT: &str = "last_event_at";

/// Events in an incident's timeline page, at most.
pub const TIMELINE_PAGE_MAX: i32 = 100;

#[derive(Debug, Clone, PartialEq)]
pub enum CreateOutcome {
    Created,
    /// The pack's condition failed (not the owner's, expired, or used up): try another.
    PackUnusable,
    Replayed(IdempotencyRecord),
    /// The parent incident changed under a sub-problem acceptance: decide again.
    ParentChanged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    /// Another change landed first; re-read and decide again.
    Conflict,
}

/// A sub-problem acceptance: the parent's transition and the proposal's new state.
pub struct ParentChange<'a> {
    pub parent: &'a StoredIncident,
    pub transition: &'a Transition,
    pub proposal: &'a SubProblemProposal,
}

pub(crate) fn incident_item(
    incident: &Incident,
    version: u64,
    event_count: u64,
) -> Result<Item, StoreError> {
    let id = &incident.incident_id;
    let created = format!("{}#{}", format_instant(incident.created_at), id);
    let due = format!("{}#{}", format_instant(incident.first_response_due_at), id);
    let mut attrs: Vec<(&'static str, AttributeValue)> = key_attrs(&keys::incident(id)).into();
    attrs.extend([
        ("version", n(version)),
        ("event_count", n(event_count)),
        (BY_OWNER.pk, s(keys::account(&incident.account_id))),
        (BY_OWNER.sk, s(format!("INCIDENT#{created}"))),
        (BY_STATUS.pk, s(status_partition(incident.status))),
        (BY_STATUS.sk, s(created.clone())),
        (ALL_INCIDENTS.pk, s("INCIDENTS")),
        (ALL_INCIDENTS.sk, s(created)),
    ]);
    // Sparse indexes: present only while they apply, so removing them is part of the change.
    // The awaiting index keys an incident at the next instant the sweep must act: its warning
    // until that is recorded, then its deadline; settling the SLA removes it.
    if let Some(next) = incident.next_sla_signal_at() {
        attrs.extend([
            (AWAITING.pk, s(keys::await_shard(id))),
            (AWAITING.sk, s(format!("{}#{}", format_instant(next), id))),
        ]);
    }
    if incident.awaiting_response() {
        attrs.extend([(QUEUE.pk, s("QUEUE")), (QUEUE.sk, s(due.clone()))]);
    }
    if incident.sla == SlaOutcome::Breached {
        let month = Month::of(incident.first_response_due_at).to_string();
        attrs.extend([
            (BREACHES.pk, s(keys::breach_partition(&month))),
            (BREACHES.sk, s(due)),
        ]);
    }
    Ok(with(to_item(incident)?, attrs))
}

fn status_partition(status: IncidentStatus) -> String {
    format!("INCIDENT_STATUS#{status}")
}

fn event_item(incident_id: &str, seq: u64, event: &Event) -> Result<Item, StoreError> {
    Ok(with(
        to_item(event)?,
        key_attrs(&keys::event(incident_id, seq)),
    ))
}

/// Events keep their kind's fields in a flattened map, so the storage keys must not reach it.
fn event_from_item(mut item: Item) -> Result<Event, StoreError> {
    item.remove(keys::PK);
    item.remove(keys::SK);
    from_item(item)
}

/// Incidents stored before warnings existed carry no `first_response_warn_at`: they read with
/// their deadline as the warning instant (their awaiting-index key is already the deadline), so
/// the sweep warns and breaches them together at the deadline. Only incident items have a
/// `first_response_due_at`; every other item passes unchanged.
pub(crate) fn upgrade_legacy(item: &mut Item) {
    if !item.contains_key("first_response_warn_at") {
        if let Some(due) = item.get("first_response_due_at").cloned() {
            item.insert("first_response_warn_at".to_string(), due);
        }
    }
}

fn stored_from_item(mut item: Item) -> Result<StoredIncident, StoreError> {
    upgrade_legacy(&mut item);
    let number = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<u64>().ok())
    };
    let version =
        number("version").ok_or_else(|| StoreError::Corrupt("incident without version".into()))?;
    let event_count = number("event_count").unwrap_or(0);
    let last_event_at = item
        .get(LAST_EVENT_AT)
        .and_then(|v| v.as_s().ok())
        .and_then(|v| parse_instant(v));
    Ok(StoredIncident {
        incident: from_item(item)?,
        version,
        event_count,
        last_event_at,
    })
}

/// The writes of a transition: the incident (guarded by version), its new events, and a refund's
/// credit plus unit. Index 0 is always the guarded incident.
fn transition_items(
    table: &str,
    stored: &StoredIncident,
    t: &Transition,
    now: Instant,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let id = &stored.incident.incident_id;
    let event_count = stored.event_count + t.events.len() as u64;
    let last_event_at = t
        .events
        .iter()
        .map(|e| e.at)
        .chain(stored.last_event_at)
        .max();
    let mut items = vec![put(
        table,
        with(
            incident_item(&t.incident, stored.version + 1, event_count)?,
            last_event_at.map(|at| (LAST_EVENT_AT, s(format_instant(at)))),
        ),
        Cond::new("version = :v").value(":v", n(stored.version)),
    )?];
    for (i, event) in t.events.iter().enumerate() {
        items.push(put_new(
            table,
            event_item(id, stored.event_count + 1 + i as u64, event)?,
        )?);
    }
    // The report's count moves in the transaction that settles the outcome, or not at all.
    if let Some(counter) = crate::reports::settle_item(table, &stored.incident, &t.incident)? {
        items.push(counter);
    }
    if t.refund {
        let credit = LedgerEntry {
            pack_id: t.incident.pack_id.clone(),
            kind: LedgerKind::Credit,
            units: 1,
            reference: id.clone(),
            account_id: t.incident.account_id.clone(),
            at: format_instant(now),
        };
        items.push(return_unit(table, &t.incident.pack_id)?);
        items.push(credit.transact_item(table)?);
    }
    Ok(items)
}

impl Store {
    /// Intake's one transaction: draw a unit from the pack (conditional), create the incident and
    /// its `submitted` event, debit the ledger, and record the idempotent answer — and for an
    /// accepted sub-problem, the parent's change and the proposal's decision. All or nothing.
    pub async fn create_incident(
        &self,
        incident: &Incident,
        submitted: &Event,
        now: Instant,
        idempotency: Option<&IdempotencyWrite>,
        parent: Option<ParentChange<'_>>,
    ) -> Result<CreateOutcome, StoreError> {
        let id = &incident.incident_id;
        let debit = LedgerEntry {
            pack_id: incident.pack_id.clone(),
            kind: LedgerKind::Debit,
            units: -1,
            reference: id.clone(),
            account_id: incident.account_id.clone(),
            at: format_instant(now),
        };
        let mut items = vec![
            draw_unit(&self.table, &incident.pack_id, &incident.account_id, now)?,
            put_new(
                &self.table,
                with(
                    incident_item(incident, 1, 1)?,
                    [(LAST_EVENT_AT, s(format_instant(submitted.at)))],
                ),
            )?,
            put_new(&self.table, event_item(id, 1, submitted)?)?,
            debit.transact_item(&self.table)?,
        ];
        let idempotency_at = idempotency.map(|_| items.len());
        if let Some(w) = idempotency {
            items.push(w.transact_item(&self.table)?);
        }
        let parent_at = parent.as_ref().map(|_| items.len());
        if let Some(p) = &parent {
            items.extend(transition_items(&self.table, p.parent, p.transition, now)?);
            let proposal_key = keys::proposal(&p.proposal.incident_id, &p.proposal.proposal_id);
            items.push(put(
                &self.table,
                with(to_item(p.proposal)?, key_attrs(&proposal_key)),
                Cond::new("#status = :proposed")
                    .name("#status", "status")
                    .value(":proposed", s("proposed")),
            )?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(CreateOutcome::Created),
            Err(e) if idempotency_at.is_some_and(|i| e.condition_failed_at(i)) => {
                let key = &idempotency
                    .map(|w| w.key.clone())
                    .ok_or_else(|| StoreError::Other("no idempotency key".into()))?;
                match self.idempotency_record(key).await? {
                    Some(record) => Ok(CreateOutcome::Replayed(record)),
                    None => Err(StoreError::Unavailable(
                        "idempotency record not readable yet; retry".into(),
                    )),
                }
            }
            Err(e) if parent_at.is_some_and(|i| e.condition_failed_at(i)) => {
                Ok(CreateOutcome::ParentChanged)
            }
            Err(e) if e.condition_failed_at(0) => Ok(CreateOutcome::PackUnusable),
            Err(e) => Err(e),
        }
    }

    pub async fn incident(&self, incident_id: &str) -> Result<Option<StoredIncident>, StoreError> {
        self.get(&keys::incident(incident_id))
            .await?
            .map(stored_from_item)
            .transpose()
    }

    /// The incident and its whole timeline, in order (tests and operations; the API pages it).
    pub async fn incident_with_timeline(
        &self,
        incident_id: &str,
    ) -> Result<Option<(StoredIncident, Vec<Event>)>, StoreError> {
        let Some(stored) = self.incident(incident_id).await? else {
            return Ok(None);
        };
        let events = self
            .query_prefix(&keys::incident(incident_id).pk, EVENT_PREFIX)
            .await?
            .into_iter()
            .map(event_from_item)
            .collect::<Result<_, _>>()?;
        Ok(Some((stored, events)))
    }

    /// The incident and the first page of its timeline (at most `TIMELINE_PAGE_MAX` events),
    /// read side by side; the position continues with `incident_events`.
    pub async fn incident_first_page(
        &self,
        incident_id: &str,
        limit: i32,
    ) -> Result<Option<(StoredIncident, Vec<Event>, Option<String>)>, StoreError> {
        let first = Page {
            limit: limit.clamp(1, TIMELINE_PAGE_MAX),
            cursor: None,
        };
        let (stored, events) = tokio::join!(
            self.incident(incident_id),
            self.incident_events(incident_id, &first)
        );
        let Some(stored) = stored? else {
            return Ok(None);
        };
        let (events, next) = events?;
        Ok(Some((stored, events, next)))
    }

    /// One page of an incident's timeline, oldest first. Reads only `EVENT#` sort keys (a key
    /// condition, not a filter), one item more than the page to know whether another follows.
    pub async fn incident_events(
        &self,
        incident_id: &str,
        page: &Page,
    ) -> Result<(Vec<Event>, Option<String>), StoreError> {
        let pk = keys::incident(incident_id).pk;
        let start = match &page.cursor {
            Some(c) => {
                let key = paging::decode(c, (keys::PK, &pk))?;
                let in_timeline = key
                    .get(keys::SK)
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|sk| sk.starts_with(EVENT_PREFIX));
                if !in_timeline || key.len() != 2 {
                    return Err(StoreError::InvalidCursor);
                }
                Some(key)
            }
            None => None,
        };
        let want = usize::try_from(page.limit.clamp(1, TIMELINE_PAGE_MAX)).unwrap_or(1);
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :events)")
            .expression_attribute_values(":pk", s(&pk))
            .expression_attribute_values(":events", s(EVENT_PREFIX))
            .consistent_read(true)
            .limit(i32::try_from(want + 1).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| crate::error::classify("Query", e))?;
        let mut items = out.items.unwrap_or_default();
        let next = if items.len() > want {
            items.truncate(want);
            items
                .last()
                .and_then(|last| paging::position_of(last, &[keys::PK, keys::SK]))
        } else {
            None
        };
        let events = items
            .into_iter()
            .map(event_from_item)
            .collect::<Result<_, _>>()?;
        Ok((events, next))
    }

    /// Writes a transition if the incident is still at the version it was decided on.
    pub async fn apply_transition(
        &self,
        stored: &StoredIncident,
        t: &Transition,
        now: Instant,
    ) -> Result<ApplyOutcome, StoreError> {
        self.apply_with(stored, t, now, Vec::new()).await
    }

    pub(crate) async fn apply_with(
        &self,
        stored: &StoredIncident,
        t: &Transition,
        now: Instant,
        extra: Vec<TransactWriteItem>,
    ) -> Result<ApplyOutcome, StoreError> {
        if t.no_op {
            return Ok(ApplyOutcome::Applied);
        }
        let mut items = transition_items(&self.table, stored, t, now)?;
        items.extend(extra);
        match self.transact(items).await {
            Ok(()) => Ok(ApplyOutcome::Applied),
            // Lost to a concurrent change: either the version moved, or DynamoDB cancelled for a
            // conflicting transaction in flight (nothing was written). Both mean: decide again.
            Err(e)
                if e.condition_failed_at(0)
                    || (matches!(e, StoreError::Cancelled(_)) && e.is_retryable()) =>
            {
                Ok(ApplyOutcome::Conflict)
            }
            Err(e) => Err(e),
        }
    }

    /// Reads, decides and writes until the decision lands on the version it was made on.
    /// `None` when the incident does not exist. Each round decides at its own instant: the
    /// clock read then, never before the incident's latest event (`StoredIncident::commit_now`),
    /// so events are stamped when they commit and `at` never decreases along a timeline.
    pub async fn update_incident<E, F>(
        &self,
        incident_id: &str,
        clock: &(dyn Fn() -> Instant + Sync),
        mut decide: F,
    ) -> Result<Option<(StoredIncident, Transition)>, E>
    where
        E: From<StoreError>,
        F: FnMut(&StoredIncident, Instant) -> Result<Transition, E>,
    {
        let mut rounds = crate::retry::Rounds::new();
        while rounds.start().await {
            let Some(stored) = self.incident(incident_id).await? else {
                return Ok(None);
            };
            let now = stored.commit_now(clock());
            let t = decide(&stored, now)?;
            if self.apply_transition(&stored, &t, now).await? == ApplyOutcome::Applied {
                return Ok(Some((stored, t)));
            }
        }
        Err(StoreError::Unavailable(format!(
            "incident {incident_id} is changing too fast; retry"
        ))
        .into())
    }

    /// Records a sub-problem proposal with the parent's `sub_problem_proposed` event.
    pub async fn propose_sub_problem(
        &self,
        parent: &StoredIncident,
        t: &Transition,
        proposal: &SubProblemProposal,
        now: Instant,
    ) -> Result<ApplyOutcome, StoreError> {
        let key = keys::proposal(&proposal.incident_id, &proposal.proposal_id);
        let item = put_new(&self.table, with(to_item(proposal)?, key_attrs(&key)))?;
        self.apply_with(parent, t, now, vec![item]).await
    }

    /// Records a declined proposal with the parent's event; the proposal must still be open.
    pub async fn decline_sub_problem(
        &self,
        parent: &StoredIncident,
        t: &Transition,
        proposal: &SubProblemProposal,
        now: Instant,
    ) -> Result<ApplyOutcome, StoreError> {
        let key = keys::proposal(&proposal.incident_id, &proposal.proposal_id);
        let item = put(
            &self.table,
            with(to_item(proposal)?, key_attrs(&key)),
            Cond::new("#status = :proposed")
                .name("#status", "status")
                .value(":proposed", s("proposed")),
        )?;
        self.apply_with(parent, t, now, vec![item]).await
    }

    pub async fn proposal(
        &self,
        incident_id: &str,
        proposal_id: &str,
    ) -> Result<Option<SubProblemProposal>, StoreError> {
        self.get(&keys::proposal(incident_id, proposal_id))
            .await?
            .map(from_item)
            .transpose()
    }

    /// An account's incidents of one status, newest first; every page full (see
    /// `query_index_filtered`).
    pub async fn incidents_of_with_status(
        &self,
        account_id: &str,
        status: IncidentStatus,
        page: &Page,
    ) -> Result<(Vec<Incident>, Option<String>), StoreError> {
        let status = status.to_string();
        self.query_index_filtered(
            &BY_OWNER,
            &keys::account(account_id),
            Some("INCIDENT#"),
            true,
            page,
            Some(("status", &status)),
        )
        .await
    }

    /// An account's incidents, newest first.
    pub async fn incidents_of(
        &self,
        account_id: &str,
        page: &Page,
    ) -> Result<(Vec<Incident>, Option<String>), StoreError> {
        self.query_index_page(
            &BY_OWNER,
            &keys::account(account_id),
            Some("INCIDENT#"),
            true,
            page,
        )
        .await
    }

    /// Every incident (staff), newest first, optionally of one status.
    pub async fn all_incidents(
        &self,
        status: Option<IncidentStatus>,
        page: &Page,
    ) -> Result<(Vec<Incident>, Option<String>), StoreError> {
        match status {
            Some(st) => {
                self.query_index_page(&BY_STATUS, &status_partition(st), None, true, page)
                    .await
            }
            None => {
                self.query_index_page(&ALL_INCIDENTS, "INCIDENTS", None, true, page)
                    .await
            }
        }
    }

    /// The engineers' queue: awaiting a first response, earliest deadline first.
    pub async fn queue(&self, page: &Page) -> Result<(Vec<Incident>, Option<String>), StoreError> {
        self.query_index_page(&QUEUE, "QUEUE", None, false, page)
            .await
    }

    /// One page of one shard of the awaiting index: incidents whose next signal (warning, then
    /// deadline) is before `as_of`. Reads only what is due; the table's size does not matter.
    pub async fn due_for_breach(
        &self,
        shard: u32,
        as_of: Instant,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<StoredIncident>, Option<Item>), StoreError> {
        // Strictly before as_of: "<at>#<id>" < "<as_of>#" exactly when at < as_of (a response
        // at the deadline itself is still on time).
        let upper = format!("{}#", format_instant(as_of));
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(AWAITING.name)
            .key_condition_expression("#pk = :pk AND #sk <= :upper")
            .expression_attribute_names("#pk", AWAITING.pk)
            .expression_attribute_names("#sk", AWAITING.sk)
            .expression_attribute_values(":pk", s(keys::await_partition(shard)))
            .expression_attribute_values(":upper", s(upper))
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| crate::error::classify("Query", e))?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(stored_from_item)
            .collect::<Result<_, _>>()?;
        Ok((items, out.last_evaluated_key.filter(|k| !k.is_empty())))
    }

    /// A guard that an incident exists and is at a version (for transactions elsewhere).
    pub fn incident_version_check(
        &self,
        stored: &StoredIncident,
    ) -> Result<TransactWriteItem, StoreError> {
        check(
            &self.table,
            keys::incident(&stored.incident.incident_id).to_item(),
            Cond::new("version = :v").value(":v", n(stored.version)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::incident::sweep_signals;
    use domain::intake::{new_incident, NewIncident, Submission};
    use domain::time::parse_instant;
    use domain::Actor;

    fn at(s: &str) -> Instant {
        parse_instant(s).expect("instant")
    }

    fn awaiting() -> Incident {
        let body = serde_json::json!({
            "product_id": "p", "category": "configuration", "severity": "B",
            "handling": "business_hours", "calendar": "UK", "title": "t", "description": "d",
            "contact": {"name": "Ada", "email": "ada@example.com"}
        });
        let submission = Submission::parse(&body).expect("valid");
        new_incident(
            &submission,
            NewIncident {
                incident_id: "inc_1".into(),
                account_id: "acct_1",
                pack_id: "pack_1",
                parent_incident_id: None,
                first_response_warn_at: at("2026-03-31T12:00:00Z"),
                first_response_due_at: at("2026-03-31T13:00:00Z"),
                now: at("2026-03-31T09:00:00Z"),
            },
        )
        .0
    }

    fn text(item: &Item, name: &str) -> Option<String> {
        item.get(name).and_then(|v| v.as_s().ok()).cloned()
    }

    #[test]
    fn the_awaiting_key_is_the_warning_then_the_deadline_and_a_breach_enters_the_breaches_index() {
        let fresh = awaiting();
        let item = incident_item(&fresh, 1, 1).expect("item");
        assert_eq!(
            text(&item, AWAITING.sk).as_deref(),
            Some("2026-03-31T12:00:00Z#inc_1")
        );
        assert_eq!(text(&item, BREACHES.pk), None);

        let system = Actor::system();
        let warned = sweep_signals(
            &fresh,
            &system,
            at("2026-03-31T12:00:01Z"),
            at("2026-03-31T12:00:01Z"),
        )
        .expect("allowed")
        .expect("warned")
        .incident;
        let item = incident_item(&warned, 2, 2).expect("item");
        assert_eq!(
            text(&item, AWAITING.sk).as_deref(),
            Some("2026-03-31T13:00:00Z#inc_1")
        );

        let breached = sweep_signals(
            &warned,
            &system,
            at("2026-04-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .expect("allowed")
        .expect("breached")
        .incident;
        let item = incident_item(&breached, 3, 3).expect("item");
        assert_eq!(text(&item, AWAITING.pk), None);
        assert_eq!(text(&item, AWAITING.sk), None);
        // The report month is the deadline's, in UTC.
        assert_eq!(
            text(&item, BREACHES.pk).as_deref(),
            Some("BREACHED#2026-03")
        );
        assert_eq!(
            text(&item, BREACHES.sk).as_deref(),
            Some("2026-03-31T13:00:00Z#inc_1")
        );
    }

    #[test]
    fn an_incident_stored_before_warnings_reads_with_its_deadline_as_the_warning() {
        let mut item = incident_item(&awaiting(), 1, 1).expect("item");
        item.remove("first_response_warn_at");
        item.remove("sla_warned_at");
        let stored = stored_from_item(item).expect("readable");
        assert_eq!(
            stored.incident.first_response_warn_at,
            stored.incident.first_response_due_at
        );
        assert_eq!(stored.incident.sla_warned_at, None);
    }
}
