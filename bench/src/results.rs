//! The plain numbers the report is rendered from: [`Results`] (what the run measured), [`Run`]
//! (how it was run, and what `scripts/bench.sh` measured before it), and the labels both sides
//! use.

use crate::calls::RequestCalls;
use crate::stats::Sample;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// The functions, in report order.
pub const FUNCTIONS: [&str; 6] = [
    "intake",
    "response",
    "closure",
    "pack-purchase",
    "sla-sweeper",
    "payment-webhook",
];
pub const HELLO: &str = "hello-lambda";
/// Incidents drawn from each five-pack the latency run buys.
pub const INCIDENTS_PER_PACK: usize = 5;
/// Overdue incidents in the sweeper's first sweep.
pub const SWEEP_DUE: usize = 100;

/// Labels of the handler and floor samples.
/// Intake without a pack named (the draw reads the account's usable packs), on an account this
/// process has served before; the account's first request in the process is apart (its e-mail
/// address is not yet known to the process). Likewise with the pack named, as the console sends.
pub const INTAKE: &str = "intake: POST /incidents";
pub const INTAKE_FIRST: &str = "intake: POST /incidents (account's first in the process)";
pub const INTAKE_NAMED: &str = "intake: POST /incidents with pack_id";
pub const INTAKE_NAMED_FIRST: &str =
    "intake: POST /incidents with pack_id (account's first in the process)";
pub const RESPONSE: &str = "response: POST /incidents/{id}/responses";
pub const CLOSURE: &str = "closure: POST /incidents/{id}/resolution";
pub const BUY: &str = "pack-purchase: POST /packs";
pub const LIST: &str = "pack-purchase: GET /packs";
pub const SWEEP_WITH_DUE: &str = "sla-sweeper: sweep with 100 due (breaches them)";
pub const SWEEP_NONE_DUE: &str = "sla-sweeper: sweep with nothing due";
pub const HELLO_ECHO: &str = "hello-lambda: echo";
pub const REFUND: &str = "closure: POST /incidents/{id}/resolution (unresolved, refunded)";
pub const CLAIM: &str = "pack-purchase: POST /pack-claims";
pub const TAKE: &str = "response: POST /incidents/{id}/assignment (take)";
pub const HAND_OFF: &str = "response: POST /incidents/{id}/assignment (hand-off)";
pub const OWNED_OPEN_LIST: &str = "intake: GET /incidents?owner=me&open=true";
pub const OWNER_FILTERED_LIST: &str = "intake: GET /incidents?owner=me&severity=C";
pub const SEVERITY_LIST: &str = "intake: GET /incidents?severity=C&sla=pending (staff)";
pub const QUEUE_MINE: &str = "response: GET /queue?owner=me";
pub const ENGINEERS: &str = "response: GET /engineers";
/// The ownership routes (`--only-ownership` counts just these).
pub const OWNERSHIP: [&str; 7] = [
    TAKE,
    HAND_OFF,
    OWNED_OPEN_LIST,
    OWNER_FILTERED_LIST,
    SEVERITY_LIST,
    QUEUE_MINE,
    ENGINEERS,
];
/// The routes whose store calls are counted, in report order.
pub const COUNTED: [&str; 19] = [
    INTAKE_NAMED_FIRST,
    INTAKE_NAMED,
    INTAKE_FIRST,
    INTAKE,
    RESPONSE,
    CLOSURE,
    REFUND,
    BUY,
    CLAIM,
    LIST,
    SWEEP_WITH_DUE,
    SWEEP_NONE_DUE,
    TAKE,
    HAND_OFF,
    OWNED_OPEN_LIST,
    OWNER_FILTERED_LIST,
    SEVERITY_LIST,
    QUEUE_MINE,
    ENGINEERS,
];
/// Concurrency levels of the throughput run.
pub const CONCURRENCY: [usize; 3] = [1, 8, 64];
pub const READ_FLOOR: &str = "GetItem of an incident";
/// The floor of intake without a named pack on an account's first request in a process: the
/// usable packs' Query beside the pack generation's GetItem, then the draw transaction.
pub const FIND_AND_DRAW_FLOOR: &str = "usable packs' Query and generation GetItem, then the draw";

/// A load's latencies, and its first request's in ms (a fresh connection to the store).
#[derive(Clone, Debug)]
pub struct Timing {
    pub sample: Sample,
    pub first_ms: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            sample: Sample::default(),
            first_ms: f64::NAN,
        }
    }
}

