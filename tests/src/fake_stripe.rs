//! A recording stand-in for Stripe's REST API on loopback (`STRIPE_FAKE_PORT`, which the copy of
//! the API in Stripe mode calls as `STRIPE_API_BASE`). It answers `POST /v1/checkout/sessions`
//! as Stripe documents it, honours Stripe's `Idempotency-Key` (the same key and parameters get the
//! same session back; other parameters are an `idempotency_error`), records every request as it
//! arrived, and can refuse, stall or drop connections on demand.
//!
//! It runs on a thread of its own (each test has its own runtime), started once per test process;
//! tests that use it take `FakeStripe::exclusive` so one test's refusal mode never meets another's
//! order.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Answers like Stripe.
    Normal,
    /// Answers this error status with a Stripe error body; creates nothing.
    Refuse(u16),
    /// Creates the session, then answers only after this long (longer than the caller waits).
    Slow(Duration),
    /// Reads the request, then closes the connection without answering.
    Drop,
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub content_type: String,
    pub raw_body: String,
    /// The body decoded as `application/x-www-form-urlencoded`, in order.
    pub form: Vec<(String, String)>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Stored {
    form: Vec<(String, String)>,
    session: Value,
}

struct State {
    mode: Mode,
    requests: Vec<Recorded>,
    sessions: HashMap<String, Stored>,
    counter: u64,
}

pub struct FakeStripe {
    state: Arc<Mutex<State>>,
}

static FAKE: OnceLock<FakeStripe> = OnceLock::new();
static EXCLUSIVE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl FakeStripe {
    /// The fake, listening on `STRIPE_FAKE_PORT` from the first call on.
    pub fn get() -> &'static FakeStripe {
        FAKE.get_or_init(|| {
            let port: u16 = std::env::var("STRIPE_FAKE_PORT")
                .expect(
                    "STRIPE_FAKE_PORT is set by make test (scripts/stack.sh start_stripe_watch)",
                )
                .parse()
                .expect("STRIPE_FAKE_PORT is a port");
            let state = Arc::new(Mutex::new(State {
                mode: Mode::Normal,
                requests: Vec::new(),
                sessions: HashMap::new(),
                counter: 0,
            }));
            let shared = state.clone();
            let (ready_tx, ready_rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("a runtime for the fake Stripe");
                runtime.block_on(async move {
                    let listener = TcpListener::bind(("127.0.0.1", port))
                        .await
                        .expect("the fake Stripe binds STRIPE_FAKE_PORT");
                    ready_tx.send(()).expect("signal");
                    while let Ok((stream, _)) = listener.accept().await {
                        let state = shared.clone();
                        tokio::spawn(async move {
                            let _ = serve(stream, state).await;
                        });
                    }
                });
            });
            ready_rx.recv().expect("the fake Stripe started");
            FakeStripe { state }
        })
    }

    /// The fake for one test alone, in `Mode::Normal`; held until the guard drops.
    pub async fn exclusive() -> (tokio::sync::MutexGuard<'static, ()>, &'static FakeStripe) {
        let guard = EXCLUSIVE.lock().await;
        let fake = FakeStripe::get();
        fake.set_mode(Mode::Normal);
        (guard, fake)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.lock().mode = mode;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every request whose `Idempotency-Key` is `key` (Stripe's key = the pack id), in order.
    pub fn requests_with_key(&self, key: &str) -> Vec<Recorded> {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.header("idempotency-key") == Some(key))
            .cloned()
            .collect()
    }

    /// How many requests arrived so far.
    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    /// The requests from the `from`-th on.
    pub fn requests_since(&self, from: usize) -> Vec<Recorded> {
        self.lock().requests.iter().skip(from).cloned().collect()
    }

    /// How many distinct sessions were created under this key (Stripe's idempotency: at most 1).
    pub fn sessions_with_key(&self, key: &str) -> usize {
        usize::from(self.lock().sessions.contains_key(key))
    }

    /// The session created under this key, as the fake answered it.
    pub fn session(&self, key: &str) -> Option<Value> {
        self.lock().sessions.get(key).map(|s| s.session.clone())
    }
}

