//! `make package`'s smoke test of the built zips: each unpacked `bootstrap` runs as Lambda runs
//! it (its own process, the fake Runtime API of `bench::runtime_api` on loopback, the local data
//! store), arm64 binaries under `qemu-aarch64`, and answers one real request: the event of
//! `<events>/<function>.json` (see that directory's README.md for the format).
//!
//! Usage: smoke --dir DIR --events DIR [--logs DIR] [--runner "qemu-aarch64 -L /usr/aarch64-linux-gnu"]
//!              [--init-timeout-secs 60] [--unsigned-probe] FUNCTION...
//! The binaries are `DIR/<function>/bootstrap`. Passes on `TABLE_NAME`, `AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_REGION`, credentials and `CURSOR_KEY` (a random one when
//! unset) from its own environment; nothing else (identity comes from the event's authorizer
//! claims alone).
//! `--unsigned-probe`: each HTTP function behind the JWT authorizer also runs once more on its
//! event without authorizer claims and with an unsigned bearer token (`alg: none`); it must
//! answer 401 (the functions verify no token themselves: only the authorizer's claims count).
//! Exits non-zero unless every function answered as its file expects.

use bench::function::Launcher;
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const PASSED_ON: [&str; 9] = [
    "TABLE_NAME",
    "CURSOR_KEY",
    "ATTACHMENTS_BUCKET",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
];

struct Options {
    dir: PathBuf,
    events: PathBuf,
    logs: PathBuf,
    runner: Vec<String>,
    init_timeout: Duration,
    unsigned_probe: bool,
    functions: Vec<String>,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut events, mut logs, mut runner) = (None, None, None, Vec::new());
    let mut init_timeout = Duration::from_secs(60);
    let mut unsigned_probe = false;
    let mut functions = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--dir" => dir = Some(PathBuf::from(value()?)),
            "--events" => events = Some(PathBuf::from(value()?)),
            "--logs" => logs = Some(PathBuf::from(value()?)),
            "--runner" => runner = value()?.split_whitespace().map(String::from).collect(),
            "--unsigned-probe" => unsigned_probe = true,
            "--init-timeout-secs" => {
                let v = value()?;
                init_timeout = Duration::from_secs(
                    v.parse()
                        .map_err(|_| format!("--init-timeout-secs {v}: not a number"))?,
                );
            }
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            name => functions.push(name.to_string()),
        }
    }
    let dir = dir.ok_or("--dir is required")?;
    if functions.is_empty() {
        return Err("name at least one function".into());
    }
    Ok(Options {
        logs: logs.unwrap_or_else(|| dir.join("logs")),
        events: events.ok_or("--events is required")?,
        dir,
        runner,
        init_timeout,
        unsigned_probe,
        functions,
    })
}

/// What one smoke file asks for.
struct Smoke {
    event: Value,
    env: Vec<(String, String)>,
    ok: bool,
    status: Option<u64>,
    contains: Option<String>,
    /// `"reply": "FILE.eml"` (inbound-mail): a raw reply to an incident the runner creates.
    reply: Option<PathBuf>,
}

fn read_smoke(o: &Options, name: &str, endpoint: &str) -> Result<Smoke, String> {
    let path = o.events.join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "no smoke event for {name}: {} ({e}); every function needs one",
            path.display()
        )
    })?;
    let file: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    let event = file
        .get("event")
        .cloned()
        .ok_or(format!("{}: no \"event\"", path.display()))?;
    let mut env = Vec::new();
    if let Some(vars) = file.get("env").and_then(Value::as_object) {
        for (k, v) in vars {
            let v = v
                .as_str()
                .ok_or(format!("{}: env {k} is not a string", path.display()))?;
            env.push((k.clone(), v.replace("${ENDPOINT}", endpoint)));
        }
    }
    let expect = file.get("expect").cloned().unwrap_or(Value::Null);
    let reply = file
        .get("reply")
        .and_then(Value::as_str)
        .map(|f| o.events.join(f));
    Ok(Smoke {
        reply,
        event,
        env,
        ok: expect.get("ok").and_then(Value::as_bool).unwrap_or(true),
        status: expect.get("status").and_then(Value::as_u64),
        contains: expect
            .get("contains")
            .and_then(Value::as_str)
            .map(String::from),
    })
}

