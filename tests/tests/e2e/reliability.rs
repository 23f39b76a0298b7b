//! Proof under load, faults and bad input: units are never lost or doubled, a failing data store
//! gets a clean 503 (never a hang, never a half-written change), and every route answers the
//! right status for every kind of caller.

use e2e::fault_proxy::{FaultProxy, Mode};
use e2e::*;
use futures::future::join_all;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The HTTP functions' timeout in infra/template.yaml: no answer may take longer, whatever the
/// data store does (the store's own operation timeout is 5 s).
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);

async fn pack_ids(user: &User, packs: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..packs {
        ids.push(
            buy_pack(user, "five_pack").await["pack_id"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    ids
}

/// Sends `keys.len()` submissions in waves while the proxy spends `window` in `mode`; returns
/// (key, answer) pairs.
async fn burst(
    proxy: &FaultProxy,
    mode: Mode,
    user: &User,
    keys: &[String],
) -> Vec<(String, Answer)> {
    let body = submission();
    let flip = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        proxy.set(mode);
        tokio::time::sleep(Duration::from_millis(2500)).await;
        proxy.set(Mode::Pass);
    };
    let sends = join_all(keys.iter().enumerate().map(|(i, key)| {
        let body = body.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(150 * i as u64)).await;
            let started = Instant::now();
            let answer = post_faulty("/incidents")
                .token(user)
                .idempotency_key(key)
                .json(&body)
                .send()
                .await;
            assert!(
                started.elapsed() < FUNCTION_TIMEOUT,
                "{mode:?}: a request hung for {:?}",
                started.elapsed()
            );
            (key.clone(), answer)
        }
    }));
    let ((), answers) = tokio::join!(flip, sends);
    answers
}

async fn survives(proxy: &FaultProxy, mode: Mode) {
    let user = User::customer();
    let packs = pack_ids(&user, 6).await;
    // Warm the copy behind the proxy first: `cargo lambda watch` starts a function on its first
    // request, and a start slower than the fault window would let the whole window pass unused.
    // A caller without packs reads the store through the proxy and is refused.
    post_faulty("/incidents")
        .token(&User::customer())
        .idempotency_key(&new_key())
        .json(&submission())
        .send()
        .await
        .expect_problem(422, "no_usable_pack");
    let keys: Vec<String> = (0..24).map(|_| new_key()).collect();
    let injected_before = proxy.injected();
    let answers = burst(proxy, mode, &user, &keys).await;
    let mut unavailable = Vec::new();
    for (key, a) in &answers {
        match a.status {
            201 => {}
            503 => {
                assert_eq!(
                    a.body["code"], "service_unavailable",
                    "{mode:?}: {}",
                    a.body
                );
                assert!(
                    a.header("retry-after").is_some(),
                    "{mode:?}: 503 without Retry-After"
                );
                let text = a.body.to_string();
                assert!(
                    !text.contains("dynamodb") && !text.contains("127.0.0.1"),
                    "{mode:?}: internals leaked: {text}"
                );
                unavailable.push(key.clone());
            }
            other => panic!("{mode:?}: request answered {other}: {}", a.body),
        }
    }
    // The proof needs the window to have hit traffic: the proxy counts what it refused, stalled
    // or cut. (A cut read may be retried by the SDK unseen; a cut write shows as a replay or 503.)
    assert!(
        proxy.injected() > injected_before,
        "{mode:?}: the fault window touched no request; the test proved nothing"
    );
    // The client retries each 503 with the same key once the store is back: it gets the incident
    // if it was in fact created, and creates it exactly once if it was not.
    let body = submission();
    for key in &unavailable {
        let a = post_faulty("/incidents")
            .token(&user)
            .idempotency_key(key)
            .json(&body)
            .send()
            .await;
        assert_eq!(a.status, 201, "{mode:?}: retry after 503: {}", a.body);
    }
    let listed = get("/incidents?limit=100")
        .token(&user)
        .send()
        .await
        .expect(200);
    let ids: std::collections::HashSet<_> = listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["incident_id"].clone())
        .collect();
    assert_eq!(
        ids.len(),
        keys.len(),
        "{mode:?}: every key created exactly one incident"
    );
    let mut remaining = 0;
    for id in &packs {
        remaining += get(&format!("/packs/{id}"))
            .token(&user)
            .send()
            .await
            .expect(200)
            .body["incidents_remaining"]
            .as_i64()
            .expect("n");
    }
    assert_eq!(
        remaining,
        30 - keys.len() as i64,
        "{mode:?}: no unit lost or created"
    );
    assert_reconciles(&packs).await;
}

