//! Writing incidents: intake's one transaction and version-guarded transitions.

use super::items::{event_item, incident_item, note_item};
use super::{
    Answered, ApplyOutcome, CreateOutcome, IncidentHead, ParentChange, StoredIncident,
    LAST_EVENT_AT, NOTE_COUNT, TIMELINE_PAGE_MAX,
};
use crate::idempotency::IdempotencyWrite;
use crate::items::{check, key_attrs, n, put, put_new, s, to_item, with, Cond, Item};
use crate::keys;
use crate::packs::{
    bump_generation, draw_unit, generation_unchanged, return_unit, unlist_used_up, LedgerEntry,
    LedgerKind, PackDraw,
};
use crate::{Page, Store, StoreError};
use aws_sdk_dynamodb::types::TransactWriteItem;
use domain::incident::{Event, Incident, Transition};
use domain::time::{format_instant, Instant};

/// One attempt at intake's transaction.
enum DrawOnce {
    Done(CreateOutcome),
    /// Only the clean-up of listed used-up packs failed: nothing was written.
    CleanUpFailed,
}

/// The first timeline page once `t` is written on a timeline read whole: the events read, then
/// the new ones, at most a page, and the position after the page's last event if more follow
/// (the same position `Store::incident_events` hands out).
fn first_page_after(
    incident_id: &str,
    read: &[Event],
    t: &Transition,
) -> (Vec<Event>, Option<String>) {
    let max = usize::try_from(TIMELINE_PAGE_MAX).unwrap_or(100);
    let new: &[Event] = if t.no_op { &[] } else { &t.events };
    // The customer's timeline: internal notes are never part of it.
    let all: Vec<Event> = read
        .iter()
        .chain(new.iter().filter(|e| !e.kind().is_internal()))
        .cloned()
        .collect();
    if all.len() <= max {
        return (all, None);
    }
    let next = crate::paging::encode(&keys::event(incident_id, max as u64).to_item());
    (all.into_iter().take(max).collect(), next)
}

