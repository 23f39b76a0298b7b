//! Reading incidents: one, its timeline a page at a time, the lists and the sweep's due reads.

use super::items::{event_from_item, status_partition, stored_from_item};
use super::{IncidentHead, StoredIncident, TIMELINE_PAGE_MAX};
use crate::items::{s, Item};
use crate::keys::{self, EVENT_PREFIX, NOTE_PREFIX};
use crate::table::{ALL_INCIDENTS, AWAITING, BY_ASSIGNEE, BY_OWNER, BY_STATUS, OWNED_OPEN, QUEUE};
use crate::{paging, Page, Store, StoreError};
use domain::incident::{Event, Incident, ProposalStatus, SubProblemProposal};
use domain::time::{format_instant, Instant};
use domain::IncidentStatus;

pub use domain::incident::{IncidentFilter, OwnerFilter};

/// Where an item of a staff timeline stands: an event `EVENT#<seq>` at (`seq`, 0), a note
/// `NOTE#<after>#<seq>` at (`after`, `seq`). `None` for any other sort key.
fn staff_position(sk: &str) -> Option<(u64, u64)> {
    if let Some(seq) = sk.strip_prefix(EVENT_PREFIX) {
        return Some((seq.parse().ok()?, 0));
    }
    let (after, seq) = sk.strip_prefix(NOTE_PREFIX)?.split_once('#')?;
    let seq: u64 = seq.parse().ok()?;
    (seq > 0).then_some(())?;
    Some((after.parse().ok()?, seq))
}

impl Store {
    pub async fn incident(&self, incident_id: &str) -> Result<Option<StoredIncident>, StoreError> {
        self.get(&keys::incident(incident_id))
            .await?
            .map(stored_from_item)
            .transpose()
    }

