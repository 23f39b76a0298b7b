//! `make bench`: latency through the release handlers against the raw store floor, cold init,
//! peak memory, next to the zip sizes and the sweep scaling that `scripts/bench.sh` measured,
//! as one Markdown report. It prints numbers; it asserts nothing about speed. It does fail if a
//! request is answered with an unexpected status, since timing errors would mean nothing.
//!
//! Usage: bench --out bench/report.md [--zips zips.tsv] [--sweep sweep.md] [--requests 300]
//!        [--batch 10] [--spawns 20] [--pack-reads 200] [--sweeps 20] [--logs DIR]
//!        [--samples samples.json (every latency in ms, in the order measured)]
//! Reads `TABLE_NAME`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_REGION` and credentials, as the
//! functions do; finds the function binaries next to its own.

mod stats;

use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use bench::function::{self, Launcher, Running};
use chrono::Utc;
use domain::calendar::{first_response_clock, Calendars};
use domain::catalogue::{parse_catalogue, SHIPPED_CATALOGUE};
use domain::incident::{apply, parse_resolution, parse_response};
use domain::intake::{new_incident, NewIncident, Submission};
use domain::pack::Pack;
use domain::time::{format_instant, parse_instant, Instant};
use domain::{Actor, Money, Offer};
use serde_json::{json, Value};
use stats::Sample;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;
use store::idempotency::IdempotencyWrite;
use store::incidents::{ApplyOutcome, CreateOutcome};
use store::keys::{CATALOGUE_PK, PK, SK};
use store::packs::PurchaseOutcome;
use store::Store;

/// The functions, in report order.
const FUNCTIONS: [&str; 6] = [
    "intake",
    "response",
    "closure",
    "pack-purchase",
    "sla-sweeper",
    "payment-webhook",
];
const HELLO: &str = "hello-lambda";
const ENGINEERS_GROUP: &str = "support-engineers";
const INCIDENTS_PER_PACK: usize = 5;
const READ_FLOOR: &str = "GetItem of an incident";

struct Options {
    out: PathBuf,
    zips: Option<PathBuf>,
    sweep: Option<PathBuf>,
    samples: Option<PathBuf>,
    logs: PathBuf,
    requests: usize,
    spawns: usize,
    pack_reads: usize,
    sweeps: usize,
    batch: usize,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        out: PathBuf::from("bench/report.md"),
        zips: None,
        sweep: None,
        samples: None,
        logs: std::env::temp_dir().join("incident-desk-bench"),
        requests: 300,
        spawns: 20,
        pack_reads: 200,
        sweeps: 20,
        batch: 10,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--out" => o.out = value()?.into(),
            "--zips" => o.zips = Some(value()?.into()),
            "--sweep" => o.sweep = Some(value()?.into()),
            "--samples" => o.samples = Some(value()?.into()),
            "--logs" => o.logs = value()?.into(),
            "--requests" => o.requests = number(value()?)?.max(1),
            "--spawns" => o.spawns = number(value()?)?.max(1),
            "--pack-reads" => o.pack_reads = number(value()?)?.max(1),
            "--sweeps" => o.sweeps = number(value()?)?.max(1),
            "--batch" => o.batch = number(value()?)?.max(1),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let o = options()?;
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

    let mut report = Report {
        load_at_start: load_average(),
        ..Report::default()
    };
    eprintln!(
        "==> latency: {} requests per handler, each next to its store floor",
        o.requests
    );
    latency(&o, &launcher, &store, &mut report).await?;
    eprintln!("==> pack-purchase and sla-sweeper under their own load");
    side_loads(&o, &launcher, &store, &mut report).await?;
    eprintln!("==> cold init: {} spawns of each binary", o.spawns);
    cold_init(&o, &launcher, &mut report).await?;

