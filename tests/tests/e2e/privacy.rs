//! Privacy (API.md "Privacy"): a customer's data export (one archive, built by the sweeper's
//! privacy step, holding what the API shows plus the attachments' bytes and never an internal
//! note; one per 24 hours; other accounts' ids are 404; the account mailed once), erasure
//! requests (refused while an incident is open; asked twice = one request), the erasure itself
//! (every personal field gone from every item of the account, every kept figure identical),
//! an erasure interrupted after half its incidents and finished by a re-run, and the retention
//! of attachments of long-closed incidents.

use super::sweeper::sweep;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, Utc};
use domain::time::{format_instant, parse_instant};
use e2e::*;
use serde_json::{json, Value};
use std::collections::HashMap;

fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is a string in {v}"))
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("http client")
}

/// Personal strings unique to one test's account, to look for afterwards.
struct Marks {
    name: String,
    email: String,
    phone: String,
    free_text: String,
}

impl Marks {
    fn new() -> Marks {
        let tag: String = new_key().chars().rev().take(10).collect();
        let digits: String = tag
            .bytes()
            .map(|b| char::from(b'0' + b % 10))
            .take(8)
            .collect();
        Marks {
            name: format!("Zofia Prywatna{tag}"),
            email: new_address("privacy"),
            phone: format!("+48 6{digits}"),
            free_text: format!("secret-{tag}"),
        }
    }

    fn all(&self) -> [&str; 4] {
        [&self.name, &self.email, &self.phone, &self.free_text]
    }
}

/// Declares, uploads and completes `bytes` as an attachment; its id.
async fn attach(user: &User, incident: &str, file_name: &str, bytes: &[u8]) -> String {
    let created = post(&format!("/incidents/{incident}/attachments"))
        .token(user)
        .json(&json!({"file_name": file_name, "content_type": "text/plain", "size_bytes": bytes.len()}))
        .send()
        .await
        .expect(201)
        .body;
    let mut request = http().put(text(&created, "upload_url"));
    for (name, value) in created["upload_headers"].as_object().expect("headers") {
        if !name.eq_ignore_ascii_case("content-length") {
            request = request.header(name, value.as_str().expect("a header value"));
        }
    }
    let status = request
        .body(bytes.to_vec())
        .send()
        .await
        .expect("the local S3 answers")
        .status();
    assert!(status.is_success(), "upload: {status}");
    let id = text(&created, "attachment_id").to_string();
    post(&format!("/incidents/{incident}/attachments/{id}/complete"))
        .token(user)
        .send()
        .await
        .expect(200);
    id
}

/// An incident of `customer` carrying every kind of personal text, answered by `engineer`,
/// with one attachment, then resolved (closed, charge decided): (id, attachment bytes).
async fn closed_incident(
    customer: &User,
    engineer: &User,
    marks: &Marks,
    n: usize,
) -> (String, Vec<u8>) {
    let mut body = submission();
    body["title"] = json!(format!("{} printer {n}", marks.free_text));
    body["description"] = json!(format!("{} called from the office", marks.free_text));
    body["contact"] = json!({"name": marks.name, "email": marks.email, "phone": marks.phone});
    let incident = submit(customer, &body).await.expect(201).body;
    let id = text(&incident, "incident_id").to_string();
    post(&format!("/incidents/{id}/assignment"))
        .token(engineer)
        .json(&json!({"owner_account_id": engineer.account_id, "note": marks.free_text}))
        .send()
        .await
        .expect(200);
    post(&format!("/incidents/{id}/responses"))
        .token(engineer)
        .json(&json!({"message": format!("Hello {}", marks.name), "channel": "email"}))
        .send()
        .await
        .expect(201);
    post(&format!("/incidents/{id}/messages"))
        .token(customer)
        .json(&json!({"message": format!("Call me at {} ({})", marks.phone, marks.free_text)}))
        .send()
        .await
        .expect(201);
    let bytes = format!("log of {} {n}\n", marks.free_text)
        .repeat(40)
        .into_bytes();
    attach(customer, &id, &format!("{}.log", marks.free_text), &bytes).await;
    post(&format!("/incidents/{id}/resolution"))
        .token(engineer)
        .json(&json!({"outcome": "resolved", "solutions": [format!("{} replaced the driver", marks.free_text)]}))
        .send()
        .await
        .expect(200);
    // Staff's own words about the customer, never shown to the customer (allowed once closed).
    post(&format!("/incidents/{id}/notes"))
        .token(engineer)
        .json(&json!({"note": format!("staff only: {} is a difficult customer ({})", marks.name, marks.free_text)}))
        .send()
        .await
        .expect(201);
    (id, bytes)
}