#[tokio::test]
async fn a_burst_of_intakes_survives_a_refusing_a_stalling_and_a_resetting_data_store() {
    let (port, upstream) = fault_proxy_address();
    let proxy = FaultProxy::start(port, upstream)
        .await
        .expect("the proxy port is free");
    for mode in [Mode::Refuse, Mode::Stall, Mode::ResetMidResponse] {
        survives(&proxy, mode).await;
    }
}

/// Intakes, refunds, claims and sweeps at once on shared packs; afterwards every pack reconciles.
#[tokio::test]
async fn mixed_parallel_intakes_refunds_claims_and_sweeps_leave_every_pack_reconciled() {
    let owner = User::customer();
    let colleague = User::customer();
    let engineer = User::engineer();
    let admin = User::admin();
    let packs = pack_ids(&owner, 4).await;
    // Some incidents to close and refund while new ones are drawn.
    let mut open = Vec::new();
    for _ in 0..6 {
        open.push(
            submit(&owner, &submission()).await.expect(201).body["incident_id"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    let claim_pack = packs[3].clone();
    let number = get(&format!("/packs/{claim_pack}"))
        .token(&owner)
        .send()
        .await
        .expect(200)
        .body["order_confirmation_number"]
        .clone();
    let claim = post("/pack-claims")
        .token(&colleague)
        .json(&json!({"order_confirmation_number": number, "reason": "the buyer left"}))
        .send()
        .await
        .expect(201);
    let claim_id = claim.body["claim_id"].as_str().expect("claim").to_string();

    let intakes = join_all((0..20).map(|_| async { submit(&owner, &submission()).await.status }));
    let refunds = join_all(open.iter().map(|id| {
        let (owner, engineer) = (&owner, &engineer);
        async move {
            post(&format!("/incidents/{id}/closure-request"))
                .token(owner)
                .json(&json!({"reason": "works now"}))
                .send()
                .await
                .expect(200);
            let decide = || {
                post(&format!("/incidents/{id}/charge-decision"))
                    .token(engineer)
                    .json(&json!({"charge": "refunded"}))
                    .send()
            };
            let (a, b) = tokio::join!(decide(), decide());
            (a.status, b.status)
        }
    }));
    let approve = post(&format!("/pack-claims/{claim_id}/decision"))
        .token(&admin)
        .json(&json!({"approve": true, "note": "order verified"}))
        .send();
    // As of now: the sweeps run alongside the other writers without breaching the open incidents
    // of tests running in parallel (a future as-of would reach every test's incidents).
    let as_of = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut event: Value =
        serde_json::from_str(include_str!("../../events/scheduled.json")).expect("event");
    event["time"] = json!(as_of);
    let sweeps = join_all((0..2).map(|_| lambda_invoke("sla-sweeper", &event)));
    let colleague_draws = join_all((0..3).map(|_| async {
        let body = json!({"pack_id": claim_pack}).as_object().map(|o| {
            let mut b = submission();
            for (k, v) in o {
                b[k] = v.clone();
            }
            b
        });
        submit(&colleague, &body.expect("body")).await.status
    }));
    let (intake_statuses, refund_statuses, approval, _sweeps, colleague_statuses) =
        tokio::join!(intakes, refunds, approve, sweeps, colleague_draws);
    assert_eq!(approval.status, 200, "{}", approval.body);
    assert!(
        intake_statuses.iter().all(|s| *s == 201 || *s == 422),
        "{intake_statuses:?}"
    );
    assert!(
        refund_statuses.iter().all(|(a, b)| *a == 200 && *b == 200),
        "{refund_statuses:?}"
    );
    assert!(
        colleague_statuses.iter().all(|s| *s == 201 || *s == 422),
        "{colleague_statuses:?}"
    );
    // Each refunded incident credited its pack exactly once.
    let store = store().await;
    for id in &open {
        let incident = get(&format!("/incidents/{id}"))
            .token(&owner)
            .send()
            .await
            .expect(200)
            .body;
        assert_eq!(incident["charge"], "refunded");
        let pack = incident["pack_id"].as_str().expect("pack");
        let credits = store
            .ledger(pack)
            .await
            .expect("ledger")
            .iter()
            .filter(|e| e.reference == *id && e.kind == store::packs::LedgerKind::Credit)
            .count();
        assert_eq!(credits, 1, "incident {id}");
    }
    assert_reconciles(&packs).await;
    for id in &packs {
        let r = store.reconcile(id).await.expect("store").expect("pack");
        assert!(r.stored_remaining >= 0, "{r:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Authorization matrix: every route × every kind of caller, against API.md.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    NoToken,
    BadToken,
    Expired,
    Owner,
    OtherCustomer,
    Engineer,
    Admin,
}

const CALLERS: [Caller; 7] = [
    Caller::NoToken,
    Caller::BadToken,
    Caller::Expired,
    Caller::Owner,
    Caller::OtherCustomer,
    Caller::Engineer,
    Caller::Admin,
];

/// What a cell expects: an exact denial, or being let through (any answer but 401/403/404).
#[derive(Clone, Copy, Debug)]
enum Expect {
    Deny(u16),
    Through,
}

use Expect::{Deny, Through};

struct Row {
    method: &'static str,
    path: String,
    body: Option<Value>,
    /// Expectations for Owner, OtherCustomer, Engineer, Admin (the three token failures are 401).
    cells: [Expect; 4],
}

struct World {
    owner: User,
    other: User,
    engineer: User,
    admin: User,
}

impl World {
    fn caller(&self, c: Caller) -> Option<String> {
        let exp_past = chrono::Utc::now().timestamp() - 10;
        match c {
            Caller::NoToken => None,
            Caller::BadToken => Some(forged_token(&self.owner.account_id)),
            Caller::Expired => {
                let mut claims =
                    signer().id_claims(&self.owner.account_id, Some("x@example.com"), &[], 0);
                claims["exp"] = json!(exp_past);
                Some(signer().sign(&claims))
            }
            Caller::Owner => Some(self.owner.token.clone()),
            Caller::OtherCustomer => Some(self.other.token.clone()),
            Caller::Engineer => Some(self.engineer.token.clone()),
            Caller::Admin => Some(self.admin.token.clone()),
        }
    }
}

#[tokio::test]
async fn every_route_answers_every_kind_of_caller_as_the_contract_says() {
    let world = World {
        owner: User::customer(),
        other: User::customer(),
        engineer: User::engineer(),
        admin: User::admin(),
    };
    let pack = buy_pack(&world.owner, "five_pack").await;
    let pack_id = pack["pack_id"].as_str().expect("id").to_string();
    let number = pack["order_confirmation_number"].clone();
    let incident = submit(&world.owner, &submission()).await.expect(201).body["incident_id"]
        .as_str()
        .expect("id")
        .to_string();
    let proposal = post(&format!("/incidents/{incident}/sub-problems"))
        .token(&world.engineer)
        .json(&json!({"title": "Second node", "description": "The second node fails separately."}))
        .send()
        .await
        .expect(201)
        .body["proposal_id"]
        .as_str()
        .expect("proposal")
        .to_string();
    let claim = post("/pack-claims")
        .token(&world.other)
        .json(&json!({"order_confirmation_number": number, "reason": "buyer left"}))
        .send()
        .await
        .expect(201);
    let claim_id = claim.body["claim_id"].as_str().expect("claim").to_string();
    post("/tax-exemptions")
        .token(&world.owner)
        .json(&json!({"jurisdiction": "PL", "certificate_reference": "ZW-1"}))
        .send()
        .await
        .expect(201);

    let inc = |suffix: &str| format!("/incidents/{incident}{suffix}");
    let everyone = [Through; 4];
    let engineers_only = [Deny(403), Deny(403), Through, Deny(403)];
    let owner_only = [Through, Deny(404), Deny(403), Deny(403)];
    let admins_only = [Deny(403), Deny(403), Deny(403), Through];
    let staff_only = [Deny(403), Deny(403), Through, Through];
    let rows = vec![
        Row {
            method: "GET",
            path: "/products".into(),
            body: None,
            cells: everyone,
        },
        Row {
            method: "GET",
            path: "/sla/quote?severity=B&calendar=PL".into(),
            body: None,
            cells: everyone,
        },
        Row {
            method: "GET",
            path: "/calendars".into(),
            body: None,
            cells: everyone,
        },
        Row {
            method: "GET",
            path: "/incidents".into(),
            body: None,
            cells: everyone,
        },
        Row {
            method: "POST",
            path: "/incidents".into(),
            body: Some(submission()),
            cells: everyone,
        },
        Row {
            method: "GET",
            path: inc(""),
            body: None,
            cells: [Through, Deny(404), Through, Through],
        },
        Row {
            method: "POST",
            path: inc("/messages"),
            body: Some(json!({"message": "any news?"})),
            cells: owner_only,
        },
        Row {
            method: "POST",
            path: inc("/responses"),
            body: Some(json!({"message": "looking", "channel": "email"})),
            cells: engineers_only,
        },
        Row {
            method: "POST",
            path: inc("/scope"),
            body: Some(json!({"problem_statement": "p", "resolution_criteria": "r"})),
            cells: engineers_only,
        },
        Row {
            method: "POST",
            path: inc("/scope/decision"),
            body: Some(json!({"accept": true, "comment": "ok"})),
            cells: owner_only,
        },
        Row {
            method: "POST",
            path: inc("/sub-problems"),
            body: Some(json!({"title": "t", "description": "d"})),
            cells: engineers_only,
        },
        Row {
            method: "POST",
            path: inc(&format!("/sub-problems/{proposal}/decision")),
            body: Some(json!({"accept": false})),
            cells: owner_only,
        },
        Row {
            method: "GET",
            path: "/queue".into(),
            body: None,
            cells: engineers_only,
        },
        Row {
            method: "POST",
            path: inc("/charge-decision"),
            body: Some(json!({"charge": "refunded"})),
            cells: staff_only,
        },
        Row {
            method: "POST",
            path: inc("/resolution"),
            body: Some(json!({"outcome": "resolved", "solutions": ["restart"]})),
            cells: engineers_only,
        },
        Row {
            method: "POST",
            path: inc("/closure-request"),
            body: Some(json!({"reason": "done"})),
            cells: owner_only,
        },
        Row {
            method: "POST",
            path: "/packs".into(),
            body: Some(json!({"offer": "single", "billing_country": "PL"})),
            cells: everyone,
        },
        Row {
            method: "GET",
            path: "/packs".into(),
            body: None,
            cells: everyone,
        },
        Row {
            method: "GET",
            path: format!("/packs/{pack_id}"),
            body: None,
            cells: [Through, Deny(404), Through, Through],
        },
        Row {
            method: "POST",
            path: "/pack-claims".into(),
            body: Some(json!({"order_confirmation_number": number, "reason": "r"})),
            cells: everyone,
        },
        Row {
            method: "GET",
            path: "/pack-claims".into(),
            body: None,
            cells: admins_only,
        },
        Row {
            method: "POST",
            path: format!("/pack-claims/{claim_id}/decision"),
            body: Some(json!({"approve": false, "note": "n"})),
            cells: admins_only,
        },
        Row {
            method: "POST",
            path: "/tax-exemptions".into(),
            body: Some(json!({"jurisdiction": "PL", "certificate_reference": "ZW-2"})),
            cells: everyone,
        },
        Row {
            method: "POST",
            path: format!("/tax-exemptions/{}/decision", world.owner.account_id),
            body: Some(json!({"approve": false, "note": "n"})),
            cells: admins_only,
        },
        Row {
            method: "GET",
            path: "/account".into(),
            body: None,
            cells: everyone,
        },
    ];
    let mut wrong = Vec::new();
    for row in &rows {
        for caller in CALLERS {
            let expect = match caller {
                Caller::NoToken | Caller::BadToken | Caller::Expired => Deny(401),
                Caller::Owner => row.cells[0],
                Caller::OtherCustomer => row.cells[1],
                Caller::Engineer => row.cells[2],
                Caller::Admin => row.cells[3],
            };
            let mut req = request(row.method, &row.path).idempotency_key(&new_key());
            if let Some(token) = world.caller(caller) {
                req = req.raw_token(&token);
            }
            if let Some(body) = &row.body {
                req = req.json(body);
            }
            let a = req.send().await;
            let ok = match expect {
                // 401: the gateway's own answer (the function never ran); 403/404 the function's.
                Deny(401) => a.status == 401 && a.body == json!({"message": "Unauthorized"}),
                Deny(status) => a.status == status && a.body["code"].is_string(),
                Through => ![401, 403, 404].contains(&a.status) && a.status < 500,
            };
            if !ok {
                wrong.push(format!(
                    "{} {} as {caller:?}: expected {expect:?}, got {} {}",
                    row.method, row.path, a.status, a.body
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells disagree with the contract:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input: never a 5xx, always a problem+json answer.

fn creating_routes(incident: &str) -> Vec<String> {
    let mut routes: Vec<String> = ["/incidents", "/packs", "/pack-claims", "/tax-exemptions"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for suffix in [
        "/responses",
        "/messages",
        "/scope",
        "/scope/decision",
        "/sub-problems",
        "/resolution",
        "/closure-request",
        "/charge-decision",
    ] {
        routes.push(format!("/incidents/{incident}{suffix}"));
    }
    routes
}

#[tokio::test]
async fn malformed_bodies_on_every_write_route_get_a_4xx_problem_never_a_5xx() {
    let owner = User::customer();
    buy_pack(&owner, "five_pack").await;
    let incident = submit(&owner, &submission()).await.expect(201).body["incident_id"]
        .as_str()
        .expect("id")
        .to_string();
    let staff = User::new(&["support-engineers", "support-admins"]);
    let huge = "ż".repeat(30_000);
    let bodies: Vec<(&str, String)> = vec![
        ("application/json", "null".into()),
        ("application/json", "[]".into()),
        ("application/json", "\"a string\"".into()),
        ("application/json", "{".into()),
        ("application/json", r#"{"offer": 5, "severity": [], "message": {}, "accept": "yes", "charge": null}"#.into()),
        ("application/json", r#"{"message": null, "title": null, "contact": null, "solutions": [null, 3]}"#.into()),
        ("application/json", format!(r#"{{"message": "{huge}", "title": "{huge}", "reason": "{huge}"}}"#)),
        ("application/json", r#"{"message": "\u0000\u0007", "title": "🙂🙃", "outcome": "resolved", "solutions": [""]}"#.into()),
        ("application/json", r#"{"charge": "refunded", "charge": "consumed", "accept": true, "accept": false}"#.into()),
        ("application/json", r#"{"reason": 1e400, "approve": 1}"#.into()),
        ("text/plain", "message=hello".into()),
        ("application/x-www-form-urlencoded", "accept=true".into()),
    ];
    let mut failures = Vec::new();
    for route in creating_routes(&incident) {
        for user in [&owner, &staff] {
            for (content_type, body) in &bodies {
                let a = post(&route)
                    .token(user)
                    .idempotency_key(&new_key())
                    .body(content_type, body.clone())
                    .send()
                    .await;
                let problem = a.header("content-type") == Some("application/problem+json")
                    && a.body["code"].is_string();
                if a.status >= 500 || !(400..500).contains(&a.status) || !problem {
                    failures.push(format!(
                        "POST {route} [{content_type}] {}: {} {}",
                        &body.chars().take(60).collect::<String>(),
                        a.status,
                        a.body
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} bad inputs were not answered with a 4xx problem:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn odd_paths_and_parameters_get_a_4xx_never_a_5xx() {
    let user = User::customer();
    let paths = [
        "/incidents/%00".to_string(),
        format!("/incidents/{}", "x".repeat(300)),
        "/incidents/..%2Fpacks".into(),
        "/packs/%F0%9F%99%82".into(),
        "/incidents?limit=-1".into(),
        "/incidents?limit=abc".into(),
        "/incidents?cursor=%%%".into(),
        "/incidents?cursor=eyJHU0kxUEsiOiJBQ0NPVU5UI3NvbWVvbmUtZWxzZSJ9".into(),
        "/sla/quote?severity=B&calendar=PL&at=2026-13-45T99:99:99Z".into(),
        "/sla/quote?severity=%F0%9F%99%82&calendar=PL".into(),
    ];
    for path in paths {
        let a = get(&path).token(&user).send().await;
        assert!(
            (400..500).contains(&a.status),
            "GET {path}: {} {}",
            a.status,
            a.body
        );
    }
}