    report.load_at_end = load_average();
    let markdown = report.render(&o)?;
    if let Some(dir) = o.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(&o.out, &markdown).map_err(|e| format!("{}: {e}", o.out.display()))?;
    if let Some(path) = &o.samples {
        std::fs::write(path, report.samples_json().to_string())
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

/// A load's latencies, and its first request's (a fresh connection to the store).
struct Timing(Sample, f64);

impl Default for Timing {
    fn default() -> Self {
        Timing(Sample::default(), f64::NAN)
    }
}

#[derive(Default)]
struct Report {
    /// Route label → handler latencies and the first request's.
    handlers: BTreeMap<&'static str, Timing>,
    floors: BTreeMap<&'static str, Sample>,
    peak_rss_kib: BTreeMap<&'static str, u64>,
    init: BTreeMap<&'static str, Sample>,
    load_at_start: String,
    load_at_end: String,
    /// The most items the table held at the end of a batch.
    largest_table: usize,
}

/// The 1-minute load average: other work on the machine shows in the tails.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn now() -> Instant {
    parse_instant(&format_instant(Utc::now())).expect("a formatted instant parses")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// An API Gateway HTTP API (payload 2.0) event after its JWT authorizer, as in AWS.
fn http_event(route: &str, path: &str, claims: &Value, body: Option<&Value>) -> Value {
    let (method, pattern) = route.split_once(' ').unwrap_or(("GET", route));
    let params: serde_json::Map<String, Value> = pattern
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(p, v)| {
            p.strip_prefix('{')
                .and_then(|p| p.strip_suffix('}'))
                .map(|name| (name.to_string(), json!(v)))
        })
        .collect();
    json!({
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "idempotency-key": store::ids::new_id("key")},
        "pathParameters": if params.is_empty() { Value::Null } else { Value::Object(params) },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "authorizer": {"jwt": {"claims": claims, "scopes": null}},
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench"},
            "requestId": store::ids::new_id("req"),
            "routeKey": route,
            "stage": "$default",
            "time": Utc::now().format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
            "timeEpoch": Utc::now().timestamp_millis()
        },
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false
    })
}

fn customer_claims(account_id: &str) -> Value {
    json!({"sub": account_id})
}

fn engineer_claims(account_id: &str) -> Value {
    json!({"sub": account_id, "cognito:groups": format!("[{ENGINEERS_GROUP}]")})
}

fn submission_body() -> Value {
    json!({
        "product_id": "windows-server-2022",
        "category": "configuration",
        "severity": "C",
        "handling": "business_hours",
        "calendar": "PL",
        "title": "Cluster validation fails",
        "description": "Validation of a two-node cluster reports a storage warning.",
        "contact": {"name": "Ada Admin", "email": "ada@example.com", "phone": "+48 22 123 45 67"}
    })
}

fn response_body() -> Value {
    json!({"message": "Please run Test-Cluster with -Include Storage and send the report.", "channel": "email"})
}

