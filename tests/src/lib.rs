//! Drives the running local stack as the front end does: over HTTP through the local gateway
//! (infra/local/api_gateway.py: API Gateway's routes, CORS and JWT authorizer) in front of
//! `cargo lambda watch`, and the sweeper through `cargo lambda invoke`.
//! `make test` starts the stack and exports where it is; run outside it, the tests fail loudly.

pub mod fake_stripe;
pub mod fault_proxy;
pub mod tokens;

use api::identity::{ADMINS_GROUP, ENGINEERS_GROUP};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the suite with `make test`, which starts the local stack")
    })
}

pub fn base_url() -> String {
    env("INCIDENT_DESK_URL")
}

/// The local OpenID Connect provider's key, to sign ID tokens for the tests' own accounts.
pub fn signer() -> &'static tokens::Signer {
    static SIGNER: OnceLock<tokens::Signer> = OnceLock::new();
    SIGNER.get_or_init(|| {
        tokens::Signer::from_env().unwrap_or_else(|e| {
            panic!("{e}: run the suite with `make test`, which starts the local stack")
        })
    })
}

fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(90))
            // Each test has its own runtime: a pooled connection from a finished test's runtime
            // is dead, so connections are never kept between requests.
            .pool_max_idle_per_host(0)
            .build()
            .expect("http client")
    })
}

/// A token that does not verify: a valid one for another account with its claims swapped for
/// `sub`'s (an admin's), the signature left as it was.
pub fn forged_token(sub: &str) -> String {
    use base64::Engine;
    let genuine = signer().id_token("someone-else", Some("x@example.com"), &[]);
    let mut parts: Vec<&str> = genuine.split('.').collect();
    let claims = signer().id_claims(sub, Some("x@example.com"), &[ADMINS_GROUP], 600);
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    parts[1] = &payload;
    parts.join(".")
}

/// A signed-in person: an account id and a token carrying its groups.
#[derive(Clone, Debug)]
pub struct User {
    pub account_id: String,
    pub token: String,
}

impl User {
    pub fn new(groups: &[&str]) -> User {
        let account_id = store::ids::new_id("acct");
        let token = signer().id_token(
            &account_id,
            Some(&format!("{account_id}@example.com")),
            groups,
        );
        User { account_id, token }
    }
    pub fn customer() -> User {
        User::new(&[])
    }
    /// The same account signed in again with a token presenting `email`.
    pub fn with_email(&self, email: &str) -> User {
        User {
            account_id: self.account_id.clone(),
            token: signer().id_token(&self.account_id, Some(email), &[]),
        }
    }
    pub fn engineer() -> User {
        User::new(&[ENGINEERS_GROUP])
    }
    /// An engineer whose ID token carries a display name (`name`), as Cognito's does when the
    /// user has one.
    pub fn engineer_named(name: &str) -> User {
        let account_id = store::ids::new_id("acct");
        let mut claims = signer().id_claims(
            &account_id,
            Some(&format!("{account_id}@example.com")),
            &[ENGINEERS_GROUP],
            3600,
        );
        claims["name"] = json!(name);
        User {
            token: signer().sign(&claims),
            account_id,
        }
    }
    /// This account's address as its token presents it.
    pub fn email(&self) -> String {
        format!("{}@example.com", self.account_id)
    }
    pub fn admin() -> User {
        User::new(&[ADMINS_GROUP])
    }
}

/// What came back: status, headers, JSON body (`Value::Null` if none).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Asserts the status, showing the body when it differs.
    pub fn expect(self, status: u16) -> Answer {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }
    /// Asserts the gateway's own refusal of a missing or bad token, as API Gateway's JWT
    /// authorizer answers it (`401 {"message":"Unauthorized"}`): the function was never invoked
    /// (a function's 401 is problem+json with a `code`).
    pub fn expect_unauthorized(self) -> Answer {
        assert_eq!(self.status, 401, "unexpected status; body: {}", self.body);
        assert_eq!(
            self.body,
            json!({"message": "Unauthorized"}),
            "the gateway's own answer"
        );
        self
    }
    /// Asserts a problem+json answer with this status and code.
    pub fn expect_problem(self, status: u16, code: &str) -> Answer {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(
            self.body["code"], code,
            "unexpected code; body: {}",
            self.body
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        self
    }
    /// The fields named in a 400's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub struct Req {
    builder: reqwest::RequestBuilder,
    /// A GET, or a request carrying an Idempotency-Key: sending it again cannot change anything
    /// the first send did not.
    replay_safe: bool,
}