/// Runs one function on its smoke event; the line to print, or why it failed.
async fn smoke_one(
    o: &Options,
    name: &str,
    base_env: &[(String, String)],
) -> Result<String, String> {
    let endpoint = base_env
        .iter()
        .find(|(k, _)| k == "AWS_ENDPOINT_URL" || k == "AWS_ENDPOINT_URL_DYNAMODB")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut smoke = read_smoke(o, name, &endpoint)?;
    let mut store_env = base_env.to_vec();
    store_env.extend(smoke.env.iter().cloned());
    if let Some(path) = smoke.reply.clone() {
        let key = seed_reply(&path, &store_env).await?;
        smoke.event = serde_json::from_str(
            &smoke
                .event
                .to_string()
                .replace("${INBOUND_KEY}", &key)
                .replace("${BUCKET}", &variable(&store_env, "ATTACHMENTS_BUCKET")?),
        )
        .map_err(|e| e.to_string())?;
    }
    let launcher = Launcher {
        bin_dir: o.dir.clone(),
        log_dir: o.logs.clone(),
        store_env,
        runner: o.runner.clone(),
        unpacked: true,
        init_timeout: o.init_timeout,
    };
    if !launcher.binary(name).is_file() {
        return Err(format!("{} is missing", launcher.binary(name).display()));
    }
    let log = o.logs.join(format!("{name}.log"));
    let running = launcher.start(name).await?;
    let init = running.init;
    let answer = running.invoke(&smoke.event).await;
    running.stop().await;
    let c = answer?;
    let raw = String::from_utf8_lossy(&c.body).into_owned();
    let answer: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
    // An HTTP function answers an API Gateway response: its status and body are fields.
    let status = answer.get("statusCode").and_then(Value::as_u64);
    let body = answer
        .get("body")
        .and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_else(|| raw.clone());
    let mut problems = Vec::new();
    if c.ok != smoke.ok {
        problems.push(format!(
            "posted to /{} (expected /{})",
            if c.ok { "response" } else { "error" },
            if smoke.ok { "response" } else { "error" }
        ));
    }
    if let Some(want) = smoke.status {
        if status != Some(want) {
            problems.push(format!("status {status:?}, expected {want}"));
        }
    }
    if let Some(text) = &smoke.contains {
        if !body.contains(text.as_str()) {
            problems.push(format!("the answer does not contain {text:?}"));
        }
    }
    let summary = format!(
        "init {:>6.0} ms  answer {:>6.0} ms  {}  {} bytes",
        init.as_secs_f64() * 1000.0,
        c.latency.as_secs_f64() * 1000.0,
        status.map_or("event".to_string(), |s| format!("status {s}")),
        body.len()
    );
    if problems.is_empty() {
        Ok(summary)
    } else {
        let shown: String = raw.chars().take(600).collect();
        Err(format!(
            "{summary}: {}; answer: {shown}; log: {}",
            problems.join(", "),
            log.display()
        ))
    }
}

fn variable(env: &[(String, String)], name: &str) -> Result<String, String> {
    env.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .ok_or(format!("the smoke test needs {name}"))
}

