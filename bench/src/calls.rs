//! The store calls a request made, MEASURED: the local server records every DynamoDB call when
//! started with `LOCAL_DYNAMODB_RECORD=1` (`infra/local/dynamodb_server.py`; `scripts/bench.sh`
//! sets it) and serves its log at `GET /__calls?since=N`. The bench reads the log right before
//! and right after each handler request it times; nothing else calls the store in between, so
//! what was logged in between is that request's calls. From them: the calls by operation, the
//! round trips, the write units the server computed (DynamoDB's documented rules, not metered),
//! and the time the server spent on them under its one lock.

use serde_json::Value;
use std::collections::BTreeMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One call, as the server logged it; times in ms on the server's monotonic clock.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// `GetItem`, `Query`, `TransactWriteItems`, ...
    pub op: String,
    /// Arrival, before waiting for the server's lock.
    pub arrived_ms: f64,
    /// The lock taken: the server starts on it.
    pub started_ms: f64,
    /// Answered.
    pub done_ms: f64,
    /// HTTP 200.
    pub ok: bool,
    /// Computed table write units (a transaction's twice, as documented).
    pub wcu: u64,
    /// Computed global secondary index write units.
    pub index_wcu: u64,
    /// Computed read units of a transaction's condition checks.
    pub rcu_checks: u64,
}

/// Parses `GET /__calls`'s answer: the last sequence number and the calls.
pub fn parse(v: &Value) -> Result<(u64, Vec<Call>), String> {
    let next = v["next"].as_u64().ok_or("no \"next\" in the calls log")?;
    let calls = v["calls"]
        .as_array()
        .ok_or("no \"calls\" in the calls log")?
        .iter()
        .map(|c| {
            let ms = |k: &str| c[k].as_f64().ok_or(format!("a call without {k}: {c}"));
            Ok(Call {
                op: c["op"].as_str().unwrap_or("?").to_string(),
                arrived_ms: ms("arrived_ms")?,
                started_ms: ms("started_ms")?,
                done_ms: ms("done_ms")?,
                ok: c["status"].as_u64() == Some(200),
                wcu: c["wcu"].as_u64().unwrap_or(0),
                index_wcu: c["index_wcu"].as_u64().unwrap_or(0),
                rcu_checks: c["rcu_checks"].as_u64().unwrap_or(0),
            })
        })
        .collect::<Result<_, String>>()?;
    Ok((next, calls))
}

/// Round trips: the longest chain of calls in which each call arrived after the one before it
/// had been answered. Calls sent while another was still in flight cannot depend on its answer
/// and do not add to the count; 0 for no calls.
pub fn round_trips(calls: &[Call]) -> usize {
    let mut sorted: Vec<&Call> = calls.iter().collect();
    sorted.sort_by(|a, b| a.arrived_ms.total_cmp(&b.arrived_ms));
    let mut chain = vec![0usize; sorted.len()];
    for i in 0..sorted.len() {
        chain[i] = 1
            + (0..i)
                .filter(|&j| sorted[j].done_ms <= sorted[i].arrived_ms)
                .map(|j| chain[j])
                .max()
                .unwrap_or(0);
    }
    chain.into_iter().max().unwrap_or(0)
}

/// One call's units, for the per-operation table.
#[derive(Clone, Debug, PartialEq)]
pub struct CallUnits {
    pub op: String,
    pub wcu: u64,
    pub index_wcu: u64,
    pub rcu_checks: u64,
}

/// What one request's calls come to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestCalls {
    /// Operation → calls.
    pub by_op: BTreeMap<String, usize>,
    pub round_trips: usize,
    /// Table + index write units.
    pub wcu: u64,
    pub index_wcu: u64,
    pub rcu_checks: u64,
    /// Time the server spent on the calls, lock held.
    pub service_ms: f64,
    /// Calls answered with an error (a failed condition, a cancelled transaction).
    pub failed: usize,
    pub calls: Vec<CallUnits>,
}

impl RequestCalls {
    pub fn of(calls: &[Call]) -> RequestCalls {
        let mut r = RequestCalls {
            round_trips: round_trips(calls),
            ..RequestCalls::default()
        };
        for c in calls {
            *r.by_op.entry(c.op.clone()).or_default() += 1;
            r.wcu += c.wcu + c.index_wcu;
            r.index_wcu += c.index_wcu;
            r.rcu_checks += c.rcu_checks;
            r.service_ms += c.done_ms - c.started_ms;
            r.failed += usize::from(!c.ok);
            r.calls.push(CallUnits {
                op: c.op.clone(),
                wcu: c.wcu + c.index_wcu,
                index_wcu: c.index_wcu,
                rcu_checks: c.rcu_checks,
            });
        }
        r
    }

    pub fn total(&self) -> usize {
        self.by_op.values().sum()
    }