/// `cargo lambda watch` answers the runtime's `POST .../response` before it has read the body and
/// relays that body to the waiting HTTP caller afterwards; now and then, under load and only for
/// answers of more than one TCP segment (~16 KB), the body arrives cut and the emulator answers
/// `500 text/plain {"type":"https://httpstatuses.com/500",...}` itself although the function
/// logged its own answer. API Gateway has no such step, and the functions never answer like that
/// (their errors are problem+json with a `code`), so the signature is unambiguous.
pub fn is_emulator_relay_failure(status: u16, headers: &HeaderMap, bytes: &[u8]) -> bool {
    let problem = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    status == 500
        && !problem
        && serde_json::from_slice::<Value>(bytes)
            .is_ok_and(|v| v["type"] == "https://httpstatuses.com/500" && v.get("code").is_none())
}

impl Req {
    pub fn token(mut self, user: &User) -> Req {
        self.builder = self.builder.bearer_auth(&user.token);
        self
    }
    pub fn raw_token(mut self, token: &str) -> Req {
        self.builder = self.builder.bearer_auth(token);
        self
    }
    pub fn json(mut self, body: &Value) -> Req {
        self.builder = self.builder.json(body);
        self
    }
    pub fn body(mut self, content_type: &str, body: impl Into<reqwest::Body>) -> Req {
        self.builder = self.builder.header("content-type", content_type).body(body);
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.builder = self.builder.header(name, value);
        self
    }
    pub fn idempotency_key(mut self, key: &str) -> Req {
        self.replay_safe = true;
        self.header("Idempotency-Key", key)
    }
    /// Sends the request. A replay-safe request whose answer the local emulator failed to relay
    /// is sent again (up to three times, each noted on stderr, which a failing test shows), as a
    /// client of the API would retry a lost answer; any other answer, including every 5xx of the
    /// functions themselves, is returned as it came.
    pub async fn send(self) -> Answer {
        const MAX_RESENDS: usize = 3;
        let Req {
            builder,
            replay_safe,
        } = self;
        let mut builder = Some(builder);
        let mut resends = 0;
        let (status, headers, bytes) = loop {
            let copy = (replay_safe && resends < MAX_RESENDS)
                .then(|| builder.as_ref().and_then(|b| b.try_clone()))
                .flatten();
            let current = match copy {
                Some(copy) => copy,
                None => builder.take().expect("a request is sent at most once"),
            };
            let response = current.send().await.expect("the local stack answers");
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let bytes = response.bytes().await.expect("a body");
            if builder.is_none() || !is_emulator_relay_failure(status, &headers, &bytes) {
                break (status, headers, bytes);
            }
            resends += 1;
            eprintln!("note: the local emulator did not relay an answer; sent again ({resends})");
        };
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| json!({"raw": String::from_utf8_lossy(&bytes)}))
        };
        Answer {
            status,
            headers,
            body,
        }
    }
}

pub fn get(path: &str) -> Req {
    Req {
        builder: http().get(format!("{}{}", base_url(), path)),
        replay_safe: true,
    }
}

pub fn post(path: &str) -> Req {
    Req {
        builder: http().post(format!("{}{}", base_url(), path)),
        replay_safe: false,
    }
}

pub fn request(method: &str, path: &str) -> Req {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    Req {
        replay_safe: method == reqwest::Method::GET,
        builder: http().request(method, format!("{}{}", base_url(), path)),
    }
}

/// The copy of the API running with `PAYMENT_PROVIDER=stripe` against the fake Stripe.
pub fn stripe_url() -> String {
    env("INCIDENT_DESK_STRIPE_URL")
}

pub fn post_stripe(path: &str) -> Req {
    Req {
        builder: http().post(format!("{}{}", stripe_url(), path)),
        replay_safe: false,
    }
}

pub fn get_stripe(path: &str) -> Req {
    Req {
        builder: http().get(format!("{}{}", stripe_url(), path)),
        replay_safe: true,
    }
}

/// The signing secret the Stripe-mode copy verifies webhook events with.
pub fn webhook_secret() -> String {
    env("STRIPE_E2E_WEBHOOK_SECRET")
}