fn resolution_body() -> Value {
    json!({"outcome": "resolved", "solutions": ["Updated the storage controller driver; validation passes."]})
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

/// A pack bought straight through the store, for the floor's owner.
async fn floor_pack(store: &Store, owner: &str) -> Result<String, String> {
    let number = domain::pack::order_confirmation_number(&store::ids::random_bytes::<13>());
    let price = Money {
        currency: "PLN".into(),
        net: 100,
        tax: 23,
        gross: 123,
    };
    let pack = Pack::new(
        store::ids::new_id("pck"),
        Offer::FivePack,
        owner,
        now(),
        number,
        price,
        false,
    );
    let idem = IdempotencyWrite::new(
        owner,
        "POST /packs",
        &store::ids::new_id("key"),
        "bench".into(),
        now(),
    );
    match store.purchase(&pack, &idem).await {
        Ok(PurchaseOutcome::Created) => Ok(pack.pack_id),
        other => Err(format!("floor pack purchase: {other:?}")),
    }
}

/// The floor of an intake: exactly the draw transaction intake writes (pack draw, incident,
/// `submitted` event, ledger debit, idempotency record), built the same way, timed alone.
async fn floor_draw(
    store: &Store,
    owner: &str,
    pack_id: &str,
    submission: &Submission,
) -> Result<(Duration, String), String> {
    let at = now();
    let calendars = Calendars::shipped().map_err(|e| e.to_string())?;
    let clock = first_response_clock(calendars.get(submission.calendar), submission.severity, at);
    let (incident, submitted) = new_incident(
        submission,
        NewIncident {
            incident_id: store::ids::new_id("inc"),
            account_id: owner,
            pack_id,
            parent_incident_id: None,
            first_response_warn_at: clock.warn_at,
            first_response_due_at: clock.due_at,
            now: at,
        },
    );
    let mut idem = IdempotencyWrite::new(
        owner,
        "POST /incidents",
        &store::ids::new_id("key"),
        "bench".into(),
        at,
    );
    idem.body = serde_json::to_value(incident.view(Some(vec![submitted.clone()])))
        .map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let outcome = store
        .create_incident(&incident, &submitted, at, Some(&idem), None)
        .await;
    let took = started.elapsed();
    match outcome {
        Ok(CreateOutcome::Created) => Ok((took, incident.incident_id)),
        other => Err(format!("floor draw: {other:?}")),
    }
}

/// The floor of a response or closure: the one versioned transition write, timed alone; the
/// GetItem of the incident before it is timed on its own, as the read floor.
async fn floor_transition(
    store: &Store,
    actor: &Actor,
    incident_id: &str,
    action: domain::incident::Action,
) -> Result<(Duration, Duration), String> {
    let at = now();
    let started = std::time::Instant::now();
    let stored = store
        .incident(incident_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("floor incident missing")?;
    let read = started.elapsed();
    let t = apply(&stored.incident, actor, action, at).map_err(|e| format!("{e:?}"))?;
    let started = std::time::Instant::now();
    let outcome = store.apply_transition(&stored, &t, at).await;
    let took = started.elapsed();
    match outcome {
        Ok(ApplyOutcome::Applied) => Ok((read, took)),
        other => Err(format!("floor transition: {other:?}")),
    }
}

/// Labels of the handler and floor samples.
const INTAKE: &str = "intake: POST /incidents";
const RESPONSE: &str = "response: POST /incidents/{id}/responses";
const CLOSURE: &str = "closure: POST /incidents/{id}/resolution";
const BUY: &str = "pack-purchase: POST /packs";
const LIST: &str = "pack-purchase: GET /packs";
const SWEEP_DUE: usize = 100;
const SWEEP_WITH_DUE: &str = "sla-sweeper: sweep with 100 due (breaches them)";
const SWEEP_NONE_DUE: &str = "sla-sweeper: sweep with nothing due";

/// Intake, response and closure, each request next to its floor so both see the same table, in
/// batches: after each batch everything it wrote is deleted, so the first and the last request
/// see a table of the same size.
async fn latency(
    o: &Options,
    launcher: &Launcher,
    store: &Store,
    report: &mut Report,
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
    let submission = Submission::parse(&submission_body())
        .map_err(|e| format!("the bench's submission is invalid: {e:?}"))?;
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
            record(report.handlers.entry(BUY).or_default(), a.latency);
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
            record(report.handlers.entry(INTAKE).or_default(), a.latency);
            let id = a.body["incident_id"]
                .as_str()
                .ok_or("intake answered without an incident_id")?
                .to_string();
            let (owner, pack) = &floor_packs[i / INCIDENTS_PER_PACK];
            let (took, floor_id) = floor_draw(store, owner, pack, &submission).await?;
            report.floors.entry(INTAKE).or_default().push(took);
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
            record(report.handlers.entry(RESPONSE).or_default(), a.latency);
            let action = parse_response(&response_body()).map_err(|e| format!("{e:?}"))?;
            let (read, write) = floor_transition(store, &engineer_actor, floor_id, action).await?;
            reads.push(read);
            report.floors.entry(RESPONSE).or_default().push(write);
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
            record(report.handlers.entry(CLOSURE).or_default(), a.latency);
            let action = parse_resolution(&resolution_body()).map_err(|e| format!("{e:?}"))?;
            let (read, write) = floor_transition(store, &engineer_actor, floor_id, action).await?;
            reads.push(read);
            report.floors.entry(CLOSURE).or_default().push(write);
        }

        // This batch's share of the pack listings, while its packs exist.
        let share = o.pack_reads * (b + 1) / batches - o.pack_reads * b / batches;
        for i in 0..share {
            let c = &customers[i % customers.len()];
            let event = http_event("GET /packs", "/packs", &customer_claims(c), None);
            let a = expect(&packs, &event, 200).await?;
            record(report.handlers.entry(LIST).or_default(), a.latency);
        }
        report.largest_table = report.largest_table.max(clear_table(store).await?);
        eprintln!("    batch {}/{batches} done", b + 1);
    }
    report.floors.insert(READ_FLOOR, reads);
    for f in [intake, response, closure, packs] {
        if let Some(kib) = f.peak_rss_kib() {
            report.peak_rss_kib.insert(function_key(&f.name), kib);
        }
        f.stop().await;
    }
    Ok(())
}

