//! `make bench`: latency through the release handlers against the raw store floor, cold init,
//! peak memory, next to the zip sizes and the sweep scaling that `scripts/bench.sh` measured,
//! as one Markdown report. It prints numbers; it asserts nothing about speed. It does fail if a
//! request is answered with an unexpected status, since timing errors would mean nothing.
//!
//! Usage: `bench --help` (options in `cli.rs`). Reads `TABLE_NAME`, `AWS_ENDPOINT_URL_DYNAMODB`,
//! `AWS_REGION` and credentials, as the functions do; finds the function binaries next to its
//! own. This file runs the loads; `floor.rs` times the store floor, `results.rs` holds the
//! numbers and `report.rs` renders them.

mod cli;
mod floor;
mod report;
mod results;
mod stats;

use bench::fixtures::{
    awaiting_incident, customer_claims, engineer_claims, http_event, now, resolution_body,
    response_body, scheduled_event, submission, submission_body,
};
use bench::function::{self, Launcher, Running};
use chrono::Utc;
use clap::Parser;
use cli::Options;
use domain::catalogue::{parse_catalogue, SHIPPED_CATALOGUE};
use domain::incident::{parse_resolution, parse_response};
use domain::Actor;
use floor::{clear_table, floor_draw, floor_pack, floor_transition};
use results::{
    Results, Run, Timing, BUY, CLOSURE, FUNCTIONS, HELLO, HELLO_ECHO, INCIDENTS_PER_PACK, INTAKE,
    LIST, READ_FLOOR, RESPONSE, SWEEP_DUE, SWEEP_NONE_DUE, SWEEP_WITH_DUE,
};
use serde_json::{json, Value};
use stats::Sample;
use store::Store;

