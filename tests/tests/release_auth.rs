//! A function built as it is deployed (without the `local-auth` feature) cannot be signed into
//! with a locally made token, even with `LOCAL_AUTH_SECRET` in its environment; the same binary
//! built for local runs (with the feature) can. Both run as Lambda runs them, each its own
//! process against a fake Runtime API (the bench's), with an API Gateway v2 event that carries
//! no authorizer claims, only the bearer token.
//!
//! The release-configuration binary is built by `build_release_auth_probe` in scripts/stack.sh
//! (scripts/test.sh calls it) and named by `NO_LOCAL_AUTH_INTAKE`.

#[allow(dead_code)]
#[path = "../../bench/src/runtime_api.rs"]
mod runtime_api;

#[allow(dead_code)]
#[path = "../../bench/src/function.rs"]
mod function;

use function::Launcher;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const SECRET: &str = "release-auth-probe-secret";

fn event(token: &str) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "GET /calendars",
        "rawPath": "/calendars",
        "rawQueryString": "",
        "headers": {"authorization": format!("Bearer {token}")},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": "GET", "path": "/calendars", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "release-auth"},
            "requestId": "req-release-auth",
            "routeKey": "GET /calendars",
            "stage": "$default",
            "time": "01/Dec/2026:12:00:00 +0000",
            "timeEpoch": 1_796_126_400_000_i64
        },
        "isBase64Encoded": false
    })
}

/// `GET /calendars` (no data store needed) as `binary` answers a locally signed token.
async fn status_of(binary: &Path) -> u16 {
    let bin_dir = binary.parent().expect("a directory").to_path_buf();
    let log_dir = std::env::temp_dir().join(format!("release-auth-{}", std::process::id()));
    std::fs::create_dir_all(&log_dir).expect("log directory");
    let env = [
        ("TABLE_NAME", "release-auth"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        // Nothing listens there: the answer must not need the data store.
        ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9"),
        ("LOCAL_AUTH_SECRET", SECRET),
        ("CURSOR_KEY", "release-auth-probe-cursor-key-0123456789"),
    ];
    let launcher = Launcher {
        bin_dir,
        log_dir,
        store_env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        runner: Vec::new(),
        unpacked: false,
        init_timeout: std::time::Duration::from_secs(30),
    };
    let name = binary
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a file name");
    let running = launcher.start(name).await.expect("the function starts");
    let exp = chrono::Utc::now().timestamp() + 600;
    let token = api::identity::mint_local_token(
        SECRET.as_bytes(),
        "release-auth-probe",
        "probe@example.com",
        &["support-engineers"],
        exp,
    );
    let answer = running.http(&event(&token)).await.expect("an answer");
    running.stop().await;
    answer.status
}

fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

#[tokio::test]
async fn a_build_without_local_auth_refuses_a_locally_signed_token() {
    let release = std::env::var("NO_LOCAL_AUTH_INTAKE").expect(
        "NO_LOCAL_AUTH_INTAKE names intake built without local-auth \
         (scripts/stack.sh build_release_auth_probe; make test runs it)",
    );
    assert_eq!(status_of(Path::new(&release)).await, 401);
}

#[tokio::test]
async fn the_local_build_accepts_the_same_token() {
    // The counterpart: the probe can tell the two builds apart (the token and event are good).
    assert_eq!(status_of(&target_dir().join("debug/intake")).await, 200);
}
