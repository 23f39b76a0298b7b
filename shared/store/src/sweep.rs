//! The SLA sweep's reads and writes: every shard of the sparse `awaiting_response` index, page
//! by page, within a page budget and a time limit. The index keys each incident at its next
//! signal (its warning until recorded, then its deadline), so a Query reads only what is due.
//! The caller's `decide` is the decision (the domain's warning and breach rules); this module
//! writes what it is told, each write guarded by the incident's version, so overlapping sweeps
//! and a racing first response never record a second warning or breach.
//!
//! Shards are swept concurrently, each shard's pages and writes in order: the shards are
//! independent partitions, so this spreads reads and writes over them and bounds the writes in
//! flight to the shard count (no burst against one partition, no unbounded fan-out), while a
//! shard's pagination stays a simple sequence.

use crate::incidents::{incident_item, ApplyOutcome, StoredIncident};
use crate::items::Item;
use crate::keys::AWAIT_SHARDS;
use crate::{Store, StoreError};
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use domain::incident::{EventKind, Incident, Transition};
use domain::time::Instant;
use futures::{stream, TryStreamExt};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

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

impl Store {
    /// Sweeps every shard for incidents due at `plan.as_of`. `decide` answers, for an incident
    /// as read and the instant its write would commit at, the transition to write (`Ok(None)`:
    /// leave it alone). That instant is `plan.as_of`, or the incident's latest event if that is
    /// later (`StoredIncident::commit_now`): signals are stamped at their commit, so `at` never
    /// decreases along a timeline.
    pub async fn sweep_due<E, F>(&self, plan: &SweepPlan, decide: F) -> Swept<E>
    where
        E: From<StoreError>,
        F: Fn(&Incident, Instant) -> Result<Option<Transition>, E>,
    {
        let limits = Limits {
            plan,
            pages_left: AtomicU32::new(plan.page_budget),
            abort: AtomicBool::new(false),
        };
        let shards = (0..AWAIT_SHARDS).map(|shard| self.sweep_shard(shard, &limits, &decide));
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
        &self,
        shard: u32,
        limits: &Limits<'_>,
        decide: &F,
    ) -> (SweepTally, Option<E>)
    where
        E: From<StoreError>,
        F: Fn(&Incident, Instant) -> Result<Option<Transition>, E>,
    {
        let plan = limits.plan;
        let mut tally = SweepTally::default();
        let mut start: Option<Item> = None;
        loop {
            // Here the shard is either unread or has a next page: stopping leaves work behind.
            if !limits.may_continue() || !limits.take_page() {
                tally.remaining = true;
                return (tally, None);
            }
            let (due, next) = match self
                .due_for_breach(shard, plan.as_of, plan.page_size, start.take())
                .await
            {
                Ok(page) => page,
                Err(e) => {
                    limits.abort.store(true, Ordering::Relaxed);
                    tally.remaining = true;
                    return (tally, Some(e.into()));
                }
            };
            tally.pages += 1;
            for stored in &due {
                if !limits.may_continue() {
                    tally.remaining = true;
                    return (tally, None);
                }
                tally.examined += 1;
                match self.signal_one(stored, plan.as_of, decide).await {
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
        &self,
        seen: &StoredIncident,
        as_of: Instant,
        decide: &F,
    ) -> Result<Written, E>
    where
        E: From<StoreError>,
        F: Fn(&Incident, Instant) -> Result<Option<Transition>, E>,
    {
        let id = &seen.incident.incident_id;
        let at = seen.commit_now(as_of);
        let Some(t) = decide(&seen.incident, at)? else {
            return Ok(Written::Skipped);
        };
        match self.apply_transition(seen, &t, at).await {
            Ok(ApplyOutcome::Applied) => return Ok(applied(&t)),
            Ok(ApplyOutcome::Conflict) => {}
            Err(e) if e.is_retryable() => {
                tracing::info!(incident_id = %id, error = %e, "sla signal write collided; re-reading");
            }
            Err(e) => return Err(e.into()),
        }
        let Some(fresh) = self.incident(id).await? else {
            return Ok(Written::Skipped);
        };
        let at = fresh.commit_now(as_of);
        let Some(t) = decide(&fresh.incident, at)? else {
            return Ok(Written::Skipped);
        };
        match self.apply_transition(&fresh, &t, at).await? {
            ApplyOutcome::Applied => Ok(applied(&t)),
            ApplyOutcome::Conflict => {
                tracing::warn!(incident_id = %id, "incident changed twice during its sla signal; left for the next sweep");
                Ok(Written::Deferred)
            }
        }
    }
}

fn applied(t: &Transition) -> Written {
    let of = |kind: EventKind| t.events.iter().filter(|e| e.kind == kind).count() as u64;
    Written::Applied {
        warned: of(EventKind::SlaWarning),
        breached: of(EventKind::SlaBreached),
    }
}

impl Store {
    /// Benchmark and test set-up only: writes incidents exactly as intake stores them (same
    /// item, same index keys), without their timelines or pack draws, with BatchWriteItem (25 a
    /// request, `parallel` requests in flight). Never for real data: it skips every intake check.
    pub async fn load_awaiting_for_bench(
        &self,
        incidents: &[Incident],
        parallel: usize,
    ) -> Result<(), StoreError> {
        let batches = incidents
            .chunks(25)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|i| {
                        let put = PutRequest::builder()
                            .set_item(Some(incident_item(i, 1, 0)?))
                            .build()
                            .map_err(|e| StoreError::Other(e.to_string()))?;
                        Ok(WriteRequest::builder().put_request(put).build())
                    })
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        stream::iter(batches.into_iter().map(Ok))
            .try_for_each_concurrent(parallel.max(1), |batch| self.batch_write_all(batch))
            .await
    }

    /// One BatchWriteItem, resubmitting what the server left unprocessed.
    async fn batch_write_all(&self, mut requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        for attempt in 0..10u32 {
            if requests.is_empty() {
                return Ok(());
            }
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt.min(5))).await;
            }
            let out = self
                .client
                .batch_write_item()
                .set_request_items(Some(HashMap::from([(self.table.clone(), requests)])))
                .send()
                .await
                .map_err(|e| crate::error::classify("BatchWriteItem", e))?;
            requests = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&self.table))
                .unwrap_or_default();
        }
        Err(StoreError::Unavailable(
            "BatchWriteItem kept leaving items unprocessed".into(),
        ))
    }
}