#[tokio::main]
async fn main() {
    let o = Options::parse();
    if let Err(e) = run(o).await {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

async fn run(o: Options) -> Result<(), String> {
    std::fs::create_dir_all(&o.logs).map_err(|e| format!("{}: {e}", o.logs.display()))?;
    let bin_dir = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .parent()
        .ok_or("no directory for the bench binary")?
        .to_path_buf();
    let store_env: Vec<(String, String)> = [
        "TABLE_NAME",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "CURSOR_KEY",
    ]
    .iter()
    .map(|k| {
        std::env::var(k)
            .map(|v| (k.to_string(), v))
            .map_err(|_| format!("{k} is not set (run through scripts/bench.sh)"))
    })
    .collect::<Result<_, _>>()?;
    let launcher = Launcher {
        bin_dir,
        log_dir: o.logs.clone(),
        store_env,
        runner: Vec::new(),
        unpacked: false,
        init_timeout: function::INIT_TIMEOUT,
    };
    for name in FUNCTIONS.iter().chain([&HELLO]) {
        if !launcher.binary(name).is_file() {
            return Err(format!(
                "{} is missing: build the release binaries first (scripts/bench.sh does)",
                launcher.binary(name).display()
            ));
        }
    }
    let store = Store::from_env().await.map_err(|e| e.to_string())?;
    prepare_table(&store).await?;

    let mut results = Results::default();
    let load_at_start = load_average();
    eprintln!(
        "==> latency: {} requests per handler, each next to its store floor",
        o.requests
    );
    latency(&o, &launcher, &store, &mut results).await?;
    eprintln!("==> pack-purchase and sla-sweeper under their own load");
    side_loads(&o, &launcher, &store, &mut results).await?;
    eprintln!("==> cold init: {} spawns of each binary", o.spawns);
    cold_init(&o, &launcher, &mut results).await?;

    let load_at_end = load_average();
    let zips = match &o.zips {
        Some(path) => Some(results::parse_zips(
            &std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )),
        None => None,
    };
    let env = |k: &str| std::env::var(k).unwrap_or_else(|_| "unknown".into());
    let run = Run {
        generated_at: Utc::now().format("%Y-%m-%d %H:%M").to_string(),
        commit: env("BENCH_COMMIT"),
        rustc: env("BENCH_RUSTC"),
        machine: machine(),
        load_at_start,
        load_at_end,
        requests: o.requests,
        batch: o.batch,
        spawns: o.spawns,
        pack_reads: o.pack_reads,
        sweeps: o.sweeps,
        zips,
        sweep: o
            .sweep
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok()),
    };
    let markdown = report::render(&results, &run)?;
    if let Some(dir) = o.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(&o.out, &markdown).map_err(|e| format!("{}: {e}", o.out.display()))?;
    if let Some(path) = &o.samples {
        std::fs::write(path, results::samples_json(&results).to_string())
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    print!("{markdown}");
    Ok(())
}

/// The table and the catalogue, as `local-setup` leaves them (idempotent).
async fn prepare_table(store: &Store) -> Result<(), String> {
    store::table::ensure_table(store.client(), store.table_name())
        .await
        .map_err(|e| e.to_string())?;
    for p in parse_catalogue(SHIPPED_CATALOGUE)? {
        store.put_product(&p).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The 1-minute load average: other work on the machine shows in the tails.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_string())
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, Linux {kernel}")
}

/// Calls a handler and insists on the status the API promises for a success.
async fn expect(f: &Running, event: &Value, status: u16) -> Result<function::HttpAnswer, String> {
    let a = f.http(event).await?;
    if a.status != status {
        return Err(format!(
            "{}: expected {status}, got {}: {}",
            f.name, a.status, a.body
        ));
    }
    Ok(a)
}

/// Intake, response and closure, each request next to its floor so both see the same table, in
/// batches: after each batch everything it wrote is deleted, so the first and the last request
/// see a table of the same size.
async fn latency(
    o: &Options,
    launcher: &Launcher,
    store: &Store,
    results: &mut Results,
) -> Result<(), String> {
    let intake = launcher.start("intake").await?;
    let response = launcher.start("response").await?;
    let closure = launcher.start("closure").await?;
    let packs = launcher.start("pack-purchase").await?;
    let engineer = store::ids::new_id("acct");
    let engineer_actor = Actor {
        account_id: engineer.clone(),
        email: None,
        engineer: true,
        admin: false,
    };
    let submission = submission();
    let batches = o.requests.div_ceil(o.batch);
    let mut reads = Sample::default();
    for b in 0..batches {
        let n = o.batch.min(o.requests - b * o.batch);
        // Packs: bought through the pack-purchase function, one five-pack per customer; the
        // floor's owners buy theirs straight through the store.
        let customers: Vec<String> = (0..n.div_ceil(INCIDENTS_PER_PACK))
            .map(|_| store::ids::new_id("acct"))
            .collect();
        for c in &customers {
            let event = http_event(
                "POST /packs",
                "/packs",
                &customer_claims(c),
                Some(&json!({"offer": "five_pack", "billing_country": "PL"})),
            );
            let a = expect(&packs, &event, 201).await?;
            results.handlers.entry(BUY).or_default().record(a.latency);
        }
        let mut floor_packs = Vec::new();
        for _ in &customers {
            let owner = store::ids::new_id("acct");
            let pack = floor_pack(store, &owner).await?;
            floor_packs.push((owner, pack));
        }

        let mut incidents = Vec::new();
        for i in 0..n {
            let owner = &customers[i / INCIDENTS_PER_PACK];
            let event = http_event(
                "POST /incidents",
                "/incidents",
                &customer_claims(owner),
                Some(&submission_body()),
            );
            let a = expect(&intake, &event, 201).await?;
            results
                .handlers
                .entry(INTAKE)
                .or_default()
                .record(a.latency);
            let id = a.body["incident_id"]
                .as_str()
                .ok_or("intake answered without an incident_id")?
                .to_string();
            let (owner, pack) = &floor_packs[i / INCIDENTS_PER_PACK];
            let (took, floor_id) = floor_draw(store, owner, pack, &submission).await?;
            results.floors.entry(INTAKE).or_default().push(took);
            incidents.push((id, floor_id));
        }

        for (id, floor_id) in &incidents {
            let path = format!("/incidents/{id}/responses");
            let event = http_event(
                "POST /incidents/{incident_id}/responses",
                &path,
                &engineer_claims(&engineer),
                Some(&response_body()),
            );
            let a = expect(&response, &event, 201).await?;
            results
                .handlers
                .entry(RESPONSE)
                .or_default()
                .record(a.latency);
            let action = parse_response(&response_body()).map_err(|e| format!("{e:?}"))?;
            let (read, write) = floor_transition(store, &engineer_actor, floor_id, action).await?;
            reads.push(read);
            results.floors.entry(RESPONSE).or_default().push(write);
        }

        for (id, floor_id) in &incidents {
            let path = format!("/incidents/{id}/resolution");
            let event = http_event(
                "POST /incidents/{incident_id}/resolution",
                &path,
                &engineer_claims(&engineer),
                Some(&resolution_body()),
            );
            let a = expect(&closure, &event, 200).await?;
            results
                .handlers
                .entry(CLOSURE)
                .or_default()
                .record(a.latency);
            let action = parse_resolution(&resolution_body()).map_err(|e| format!("{e:?}"))?;
            let (read, write) = floor_transition(store, &engineer_actor, floor_id, action).await?;
            reads.push(read);
            results.floors.entry(CLOSURE).or_default().push(write);
        }

        // This batch's share of the pack listings, while its packs exist.
        let share = o.pack_reads * (b + 1) / batches - o.pack_reads * b / batches;
        for i in 0..share {
            let c = &customers[i % customers.len()];
            let event = http_event("GET /packs", "/packs", &customer_claims(c), None);
            let a = expect(&packs, &event, 200).await?;
            results.handlers.entry(LIST).or_default().record(a.latency);
        }
        results.largest_table = results.largest_table.max(clear_table(store).await?);
        eprintln!("    batch {}/{batches} done", b + 1);
    }
    results.floors.insert(READ_FLOOR, reads);
    for f in [intake, response, closure, packs] {
        if let Some(kib) = f.peak_rss_kib() {
            results.peak_rss_kib.insert(function_key(&f.name), kib);
        }
        f.stop().await;
    }
    Ok(())
}

fn function_key(name: &str) -> &'static str {
    FUNCTIONS
        .iter()
        .chain([&HELLO])
        .find(|f| **f == name)
        .copied()
        .unwrap_or("?")
}

/// The sweeper's own load (scheduled sweeps), and the hello-world baseline's memory.
async fn side_loads(
    o: &Options,
    launcher: &Launcher,
    store: &Store,
    results: &mut Results,
) -> Result<(), String> {
    let sweeper = launcher.start("sla-sweeper").await?;
    // First a sweep with work to do: incidents past their deadline, written as intake stores
    // them (the sweep benchmark's loader), each breached with its own transaction.
    let at = now();
    let submission = submission();
    let overdue: Vec<_> = (0..SWEEP_DUE)
        .map(|_| {
            awaiting_incident(
                &submission,
                "acct_bench",
                "pck_bench",
                at - chrono::Duration::hours(1),
                at - chrono::Duration::hours(1),
                at - chrono::Duration::hours(3),
            )
        })
        .collect();
    store
        .load_awaiting_for_bench(&overdue, 2)
        .await
        .map_err(|e| e.to_string())?;
    let c = sweeper.invoke(&scheduled_event()).await?;
    let answer: Value = serde_json::from_slice(&c.body).unwrap_or(Value::Null);
    if !c.ok || answer["breached"].as_u64() != Some(SWEEP_DUE as u64) {
        return Err(format!(
            "sla-sweeper: expected {SWEEP_DUE} breaches, got {answer}"
        ));
    }
    results
        .handlers
        .entry(SWEEP_WITH_DUE)
        .or_default()
        .record(c.latency);
    let mut sweeps = Timing::default();
    for _ in 0..o.sweeps {
        let c = sweeper.invoke(&scheduled_event()).await?;
        let answer: Value = serde_json::from_slice(&c.body).unwrap_or(Value::Null);
        if !c.ok || answer.get("examined").is_none() {
            return Err(format!("sla-sweeper: unexpected answer {answer}"));
        }
        sweeps.record(c.latency);
    }
    results.handlers.insert(SWEEP_NONE_DUE, sweeps);
    if let Some(kib) = sweeper.peak_rss_kib() {
        results.peak_rss_kib.insert("sla-sweeper", kib);
    }
    sweeper.stop().await;

    let hello = launcher.start(HELLO).await?;
    let mut calls = Timing::default();
    for _ in 0..o.sweeps {
        let c = hello.invoke(&json!({"ping": true})).await?;
        if !c.ok {
            return Err("hello-lambda answered with an error".into());
        }
        calls.record(c.latency);
    }
    results.handlers.insert(HELLO_ECHO, calls);
    if let Some(kib) = hello.peak_rss_kib() {
        results.peak_rss_kib.insert(HELLO, kib);
    }
    hello.stop().await;
    Ok(())
}

/// Spawn → first `GET …/invocation/next`, the binaries taking turns so drift hits all alike.
async fn cold_init(o: &Options, launcher: &Launcher, results: &mut Results) -> Result<(), String> {
    for _ in 0..o.spawns {
        for name in [HELLO].iter().chain(FUNCTIONS.iter()) {
            let f = launcher.start(name).await?;
            results.init.entry(name).or_default().push(f.init);
            f.stop().await;
        }
    }
    Ok(())
}