impl Timing {
    pub fn record(&mut self, d: std::time::Duration) {
        if self.sample.len() == 0 {
            self.first_ms = d.as_secs_f64() * 1000.0;
        }
        self.sample.push(d);
    }
}

/// Intakes at one concurrency level: that many intake processes, each driven by its own client
/// one request at a time, all at once.
#[derive(Clone, Debug, Default)]
pub struct Throughput {
    pub concurrency: usize,
    /// Every intake's latency.
    pub sample: Sample,
    /// First request handed out → last answer received.
    pub wall: Duration,
    /// Store calls during the run, and the time the server spent on them (its lock held).
    pub store_calls: usize,
    pub service_ms: f64,
}

impl Throughput {
    pub fn per_second(&self) -> f64 {
        self.sample.len() as f64 / self.wall.as_secs_f64()
    }
}

/// What the run measured.
#[derive(Clone, Debug, Default)]
pub struct Results {
    /// Route label → handler latencies and the first request's.
    pub handlers: BTreeMap<&'static str, Timing>,
    pub floors: BTreeMap<&'static str, Sample>,
    pub peak_rss_kib: BTreeMap<&'static str, u64>,
    pub init: BTreeMap<&'static str, Sample>,
    /// The most items the table held at the end of a batch.
    pub largest_table: usize,
    /// Route label → each request's store calls; empty when the server did not record.
    pub calls: BTreeMap<&'static str, Vec<RequestCalls>>,
    /// Whether the local server recorded calls (`LOCAL_DYNAMODB_RECORD=1`).
    pub calls_recorded: bool,
    pub throughput: Vec<Throughput>,
}

/// One line of `scripts/bench.sh`'s zips file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipRow {
    pub name: String,
    pub binary_bytes: u64,
    pub zip_bytes: u64,
    /// The deployed arm64 zip (`make package`), when the run built it.
    pub arm64_zip_bytes: Option<u64>,
}

/// How the run went, and what was measured outside it.
#[derive(Clone, Debug, Default)]
pub struct Run {
    /// `YYYY-MM-DD HH:MM`, UTC.
    pub generated_at: String,
    pub commit: String,
    pub rustc: String,
    pub machine: String,
    pub load_at_start: String,
    pub load_at_end: String,
    pub requests: usize,
    pub batch: usize,
    pub spawns: usize,
    pub pack_reads: usize,
    pub sweeps: usize,
    /// Refund closures and pack claims counted.
    pub extras: usize,
    /// Section 3; `None`: no `--zips` file given.
    pub zips: Option<Vec<ZipRow>>,
    /// sweep-bench's output for section 5; `None` or blank: not there.
    pub sweep: Option<String>,
}

/// `name<TAB>binary bytes<TAB>zip bytes[<TAB>arm64 zip bytes]` lines from `scripts/bench.sh`;
/// others are skipped.
pub fn parse_zips(text: &str) -> Vec<ZipRow> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some(ZipRow {
                name: f.next()?.to_string(),
                binary_bytes: f.next()?.trim().parse().ok()?,
                zip_bytes: f.next()?.trim().parse().ok()?,
                arm64_zip_bytes: f.next().and_then(|b| b.trim().parse().ok()),
            })
        })
        .collect()
}

/// Every measurement, in milliseconds and in the order taken, for a closer look at the tails.
pub fn samples_json(r: &Results) -> Value {
    let ms = |s: &Sample| json!(s.millis());
    json!({
        "handlers": r.handlers.iter().map(|(k, t)| (k.to_string(), ms(&t.sample))).collect::<serde_json::Map<_, _>>(),
        "floors": r.floors.iter().map(|(k, s)| (k.to_string(), ms(s))).collect::<serde_json::Map<_, _>>(),
        "cold_init": r.init.iter().map(|(k, s)| (k.to_string(), ms(s))).collect::<serde_json::Map<_, _>>(),
        "peak_rss_kib": r.peak_rss_kib,
        "throughput": r.throughput.iter().map(|t| (format!("concurrency {}", t.concurrency), ms(&t.sample))).collect::<serde_json::Map<_, _>>(),
        "round_trips": r.calls.iter().map(|(k, v)| (k.to_string(), json!(v.iter().map(|c| c.round_trips).collect::<Vec<_>>()))).collect::<serde_json::Map<_, _>>(),
    })
}