/// Deletes every item but the catalogue; how many items there were (catalogue included).
async fn clear_table(store: &Store) -> Result<usize, String> {
    let client = store.client();
    let mut keys = Vec::new();
    let mut seen = 0;
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(store.table_name())
            .projection_expression("#pk, #sk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| format!("Scan: {e}"))?;
        for item in page.items() {
            seen += 1;
            if item.get(PK).and_then(|v| v.as_s().ok()).map(String::as_str) != Some(CATALOGUE_PK) {
                keys.push(item.clone());
            }
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    for chunk in keys.chunks(25) {
        let mut requests: Vec<WriteRequest> = chunk
            .iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key.clone()))
                    .build()
                    .map(|d| WriteRequest::builder().delete_request(d).build())
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        while !requests.is_empty() {
            let out = client
                .batch_write_item()
                .request_items(store.table_name(), requests)
                .send()
                .await
                .map_err(|e| format!("BatchWriteItem: {e}"))?;
            requests = out
                .unprocessed_items
                .and_then(|mut u| u.remove(store.table_name()))
                .unwrap_or_default();
        }
    }
    Ok(seen)
}

fn record(into: &mut Timing, d: Duration) {
    if into.0.len() == 0 {
        into.1 = ms(d);
    }
    into.0.push(d);
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
    report: &mut Report,
) -> Result<(), String> {
    let sweeper = launcher.start("sla-sweeper").await?;
    // First a sweep with work to do: incidents past their deadline, written as intake stores
    // them (the sweep benchmark's loader), each breached with its own transaction.
    let at = now();
    let submission = Submission::parse(&submission_body()).map_err(|e| format!("{e:?}"))?;
    let overdue: Vec<_> = (0..SWEEP_DUE)
        .map(|_| {
            new_incident(
                &submission,
                NewIncident {
                    incident_id: store::ids::new_id("inc"),
                    account_id: "acct_bench",
                    pack_id: "pck_bench",
                    parent_incident_id: None,
                    first_response_warn_at: at - chrono::Duration::hours(1),
                    first_response_due_at: at - chrono::Duration::hours(1),
                    now: at - chrono::Duration::hours(3),
                },
            )
            .0
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
    record(
        report.handlers.entry(SWEEP_WITH_DUE).or_default(),
        c.latency,
    );
    let mut sweeps = Timing::default();
    for _ in 0..o.sweeps {
        let c = sweeper.invoke(&scheduled_event()).await?;
        let answer: Value = serde_json::from_slice(&c.body).unwrap_or(Value::Null);
        if !c.ok || answer.get("examined").is_none() {
            return Err(format!("sla-sweeper: unexpected answer {answer}"));
        }
        record(&mut sweeps, c.latency);
    }
    report.handlers.insert(SWEEP_NONE_DUE, sweeps);
    if let Some(kib) = sweeper.peak_rss_kib() {
        report.peak_rss_kib.insert("sla-sweeper", kib);
    }
    sweeper.stop().await;

    let hello = launcher.start(HELLO).await?;
    let mut calls = Timing::default();
    for _ in 0..o.sweeps {
        let c = hello.invoke(&json!({"ping": true})).await?;
        if !c.ok {
            return Err("hello-lambda answered with an error".into());
        }
        record(&mut calls, c.latency);
    }
    report.handlers.insert("hello-lambda: echo", calls);
    if let Some(kib) = hello.peak_rss_kib() {
        report.peak_rss_kib.insert(HELLO, kib);
    }
    hello.stop().await;
    Ok(())
}

/// EventBridge's Scheduled Event, as of now.
fn scheduled_event() -> Value {
    json!({
        "version": "0",
        "id": store::ids::new_id("evt"),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": format_instant(now()),
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/incident-desk-sla-sweep"],
        "detail": {}
    })
}

/// Spawn → first `GET …/invocation/next`, the binaries taking turns so drift hits all alike.
async fn cold_init(o: &Options, launcher: &Launcher, report: &mut Report) -> Result<(), String> {
    for _ in 0..o.spawns {
        for name in [HELLO].iter().chain(FUNCTIONS.iter()) {
            let f = launcher.start(name).await?;
            report.init.entry(name).or_default().push(f.init);
            f.stop().await;
        }
    }
    Ok(())
}

fn ratio(a: f64, b: f64) -> String {
    if a.is_finite() && b.is_finite() && b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "–".into()
    }
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

impl Report {
    /// Every measurement, in milliseconds and in the order taken, for a closer look at the tails.
    fn samples_json(&self) -> Value {
        let ms = |s: &Sample| json!(s.millis());
        json!({
            "handlers": self.handlers.iter().map(|(k, t)| (k.to_string(), ms(&t.0))).collect::<serde_json::Map<_, _>>(),
            "floors": self.floors.iter().map(|(k, s)| (k.to_string(), ms(s))).collect::<serde_json::Map<_, _>>(),
            "cold_init": self.init.iter().map(|(k, s)| (k.to_string(), ms(s))).collect::<serde_json::Map<_, _>>(),
            "peak_rss_kib": self.peak_rss_kib,
        })
    }

    fn render(&self, o: &Options) -> Result<String, String> {
        let mut md = String::new();
        let w = &mut md;
        let env = |k: &str| std::env::var(k).unwrap_or_else(|_| "unknown".into());
        let _ = writeln!(w, "# Benchmark report\n");
        let _ = writeln!(
            w,
            "Generated by `make bench` on {} UTC, commit `{}`, {}.  ",
            Utc::now().format("%Y-%m-%d %H:%M"),
            env("BENCH_COMMIT"),
            env("BENCH_RUSTC"),
        );
        let _ = writeln!(
            w,
            "Machine: {}; 1-minute load average {} at the start, {} at the end (anything else \
             running on the machine shows in the tails).\n",
            machine(),
            self.load_at_start,
            self.load_at_end
        );
        let _ = writeln!(
            w,
            "Every function is its x86_64 **release** binary (`opt-level = \"s\"`, LTO, one codegen \
             unit, `panic = \"abort\"`, stripped), run as its own process against a fake Lambda \
             Runtime API on loopback (the bench crate's), with `AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256`. \
             The data store is the local moto server behind one lock (`infra/local/dynamodb_server.py`), \
             a Python process that serves one request at a time: absolute times are moto's, far \
             slower than DynamoDB's single-digit milliseconds. The ratio to the raw store floor, \
             measured in the same run against the same table, is the figure that carries over. \
             Requests run one at a time; numbers are printed, nothing about speed is asserted.\n"
        );

        let _ = writeln!(
            w,
            "## 1. Latency through the handlers, and the store floor\n"
        );
        let _ = writeln!(
            w,
            "Latency = the fake Runtime API handing out the API Gateway v2 event → receiving the \
             function's response POST. {} requests per route, one at a time, each handler request \
             followed by its floor request so both see the same table. The run goes in batches of {} \
             incidents (their packs, intakes, responses, closures) and deletes what a batch wrote \
             before the next one, so the first and the last request see a table of the same size \
             (at most {} items). The floor is the SDK call \
             alone, from the bench process with the functions' client settings: for intake, \
             `Store::create_incident` — the one `TransactWriteItems` intake writes (pack draw, \
             incident, `submitted` event, ledger debit, idempotency record); for response and \
             closure, `Store::apply_transition` — the versioned transition write (incident guarded by \
             its version plus the new event).\n",
            o.requests,
            o.batch,
            self.largest_table
        );
        let _ = writeln!(
            w,
            "| function: route | store calls | n | p50 ms | p99 ms | first request ms | floor | floor p50 ms | floor p99 ms | p50 ÷ floor | p99 ÷ floor |"
        );
        let _ = writeln!(w, "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|");
        for (label, calls, floor_name) in [
            (
                "intake: POST /incidents",
                "2 GetItem, 1 Query, 1 TransactWriteItems",
                "draw transaction",
            ),
            (
                "response: POST /incidents/{id}/responses",
                "1 GetItem, 1 TransactWriteItems",
                "versioned transition",
            ),
            (
                "closure: POST /incidents/{id}/resolution",
                "1 GetItem, 1 TransactWriteItems, 1 Query",
                "versioned transition",
            ),
        ] {
            let Timing(h, first) = self.handlers.get(label).ok_or("missing handler sample")?;
            let f = self.floors.get(label).ok_or("missing floor sample")?;
            let _ = writeln!(
                w,
                "| {label} | {calls} | {} | {:.2} | {:.2} | {:.2} | {floor_name} | {:.2} | {:.2} | {} | {} |",
                h.len(),
                h.p50(),
                h.p99(),
                first,
                f.p50(),
                f.p99(),
                ratio(h.p50(), f.p50()),
                ratio(h.p99(), f.p99()),
            );
        }
        if let Some(r) = self.floors.get(READ_FLOOR) {
            let _ = writeln!(
                w,
                "\nRead floor in the same run: one `GetItem` of an incident (`Store::incident`), \
                 n = {}, p50 {:.2} ms, p99 {:.2} ms.",
                r.len(),
                r.p50(),
                r.p99()
            );
        }
        let _ = writeln!(
            w,
            "\nWhat each handler does beyond its floor (the \"store calls\" column): intake reads the \
             idempotency record and the product (GetItem) and the caller's packs (Query) before the \
             draw; response and closure read the incident before the versioned write, and closure \
             answers with the incident and its timeline (one Query) after it. The gap between a \
             handler and its floor is mostly those extra round trips, each costing here what the \
             read floor shows; with DynamoDB's faster round trips the absolute gap shrinks, the \
             number of calls does not.\n\n\
             Tails: single requests to the local server now and then stall for a few hundred \
             milliseconds up to seconds (moto is one Python process, and whatever else the machine \
             runs competes for its two cores). Such stalls hit handler and floor requests alike but \
             land on a few of them at random, so the p99 columns and their ratios swing from run to \
             run; the p50 ratio is the stable figure. Every sample, in the order taken, is in \
             `bench/samples.json` (not committed).\n"
        );
        let _ = writeln!(w, "Other loads in the same run (no floor asked for):\n");
        let _ = writeln!(
            w,
            "| function: load | n | p50 ms | p99 ms | first request ms |"
        );
        let _ = writeln!(w, "|---|---:|---:|---:|---:|");
        for label in [
            BUY,
            LIST,
            SWEEP_WITH_DUE,
            SWEEP_NONE_DUE,
            "hello-lambda: echo",
        ] {
            if let Some(Timing(h, first)) = self.handlers.get(label) {
                let _ = writeln!(
                    w,
                    "| {label} | {} | {:.2} | {:.2} | {:.2} |",
                    h.len(),
                    h.p50(),
                    h.p99(),
                    first
                );
            }
        }
        let _ = writeln!(
            w,
            "\n`POST /packs` is one five-pack for each intake customer; `GET /packs` lists one \
             customer's packs. The sweeper first sweeps a table holding {SWEEP_DUE} incidents past \
             their deadline (one breach transaction each), then sweeps again and again with \
             nothing due; how a sweep scales with the table is section 5.\n"
        );

        let _ = writeln!(w, "## 2. Cold init\n");
        let hello = self.init.get(HELLO).map(|s| s.p50()).unwrap_or(f64::NAN);
        let _ = writeln!(
            w,
            "Spawn of the process → its first `GET /2018-06-01/runtime/invocation/next`, median of {} \
             spawns per binary (binaries take turns). `hello-lambda` is the smallest `lambda_runtime` \
             function (a `[[bin]]` of the bench crate, same release profile). This is the function's \
             own init only: it leaves out what Lambda adds before the process starts (fetching the \
             zip, starting the micro-VM), and the first request's new connection to DynamoDB \
             (the \"first request\" column above).\n",
            o.spawns
        );
        let _ = writeln!(
            w,
            "| binary | n | median ms | min ms | max ms | median ÷ hello-lambda |"
        );
        let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|");
        for name in FUNCTIONS.iter().chain([&HELLO]) {
            if let Some(s) = self.init.get(name) {
                let _ = writeln!(
                    w,
                    "| {name} | {} | {:.2} | {:.2} | {:.2} | {} |",
                    s.len(),
                    s.p50(),
                    s.min(),
                    s.max(),
                    ratio(s.p50(), hello)
                );
            }
        }

        let _ = writeln!(w, "\n## 3. Release zip size\n");
        let _ = writeln!(
            w,
            "Each `target/release/<fn>` zipped alone as `bootstrap` (deflate, level 9), as it is \
             uploaded for the `provided.al2023` runtime. These are **x86_64** builds; the deployed \
             arm64 zips (`make package`) need zig and the `aarch64-unknown-linux-gnu` target, which \
             this bench does not require. Lambda's limit is 50 MB zipped (direct upload).\n"
        );
        match &o.zips {
            Some(path) => render_zips(w, path)?,
            None => {
                let _ = writeln!(w, "_Not measured in this run (no `--zips` file)._");
            }
        }

        let _ = writeln!(w, "\n## 4. Peak resident memory under load\n");
        let _ = writeln!(
            w,
            "`VmHWM` of each function's process from `/proc/<pid>/status`, read right after its load \
             above: intake, response and closure after their {n} requests; pack-purchase after {p} \
             `POST /packs` and {r} `GET /packs`; sla-sweeper after its {d} breaches and {s} \
             more sweeps; hello-lambda after {s} echoes. The functions are configured with 256 MB.\n",
            n = o.requests,
            p = o.requests.div_ceil(INCIDENTS_PER_PACK),
            r = o.pack_reads,
            s = o.sweeps,
            d = SWEEP_DUE,
        );
        let _ = writeln!(
            w,
            "| function | peak RSS MiB | share of 256 MB | ÷ hello-lambda |"
        );
        let _ = writeln!(w, "|---|---:|---:|---:|");
        let hello_rss = self.peak_rss_kib.get(HELLO).map(|k| *k as f64);
        for name in FUNCTIONS.iter().chain([&HELLO]) {
            if let Some(kib) = self.peak_rss_kib.get(name) {
                let kib = *kib as f64;
                let _ = writeln!(
                    w,
                    "| {name} | {:.1} | {:.1} % | {} |",
                    kib / 1024.0,
                    kib / 1024.0 / 256.0 * 100.0,
                    ratio(kib, hello_rss.unwrap_or(f64::NAN))
                );
            }
        }

        let _ = writeln!(w, "\n## 5. Sweep scaling\n");
        match o
            .sweep
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
        {
            Some(text) if !text.trim().is_empty() => {
                let _ = writeln!(
                    w,
                    "From `sweep-bench` (`tests/src/bin/sweep-bench.rs`, a debug build of the e2e \
                     crate; its times are the data store's), run by `scripts/bench.sh` in the same \
                     `make bench` against a local server of its own, verbatim:\n"
                );
                let _ = writeln!(w, "{}", text.trim_end());
            }
            _ => {
                let _ = writeln!(
                    w,
                    "_`sweep-bench` (`tests/src/bin/sweep-bench.rs`) was not in the tree, or gave no \
                     output, when this report was generated. `scripts/bench.sh` runs it and puts its \
                     table here whenever it is present._"
                );
            }
        }
        Ok(md)
    }
}

/// `name<TAB>binary bytes<TAB>zip bytes` lines from `scripts/bench.sh`.
fn render_zips(w: &mut String, path: &std::path::Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let rows: Vec<(String, u64, u64)> = text
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((
                f.next()?.to_string(),
                f.next()?.trim().parse().ok()?,
                f.next()?.trim().parse().ok()?,
            ))
        })
        .collect();
    let hello = rows
        .iter()
        .find(|r| r.0 == HELLO)
        .map(|r| r.2 as f64)
        .unwrap_or(f64::NAN);
    let _ = writeln!(
        w,
        "| function | binary bytes | zip bytes | zip MB | zip ÷ hello-lambda |"
    );
    let _ = writeln!(w, "|---|---:|---:|---:|---:|");
    for (name, binary, zip) in &rows {
        let _ = writeln!(
            w,
            "| {name} | {binary} | {zip} | {:.2} | {} |",
            *zip as f64 / 1_000_000.0,
            ratio(*zip as f64, hello)
        );
    }
    Ok(())
}