fn decode_component(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn decode_form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Recorded>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let raw_body = String::from_utf8_lossy(&body).into_owned();
    let content_type = headers
        .iter()
        .find(|(n, _)| n == "content-type")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    Ok(Some(Recorded {
        method,
        path,
        form: decode_form(&raw_body),
        headers,
        content_type,
        raw_body,
    }))
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    body: &Value,
    replayed: bool,
) -> std::io::Result<()> {
    let text = body.to_string();
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        402 => "Payment Required",
        404 => "Not Found",
        _ => "Error",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\nrequest-id: req_fake\r\n",
        text.len()
    );
    if replayed {
        head.push_str("idempotent-replayed: true\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(text.as_bytes()).await?;
    stream.shutdown().await
}

fn stripe_error(kind: &str, message: &str) -> Value {
    json!({"error": {"type": kind, "message": message}})
}

/// Stripe's answer to a session request (the fields a Checkout Session object carries that the
/// caller might read).
fn new_session(counter: u64, form: &[(String, String)]) -> Value {
    let field = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let id = format!(
        "cs_test_fake{counter:06}{}",
        store::ids::new_id("x").trim_start_matches("x_")
    );
    let unit: i64 = field("line_items[0][price_data][unit_amount]")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let quantity: i64 = field("line_items[0][quantity]")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    json!({
        "id": id,
        "object": "checkout.session",
        "url": format!("https://checkout.stripe.com/c/pay/{id}"),
        "mode": field("mode"),
        "client_reference_id": field("client_reference_id"),
        "metadata": {"pack_id": field("metadata[pack_id]")},
        "amount_total": unit * quantity,
        "currency": field("line_items[0][price_data][currency]"),
        "success_url": field("success_url"),
        "cancel_url": field("cancel_url"),
        "payment_status": "unpaid",
        "status": "open",
        "livemode": false
    })
}

fn lock(s: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let Some(request) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let mode = {
        let mut s = lock(&state);
        s.requests.push(request.clone());
        s.mode
    };
    if request.method != "POST" || request.path != "/v1/checkout/sessions" {
        return respond(
            &mut stream,
            404,
            &stripe_error("invalid_request_error", "Unrecognized request URL"),
            false,
        )
        .await;
    }
    match mode {
        Mode::Drop => {
            drop(stream);
            Ok(())
        }
        Mode::Refuse(status) => {
            respond(
                &mut stream,
                status,
                &stripe_error("card_error", "refused by the fake"),
                false,
            )
            .await
        }
        Mode::Normal | Mode::Slow(_) => {
            let key = request.header("idempotency-key").map(str::to_string);
            let (status, body, replayed) = {
                let mut s = lock(&state);
                s.counter += 1;
                let counter = s.counter;
                match key.as_ref().and_then(|k| s.sessions.get(k)) {
                    Some(stored) if stored.form == request.form => (200, stored.session.clone(), true),
                    Some(_) => (
                        400,
                        stripe_error(
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                        ),
                        false,
                    ),
                    None => {
                        let session = new_session(counter, &request.form);
                        if let Some(k) = key {
                            s.sessions.insert(
                                k,
                                Stored {
                                    form: request.form.clone(),
                                    session: session.clone(),
                                },
                            );
                        }
                        (200, session, false)
                    }
                }
            };
            if let Mode::Slow(delay) = mode {
                tokio::time::sleep(delay).await;
            }
            respond(&mut stream, status, &body, replayed).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::decode_form;

    #[test]
    fn form_bodies_are_decoded_with_brackets_spaces_and_escapes() {
        let form = decode_form(
            "mode=payment&line_items%5B0%5D%5Bquantity%5D=1&name=Support%3A+1+incident&x=%",
        );
        assert_eq!(
            form,
            vec![
                ("mode".to_string(), "payment".to_string()),
                ("line_items[0][quantity]".to_string(), "1".to_string()),
                ("name".to_string(), "Support: 1 incident".to_string()),
                ("x".to_string(), "%".to_string()),
            ]
        );
    }
}