/// How long the Stripe-mode copy waits for Stripe.
pub fn stripe_timeout() -> Duration {
    Duration::from_millis(
        env("STRIPE_E2E_TIMEOUT_MS")
            .parse()
            .expect("STRIPE_E2E_TIMEOUT_MS is a number"),
    )
}

pub fn new_key() -> String {
    store::ids::new_id("key")
}

/// The same table the functions use, for ledger checks and test set-up through the store.
pub async fn store() -> store::Store {
    store::Store::from_env()
        .await
        .expect("TABLE_NAME is set by make test")
}

/// Buys a pack as `user` and returns its JSON.
pub async fn buy_pack(user: &User, offer: &str) -> Value {
    post("/packs")
        .token(user)
        .idempotency_key(&new_key())
        .json(&json!({"offer": offer, "billing_country": "PL"}))
        .send()
        .await
        .expect(201)
        .body
}

/// A valid submission body for a product in support, severity C (the bench's fixture).
pub fn submission() -> Value {
    bench::fixtures::submission_body()
}

/// Submits an incident; returns the answer.
pub async fn submit(user: &User, body: &Value) -> Answer {
    post("/incidents")
        .token(user)
        .idempotency_key(&new_key())
        .json(body)
        .send()
        .await
}

/// Asserts that every pack's ledger reconciles: remaining = total − debits + credits, never negative.
pub async fn assert_reconciles(pack_ids: &[String]) {
    let store = store().await;
    for id in pack_ids {
        let r = store
            .reconcile(id)
            .await
            .expect("store reachable")
            .expect("pack exists");
        assert!(r.balances(), "pack {id} does not reconcile: {r:?}");
    }
}

/// Runs `cargo lambda invoke <function>` against the running watch with a JSON event.
pub async fn lambda_invoke(function: &str, event: &Value) -> Value {
    let out = invoke_output(function, event).await;
    assert!(
        out.status.success(),
        "cargo lambda invoke {function} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "invoke output is not JSON: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// An API Gateway HTTP API (payload 2.0) event as the JWT authorizer delivers it.
pub fn http_event(method: &str, path: &str, claims: Value) -> Value {
    http_event_with_body(method, path, claims, None)
}

pub fn http_event_with_body(
    method: &str,
    path: &str,
    claims: Value,
    body: Option<&Value>,
) -> Value {
    json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "idempotency-key": new_key()},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "authorizer": {"jwt": {"claims": claims, "scopes": null}},
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "e2e"},
            "requestId": new_key(),
            "routeKey": format!("{method} {path}"),
            "stage": "$default",
            "time": "25/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1_795_000_000_000_i64
        },
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false
    })
}

/// One message the local SES accepted (moto's `/moto-api/data.json`, `ses.Message`).
#[derive(Debug, Clone)]
pub struct SentMail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    /// The HTML part (the local SES keeps one part; the HTML one when there is one).
    pub body: String,
    /// The plain-text part and `Reply-To` (kept by infra/local/moto_patches.py, patch 5).
    pub text: String,
    pub reply_to: Vec<String>,
}

