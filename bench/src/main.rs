//! `make bench`: latency through the release handlers against the raw store floor, cold init,
//! peak memory, next to the zip sizes and the sweep scaling that `scripts/bench.sh` measured,
//! as one Markdown report. It prints numbers; it asserts nothing about speed. It does fail if a
//! request is answered with an unexpected status, since timing errors would mean nothing.
//!
//! Usage: `bench --help` (options in `cli.rs`). Reads `TABLE_NAME`, `AWS_ENDPOINT_URL_DYNAMODB`,
//! `AWS_REGION`, credentials, `CURSOR_KEY`, `RATING_TOKEN_KEY` and the attachments bucket's settings, as the
//! functions do; finds the function binaries next to its
//! own. This file runs the loads; `floor.rs` times the store floor, `calls.rs` reads the local
//! server's log of each request's store calls, `results.rs` holds the numbers and `report.rs`
//! renders them.

mod calls;
mod cli;
mod floor;
mod report;
mod results;
mod stats;

use bench::fixtures::{
    awaiting_incident, claim_body, customer_claims, engineer_claims, http_event, now,
    refund_resolution_body, resolution_body, response_body, scheduled_event, submission,
    submission_body, with_query,
};
use bench::function::{self, Launcher, Running, ALL_FUNCTIONS};
use calls::{Recorder, RequestCalls};
use chrono::Utc;
use clap::Parser;
use cli::Options;
use domain::catalogue::{parse_catalogue, SHIPPED_CATALOGUE};
use domain::incident::{parse_resolution, parse_response};
use domain::Actor;
use floor::{clear_table, floor_draw, floor_find_and_draw, floor_pack, floor_transition};
use results::{
    Results, Run, Throughput, Timing, BUY, CLAIM, CLOSURE, CONCURRENCY, ENGINEERS,
    FIND_AND_DRAW_FLOOR, HAND_OFF, HELLO, HELLO_ECHO, INCIDENTS_PER_PACK, INTAKE, INTAKE_FIRST,
    INTAKE_NAMED, INTAKE_NAMED_FIRST, LIST, OWNED_OPEN_LIST, OWNERSHIP, OWNER_FILTERED_LIST,
    QUEUE_MINE, READ_FLOOR, REFUND, RESPONSE, SEVERITY_LIST, SWEEP_DUE, SWEEP_NONE_DUE,
    SWEEP_WITH_DUE, TAKE,
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
        // closure verifies rating links (issue 28) and will not start without the key.
        "RATING_TOKEN_KEY",
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
    let needed: Vec<&str> = if o.only_ownership {
        vec!["intake", "response", "pack-purchase"]
    } else {
        ALL_FUNCTIONS.iter().chain([&HELLO]).copied().collect()
    };
    for name in needed {
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
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
    let mut rec = Recorder::connect(&endpoint).await?;
    results.calls_recorded = rec.is_some();
    if rec.is_none() {
        eprintln!(
            "    the local server does not record its calls (start it with \
             LOCAL_DYNAMODB_RECORD=1): no call counts in this report"
        );
    }
    if o.only_ownership {
        eprintln!("==> {} of each ownership route (store calls)", o.extras);
        ownership(&o, &launcher, &mut rec, &mut results).await?;
        print!("{}", ownership_rows(&results));
        return Ok(());
    }
    let load_at_start = load_average();
    eprintln!(
        "==> latency: {} requests per handler, each next to its store floor",
        o.requests
    );
    latency(&o, &launcher, &store, &mut rec, &mut results).await?;
    eprintln!(
        "==> {} refund closures and pack claims (store calls)",
        o.extras
    );
    refunds_and_claims(&o, &launcher, &store, &mut rec, &mut results).await?;
    eprintln!("==> {} of each ownership route (store calls)", o.extras);
    ownership(&o, &launcher, &mut rec, &mut results).await?;
    eprintln!("==> pack-purchase and sla-sweeper under their own load");
    side_loads(&o, &launcher, &store, &mut rec, &mut results).await?;
    eprintln!(
        "==> throughput: {} intakes at concurrency {CONCURRENCY:?}",
        o.throughput
    );
    throughput(&o, &launcher, &store, &mut rec, &mut results).await?;
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
        extras: o.extras,
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

/// Forgets the store calls made so far (set-up, floors): the next request's are counted alone.
async fn mark(rec: &mut Option<Recorder>) -> Result<(), String> {
    match rec {
        Some(r) => r.skip().await,
        None => Ok(()),
    }
}

/// The store calls made since the last `mark`, as one request of `label`.
async fn count(
    rec: &mut Option<Recorder>,
    results: &mut Results,
    label: &'static str,
) -> Result<(), String> {
    if let Some(r) = rec {
        let calls = r.take().await?;
        results
            .calls
            .entry(label)
            .or_default()
            .push(RequestCalls::of(&calls));
    }
    Ok(())
}

/// Intake, response and closure, each request next to its floor so both see the same table, in
/// batches: after each batch everything it wrote is deleted, so the first and the last request
/// see a table of the same size.
async fn latency(
    o: &Options,
    launcher: &Launcher,
    store: &Store,
    rec: &mut Option<Recorder>,
    results: &mut Results,
) -> Result<(), String> {
    let intake = launcher.start("intake").await?;
    let response = launcher.start("response").await?;
    let closure = launcher.start("closure").await?;
    let packs = launcher.start("pack-purchase").await?;
    let engineer = store::ids::new_id("acct");
    let engineer_actor = Actor {
        account_id: engineer.clone().into(),
        email: None,
        name: None,
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
        // Every other customer names its pack in the submission, as the console does.
        let mut pack_ids = Vec::new();
        for c in &customers {
            let event = http_event(
                "POST /packs",
                "/packs",
                &customer_claims(c),
                Some(&json!({"offer": "five_pack", "billing_country": "PL"})),
            );
            mark(rec).await?;
            let a = expect(&packs, &event, 201).await?;
            count(rec, results, BUY).await?;
            results.handlers.entry(BUY).or_default().record(a.latency);
            pack_ids.push(
                a.body["pack_id"]
                    .as_str()
                    .ok_or("POST /packs answered without a pack_id")?
                    .to_string(),
            );
        }
        let mut floor_packs = Vec::new();
        for _ in &customers {
            let owner = store::ids::new_id("acct");
            let pack = floor_pack(store, &owner).await?;
            floor_packs.push((owner, pack));
        }

        let mut incidents = Vec::new();
        for i in 0..n {
            let customer = i / INCIDENTS_PER_PACK;
            let owner = &customers[customer];
            let named = (b * customers.len() + customer).is_multiple_of(2);
            let first = i % INCIDENTS_PER_PACK == 0;
            let mut body = submission_body();
            if named {
                body["pack_id"] = json!(pack_ids[customer]);
            }
            let label = match (named, first) {
                (true, true) => INTAKE_NAMED_FIRST,
                (true, false) => INTAKE_NAMED,
                (false, true) => INTAKE_FIRST,
                (false, false) => INTAKE,
            };
            let event = http_event(
                "POST /incidents",
                "/incidents",
                &customer_claims(owner),
                Some(&body),
            );
            mark(rec).await?;
            let a = expect(&intake, &event, 201).await?;
            count(rec, results, label).await?;
            results.handlers.entry(label).or_default().record(a.latency);
            let id = a.body["incident_id"]
                .as_str()
                .ok_or("intake answered without an incident_id")?
                .to_string();
            let (owner, pack) = &floor_packs[i / INCIDENTS_PER_PACK];
            let (took, floor_id) = floor_draw(store, owner, pack, &submission).await?;
            results.floors.entry(INTAKE).or_default().push(took);
            if label == INTAKE_FIRST {
                let took = floor_find_and_draw(store, &submission).await?;
                results
                    .floors
                    .entry(FIND_AND_DRAW_FLOOR)
                    .or_default()
                    .push(took);
            }
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
            mark(rec).await?;
            let a = expect(&response, &event, 201).await?;
            count(rec, results, RESPONSE).await?;
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
            mark(rec).await?;
            let a = expect(&closure, &event, 200).await?;
            count(rec, results, CLOSURE).await?;
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
            mark(rec).await?;
            let a = expect(&packs, &event, 200).await?;
            count(rec, results, LIST).await?;
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
    ALL_FUNCTIONS
        .iter()
        .chain([&HELLO])
        .find(|f| **f == name)
        .copied()
        .unwrap_or("?")
}

/// Assignments (a take, then a hand-off with a note) and the lists ownership added, `o.extras`
/// of each, for their store calls. Both engineers have used each function before anything is
/// counted, so the identity hook's registration (one conditional write per process and
/// engineer) is not in the counts.
async fn ownership(
    o: &Options,
    launcher: &Launcher,
    rec: &mut Option<Recorder>,
    results: &mut Results,
) -> Result<(), String> {
    let packs = launcher.start("pack-purchase").await?;
    let intake = launcher.start("intake").await?;
    let response = launcher.start("response").await?;
    let (first, second) = (store::ids::new_id("acct"), store::ids::new_id("acct"));
    let engineer = |id: &str| {
        let mut claims = engineer_claims(id);
        claims["email"] = json!(format!("{id}@example.com"));
        claims["name"] = json!(format!("Engineer {id}"));
        claims
    };
    for e in [&first, &second] {
        let warm = http_event("GET /engineers", "/engineers", &engineer(e), None);
        expect(&response, &warm, 200).await?;
        let warm = http_event("GET /incidents", "/incidents", &engineer(e), None);
        expect(&intake, &warm, 200).await?;
    }
    let lists: [(&'static str, &Running, &str, &str, &str); 5] = [
        (
            OWNED_OPEN_LIST,
            &intake,
            "GET /incidents",
            "/incidents",
            "owner=me&open=true",
        ),
        (
            OWNER_FILTERED_LIST,
            &intake,
            "GET /incidents",
            "/incidents",
            "owner=me&severity=C",
        ),
        (
            SEVERITY_LIST,
            &intake,
            "GET /incidents",
            "/incidents",
            "severity=C&sla=pending",
        ),
        (QUEUE_MINE, &response, "GET /queue", "/queue", "owner=me"),
        (ENGINEERS, &response, "GET /engineers", "/engineers", ""),
    ];
    for _ in 0..o.extras {
        let owner = store::ids::new_id("acct");
        let buy = http_event(
            "POST /packs",
            "/packs",
            &customer_claims(&owner),
            Some(&json!({"offer": "single", "billing_country": "PL"})),
        );
        expect(&packs, &buy, 201).await?;
        let submit = http_event(
            "POST /incidents",
            "/incidents",
            &customer_claims(&owner),
            Some(&submission_body()),
        );
        let a = expect(&intake, &submit, 201).await?;
        let id = a.body["incident_id"]
            .as_str()
            .ok_or("intake answered without an incident_id")?
            .to_string();
        let path = format!("/incidents/{id}/assignment");
        for (label, claims, body) in [
            (TAKE, engineer(&first), json!({"owner_account_id": first})),
            (
                HAND_OFF,
                engineer(&first),
                json!({"owner_account_id": second, "note": "Off shift: over to you."}),
            ),
        ] {
            let event = http_event(
                "POST /incidents/{incident_id}/assignment",
                &path,
                &claims,
                Some(&body),
            );
            mark(rec).await?;
            let a = expect(&response, &event, 200).await?;
            count(rec, results, label).await?;
            results.handlers.entry(label).or_default().record(a.latency);
        }
        for (label, function, route, path, query) in lists {
            let event = with_query(http_event(route, path, &engineer(&second), None), query);
            mark(rec).await?;
            let a = expect(function, &event, 200).await?;
            count(rec, results, label).await?;
            results.handlers.entry(label).or_default().record(a.latency);
        }
    }
    for f in [packs, intake, response] {
        f.stop().await;
    }
    Ok(())
}

/// Section 6's rows for the ownership routes alone (`--only-ownership`).
fn ownership_rows(results: &Results) -> String {
    let mut out = String::from(
        "| function: route | n | calls by operation (p50) | calls p50 | round trips p50 | round trips max | write units p50 | of which index p50 |\n|---|---:|---|---:|---:|---:|---:|---:|\n",
    );
    for label in OWNERSHIP {
        let Some(requests) = results.calls.get(label).filter(|c| !c.is_empty()) else {
            out.push_str(&format!("| {label} | 0 | not recorded | | | | | |\n"));
            continue;
        };
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[(v.len() - 1) / 2]
        };
        let max = |v: Vec<f64>| v.into_iter().fold(0.0, f64::max);
        let mix = requests[requests.len() / 2]
            .by_op
            .iter()
            .map(|(op, n)| format!("{op} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let trips: Vec<f64> = requests.iter().map(|c| c.round_trips as f64).collect();
        out.push_str(&format!(
            "| {label} | {} | {mix} | {} | {} | {} | {} | {} |\n",
            requests.len(),
            median(
                requests
                    .iter()
                    .map(|c| c.by_op.values().sum::<usize>() as f64)
                    .collect()
            ),
            median(trips.clone()),
            max(trips),
            median(requests.iter().map(|c| c.wcu as f64).collect()),
            median(requests.iter().map(|c| c.index_wcu as f64).collect()),
        ));
    }
    out
}

/// The sweeper's own load (scheduled sweeps), and the hello-world baseline's memory.
async fn side_loads(
    o: &Options,
    launcher: &Launcher,
    store: &Store,
    rec: &mut Option<Recorder>,
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
    mark(rec).await?;
    let c = sweeper.invoke(&scheduled_event()).await?;
    count(rec, results, SWEEP_WITH_DUE).await?;
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
        mark(rec).await?;
        let c = sweeper.invoke(&scheduled_event()).await?;
        count(rec, results, SWEEP_NONE_DUE).await?;
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

/// A refund closure (`unresolved`, charge `refunded`) and a pack claim, `o.extras` of each, for
/// their store calls: each on an incident or pack of its own, made through the functions first.
async fn refunds_and_claims(
    o: &Options,
    launcher: &Launcher,
    store: &Store,
    rec: &mut Option<Recorder>,
    results: &mut Results,
) -> Result<(), String> {
    let packs = launcher.start("pack-purchase").await?;
    let intake = launcher.start("intake").await?;
    let response = launcher.start("response").await?;
    let closure = launcher.start("closure").await?;
    let engineer = store::ids::new_id("acct");
    for _ in 0..o.extras {
        let owner = store::ids::new_id("acct");
        let buy = http_event(
            "POST /packs",
            "/packs",
            &customer_claims(&owner),
            Some(&json!({"offer": "five_pack", "billing_country": "PL"})),
        );
        let a = expect(&packs, &buy, 201).await?;
        let order = a.body["order_confirmation_number"]
            .as_str()
            .ok_or("pack-purchase answered without an order_confirmation_number")?
            .to_string();
        let submit = http_event(
            "POST /incidents",
            "/incidents",
            &customer_claims(&owner),
            Some(&submission_body()),
        );
        let a = expect(&intake, &submit, 201).await?;
        let id = a.body["incident_id"]
            .as_str()
            .ok_or("intake answered without an incident_id")?
            .to_string();
        let respond = http_event(
            "POST /incidents/{incident_id}/responses",
            &format!("/incidents/{id}/responses"),
            &engineer_claims(&engineer),
            Some(&response_body()),
        );
        expect(&response, &respond, 201).await?;
        let refund = http_event(
            "POST /incidents/{incident_id}/resolution",
            &format!("/incidents/{id}/resolution"),
            &engineer_claims(&engineer),
            Some(&refund_resolution_body()),
        );
        mark(rec).await?;
        let a = expect(&closure, &refund, 200).await?;
        count(rec, results, REFUND).await?;
        results
            .handlers
            .entry(REFUND)
            .or_default()
            .record(a.latency);
        let claimant = store::ids::new_id("acct");
        let claim = http_event(
            "POST /pack-claims",
            "/pack-claims",
            &customer_claims(&claimant),
            Some(&claim_body(&order)),
        );
        mark(rec).await?;
        let a = expect(&packs, &claim, 201).await?;
        count(rec, results, CLAIM).await?;
        results.handlers.entry(CLAIM).or_default().record(a.latency);
    }
    for f in [packs, intake, response, closure] {
        f.stop().await;
    }
    clear_table(store).await?;
    Ok(())
}

/// Intakes per second at each level of [`CONCURRENCY`]: that many intake processes (one Lambda
/// process serves one event at a time, so concurrency means processes, as on Lambda), each
/// driven by its own client, one request after another, all clients at once. Each process
/// first serves one intake uncounted (its first connection to the store).
async fn throughput(
    o: &Options,
    launcher: &Launcher,
    store: &Store,
    rec: &mut Option<Recorder>,
    results: &mut Results,
) -> Result<(), String> {
    for concurrency in CONCURRENCY {
        let per_client = o.throughput.div_ceil(concurrency);
        let mut clients = Vec::new();
        for _ in 0..concurrency {
            let f = launcher.start("intake").await?;
            let mut owners = Vec::new();
            for _ in 0..(per_client + 1).div_ceil(INCIDENTS_PER_PACK) {
                let owner = store::ids::new_id("acct");
                floor_pack(store, &owner).await?;
                owners.push(owner);
            }
            let warm = http_event(
                "POST /incidents",
                "/incidents",
                &customer_claims(&owners[0]),
                Some(&submission_body()),
            );
            expect(&f, &warm, 201).await?;
            clients.push((f, owners));
        }
        mark(rec).await?;
        let started = std::time::Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for (f, owners) in clients {
            set.spawn(async move {
                let mut took = Vec::new();
                for i in 1..=per_client {
                    let event = http_event(
                        "POST /incidents",
                        "/incidents",
                        &customer_claims(&owners[i / INCIDENTS_PER_PACK]),
                        Some(&submission_body()),
                    );
                    match expect(&f, &event, 201).await {
                        Ok(a) => took.push(a.latency),
                        Err(e) => return (f, Err(e)),
                    }
                }
                (f, Ok(took))
            });
        }
        let mut run = Throughput {
            concurrency,
            ..Throughput::default()
        };
        let mut failure = None;
        let mut running = Vec::new();
        while let Some(joined) = set.join_next().await {
            let (f, took) = joined.map_err(|e| e.to_string())?;
            match took {
                Ok(took) => took.into_iter().for_each(|d| run.sample.push(d)),
                Err(e) => failure = Some(e),
            }
            running.push(f);
        }
        run.wall = started.elapsed();
        if let Some(r) = rec {
            let calls = r.take().await?;
            run.store_calls = calls.len();
            run.service_ms = calls.iter().map(|c| c.done_ms - c.started_ms).sum();
        }
        for f in running {
            f.stop().await;
        }
        clear_table(store).await?;
        if let Some(e) = failure {
            return Err(e);
        }
        results.throughput.push(run);
    }
    Ok(())
}

/// Spawn → first `GET …/invocation/next`, the binaries taking turns so drift hits all alike.
async fn cold_init(o: &Options, launcher: &Launcher, results: &mut Results) -> Result<(), String> {
    for _ in 0..o.spawns {
        for name in [HELLO].iter().chain(ALL_FUNCTIONS.iter()) {
            let f = launcher.start(name).await?;
            results.init.entry(name).or_default().push(f.init);
            f.stop().await;
        }
    }
    Ok(())
}
