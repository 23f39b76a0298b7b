//! Breach-sweep benchmark: does a sweep's cost follow the incidents due, not the table size?
//!
//! For each size (`SWEEP_BENCH_SIZES`, default `1000,100000`) it creates a fresh table on the
//! server named by `AWS_ENDPOINT_URL_DYNAMODB`, loads that many incidents awaiting a first
//! response — the same `SWEEP_BENCH_DUE` (default 100) due, the rest due tomorrow — and runs the
//! sweeper's own loop (`usecases::sweep::sweep_due`, the Lambda's page size and budget):
//! - a read pass, whose decision leaves every incident alone: the sweep's Queries and paging
//!   (five runs, the median reported);
//! - the full sweep with the Lambda's decision (reads plus one breach transaction per due
//!   incident), for sizes up to `SWEEP_BENCH_BREACH_MAX` (default: every size).
//!
//! It prints a Markdown table. The local server is moto with infra/local/moto_patches.py, which
//! gives it DynamoDB's cost model where this depends on it: an index Query reads its partition's
//! key range, not the table, and a transaction backs up the items it names, not the table (stock
//! moto walks every item per Query and deep-copies the table per transaction, so its times grew
//! with the table whatever the sweep did). The `probe` columns time one Query of an empty shard
//! range and one transaction whose condition fails, on the same table: the server's own cost per
//! call at that size. Items read is what DynamoDB bills, and what the design bounds.
//!
//! Run: `AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:PORT AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local
//! AWS_SECRET_ACCESS_KEY=local cargo run -p e2e --bin sweep-bench`

use chrono::{Duration, SubsecRound, Utc};
use domain::incident::{apply, Action, ActionError, Incident, Transition};
use domain::time::Instant;
use domain::Actor;
use std::time::Instant as Clock;
use store::{Store, StoreError};
use usecases::sweep::SweepPlan;
use usecases::Failure;

/// Read passes per size; the median is reported.
const READ_REPEATS: usize = 5;

struct Row {
    size: usize,
    due: usize,
    load_s: f64,
    read: Pass,
    sweep: Option<Pass>,
    probe_query_ms: f64,
    probe_write_ms: f64,
}

struct Pass {
    examined: u64,
    breached: u64,
    pages: u32,
    ms: f64,
}

fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter_map(|s| s.trim().replace('_', "").parse().ok())
        .collect()
}

fn ms(since: Clock) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// The Lambda's decision: breach what the domain says is due at the write's commit instant
/// (never before the sweep's), leave the rest.
fn breach() -> impl Fn(&Incident, Instant) -> Result<Option<Transition>, Failure> {
    let system = Actor::system();
    move |incident, at| match apply(incident, &system, Action::Breach, at) {
        Ok(t) => Ok(Some(t)),
        Err(ActionError::InvalidState(_)) => Ok(None),
        Err(e) => Err(Failure::Internal(format!("unexpected refusal: {e}"))),
    }
}

fn incidents(size: usize, due: usize, as_of: Instant) -> Vec<Incident> {
    let submission = bench::fixtures::submission();
    (0..size)
        .map(|i| {
            let deadline = if i < due {
                as_of - Duration::hours(1)
            } else {
                // Not due: spread over the next day, so the index holds many distinct keys.
                as_of + Duration::days(1) + Duration::seconds(i as i64)
            };
            // The warning with the deadline: one signal per incident, as before warnings.
            bench::fixtures::awaiting_incident(
                &submission,
                "acct_bench",
                "pack_bench",
                deadline,
                deadline,
                as_of - Duration::hours(3),
            )
        })
        .collect()
}

/// One Query of an empty range of a shard and one transaction whose condition fails (nothing
/// changes): the server's own cost per call at this table size, whatever is due. Median of 3.
async fn probes(store: &Store, as_of: Instant) -> Result<(f64, f64), StoreError> {
    let long_ago = as_of - Duration::days(3650);
    let ghost = incidents(1, 1, as_of).remove(0);
    let stored = store::incidents::StoredIncident {
        incident: ghost.clone(),
        version: 7,
        event_count: 0,
        note_count: 0,
        open_proposals: Vec::new(),
        last_event_at: None,
    };
    let t = apply(&ghost, &Actor::system(), Action::Breach, as_of)
        .map_err(|e| StoreError::Other(e.to_string()))?;
    let (mut queries, mut writes) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let started = Clock::now();
        let (found, _) = store.due_for_breach(0, long_ago, 100, None).await?;
        assert!(found.is_empty());
        queries.push(ms(started));
        let started = Clock::now();
        let outcome = store.apply_transition(&stored, &t, as_of).await?;
        assert_eq!(outcome, store::incidents::ApplyOutcome::Conflict);
        writes.push(ms(started));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Ok((median(queries), median(writes)))
}