async fn incident_view(user: &User, id: &str) -> Value {
    get(&format!("/incidents/{id}"))
        .token(user)
        .send()
        .await
        .expect(200)
        .body
}

/// Waits (running the scheduled step) until the export is ready; its answer.
async fn ready_export(user: &User, export_id: &str) -> Value {
    for _ in 0..30 {
        let answer = get(&format!("/account/data-export/{export_id}"))
            .token(user)
            .send()
            .await
            .expect(200)
            .body;
        if answer["status"] == "ready" {
            return answer;
        }
        sweep(Utc::now()).await;
    }
    panic!("export {export_id} never became ready");
}

/// The members of a tar archive (ustar, regular files).
fn untar(bytes: &[u8]) -> HashMap<String, Vec<u8>> {
    let mut out = HashMap::new();
    let mut at = 0;
    while at + 512 <= bytes.len() {
        let header = &bytes[at..at + 512];
        if header.iter().all(|b| *b == 0) {
            break;
        }
        let name_end = header[..100].iter().position(|b| *b == 0).unwrap_or(100);
        let name = String::from_utf8(header[..name_end].to_vec()).expect("a UTF-8 name");
        let size_text = std::str::from_utf8(&header[124..135]).expect("octal size");
        let size = usize::from_str_radix(size_text.trim_matches(char::from(0)), 8).expect("size");
        at += 512;
        out.insert(name, bytes[at..at + size].to_vec());
        at += size.div_ceil(512) * 512;
    }
    out
}