    /// The incident and, if it has at most one page of events, its whole timeline, in one
    /// consistent Query: the partition's sort keys from `INCIDENT` down through `EVENT#…`,
    /// newest first, at most one page of events (`Incident` sorts just after `EVENT#`; nothing
    /// else of the partition lies between them, and only `EVENT#` items are kept as events).
    pub async fn incident_head(
        &self,
        incident_id: &str,
    ) -> Result<Option<IncidentHead>, StoreError> {
        let key = keys::incident(incident_id);
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :events AND :incident")
            .expression_attribute_values(":pk", s(&key.pk))
            .expression_attribute_values(":events", s(EVENT_PREFIX))
            .expression_attribute_values(":incident", s(&key.sk))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(TIMELINE_PAGE_MAX + 1)
            .send()
            .await
            .map_err(|e| crate::error::classify("Query", e))?;
        let mut items = out.items.unwrap_or_default().into_iter();
        let sk = |item: &Item| {
            item.get(keys::SK)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        let Some(first) = items.next() else {
            return Ok(None);
        };
        if sk(&first) != key.sk {
            return Ok(None);
        }
        let stored = stored_from_item(first)?;
        let mut events = items
            .filter(|item| sk(item).starts_with(EVENT_PREFIX))
            .map(event_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        events.reverse();
        let timeline = (events.len() as u64 == stored.event_count).then_some(events);
        Ok(Some(IncidentHead { stored, timeline }))
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
    /// read side by side; the position continues with `incident_events` (`staff`: with the
    /// internal notes, `staff_events`).
    pub async fn incident_first_page(
        &self,
        incident_id: &str,
        limit: i32,
        staff: bool,
    ) -> Result<Option<(StoredIncident, Vec<Event>, Option<String>)>, StoreError> {
        let first = Page {
            limit: limit.clamp(1, TIMELINE_PAGE_MAX),
            cursor: None,
        };
        let (stored, events) = tokio::join!(self.incident(incident_id), async {
            if staff {
                self.staff_events(incident_id, &first).await
            } else {
                self.incident_events(incident_id, &first).await
            }
        });
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

    /// One page of an incident's timeline as staff see it, oldest first: its events and its
    /// internal notes merged in the order they were written (a note written after event `k`
    /// comes after it and before event `k + 1`). Two key-condition Queries side by side (the
    /// `EVENT#` range and the `NOTE#` range from the position on), one item more than the page
    /// each; the position is the last item's key, in either range.
    pub async fn staff_events(
        &self,
        incident_id: &str,
        page: &Page,
    ) -> Result<(Vec<Event>, Option<String>), StoreError> {
        let pk = keys::incident(incident_id).pk;
        let (after, note_seq) = match &page.cursor {
            Some(c) => {
                let key = paging::decode(c, (keys::PK, &pk))?;
                let sk = key.get(keys::SK).and_then(|v| v.as_s().ok());
                match sk
                    .and_then(|sk| staff_position(sk))
                    .filter(|_| key.len() == 2)
                {
                    Some(position) => position,
                    None => return Err(StoreError::InvalidCursor),
                }
            }
            None => (0, 0),
        };
        let want = usize::try_from(page.limit.clamp(1, TIMELINE_PAGE_MAX)).unwrap_or(1);
        let limit = i32::try_from(want + 1).unwrap_or(i32::MAX);
        let events_from = keys::event(incident_id, after + 1).sk;
        let notes_from = keys::note(incident_id, after, note_seq + 1).sk;
        let (events_to, notes_to) = (format!("{EVENT_PREFIX}~"), format!("{NOTE_PREFIX}~"));
        let (events, notes) = tokio::join!(
            self.sort_key_range(&pk, &events_from, &events_to, limit),
            self.sort_key_range(&pk, &notes_from, &notes_to, limit)
        );
        let mut merged: Vec<((u64, u64), Item)> = events?
            .into_iter()
            .chain(notes?)
            .filter_map(|item| {
                let sk = item.get(keys::SK).and_then(|v| v.as_s().ok())?;
                Some((staff_position(sk)?, item))
            })
            .collect();
        merged.sort_by_key(|(position, _)| *position);
        let next = if merged.len() > want {
            merged.truncate(want);
            merged
                .last()
                .and_then(|(_, last)| paging::position_of(last, &[keys::PK, keys::SK]))
        } else {
            None
        };
        let events = merged
            .into_iter()
            .map(|(_, item)| event_from_item(item))
            .collect::<Result<_, _>>()?;
        Ok((events, next))
    }

    /// Items of one partition whose sort key lies in `from ..= to`, ascending, at most `limit`.
    async fn sort_key_range(
        &self,
        pk: &str,
        from: &str,
        to: &str,
        limit: i32,
    ) -> Result<Vec<Item>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to))
            .consistent_read(true)
            .limit(limit)
            .send()
            .await
            .map_err(|e| crate::error::classify("Query", e))?;
        Ok(out.items.unwrap_or_default())
    }

    /// The sub-problem proposals of an incident that still await the customer (a closure
    /// withdraws them). One Query of the partition's `PROPOSAL#` range: an incident has few.
    pub async fn open_proposals(
        &self,
        incident_id: &str,
    ) -> Result<Vec<SubProblemProposal>, StoreError> {
        let items = self
            .query_prefix(&keys::incident(incident_id).pk, keys::PROPOSAL_PREFIX)
            .await?;
        let mut open = Vec::new();
        for item in items {
            let proposal: SubProblemProposal = crate::items::from_item(item)?;
            if proposal.status == ProposalStatus::Proposed {
                open.push(proposal);
            }
        }
        Ok(open)
    }

    /// The incident a number names (its reservation item, then the incident): `None` for a
    /// number no incident holds.
    pub async fn incident_by_number(&self, number: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .get(&keys::incident_number(number))
            .await?
            .and_then(|item| item.get("incident_id")?.as_s().ok().cloned()))
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
            &[("status", &status)],
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
                self.query_index_page(&ALL_INCIDENTS, keys::ALL_INCIDENTS_PK, None, true, page)
                    .await
            }
        }
    }

    /// The engineers' queue: awaiting a first response, earliest deadline first; `owner`
    /// narrows it to one owner's or the unowned ones (a filter on the owner key the queue
    /// index projects).
    pub async fn queue(
        &self,
        owner: OwnerFilter<'_>,
        page: &Page,
    ) -> Result<(Vec<Incident>, Option<String>), StoreError> {
        self.queue_partition(keys::QUEUE_PK, owner, page).await
    }

    /// Closed incidents whose charge awaits a decision, earliest closure first; `owner` narrows
    /// them to one owner's or the unowned ones. One Query of the queue index's `CHARGE_PENDING`
    /// partition (sparse: only those incidents are in it) and one batch read of the page.
    pub async fn charges_pending(
        &self,
        owner: OwnerFilter<'_>,
        page: &Page,
    ) -> Result<(Vec<Incident>, Option<String>), StoreError> {
        self.queue_partition(keys::CHARGE_PENDING_PK, owner, page)
            .await
    }

    /// One page of a partition of the sparse `queue` index, oldest first, filtered on the owner
    /// key the index projects when `owner` names one (or nobody).
    async fn queue_partition(
        &self,
        partition: &str,
        owner: OwnerFilter<'_>,
        page: &Page,
    ) -> Result<(Vec<Incident>, Option<String>), StoreError> {
        let assignee = match owner {
            OwnerFilter::Any => None,
            OwnerFilter::Nobody => Some(keys::assignee(None)),
            OwnerFilter::Account(id) => Some(keys::assignee(Some(id))),
        };
        let filters: Vec<(&str, &str)> = assignee
            .as_deref()
            .map(|p| (BY_ASSIGNEE.pk, p))
            .into_iter()
            .collect();
        self.query_index_filtered(&QUEUE, partition, None, false, page, &filters)
            .await
    }

    /// Staff's filtered incident lists, each one Query of one index (a filter expression for
    /// the remaining filters) and one batch read of the page:
    ///
    /// | filters | index, partition | order |
    /// |---|---|---|
    /// | `open` (needs an owner account) | `owned_open`, the owner's | earliest deadline first |
    /// | an owner (an account, or nobody) | `by_assignee`, the owner's or `UNASSIGNED` | newest first |
    /// | a status alone | `by_status`, the status's | newest first |
    /// | anything else (severity, SLA, with or without status) | `all_incidents` | newest first |
    /// | `charge_pending` (with an owner or not) | `queue`, `CHARGE_PENDING` | earliest closure first |
    ///
    /// Status, severity and SLA are filter expressions on what each index projects.
    pub async fn staff_incidents(
        &self,
        filter: &IncidentFilter<'_>,
        page: &Page,
    ) -> Result<(Vec<Incident>, Option<String>), StoreError> {
        let status = filter.status.map(|s| s.to_string());
        let severity = filter.severity.map(|s| s.to_string());
        let sla = filter.sla.map(|s| s.to_string());
        let rest: Vec<(&str, &str)> = [("status", &status), ("severity", &severity), ("sla", &sla)]
            .into_iter()
            .filter_map(|(attribute, value)| Some((attribute, value.as_deref()?)))
            .collect();
        if filter.charge_pending {
            if filter.open || !rest.is_empty() {
                return Err(StoreError::Other(
                    "charges to decide are listed by owner only".into(),
                ));
            }
            return self.charges_pending(filter.owner, page).await;
        }
        match (filter.open, filter.owner) {
            (true, OwnerFilter::Account(id)) => {
                let partition = keys::owned_open(id);
                self.query_index_filtered(&OWNED_OPEN, &partition, None, false, page, &rest)
                    .await
            }
            (true, _) => Err(StoreError::Other(
                "open incidents are listed per owner account".into(),
            )),
            (false, OwnerFilter::Account(id)) => {
                let partition = keys::assignee(Some(id));
                self.query_index_filtered(&BY_ASSIGNEE, &partition, None, true, page, &rest)
                    .await
            }
            (false, OwnerFilter::Nobody) => {
                let partition = keys::assignee(None);
                self.query_index_filtered(&BY_ASSIGNEE, &partition, None, true, page, &rest)
                    .await
            }
            (false, OwnerFilter::Any) => match filter.status {
                Some(st) if filter.severity.is_none() && filter.sla.is_none() => {
                    self.query_index_page(&BY_STATUS, &status_partition(st), None, true, page)
                        .await
                }
                _ => {
                    self.query_index_filtered(
                        &ALL_INCIDENTS,
                        keys::ALL_INCIDENTS_PK,
                        None,
                        true,
                        page,
                        &rest,
                    )
                    .await
                }
            },
        }
    }

    /// One page of one shard of the awaiting index: incidents whose next signal (warning, then
    /// deadline) is before `as_of`. Reads only what is due; the table's size does not matter.
    pub async fn due_for_breach(
        &self,
        shard: u32,
        as_of: Instant,
        limit: i32,
        start: Option<DuePosition>,
    ) -> Result<(Vec<StoredIncident>, Option<DuePosition>), StoreError> {
        // Strictly before as_of: "<at>#<id>" < "<as_of>#" exactly when at < as_of (a response
        // at the deadline itself is still on time).
        let upper = format!("{}#", format_instant(as_of));
        let partition = keys::await_partition(shard);
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(AWAITING.name)
            .key_condition_expression("#pk = :pk AND #sk <= :upper")
            .expression_attribute_names("#pk", AWAITING.pk)
            .expression_attribute_names("#sk", AWAITING.sk)
            .expression_attribute_values(":pk", s(&partition))
            .expression_attribute_values(":upper", s(upper))
            .limit(limit)
            .set_exclusive_start_key(start.map(|p| p.0))
            .send()
            .await
            .map_err(|e| crate::error::classify("Query", e))?;
        let items = self
            .hydrate(&AWAITING, &partition, &[], out.items.unwrap_or_default())
            .await?
            .into_iter()
            .map(stored_from_item)
            .collect::<Result<_, _>>()?;
        let next = out.last_evaluated_key.filter(|k| !k.is_empty());
        Ok((items, next.map(DuePosition)))
    }
}

/// Where a shard's page of due incidents stopped (`Store::due_for_breach`): handed back as it
/// is for the next page.
#[derive(Debug, Clone)]
pub struct DuePosition(Item);
