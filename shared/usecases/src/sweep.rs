//! One SLA sweep step: every incident due at the sweep's instant gets what the domain decides
//! there (its one warning, its one breach), each written on the incident's version and stamped
//! at the write's commit. Every shard of the sparse `awaiting_response` index is read page by page
//! (`Store::due_for_breach`), within a page budget and a time limit; the index keys each incident
//! at its next signal (its warning until recorded, then its deadline), so a Query reads only what
//! is due. Each write is guarded by the incident's version, so overlapping sweeps and a racing
//! first response never record a second warning or breach.
//!
//! Shards are swept concurrently, each shard's pages and writes in order: the shards are
//! independent partitions, so this spreads reads and writes over them and bounds the writes in
//! flight to the shard count, while a shard's pagination stays a simple sequence. An incident
//! with nothing due (answered, closed, already warned or breached, by an overlapping sweep too)
//! is left alone.

use crate::Failure;
use domain::incident::{sweep_signals, ActionError, EventKind, Incident, Transition};
use domain::time::Instant;
use domain::Actor;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use store::incidents::{ApplyOutcome, DuePosition, StoredIncident};
use store::keys::AWAIT_SHARDS;
use store::{Store, StoreError};

/// The domain refused a signal for a reason other than the incident's state: the sweep itself
/// is wrong (a bug, never a client's doing).
#[derive(Debug, thiserror::Error)]
#[error("sla signal on incident {incident_id} refused: {reason}")]
pub struct UnexpectedRefusal {
    pub incident_id: String,
    pub reason: ActionError,
}

/// The domain's warning and breach rules as the system actor: what is due at `as_of`, stamped
/// at `at` (the write's commit instant).
pub fn decide(
    incident: &Incident,
    as_of: Instant,
    at: Instant,
) -> Result<Option<Transition>, UnexpectedRefusal> {
    match sweep_signals(incident, &Actor::system(), as_of, at) {
        Ok(t) => Ok(t),
        Err(ActionError::InvalidState(_)) => Ok(None),
        Err(reason) => Err(UnexpectedRefusal {
            incident_id: incident.incident_id.to_string(),
            reason,
        }),
    }
}

/// Sweeps within the plan's page budget and time limit.
pub async fn sweep<E>(store: &Store, plan: &SweepPlan) -> Swept<E>
where
    E: From<Failure> + From<UnexpectedRefusal>,
{
    sweep_due(store, plan, |incident, at| {
        decide(incident, plan.as_of, at).map_err(E::from)
    })
    .await
}

/// How much one sweep may do.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    /// Incidents whose deadline is at or before this instant are due.
    pub as_of: Instant,
    /// Items per Query page.
    pub page_size: i32,
    /// Query pages over all shards together.
    pub page_budget: u32,
    /// No new page or write starts after this moment (the invocation's deadline less a margin).
    pub stop_at: Option<std::time::Instant>,
}

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepTally {
    /// Due items read from the index.
    pub examined: u64,
    /// Breaches this sweep wrote.
    pub breached: u64,
    /// Warnings this sweep wrote.
    pub warned: u64,
    /// Due items it left alone: the decision refused (answered or breached meanwhile, possibly by
    /// an overlapping sweep), or the incident kept changing under it.
    pub skipped: u64,
    pub pages: u32,
    /// The sweep stopped (budget, time or failure) while more may be due: the next run goes on.
    pub remaining: bool,
}

impl SweepTally {
    fn add(&mut self, other: &SweepTally) {
        self.examined += other.examined;
        self.breached += other.breached;
        self.warned += other.warned;
        self.skipped += other.skipped;
        self.pages += other.pages;
        self.remaining |= other.remaining;
    }
}

/// The tally, and the first failure if the sweep was cut short by one (the tally then counts
/// the work done before it; every write it counts is durable).
#[derive(Debug)]
pub struct Swept<E> {
    pub tally: SweepTally,
    pub failure: Option<E>,
}

/// Shared by the shards of one sweep.
struct Limits<'a> {
    plan: &'a SweepPlan,
    pages_left: AtomicU32,
    abort: AtomicBool,
}

impl Limits<'_> {
    fn may_continue(&self) -> bool {
        !self.abort.load(Ordering::Relaxed)
            && self
                .plan
                .stop_at
                .is_none_or(|t| std::time::Instant::now() < t)
    }

    fn take_page(&self) -> bool {
        self.pages_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }
}

enum Written {
    /// The transition landed: how many warnings and breaches it recorded.
    Applied {
        warned: u64,
        breached: u64,
    },
    Skipped,
    /// Changed under the sweep twice: still due if still unanswered, for the next run.
    Deferred,
}

/// A store failure in the use cases' terms (`Failure::Unavailable` is worth a retry), in the
/// caller's error type.
fn failed<E: From<Failure>>(e: StoreError) -> E {
    E::from(Failure::from(e))
}