/// Every item of the account as JSON text: its own partition (profile, exports, erasure
/// request, exemption), its packs with their ledgers, every item of each of its incidents'
/// partitions, its engineer entry and the suppression entry of its address.
async fn items_of_account(account_id: &str, incident_ids: &[String], email: &str) -> Vec<String> {
    let store = store().await;
    let client = store.client();
    let table = store.table_name().to_string();
    let mut partitions = vec![format!("ACCOUNT#{account_id}")];
    partitions.extend(incident_ids.iter().map(|i| format!("INCIDENT#{i}")));
    for pack in store.all_packs_of(account_id).await.expect("packs") {
        partitions.push(format!("PACK#{}", pack.pack_id));
    }
    partitions.push(format!("SUPPRESSED#{}", email.to_lowercase()));
    let mut out = Vec::new();
    for pk in partitions {
        let answer = client
            .query()
            .table_name(&table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .consistent_read(true)
            .send()
            .await
            .expect("a query");
        for item in answer.items.unwrap_or_default() {
            out.push(format!("{item:?}"));
        }
    }
    out
}

/// What erasure must keep, as the API and the ledger show it.
async fn kept_figures(user: &User, incident_ids: &[String]) -> Value {
    let store = store().await;
    let packs = get("/packs").token(user).send().await.expect(200).body;
    let mut ledgers = Vec::new();
    for p in packs["items"].as_array().expect("packs") {
        let id = text(p, "pack_id");
        let ledger = store.ledger(id).await.expect("ledger");
        let sum: i64 = ledger.iter().map(|e| e.units).sum();
        ledgers.push(json!({"pack_id": id, "entries": ledger.len(), "sum": sum,
            "remaining": p["incidents_remaining"], "order": p["order_confirmation_number"],
            "price": p["price"], "status": p["status"], "tax_exempt": p["tax_exempt"]}));
    }
    let mut incidents = Vec::new();
    for id in incident_ids {
        let i = incident_view(user, id).await;
        let kinds: Vec<Value> = i["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .map(|e| json!([e["kind"], e["at"]]))
            .collect();
        incidents.push(json!({
            "status": i["status"], "sla": i["sla"], "charge": i["charge"],
            "severity": i["severity"], "calendar": i["calendar"], "created_at": i["created_at"],
            "first_response_due_at": i["first_response_due_at"],
            "first_responded_at": i["first_responded_at"], "closed_at": i["closed_at"],
            "pack_id": i["pack_id"], "owner": i["owner"]["account_id"], "events": kinds,
        }));
    }
    json!({"packs": ledgers, "incidents": incidents})
}

/// The SLA and satisfaction report rows of this month, where one of `incidents` is counted.
async fn report_rows() -> Value {
    let admin = User::admin();
    let month = Utc::now().format("%Y-%m").to_string();
    let sla = get(&format!("/reports/sla?from={month}&to={month}"))
        .token(&admin)
        .send()
        .await
        .expect(200)
        .body;
    let satisfaction = get(&format!("/reports/satisfaction?from={month}&to={month}"))
        .token(&admin)
        .send()
        .await
        .expect(200)
        .body;
    json!({"sla": sla["items"], "satisfaction": satisfaction["items"]})
}

async fn request_erasure(user: &User) -> Answer {
    post("/account/erasure-request")
        .token(user)
        .json(&json!({"reason": "We are leaving."}))
        .send()
        .await
}

async fn decide(account_id: &str, approve: bool) -> Answer {
    post(&format!("/erasure-requests/{account_id}/decision"))
        .token(&User::admin())
        .json(&json!({"approve": approve, "note": "checked"}))
        .send()
        .await
}

fn assert_nothing_personal(items: &[String], marks: &Marks) {
    for item in items {
        for mark in marks.all() {
            assert!(!item.contains(mark), "{mark:?} survived erasure in {item}");
        }
    }
}

#[tokio::test]
async fn an_export_holds_what_the_api_shows_and_the_attachments_and_never_an_internal_note() {
    let customer = User::customer();
    let engineer = User::engineer();
    let stranger = User::customer();
    let marks = Marks::new();
    buy_pack(&customer, "five_pack").await;
    let (id, bytes) = closed_incident(&customer, &engineer, &marks, 1).await;
    let shown = incident_view(&customer, &id).await;
    let attachments = get(&format!("/incidents/{id}/attachments"))
        .token(&customer)
        .send()
        .await
        .expect(200)
        .body;
    let packs = get("/packs").token(&customer).send().await.expect(200).body;

    let started = post("/account/data-export")
        .token(&customer)
        .send()
        .await
        .expect(202)
        .body;
    assert_eq!(started["status"], "preparing");
    let export_id = text(&started, "export_id").to_string();
    let again = post("/account/data-export")
        .token(&customer)
        .send()
        .await
        .expect_problem(429, "too_many_attempts");
    let wait: u64 = again
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(wait > 23 * 3600 && wait <= 24 * 3600, "Retry-After {wait}");
    get(&format!("/account/data-export/{export_id}"))
        .token(&stranger)
        .send()
        .await
        .expect_problem(404, "not_found");

    let ready = ready_export(&customer, &export_id).await;
    let expires = parse_instant(text(&ready, "expires_at")).expect("an instant");
    assert!(
        (expires - Utc::now() - Duration::hours(24))
            .num_seconds()
            .abs()
            < 120
    );
    let archive = http()
        .get(text(&ready, "download_url"))
        .send()
        .await
        .expect("the download")
        .bytes()
        .await
        .expect("the archive");
    let members = untar(&archive);
    let doc: Value = serde_json::from_slice(&members["data.json"]).expect("data.json is JSON");
    assert_eq!(doc["account"]["account_id"], customer.account_id.as_str());
    // Packs with orders and ledgers, as GET /packs shows them.
    let pack = &packs["items"][0];
    let exported_pack = &doc["packs"][0];
    for field in [
        "pack_id",
        "order_confirmation_number",
        "incidents_total",
        "incidents_remaining",
        "price",
    ] {
        assert_eq!(exported_pack[field], pack[field], "{field}");
    }
    assert_eq!(exported_pack["ledger"].as_array().expect("ledger").len(), 2);
    // The incident as the API shows it, every event in order, no internal note.
    let exported = &doc["incidents"][0];
    for field in [
        "incident_id",
        "title",
        "description",
        "contact",
        "status",
        "sla",
        "charge",
        "created_at",
        "closed_at",
    ] {
        assert_eq!(exported[field], shown[field], "{field}");
    }
    let api_events: Vec<Value> = shown["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| json!([e["kind"], e["at"]]))
        .collect();
    let doc_events: Vec<Value> = exported["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| json!([e["kind"], e["at"]]))
        .collect();
    assert_eq!(doc_events, api_events);
    assert!(!members["data.json"]
        .windows(b"internal_note".len())
        .any(|w| w == b"internal_note"));
    assert!(!String::from_utf8_lossy(&members["data.json"]).contains("difficult customer"));
    // Attachment metadata as listed, and its bytes beside the document.
    let listed = &attachments["items"][0];
    let meta = &exported["attachments"][0];
    for field in ["attachment_id", "file_name", "content_type", "size_bytes"] {
        assert_eq!(meta[field], listed[field], "{field}");
    }
    assert_eq!(&members[text(meta, "archive_path")], &bytes);
    // Mailed once, to the account's address; audited once.
    // Its billing country is PL: the mail is in Polish.
    let mails = mail_to(&customer.email(), "Eksport Twoich danych jest gotowy", 1).await;
    assert_eq!(mails.len(), 1);
    let audit = get(&format!("/audit?subject={}", customer.account_id))
        .token(&User::admin())
        .send()
        .await
        .expect(200)
        .body;
    let exports: Vec<&Value> = audit["items"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "data_export")
        .collect();
    assert_eq!(exports.len(), 1, "{audit}");
    assert_eq!(exports[0]["actor_account_id"], customer.account_id.as_str());
}

#[tokio::test]
async fn erasure_asked_twice_is_one_request_and_an_open_incident_refuses_it() {
    let busy = User::customer();
    buy_pack(&busy, "single").await;
    submit(&busy, &submission()).await.expect(201);
    request_erasure(&busy)
        .await
        .expect_problem(409, "invalid_state");

    let leaving = User::customer();
    let first = request_erasure(&leaving).await.expect(202).body;
    assert_eq!(first["status"], "pending");
    let second = request_erasure(&leaving).await.expect(202).body;
    assert_eq!(second, first);
    let mut listed = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/erasure-requests?status=pending&limit=100&cursor={c}"),
            None => "/erasure-requests?status=pending&limit=100".to_string(),
        };
        let page = get(&path)
            .token(&User::admin())
            .send()
            .await
            .expect(200)
            .body;
        listed += page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|r| r["account_id"] == leaving.account_id.as_str())
            .count();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(listed, 1);
    get("/erasure-requests")
        .token(&leaving)
        .send()
        .await
        .expect_problem(403, "forbidden");
    let rejected = decide(&leaving.account_id, false).await.expect(200).body;
    assert_eq!(rejected["status"], "rejected");
    decide("acct_without_request", true)
        .await
        .expect_problem(404, "not_found");
}

/// Sets up an account with `n` closed incidents full of personal data and asks for erasure.
async fn account_to_erase(n: usize) -> (User, Marks, Vec<String>) {
    let customer = User::customer();
    let engineer = User::engineer();
    let marks = Marks::new();
    buy_pack(&customer, "five_pack").await;
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(closed_incident(&customer, &engineer, &marks, i).await.0);
    }
    request_erasure(&customer).await.expect(202);
    (customer, marks, ids)
}

async fn assert_erased(customer: &User, marks: &Marks, ids: &[String]) {
    for id in ids {
        let i = incident_view(customer, id).await;
        assert_eq!(i["contact"]["name"], "erased");
        assert_eq!(i["contact"]["email"], "erased");
        assert_eq!(i["contact"]["phone"], "erased");
        assert_eq!(i["title"], "");
        assert_eq!(i["description"], "");
        let listed = get(&format!("/incidents/{id}/attachments"))
            .token(customer)
            .send()
            .await
            .expect(200)
            .body;
        for a in listed["items"].as_array().expect("attachments") {
            if let Some(url) = a["download_url"].as_str() {
                let status = http().get(url).send().await.expect("S3").status();
                assert!(!status.is_success(), "an erased attachment still downloads");
            }
        }
    }
    let items = items_of_account(&customer.account_id, ids, &marks.email).await;
    assert!(
        items.len() > ids.len() * 5,
        "the scan found the items: {}",
        items.len()
    );
    assert_nothing_personal(&items, marks);
}

#[tokio::test]
async fn erasure_removes_every_personal_field_and_keeps_every_figure() {
    let (customer, marks, ids) = account_to_erase(2).await;
    let before = kept_figures(&customer, &ids).await;
    let reports_before = report_rows().await;
    let erased = decide(&customer.account_id, true).await.expect(200).body;
    assert_eq!(erased["status"], "erased");
    let reports_after = report_rows().await;
    assert_eq!(kept_figures(&customer, &ids).await, before);
    assert_reconciles(
        &before["packs"]
            .as_array()
            .expect("packs")
            .iter()
            .map(|p| text(p, "pack_id").to_string())
            .collect::<Vec<_>>(),
    )
    .await;
    // Report counts: erasure writes no counter, so the month's rows only ever grow by what
    // other tests settle meanwhile; none may have shrunk.
    for (kind, key) in [("sla", "met"), ("satisfaction", "good")] {
        for row in reports_before[kind].as_array().expect("rows") {
            let same = reports_after[kind]
                .as_array()
                .expect("rows")
                .iter()
                .find(|r| {
                    r.as_object().map(|o| o.keys().len()) == row.as_object().map(|o| o.keys().len())
                        && r["month"] == row["month"]
                        && r["severity"] == row["severity"]
                        && r["calendar"] == row["calendar"]
                        && r["owner_account_id"] == row["owner_account_id"]
                })
                .unwrap_or_else(|| panic!("{kind} row gone: {row}"));
            assert!(same[key].as_u64() >= row[key].as_u64(), "{row} → {same}");
        }
    }
    assert_erased(&customer, &marks, &ids).await;
    // Staff go on writing internal notes on an erased incident: the notes' numbering survived.
    post(&format!("/incidents/{}/notes", ids[0]))
        .token(&User::engineer())
        .json(&json!({"note": "Erased at the customer's request."}))
        .send()
        .await
        .expect(201);
    // Audited once, by the admin.
    let audit = get(&format!("/audit?subject={}", customer.account_id))
        .token(&User::admin())
        .send()
        .await
        .expect(200)
        .body;
    let decisions: Vec<&Value> = audit["items"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "erasure_decision")
        .collect();
    assert_eq!(decisions.len(), 1, "{audit}");
    // Repeating the decision answers it again and writes nothing more.
    assert_eq!(
        decide(&customer.account_id, true).await.expect(200).body["status"],
        "erased"
    );
    // The erased account starts afresh: an export, a purchase, an incident.
    post("/account/data-export")
        .token(&customer)
        .send()
        .await
        .expect(202);
    buy_pack(&customer, "single").await;
    submit(&customer, &submission()).await.expect(201);
}

#[tokio::test]
async fn an_erasure_stopped_after_half_its_incidents_is_finished_by_a_rerun() {
    let (customer, marks, ids) = account_to_erase(4).await;
    let before = kept_figures(&customer, &ids).await;
    let store = store().await;
    let objects = objects::Objects::from_env().await.expect("the bucket");
    let admin = User::admin();
    let now = Utc::now();
    // The admin's approval lands (request erasing, audited) and the erasure dies after one step
    // of two incidents: what a crash of the deciding function midway leaves behind.
    let pending = store
        .erasure_request(&customer.account_id)
        .await
        .expect("read")
        .expect("a request");
    let incidents = store
        .all_incidents_of(&customer.account_id)
        .await
        .expect("incidents");
    let approved = domain::privacy::decide_erasure(
        &pending.request,
        true,
        None,
        &incidents,
        &admin.account_id,
        now,
    )
    .expect("approvable");
    assert!(store
        .save_erasure_request(
            &approved,
            Some(domain::privacy::ErasureStatus::Pending),
            None,
            Some(&domain::audit::of_erasure_decision(&approved)),
        )
        .await
        .expect("saved"));
    let stopped =
        usecases::privacy::erase_in_steps(&store, &objects, &approved, None, now, 2, Some(1))
            .await
            .expect("one step");
    assert!(stopped.is_none(), "stopped midway");
    // Unless another test's scheduled step already finished it (the other re-run path), it
    // stands half done: two incidents erased, two not, the request `erasing`.
    let status = store
        .erasure_request(&customer.account_id)
        .await
        .expect("read")
        .expect("a request")
        .request
        .status;
    let mut erased = 0;
    for id in &ids {
        if incident_view(&customer, id).await["contact"]["name"] == "erased" {
            erased += 1;
        }
    }
    if status == domain::privacy::ErasureStatus::Erasing {
        assert_eq!(erased, 2, "one step of two incidents");
        let listed = get("/erasure-requests?status=erasing&limit=100")
            .token(&admin)
            .send()
            .await
            .expect(200)
            .body;
        assert!(listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|r| r["account_id"] == customer.account_id.as_str()));
    } else {
        assert_eq!(status, domain::privacy::ErasureStatus::Erased);
    }

    // The re-run: the admin's decision repeated finishes it.
    let done = decide(&customer.account_id, true).await.expect(200).body;
    assert_eq!(done["status"], "erased");
    assert_eq!(kept_figures(&customer, &ids).await, before);
    assert_erased(&customer, &marks, &ids).await;
}