/// The writes of a transition: the incident (guarded by version), its new events, and a refund's
/// credit plus unit. Index 0 is always the guarded incident; the second value is the index of a
/// refund's unit, whose condition names the pack's owner: `refund_owner`, or the incident's own
/// account (the pack's owner unless a claim moved it since).
fn transition_items(
    table: &str,
    stored: &StoredIncident,
    t: &Transition,
    now: Instant,
    refund_owner: Option<&str>,
) -> Result<(Vec<TransactWriteItem>, Option<usize>), StoreError> {
    let id = &stored.incident.incident_id;
    // Internal notes go to their own range (`keys::note`), everything else to the timeline.
    let (notes, events): (Vec<&Event>, Vec<&Event>) =
        t.events.iter().partition(|e| e.kind().is_internal());
    let event_count = stored.event_count + events.len() as u64;
    let note_count = stored.note_count + notes.len() as u64;
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
            last_event_at
                .map(|at| (LAST_EVENT_AT, s(format_instant(at))))
                .into_iter()
                .chain((note_count > 0).then(|| (NOTE_COUNT, n(note_count)))),
        ),
        Cond::new("version = :v").value(":v", n(stored.version)),
    )?];
    for (i, event) in events.into_iter().enumerate() {
        items.push(put_new(
            table,
            event_item(id, stored.event_count + 1 + i as u64, event)?,
        )?);
    }
    // A note written with other events (none today) would sort after them.
    for (i, note) in notes.into_iter().enumerate() {
        items.push(put_new(
            table,
            note_item(id, event_count, stored.note_count + 1 + i as u64, note)?,
        )?);
    }
    // Proposals a closure withdraws, each only if still undecided (a decision that got in
    // first moved the incident's version too, so the round decides again).
    for proposal in &t.withdrawn {
        let key = keys::proposal(&proposal.incident_id, &proposal.proposal_id);
        items.push(put(
            table,
            with(to_item(proposal)?, key_attrs(&key)),
            Cond::new("#status = :proposed")
                .name("#status", "status")
                .value(":proposed", s("proposed")),
        )?);
    }
    // The owners' open-incident counts move with the change of the open owner, or not at all.
    items.extend(crate::engineers::owner_count_items(
        table,
        &stored.incident,
        &t.incident,
    )?);
    // The report's count moves in the transaction that settles the outcome, or not at all.
    if let Some(counter) = crate::reports::settle_item(table, &stored.incident, &t.incident)? {
        items.push(counter);
    }
    // A rating's counts move with the rating (a replaced one leaves its old counter).
    items.extend(crate::reports::satisfaction_items(
        table,
        &stored.incident,
        &t.incident,
    )?);
    // Every staff decision the transition makes is audited in its own transaction.
    for entry in domain::audit::of_transition(&stored.incident, t) {
        items.push(crate::audit::entry_item(table, &entry)?);
    }
    if t.refund {
        let credit = LedgerEntry {
            pack_id: t.incident.pack_id.to_string(),
            kind: LedgerKind::Credit,
            units: 1,
            reference: id.to_string(),
            account_id: t.incident.account_id.to_string(),
            at: format_instant(now),
        };
        let owner = refund_owner.unwrap_or(&t.incident.account_id);
        let at = items.len();
        items.push(return_unit(table, &t.incident.pack_id, owner)?);
        items.push(credit.transact_item(table)?);
        // A pack that gets a unit back may now be the owner's soonest-expiring usable pack.
        items.push(bump_generation(table, owner, &t.incident.pack_id, now)?);
        return Ok((items, Some(at)));
    }
    Ok((items, None))
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
        self.draw_and_create(
            incident,
            submitted,
            now,
            idempotency,
            parent,
            PackDraw::default(),
        )
        .await
    }

    /// `create_incident` from a pack as it was read (`PackDraw`): keeps the `usable_packs` index
    /// exact, taking listed used-up packs out in the same transaction. Should only such a
    /// clean-up fail (a refund gave the pack a unit meanwhile), the draw is written without it.
    pub async fn draw_and_create(
        &self,
        incident: &Incident,
        submitted: &Event,
        now: Instant,
        idempotency: Option<&IdempotencyWrite>,
        parent: Option<ParentChange<'_>>,
        draw: PackDraw<'_>,
    ) -> Result<CreateOutcome, StoreError> {
        let outcome = self
            .draw_once(
                incident,
                submitted,
                now,
                idempotency,
                parent.as_ref(),
                &draw,
            )
            .await?;
        match outcome {
            DrawOnce::Done(outcome) => Ok(outcome),
            DrawOnce::CleanUpFailed => {
                let without = PackDraw {
                    used_up: &[],
                    ..draw
                };
                match self
                    .draw_once(
                        incident,
                        submitted,
                        now,
                        idempotency,
                        parent.as_ref(),
                        &without,
                    )
                    .await?
                {
                    DrawOnce::Done(outcome) => Ok(outcome),
                    DrawOnce::CleanUpFailed => Err(StoreError::Other(
                        "a draw without clean-up reported a clean-up failure".into(),
                    )),
                }
            }
        }
    }

    async fn draw_once(
        &self,
        incident: &Incident,
        submitted: &Event,
        now: Instant,
        idempotency: Option<&IdempotencyWrite>,
        parent: Option<&ParentChange<'_>>,
        draw: &PackDraw<'_>,
    ) -> Result<DrawOnce, StoreError> {
        let id = &incident.incident_id;
        let debit = LedgerEntry {
            pack_id: incident.pack_id.to_string(),
            kind: LedgerKind::Debit,
            units: -1,
            reference: id.to_string(),
            account_id: incident.account_id.to_string(),
            at: format_instant(now),
        };
        let mut items = vec![
            draw_unit(
                &self.table,
                &incident.pack_id,
                &incident.account_id,
                now,
                draw,
            )?,
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
        let number_at = items.len();
        items.push(put_new(
            &self.table,
            with(
                Item::new(),
                key_attrs(&keys::incident_number(&incident.number))
                    .into_iter()
                    .chain([
                        ("incident_id", s(id)),
                        ("account_id", s(&incident.account_id)),
                    ]),
            ),
        )?);
        let idempotency_at = idempotency.map(|_| items.len());
        if let Some(w) = idempotency {
            items.push(crate::idempotency::transact_item(w, &self.table)?);
        }
        let parent_at = parent.map(|_| items.len());
        if let Some(p) = parent {
            items.extend(transition_items(&self.table, p.parent, p.transition, now, None)?.0);
            let proposal_key = keys::proposal(&p.proposal.incident_id, &p.proposal.proposal_id);
            items.push(put(
                &self.table,
                with(to_item(p.proposal)?, key_attrs(&proposal_key)),
                Cond::new("#status = :proposed")
                    .name("#status", "status")
                    .value(":proposed", s("proposed")),
            )?);
        }
        let clean_up = items.len()..items.len() + draw.used_up.len();
        for pack_id in draw.used_up {
            items.push(unlist_used_up(&self.table, pack_id)?);
        }
        let generation_at = draw.generation.map(|_| items.len());
        if let Some(generation) = draw.generation {
            items.push(generation_unchanged(
                &self.table,
                &incident.account_id,
                generation,
            )?);
        }
        if let Some(email) = draw.remember_email {
            items.push(crate::profiles::email_item(
                &self.table,
                &incident.account_id,
                email,
            )?);
        }
        let done = |outcome| Ok(DrawOnce::Done(outcome));
        match self.transact_keeping_old(items).await {
            Ok(()) => done(CreateOutcome::Created),
            Err((e, mut old)) => match (idempotency, idempotency_at) {
                (Some(w), Some(i)) if e.condition_failed_at(i) => {
                    let handed_back = old.get_mut(i).and_then(Option::take);
                    done(CreateOutcome::Replayed(
                        self.replayed_record(w, handed_back).await?,
                    ))
                }
                _ if parent_at.is_some_and(|i| e.condition_failed_at(i)) => {
                    done(CreateOutcome::ParentChanged)
                }
                _ if e.condition_failed_at(number_at) => done(CreateOutcome::NumberTaken),
                // The pack, or the choice of it (a pack became usable since): read again.
                _ if e.condition_failed_at(0)
                    || generation_at.is_some_and(|i| e.condition_failed_at(i)) =>
                {
                    done(CreateOutcome::PackUnusable)
                }
                _ if clean_up.clone().any(|i| e.condition_failed_at(i)) => {
                    Ok(DrawOnce::CleanUpFailed)
                }
                _ => Err(e),
            },
        }
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
        let (mut items, refund_at) = transition_items(&self.table, stored, t, now, None)?;
        if let Some(i) = refund_at {
            items.extend(extra.clone());
            let owner = match self.transact(items).await {
                // A claim moved the pack since it was drawn from: the unit goes to its owner now.
                Err(e) if e.condition_failed_at(i) => self
                    .pack(&t.incident.pack_id)
                    .await?
                    .map(|p| p.owner_account_id)
                    .ok_or_else(|| {
                        StoreError::Other(format!(
                            "the refund's pack {} is missing",
                            t.incident.pack_id
                        ))
                    })?,
                other => return Self::applied(other),
            };
            items = transition_items(&self.table, stored, t, now, Some(&owner))?.0;
        }
        items.extend(extra);
        Self::applied(self.transact(items).await)
    }

    fn applied(result: Result<(), StoreError>) -> Result<ApplyOutcome, StoreError> {
        match result {
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

    /// One round's read of a change answered with the incident (`usecases::change`): the
    /// incident with its timeline in one Query (`incident_head`; `first`, if given, is that read
    /// already made), and with `with_proposals` (a closure, which withdraws them) its open
    /// sub-problem proposals beside it, in `StoredIncident::open_proposals` — a proposal made
    /// after the read moves the version, so a round that missed it does not land. `None` when
    /// the incident does not exist.
    pub async fn read_for_change(
        &self,
        incident_id: &str,
        first: Option<IncidentHead>,
        with_proposals: bool,
    ) -> Result<Option<IncidentHead>, StoreError> {
        let proposals = async {
            if with_proposals {
                self.open_proposals(incident_id).await
            } else {
                Ok(Vec::new())
            }
        };
        let (mut head, proposals) = match first {
            Some(head) => (head, proposals.await?),
            None => {
                let (head, proposals) = tokio::join!(self.incident_head(incident_id), proposals);
                match head? {
                    Some(head) => (head, proposals?),
                    None => return Ok(None),
                }
            }
        };
        head.stored.open_proposals = proposals;
        Ok(Some(head))
    }

    /// Writes `t`, decided at `now` on the incident as `head` read it, if the incident is still
    /// at that version, and answers from what was read plus the new events — no read after the
    /// write. Only an incident with more than a page of events has its first page read, beside
    /// the write (events never change once written). `None`: another change landed first;
    /// nothing was written (decide again on a fresh read).
    pub async fn apply_answered(
        &self,
        head: IncidentHead,
        t: Transition,
        now: Instant,
    ) -> Result<Option<Answered>, StoreError> {
        let stored = head.stored;
        let incident_id = stored.incident.incident_id.clone();
        let first_page = Page {
            limit: TIMELINE_PAGE_MAX,
            cursor: None,
        };
        let (applied, (first_page, next)) = match &head.timeline {
            Some(events) => (
                self.apply_transition(&stored, &t, now).await?,
                first_page_after(&incident_id, events, &t),
            ),
            None => {
                let (applied, page) = tokio::join!(
                    self.apply_transition(&stored, &t, now),
                    self.incident_events(&incident_id, &first_page)
                );
                (applied?, page?)
            }
        };
        Ok((applied == ApplyOutcome::Applied).then_some(Answered {
            before: stored,
            transition: t,
            first_page,
            next,
        }))
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