/// Sweeps every shard for incidents due at `plan.as_of`. `decide` answers, for an incident
/// as read and the instant its write would commit at, the transition to write (`Ok(None)`:
/// leave it alone). That instant is `plan.as_of`, or the incident's latest event if that is
/// later (`StoredIncident::commit_now`): signals are stamped at their commit, so `at` never
/// decreases along a timeline.
pub async fn sweep_due<E, F>(store: &Store, plan: &SweepPlan, decide: F) -> Swept<E>
where
    E: From<Failure>,
    F: Fn(&Incident, Instant) -> Result<Option<Transition>, E>,
{
    let limits = Limits {
        plan,
        pages_left: AtomicU32::new(plan.page_budget),
        abort: AtomicBool::new(false),
    };
    let shards = (0..AWAIT_SHARDS).map(|shard| sweep_shard(store, shard, &limits, &decide));
    let mut tally = SweepTally::default();
    let mut failure = None;
    for (shard_tally, shard_failure) in futures::future::join_all(shards).await {
        tally.add(&shard_tally);
        if failure.is_none() {
            failure = shard_failure;
        }
    }
    Swept { tally, failure }
}

async fn sweep_shard<E, F>(
    store: &Store,
    shard: u32,
    limits: &Limits<'_>,
    decide: &F,
) -> (SweepTally, Option<E>)
where
    E: From<Failure>,
    F: Fn(&Incident, Instant) -> Result<Option<Transition>, E>,
{
    let plan = limits.plan;
    let mut tally = SweepTally::default();
    let mut start: Option<DuePosition> = None;
    loop {
        // Here the shard is either unread or has a next page: stopping leaves work behind.
        if !limits.may_continue() || !limits.take_page() {
            tally.remaining = true;
            return (tally, None);
        }
        let (due, next) = match store
            .due_for_breach(shard, plan.as_of, plan.page_size, start.take())
            .await
        {
            Ok(page) => page,
            Err(e) => {
                limits.abort.store(true, Ordering::Relaxed);
                tally.remaining = true;
                return (tally, Some(failed(e)));
            }
        };
        tally.pages += 1;
        for stored in &due {
            if !limits.may_continue() {
                tally.remaining = true;
                return (tally, None);
            }
            tally.examined += 1;
            match signal_one(store, stored, plan.as_of, decide).await {
                Ok(Written::Applied { warned, breached }) => {
                    tally.warned += warned;
                    tally.breached += breached;
                }
                Ok(Written::Skipped) => tally.skipped += 1,
                Ok(Written::Deferred) => {
                    tally.skipped += 1;
                    tally.remaining = true;
                }
                Err(e) => {
                    limits.abort.store(true, Ordering::Relaxed);
                    tally.remaining = true;
                    return (tally, Some(e));
                }
            }
        }
        match next {
            Some(key) => start = Some(key),
            None => return (tally, None),
        }
    }
}

/// Decides on the incident as the index showed it and writes on its version; if another
/// change got there first (a response, an overlapping sweep) or the write collided with a
/// concurrent transaction, decides once more on the incident as it now is.
async fn signal_one<E, F>(
    store: &Store,
    seen: &StoredIncident,
    as_of: Instant,
    decide: &F,
) -> Result<Written, E>
where
    E: From<Failure>,
    F: Fn(&Incident, Instant) -> Result<Option<Transition>, E>,
{
    let id = &seen.incident.incident_id;
    let at = seen.commit_now(as_of);
    let Some(t) = decide(&seen.incident, at)? else {
        return Ok(Written::Skipped);
    };
    match store.apply_transition(seen, &t, at).await {
        Ok(ApplyOutcome::Applied) => return Ok(applied(&t)),
        Ok(ApplyOutcome::Conflict) => {}
        Err(e) if e.is_retryable() => {
            tracing::info!(incident_id = %id, error = %e, "sla signal write collided; re-reading");
        }
        Err(e) => return Err(failed(e)),
    }
    let Some(fresh) = store.incident(id).await.map_err(failed)? else {
        return Ok(Written::Skipped);
    };
    let at = fresh.commit_now(as_of);
    let Some(t) = decide(&fresh.incident, at)? else {
        return Ok(Written::Skipped);
    };
    match store
        .apply_transition(&fresh, &t, at)
        .await
        .map_err(failed)?
    {
        ApplyOutcome::Applied => Ok(applied(&t)),
        ApplyOutcome::Conflict => {
            tracing::warn!(incident_id = %id, "incident changed twice during its sla signal; left for the next sweep");
            Ok(Written::Deferred)
        }
    }
}

fn applied(t: &Transition) -> Written {
    let of = |kind: EventKind| t.events.iter().filter(|e| e.kind() == kind).count() as u64;
    Written::Applied {
        warned: of(EventKind::SlaWarning),
        breached: of(EventKind::SlaBreached),
    }
}