/// For inbound-mail's smoke: a customer's pack and incident in the local table (through the
/// store, as intake writes them), then the raw reply of `path` from the incident's contact to
/// its reply address (`{{FROM}}`, `{{REPLY_TO}}`, `{{MESSAGE_ID}}` filled in, the token made
/// with the function's own `REPLY_TOKEN_KEY`) stored under `inbound/` as SES receiving stores
/// it. The table, the bucket and the server come from the runner's own environment (as the
/// function's). Returns the object's key, for the event's `${INBOUND_KEY}`.
async fn seed_reply(path: &std::path::Path, env: &[(String, String)]) -> Result<String, String> {
    use domain::intake::{new_incident, NewIncident, Submission};
    use store::idempotency::IdempotencyWrite;
    let template = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let store = store::Store::from_env().await.map_err(|e| e.to_string())?;
    let now = domain::time::parse_instant(&domain::time::format_instant(chrono::Utc::now()))
        .ok_or("now")?;
    let account = store::ids::new_id("acct");
    let contact = format!("{account}@customers.example.com");
    let pack = domain::pack::Pack::new(
        store::ids::new_id("pck"),
        domain::Offer::Single,
        &account,
        now,
        domain::pack::order_confirmation_number(&store::ids::random_bytes::<13>()),
        domain::Money {
            currency: "PLN".into(),
            net: 1999,
            tax: 460,
            gross: 2459,
        },
        false,
    );
    let idem = IdempotencyWrite::new(
        &account.as_str().into(),
        "POST /packs",
        &store::ids::new_id("k"),
        "smoke".into(),
        now,
    );
    store
        .purchase(&pack, &idem)
        .await
        .map_err(|e| format!("the smoke reply's pack: {e}"))?;
    let body = serde_json::json!({"product_id": "windows-server-2022", "category": "configuration",
        "severity": "C", "handling": "business_hours", "title": "Smoke test of e-mailed replies",
        "description": "A reply to this incident comes by e-mail.",
        "contact": {"name": "Jan Kowalski", "email": contact}});
    let submission = Submission::parse(&body).map_err(|e| format!("{e:?}"))?;
    let (incident, submitted) = new_incident(
        &submission,
        NewIncident {
            incident_id: store::ids::new_id("inc").into(),
            account_id: &domain::AccountId::from(account),
            pack_id: &pack.pack_id,
            parent_incident_id: None,
            first_response_warn_at: now + chrono::Duration::hours(6),
            first_response_due_at: now + chrono::Duration::hours(8),
            now,
            number: domain::incident::incident_number(&store::ids::random_bytes::<5>()),
            actor_display_name: None,
        },
    );
    store
        .create_incident(&incident, &submitted, now, None, None)
        .await
        .map_err(|e| format!("the smoke reply's incident: {e}"))?;
    let key = mailbox::ReplyKey::from_secret(&variable(env, "REPLY_TOKEN_KEY")?)
        .map_err(|e| e.to_string())?;
    let reply_to = key
        .reply_address(
            &incident.incident_id,
            &contact,
            &variable(env, "REPLY_DOMAIN")?,
        )
        .ok_or("a reply address")?;
    let raw = template
        .replace("{{FROM}}", &contact)
        .replace("{{REPLY_TO}}", &reply_to)
        .replace(
            "{{MESSAGE_ID}}",
            &format!("{}@customers.example.com", store::ids::new_id("m")),
        );
    let objects = objects::Objects::from_env()
        .await
        .map_err(|e| e.to_string())?;
    let object = format!("inbound/smoke-{}", store::ids::new_id("msg"));
    objects
        .write_bytes(&object, raw.into_bytes(), "message/rfc822")
        .await
        .map_err(|e| format!("storing the smoke reply: {e}"))?;
    Ok(object)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An unsigned token (`alg: none`) claiming an account: what a caller who bypassed the
/// authorizer might send.
fn unsigned_token() -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let now = chrono::Utc::now().timestamp();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = serde_json::json!({"sub": "acct-smoke-unsigned", "exp": now + 600});
    format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

/// Runs an HTTP function on its event stripped of the authorizer's claims and carrying an
/// unsigned bearer token: the function must answer 401.
async fn probe_unsigned(
    o: &Options,
    name: &str,
    base_env: &[(String, String)],
) -> Result<Option<String>, String> {
    let endpoint = base_env
        .iter()
        .find(|(k, _)| k == "AWS_ENDPOINT_URL" || k == "AWS_ENDPOINT_URL_DYNAMODB")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let smoke = read_smoke(o, name, &endpoint)?;
    let mut event = smoke.event.clone();
    let Some(context) = event
        .get_mut("requestContext")
        .and_then(Value::as_object_mut)
    else {
        return Ok(None); // not an HTTP function
    };
    if context.get("authorizer").is_none_or(Value::is_null) {
        return Ok(None); // a public route (the webhook): nothing to prove
    }
    context.remove("authorizer");
    let headers = event
        .as_object_mut()
        .and_then(|e| e.get_mut("headers"))
        .and_then(Value::as_object_mut)
        .ok_or("the event has no headers")?;
    headers.insert(
        "authorization".into(),
        Value::String(format!("Bearer {}", unsigned_token())),
    );
    let mut env = base_env.to_vec();
    env.extend(smoke.env.iter().cloned());
    let launcher = Launcher {
        bin_dir: o.dir.clone(),
        log_dir: o.logs.join("unsigned-probe"),
        store_env: env,
        runner: o.runner.clone(),
        unpacked: true,
        init_timeout: o.init_timeout,
    };
    std::fs::create_dir_all(&launcher.log_dir).map_err(|e| e.to_string())?;
    let running = launcher.start(name).await?;
    let answer = running.http(&event).await;
    running.stop().await;
    let answer = answer?;
    if answer.status == 401 {
        Ok(Some(
            "an unsigned request without authorizer claims is refused (401)".into(),
        ))
    } else {
        Err(format!(
            "an unsigned request without authorizer claims was answered {} (not 401)",
            answer.status
        ))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("smoke: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&o.logs) {
        eprintln!("smoke: create {}: {e}", o.logs.display());
        return ExitCode::from(2);
    }
    let mut base_env: Vec<(String, String)> = PASSED_ON
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect();
    if !base_env.iter().any(|(k, _)| k == "CURSOR_KEY") {
        base_env.push(("CURSOR_KEY".into(), hex(&store::ids::random_bytes::<32>())));
    }
    let mut failed = 0;
    for name in &o.functions {
        match smoke_one(&o, name, &base_env).await {
            Ok(line) => println!("    {name:<16} ok    {line}"),
            Err(e) => {
                failed += 1;
                println!("    {name:<16} FAIL  {e}");
            }
        }
        if o.unsigned_probe {
            match probe_unsigned(&o, name, &base_env).await {
                Ok(Some(line)) => println!("    {name:<16} ok    {line}"),
                Ok(None) => {}
                Err(e) => {
                    failed += 1;
                    println!("    {name:<16} FAIL  {e}");
                }
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("smoke: {failed} of {} functions failed", o.functions.len());
        ExitCode::FAILURE
    }
}