async fn pass<F>(store: &Store, as_of: Instant, decide: F) -> Result<Pass, StoreError>
where
    F: Fn(&Incident, Instant) -> Result<Option<Transition>, Failure>,
{
    let plan = SweepPlan {
        as_of,
        page_size: 100,
        page_budget: 50,
        stop_at: None,
    };
    let started = Clock::now();
    let swept = usecases::sweep::sweep_due(store, &plan, decide).await;
    let ms = ms(started);
    if let Some(e) = swept.failure {
        return Err(StoreError::Other(e.to_string()));
    }
    Ok(Pass {
        examined: swept.tally.examined,
        breached: swept.tally.breached,
        pages: swept.tally.pages,
        ms,
    })
}

async fn run(size: usize, due: usize, breach_max: usize) -> Result<Row, StoreError> {
    let store = store::testkit::fresh_store().await?;
    let as_of = Utc::now().trunc_subsecs(0);
    let all = incidents(size, due.min(size), as_of);
    let started = Clock::now();
    for (i, chunk) in all.chunks(10_000).enumerate() {
        store.load_awaiting_for_bench(chunk, 4).await?;
        eprintln!(
            "  {size}: loaded {} in {:.0} s",
            (i * 10_000 + chunk.len()),
            started.elapsed().as_secs_f64()
        );
    }
    let load_s = started.elapsed().as_secs_f64();
    // The read pass changes nothing, so it is repeated and the median run reported.
    let mut reads = Vec::new();
    for _ in 0..READ_REPEATS {
        let read = pass(&store, as_of, |_: &Incident, _| Ok(None)).await?;
        eprintln!("  read pass: {} items in {:.0} ms", read.examined, read.ms);
        reads.push(read);
    }
    reads.sort_by(|a, b| a.ms.total_cmp(&b.ms));
    let read = reads.swap_remove(reads.len() / 2);
    let (probe_query_ms, probe_write_ms) = probes(&store, as_of).await?;
    eprintln!("  probes: Query {probe_query_ms:.0} ms, transaction {probe_write_ms:.0} ms");
    let sweep = if size <= breach_max {
        let p = pass(&store, as_of, breach()).await?;
        eprintln!("  sweep: breached {} in {:.0} ms", p.breached, p.ms);
        Some(p)
    } else {
        None
    };
    let _ = store.delete_table().await;
    Ok(Row {
        size,
        due: due.min(size),
        load_s,
        read,
        sweep,
        probe_query_ms,
        probe_write_ms,
    })
}

fn print(rows: &[Row]) {
    println!("| incidents awaiting | due | items read | pages | read pass ms (median of 5) | read ms / page | breached | full sweep ms | probe: 1 Query ms | probe: 1 transaction ms | load s |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let (breached, sweep_ms) = match &r.sweep {
            Some(p) => (p.breached.to_string(), format!("{:.0}", p.ms)),
            None => ("not run".into(), "not run".into()),
        };
        println!(
            "| {} | {} | {} | {} | {:.0} | {:.0} | {} | {} | {:.1} | {:.1} | {:.0} |",
            r.size,
            r.due,
            r.read.examined,
            r.read.pages,
            r.read.ms,
            r.read.ms / f64::from(r.read.pages.max(1)),
            breached,
            sweep_ms,
            r.probe_query_ms,
            r.probe_write_ms,
            r.load_s
        );
    }
    if let [small, .., large] = rows {
        let ratio = |a: f64, b: f64| a / b.max(0.001);
        println!(
            "\nRatio {} / {}: items read {:.2}; read pass time {:.2}; moto's own cost per call: Query {:.2}, transaction {:.2}.",
            large.size,
            small.size,
            ratio(large.read.examined as f64, small.read.examined as f64),
            ratio(large.read.ms, small.read.ms),
            ratio(large.probe_query_ms, small.probe_query_ms),
            ratio(large.probe_write_ms, small.probe_write_ms),
        );
        if let (Some(a), Some(b)) = (&small.sweep, &large.sweep) {
            println!("Full sweep time ratio: {:.2}.", ratio(b.ms, a.ms));
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Loading 100,000 items keeps the one-request-at-a-time server busy: raise the store's
    // timeouts unless set. Set before the runtime starts any thread.
    for (name, value) in [
        ("STORE_ATTEMPT_TIMEOUT_MS", "600000"),
        ("STORE_OPERATION_TIMEOUT_MS", "1800000"),
    ] {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
    let sizes = env_list("SWEEP_BENCH_SIZES", "1000,100000");
    let due = env_list("SWEEP_BENCH_DUE", "100")
        .first()
        .copied()
        .unwrap_or(100);
    let breach_max = env_list("SWEEP_BENCH_BREACH_MAX", "")
        .first()
        .copied()
        .unwrap_or(usize::MAX);
    let runtime = tokio::runtime::Runtime::new()?;
    let mut rows = Vec::new();
    for size in sizes {
        eprintln!("table of {size} awaiting incidents, {due} due ...");
        rows.push(runtime.block_on(run(size, due, breach_max))?);
    }
    print(&rows);
    Ok(())
}