    /// "2 GetItem, 1 Query, 1 TransactWriteItems".
    pub fn mix(&self) -> String {
        if self.by_op.is_empty() {
            return "none".into();
        }
        self.by_op
            .iter()
            .map(|(op, n)| format!("{n} {op}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Reads the local server's calls log.
pub struct Recorder {
    addr: String,
    next: u64,
}

impl Recorder {
    /// `None` when the server at `endpoint` (`http://host:port`) does not record (started
    /// without `LOCAL_DYNAMODB_RECORD=1`).
    pub async fn connect(endpoint: &str) -> Result<Option<Recorder>, String> {
        let addr = endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let mut r = Recorder { addr, next: 0 };
        match r.fetch().await {
            Ok((next, _)) => {
                r.next = next;
                Ok(Some(r))
            }
            Err(_) => Ok(None),
        }
    }

    async fn fetch(&self) -> Result<(u64, Vec<Call>), String> {
        let mut s = TcpStream::connect(&self.addr)
            .await
            .map_err(|e| format!("calls log at {}: {e}", self.addr))?;
        let request = format!(
            "GET /__calls?since={} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.next, self.addr
        );
        s.write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text.split_once("\r\n\r\n").ok_or("calls log: no body")?;
        if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
            return Err(format!(
                "calls log: {}",
                head.lines().next().unwrap_or_default()
            ));
        }
        let v: Value = serde_json::from_str(body).map_err(|e| format!("calls log: {e}"))?;
        parse(&v)
    }

    /// The calls since the last `take` or `skip`.
    pub async fn take(&mut self) -> Result<Vec<Call>, String> {
        let (next, calls) = self.fetch().await?;
        self.next = next;
        Ok(calls)
    }

    /// Forgets the calls made since the last `take` or `skip` (the floor's, the set-up's).
    pub async fn skip(&mut self) -> Result<(), String> {
        self.take().await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(op: &str, arrived: f64, started: f64, done: f64) -> Call {
        Call {
            op: op.into(),
            arrived_ms: arrived,
            started_ms: started,
            done_ms: done,
            ok: true,
            wcu: 0,
            index_wcu: 0,
            rcu_checks: 0,
        }
    }

    #[test]
    fn sequential_calls_are_one_round_trip_each() {
        let calls = [
            call("GetItem", 0.0, 0.0, 2.0),
            call("Query", 2.5, 2.5, 4.0),
            call("TransactWriteItems", 4.1, 4.1, 9.0),
        ];
        assert_eq!(round_trips(&calls), 3);
        assert_eq!(round_trips(&[]), 0);
    }

    #[test]
    fn calls_sent_together_are_one_round_trip_even_behind_the_lock() {
        // Two GetItems sent together: the second waits for the lock, arriving before the first
        // is answered. The Query after both is the second round trip.
        let calls = [
            call("GetItem", 0.0, 0.0, 2.0),
            call("GetItem", 0.1, 2.0, 4.0),
            call("Query", 4.5, 4.5, 6.0),
        ];
        assert_eq!(round_trips(&calls), 2);
        // A call sent after the first answer but while the second is in flight depends on the
        // first at most: still two.
        let calls = [
            call("GetItem", 0.0, 0.0, 2.0),
            call("GetItem", 0.1, 2.0, 4.0),
            call("Query", 3.0, 4.0, 6.0),
        ];
        assert_eq!(round_trips(&calls), 2);
        // Order in the log does not matter.
        let calls = [
            call("Query", 4.5, 4.5, 6.0),
            call("GetItem", 0.1, 2.0, 4.0),
            call("GetItem", 0.0, 0.0, 2.0),
        ];
        assert_eq!(round_trips(&calls), 2);
    }

    #[test]
    fn parses_the_servers_log_and_sums_a_request() {
        let v = json!({"next": 7, "calls": [
            {"seq": 6, "op": "GetItem", "arrived_ms": 10.0, "started_ms": 10.5, "done_ms": 12.0,
             "status": 200, "wcu": 0, "index_wcu": 0, "rcu_checks": 0},
            {"seq": 7, "op": "TransactWriteItems", "arrived_ms": 13.0, "started_ms": 13.0,
             "done_ms": 20.0, "status": 400, "wcu": 10, "index_wcu": 3, "rcu_checks": 2},
        ]});
        let (next, calls) = parse(&v).unwrap();
        assert_eq!(next, 7);
        assert!(calls[0].ok && !calls[1].ok);
        let r = RequestCalls::of(&calls);
        assert_eq!(r.mix(), "1 GetItem, 1 TransactWriteItems");
        assert_eq!((r.total(), r.round_trips, r.failed), (2, 2, 1));
        assert_eq!((r.wcu, r.index_wcu, r.rcu_checks), (13, 3, 2));
        assert_eq!(r.service_ms, 1.5 + 7.0);
        assert_eq!(r.calls[1].wcu, 13);
        assert!(parse(&json!({"calls": []})).is_err());
        assert!(parse(&json!({"next": 1, "calls": [{"op": "GetItem"}]})).is_err());
        assert_eq!(RequestCalls::default().mix(), "none");
    }
}