#[tokio::test]
async fn attachments_of_incidents_closed_longer_than_the_retention_are_deleted_and_it_says_so() {
    let customer = User::customer();
    let engineer = User::engineer();
    let marks = Marks::new();
    buy_pack(&customer, "five_pack").await;
    let (id, _) = closed_incident(&customer, &engineer, &marks, 1).await;
    let listed = get(&format!("/incidents/{id}/attachments"))
        .token(&customer)
        .send()
        .await
        .expect(200)
        .body;
    let url = text(&listed["items"][0], "download_url").to_string();
    assert!(http()
        .get(&url)
        .send()
        .await
        .expect("S3")
        .status()
        .is_success());
    // The incident is made to look closed long ago (its closing instant and its place in the
    // closed incidents' index, which is by creation), so the step run now finds it and no
    // other test's incident: first a day short of the retention period (365 days by default).
    let store = store().await;
    let backdate = |days: i64| {
        let store = store.clone();
        let id = id.clone();
        async move {
            let closed = format_instant(Utc::now() - Duration::days(days));
            let created = format_instant(Utc::now() - Duration::days(400));
            store
                .client()
                .update_item()
                .table_name(store.table_name())
                .key("PK", AttributeValue::S(format!("INCIDENT#{id}")))
                .key("SK", AttributeValue::S("INCIDENT".into()))
                .update_expression("SET closed_at = :closed, GSI2SK = :created")
                .expression_attribute_values(":closed", AttributeValue::S(closed))
                .expression_attribute_values(
                    ":created",
                    AttributeValue::S(format!("{created}#{id}")),
                )
                .send()
                .await
                .expect("backdated");
        }
    };
    backdate(364).await;
    sweep(Utc::now()).await;
    assert!(incident_view(&customer, &id).await["attachments_deleted_at"].is_null());
    assert!(http()
        .get(&url)
        .send()
        .await
        .expect("S3")
        .status()
        .is_success());
    // Past it, the scheduled step deletes the bytes and says when. It reads a bounded number
    // of long-closed incidents per run, so it may take a few runs.
    backdate(366).await;
    let mut deleted_at = Value::Null;
    for _ in 0..20 {
        sweep(Utc::now()).await;
        deleted_at = incident_view(&customer, &id).await["attachments_deleted_at"].clone();
        if !deleted_at.is_null() {
            break;
        }
    }
    assert!(deleted_at.is_string(), "attachments_deleted_at stayed null");
    assert!(!http()
        .get(&url)
        .send()
        .await
        .expect("S3")
        .status()
        .is_success());
}
