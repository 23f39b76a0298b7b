//! A release function binary run as Lambda runs it: its own process, its own fake Runtime API,
//! the environment Lambda sets (plus the table and the local endpoint), logs to a file.

use crate::runtime_api::{Completion, FakeRuntime};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// Spawn → first `GET …/invocation/next`, for a binary run directly.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(20);
const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Every function of the product (the members under `functions/`), in report order: cold init
/// and zip size are measured for each.
pub const ALL_FUNCTIONS: [&str; 11] = [
    "intake",
    "response",
    "attachments",
    "closure",
    "pack-purchase",
    "privacy",
    "sla-sweeper",
    "reports",
    "payment-webhook",
    "notifier",
    "inbound-mail",
];

/// What a function needs to start that the launcher's own variables do not give: the
/// configuration each function reads at init (and fails without), pointing nowhere a request
/// would reach unless the caller sets it. A variable of `store_env`, or of the environment for
/// `cold-init`, wins.
pub const INIT_DEFAULTS: [(&str, &str); 18] = [
    ("TABLE_NAME", "incident-desk-bench"),
    (
        "CURSOR_KEY",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ),
    ("ATTACHMENTS_BUCKET", "incident-desk-attachments"),
    ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9"),
    ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9"),
    ("AWS_ENDPOINT_URL_SESV2", "http://127.0.0.1:9"),
    ("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:9"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_ACCESS_KEY_ID", "local"),
    ("AWS_SECRET_ACCESS_KEY", "local"),
    ("NOTIFY_FROM", "desk@example.com"),
    ("SUPPORT_TEAM_EMAIL", "team@example.com"),
    ("SUPPORT_ADMINS_EMAIL", "admins@example.com"),
    ("CONSOLE_URL", "http://127.0.0.1:5173"),
    (
        "RATING_TOKEN_KEY",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ),
    (
        "PAGER_TOPIC_ARN",
        "arn:aws:sns:us-east-1:123456789012:incident-desk-pager",
    ),
    ("REPLY_DOMAIN", "reply.example.com"),
    (
        "REPLY_TOKEN_KEY",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ),
];

/// Where the binaries are and what the processes get.
pub struct Launcher {
    pub bin_dir: PathBuf,
    pub log_dir: PathBuf,
    /// `TABLE_NAME`, `AWS_ENDPOINT_URL_DYNAMODB`, region and dummy credentials (over
    /// [`INIT_DEFAULTS`]).
    pub store_env: Vec<(String, String)>,
    /// A program that runs each binary, e.g. `qemu-aarch64 -L /usr/aarch64-linux-gnu` for an
    /// arm64 build on an x86_64 machine; empty: the binary runs directly.
    pub runner: Vec<String>,
    /// `true`: each binary is an unpacked Lambda zip, `<bin_dir>/<name>/bootstrap`;
    /// `false`: `<bin_dir>/<name>` (cargo's output directory).
    pub unpacked: bool,
    /// How long a process may take to ask for its first event.
    pub init_timeout: Duration,
}

pub struct Running {
    pub name: String,
    child: Child,
    runtime: FakeRuntime,
    /// Spawn → first `GET …/invocation/next`.
    pub init: Duration,
}

/// An API Gateway v2 response as the function returned it.
pub struct HttpAnswer {
    pub status: u16,
    pub body: Value,
    pub latency: Duration,
}

impl Launcher {
    pub fn binary(&self, name: &str) -> PathBuf {
        if self.unpacked {
            self.bin_dir.join(name).join("bootstrap")
        } else {
            self.bin_dir.join(name)
        }
    }

    /// Starts `name` and waits until it asks for its first event.
    pub async fn start(&self, name: &str) -> Result<Running, String> {
        let mut runtime = FakeRuntime::bind(name)
            .await
            .map_err(|e| format!("bind the fake runtime for {name}: {e}"))?;
        let log = self.log_dir.join(format!("{name}.log"));
        let mut command = self.command(name, &runtime, &log)?;
        let spawned = Instant::now();
        let mut child = command
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", self.binary(name).display()))?;
        let first = tokio::select! {
            r = runtime.first_next(self.init_timeout) => r,
            status = child.wait() => Err(format!("exited before asking for an event: {status:?}")),
        }
        .map_err(|e| format!("{name}: {e}; see {}", log.display()))?;
        Ok(Running {
            name: name.to_string(),
            child,
            runtime,
            init: first.duration_since(spawned),
        })
    }

    fn command(&self, name: &str, runtime: &FakeRuntime, log: &Path) -> Result<Command, String> {
        let open = || {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .map_err(|e| format!("open {}: {e}", log.display()))
        };
        let mut command = match self.runner.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(self.binary(name));
                c
            }
            None => Command::new(self.binary(name)),
        };
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // As Lambda sets them from the template's LoggingConfig (JSON lines, level INFO).
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
            .envs(INIT_DEFAULTS)
            .envs(self.store_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(open()?)
            .stderr(open()?)
            .kill_on_drop(true);
        Ok(command)
    }
}

impl Running {
    pub async fn invoke(&self, event: &Value) -> Result<Completion, String> {
        self.runtime
            .invoke(event, INVOKE_TIMEOUT)
            .await
            .map_err(|e| format!("{}: {e}", self.name))
    }

    /// Invokes with an API Gateway v2 event and reads the HTTP answer out of the response.
    pub async fn http(&self, event: &Value) -> Result<HttpAnswer, String> {
        let c = self.invoke(event).await?;
        let answer: Value = serde_json::from_slice(&c.body).map_err(|e| {
            format!(
                "{}: answer is not JSON ({e}): {}",
                self.name,
                String::from_utf8_lossy(&c.body)
            )
        })?;
        if !c.ok {
            return Err(format!("{}: invocation error: {answer}", self.name));
        }
        let status = answer["statusCode"].as_u64().unwrap_or(0) as u16;
        let body = answer["body"]
            .as_str()
            .map(|b| serde_json::from_str(b).unwrap_or(Value::String(b.to_string())))
            .unwrap_or(Value::Null);
        Ok(HttpAnswer {
            status,
            body,
            latency: c.latency,
        })
    }

    /// Peak resident set so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}