/// Every message the local SES has accepted so far.
pub async fn outbox() -> Vec<SentMail> {
    let url = format!("{}/moto-api/data.json", env("AWS_ENDPOINT_URL_DYNAMODB"));
    let data: Value = http()
        .get(url)
        .send()
        .await
        .expect("the local server answers")
        .json()
        .await
        .expect("data.json is JSON");
    data["ses"]["Message"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .map(|m| SentMail {
                    from: m["source"].as_str().unwrap_or_default().to_string(),
                    to: m["destinations"]["ToAddresses"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    subject: m["subject"].as_str().unwrap_or_default().to_string(),
                    body: m["body"].as_str().unwrap_or_default().to_string(),
                    text: m["text"].as_str().unwrap_or_default().to_string(),
                    reply_to: m["reply_to"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The mail to `to` whose subject contains `subject`, once at least `count` of them have
/// arrived, then a few seconds more, so a duplicate that was going to follow is seen too.
/// Panics naming what was missing after the wait. The relay delivers within seconds on an idle
/// stack; under the whole suite (one local server for every test) it can lag by minutes.
pub async fn mail_to(to: &str, subject: &str, count: usize) -> Vec<SentMail> {
    let matching = |all: Vec<SentMail>| -> Vec<SentMail> {
        all.into_iter()
            .filter(|m| m.to.iter().any(|t| t == to) && m.subject.contains(subject))
            .collect()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    loop {
        let found = matching(outbox().await);
        if found.len() >= count {
            tokio::time::sleep(Duration::from_secs(3)).await;
            return matching(outbox().await);
        }
        if std::time::Instant::now() > deadline {
            let subjects: Vec<String> = outbox()
                .await
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t == to))
                .map(|m| m.subject)
                .collect();
            panic!("no {count} mail to {to} with subject containing {subject:?}; to {to}: {subjects:?}");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A unique address on a domain the local SES accepts.
pub fn new_address(label: &str) -> String {
    format!("{label}-{}@customer.example", store::ids::new_id("m"))
}

/// Like `post`, against the copy of the API whose store sits behind the fault proxy.
pub fn post_faulty(path: &str) -> Req {
    Req {
        builder: http().post(format!("{}{}", env("INCIDENT_DESK_FAULTY_URL"), path)),
        replay_safe: false,
    }
}

/// The fault proxy's port and upstream, as `make test` set them up.
pub fn fault_proxy_address() -> (u16, String) {
    let port = env("FAULT_PROXY_PORT")
        .parse()
        .expect("FAULT_PROXY_PORT is a port");
    (port, env("FAULT_PROXY_UPSTREAM"))
}

/// Runs `cargo lambda invoke` expecting the function to return an error; returns everything
/// the invocation printed (the error's type and message are in it).
pub async fn lambda_invoke_failure(function: &str, event: &Value) -> String {
    let out = invoke_output(function, event).await;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success(),
        "cargo lambda invoke {function} succeeded: {printed}"
    );
    printed
}

/// `cargo lambda invoke <function>` against the running watch, with the event inline.
async fn invoke_output(function: &str, event: &Value) -> std::process::Output {
    let port = env("CARGO_LAMBDA_INVOKE_PORT");
    tokio::process::Command::new(env("CARGO_LAMBDA_BIN"))
        .args([
            "lambda",
            "invoke",
            function,
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
            &port,
        ])
        .args([
            "--data-ascii",
            &event.to_string(),
            "--output-format",
            "json",
        ])
        .output()
        .await
        .expect("cargo lambda runs")
}

/// An incident's `number` (what people and e-mail subjects see instead of its id).
pub async fn number_of(incident_id: &str) -> String {
    get(&format!("/incidents/{incident_id}"))
        .token(&User::engineer())
        .send()
        .await
        .expect(200)
        .body["number"]
        .as_str()
        .expect("every incident has a number")
        .to_string()
}

/// Waits past the clock's next second. Instants are kept to the second, so two changes made
/// in one second tie (and a list ordered by them orders the tie by id): a test that needs the
/// first to come first waits between them.
pub async fn next_second() {
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
}

#[cfg(test)]
mod tests {
    use super::is_emulator_relay_failure;
    use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};

    fn headers(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_str(content_type).expect("value"),
        );
        h
    }

    const EMULATOR: &[u8] =
        br#"{"status":500,"title":"Internal Server Error","type":"https://httpstatuses.com/500"}"#;

    #[test]
    fn the_emulators_own_500_is_recognised() {
        assert!(is_emulator_relay_failure(
            500,
            &headers("text/plain; charset=utf-8"),
            EMULATOR
        ));
        assert!(is_emulator_relay_failure(500, &HeaderMap::new(), EMULATOR));
    }

    #[test]
    fn a_500_or_503_of_the_functions_is_never_mistaken_for_it() {
        let ours = api::problem::ApiError::Internal("cause".into())
            .body()
            .to_string();
        let ours = ours.as_bytes();
        assert!(!is_emulator_relay_failure(
            500,
            &headers("application/problem+json"),
            ours
        ));
        assert!(!is_emulator_relay_failure(
            500,
            &headers("text/plain"),
            ours
        ));
        assert!(!is_emulator_relay_failure(
            500,
            &headers("application/problem+json"),
            EMULATOR
        ));
        assert!(!is_emulator_relay_failure(
            503,
            &headers("text/plain"),
            EMULATOR
        ));
        assert!(!is_emulator_relay_failure(
            500,
            &headers("text/plain"),
            b"not json"
        ));
    }
}
