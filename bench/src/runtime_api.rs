//! A fake Lambda Runtime API on loopback: just enough HTTP/1.1 for `lambda_runtime`'s client.
//! It hands out one event per `GET …/invocation/next`, takes the answer from
//! `POST …/invocation/{id}/response` (or `/error`), and timestamps both ends, so a latency is
//! exactly "event handed out → response received". Written on plain tokio sockets rather than
//! hyper's server: that feature is not otherwise in the build, and enabling it would rebuild the
//! SDK with a different feature set next to the functions' own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, Mutex as AsyncMutex};
use tokio::task::JoinSet;

const PREFIX: &str = "/2018-06-01/runtime/";

/// What the function answered for one invocation.
#[derive(Debug)]
pub struct Completion {
    /// `false` when it posted to `/error`.
    pub ok: bool,
    pub body: Vec<u8>,
    /// Event handed out → answer received.
    pub latency: Duration,
}

struct Pending {
    id: String,
    body: Vec<u8>,
    done: oneshot::Sender<Completion>,
}

struct Inner {
    function_name: String,
    queue: AsyncMutex<mpsc::UnboundedReceiver<Pending>>,
    /// Handed out, waiting for their answer: request id → (handed out at, where to send it).
    in_flight: Mutex<HashMap<String, (Instant, oneshot::Sender<Completion>)>>,
    first_next: Mutex<Option<oneshot::Sender<Instant>>>,
    init_error: Mutex<Option<String>>,
}

/// One fake Runtime API, for one function process. Dropping it stops serving.
pub struct FakeRuntime {
    pub port: u16,
    inner: Arc<Inner>,
    queue: mpsc::UnboundedSender<Pending>,
    first_next: Option<oneshot::Receiver<Instant>>,
    next_id: AtomicU64,
    _tasks: JoinSet<()>,
}

impl FakeRuntime {
    pub async fn bind(function_name: &str) -> std::io::Result<FakeRuntime> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (queue, rx) = mpsc::unbounded_channel();
        let (first_tx, first_rx) = oneshot::channel();
        let inner = Arc::new(Inner {
            function_name: function_name.to_string(),
            queue: AsyncMutex::new(rx),
            in_flight: Mutex::new(HashMap::new()),
            first_next: Mutex::new(Some(first_tx)),
            init_error: Mutex::new(None),
        });
        let mut tasks = JoinSet::new();
        let serving = inner.clone();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                connections.spawn(serve_connection(stream, serving.clone()));
            }
        });
        Ok(FakeRuntime {
            port,
            inner,
            queue,
            first_next: Some(first_rx),
            next_id: AtomicU64::new(1),
            _tasks: tasks,
        })
    }

    /// `host:port` for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Waits for the process's first `GET …/invocation/next`; the instant it arrived.
    pub async fn first_next(&mut self, timeout: Duration) -> Result<Instant, String> {
        let rx = self
            .first_next
            .take()
            .ok_or("first_next was already awaited")?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(at)) => Ok(at),
            _ => Err(match self.inner.init_error.lock().unwrap().clone() {
                Some(e) => format!("the function reported an init error: {e}"),
                None => format!("no GET /next within {timeout:?}"),
            }),
        }
    }

    /// Queues one event and waits for its answer.
    pub async fn invoke(
        &self,
        event: &serde_json::Value,
        timeout: Duration,
    ) -> Result<Completion, String> {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let id = format!("bench-{}-{n:06}", self.inner.function_name);
        let (done, rx) = oneshot::channel();
        self.queue
            .send(Pending {
                id: id.clone(),
                body: serde_json::to_vec(event).map_err(|e| e.to_string())?,
                done,
            })
            .map_err(|_| "the fake runtime stopped".to_string())?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(_)) => Err(format!("invocation {id} was dropped")),
            Err(_) => Err(format!("invocation {id}: no answer within {timeout:?}")),
        }
    }
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

async fn serve_connection(stream: TcpStream, inner: Arc<Inner>) {
    let mut conn = BufReader::new(stream);
    loop {
        let req = match read_request(&mut conn).await {
            Ok(Some(r)) => r,
            Ok(None) | Err(_) => return,
        };
        let arrived = Instant::now();
        let path = req.path.strip_prefix(PREFIX).unwrap_or("");
        let written = match (req.method.as_str(), path) {
            ("GET", "invocation/next") => {
                if let Some(tx) = inner.first_next.lock().unwrap().take() {
                    let _ = tx.send(arrived);
                }
                let next = inner.queue.lock().await.recv().await;
                let Some(p) = next else { return };
                let deadline = SystemTime::now()
                    .checked_add(Duration::from_secs(30))
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map(|d| d.as_millis())
                    .unwrap_or(0);
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     lambda-runtime-aws-request-id: {id}\r\n\
                     lambda-runtime-deadline-ms: {deadline}\r\n\
                     lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:{name}\r\n\
                     lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000;Sampled=0\r\n\
                     content-length: {len}\r\n\r\n",
                    id = p.id,
                    name = inner.function_name,
                    len = p.body.len(),
                );
                let mut out = head.into_bytes();
                out.extend_from_slice(&p.body);
                inner
                    .in_flight
                    .lock()
                    .unwrap()
                    .insert(p.id.clone(), (Instant::now(), p.done));
                conn.get_mut().write_all(&out).await
            }
            ("POST", p) if p.starts_with("invocation/") => {
                let mut parts = p.split('/').skip(1);
                let (id, kind) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                if let Some((handed_out, done)) = inner.in_flight.lock().unwrap().remove(id) {
                    let _ = done.send(Completion {
                        ok: kind == "response",
                        body: req.body,
                        latency: arrived.duration_since(handed_out),
                    });
                }
                accepted(&mut conn).await
            }
            ("POST", "init/error") => {
                *inner.init_error.lock().unwrap() =
                    Some(String::from_utf8_lossy(&req.body).into_owned());
                accepted(&mut conn).await
            }
            _ => {
                conn.get_mut()
                    .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                    .await
            }
        };
        if written.is_err() {
            return;
        }
    }
}

async fn accepted(conn: &mut BufReader<TcpStream>) -> std::io::Result<()> {
    conn.get_mut()
        .write_all(
            b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 16\r\n\r\n{\"status\":\"OK\"}\n",
        )
        .await
}

/// One request: its line, headers, and body (by `content-length` or chunked). `None` at a clean
/// end of the connection.
async fn read_request(conn: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if conn.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut header = String::new();
        if conn.read_line(&mut header).await? == 0 {
            return Ok(None);
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            } else if name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked")
            {
                chunked = true;
            }
        }
    }
    let body = if chunked {
        read_chunked(conn).await?
    } else {
        let mut body = vec![0; length];
        conn.read_exact(&mut body).await?;
        body
    };
    Ok(Some(Request { method, path, body }))
}

async fn read_chunked(conn: &mut BufReader<TcpStream>) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        conn.read_line(&mut size).await?;
        let hex = size.trim().split(';').next().unwrap_or("");
        let n = usize::from_str_radix(hex, 16)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "chunk size"))?;
        if n == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut trailer = String::new();
                if conn.read_line(&mut trailer).await? == 0 || trailer.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + n, 0);
        conn.read_exact(&mut body[start..]).await?;
        let mut crlf = [0u8; 2];
        conn.read_exact(&mut crlf).await?;
    }
}
