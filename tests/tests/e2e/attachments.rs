//! Attachments end to end: declared through the API, uploaded straight to the local S3 through
//! the presigned URL with a plain HTTP client, completed, listed, and downloaded again through
//! the presigned download URL. (The local S3 accepts any signature: the URLs' signing is proven
//! by the unit tests of the objects crate.)

use e2e::*;
use futures::future::join_all;
use serde_json::{json, Value};

fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is a string in {v}"))
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the local stack"))
}

/// A client for the object store itself (what a browser or `curl` would be).
fn s3() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("http client")
}

async fn incident_of(owner: &User) -> String {
    buy_pack(owner, "five_pack").await;
    let incident = submit(owner, &submission()).await.expect(201).body;
    text(&incident, "incident_id").to_string()
}

fn declared(file_name: &str, size: usize) -> Value {
    json!({"file_name": file_name, "content_type": "text/plain", "size_bytes": size})
}

async fn create(user: &User, incident: &str, body: &Value) -> Answer {
    post(&format!("/incidents/{incident}/attachments"))
        .token(user)
        .json(body)
        .send()
        .await
}

async fn complete(user: &User, incident: &str, attachment: &str) -> Answer {
    post(&format!(
        "/incidents/{incident}/attachments/{attachment}/complete"
    ))
    .token(user)
    .send()
    .await
}

async fn list(user: &User, incident: &str) -> Answer {
    get(&format!("/incidents/{incident}/attachments"))
        .token(user)
        .send()
        .await
}

/// PUTs `bytes` to the upload URL with the signed headers the answer names (Content-Length is
/// the body's own, as a browser sends it).
async fn upload(created: &Value, bytes: Vec<u8>) -> u16 {
    assert_eq!(created["upload_method"], "PUT");
    let mut request = s3().put(text(created, "upload_url"));
    for (name, value) in created["upload_headers"].as_object().expect("headers") {
        if !name.eq_ignore_ascii_case("content-length") {
            request = request.header(name, value.as_str().expect("a header value"));
        }
    }
    request
        .body(bytes)
        .send()
        .await
        .expect("the local S3 answers")
        .status()
        .as_u16()
}

fn file_of(size: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; size];
    getrandom::fill(&mut bytes).expect("random bytes");
    bytes
}

fn attachment_added_events(incident: &Value) -> Vec<Value> {
    incident["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "attachment_added")
        .cloned()
        .collect()
}

async fn incident(user: &User, id: &str) -> Value {
    get(&format!("/incidents/{id}"))
        .token(user)
        .send()
        .await
        .expect(200)
        .body
}

/// Declares, uploads and completes a small file; returns the completed attachment.
async fn attached(user: &User, incident: &str, name: &str) -> Value {
    let bytes = file_of(1000);
    let created = create(user, incident, &declared(name, bytes.len()))
        .await
        .expect(201)
        .body;
    assert_eq!(upload(&created, bytes).await, 200);
    complete(user, incident, text(&created, "attachment_id"))
        .await
        .expect(200)
        .body
}

#[tokio::test]
async fn a_customer_attaches_a_5_mb_log_and_an_engineer_downloads_the_same_bytes() {
    let owner = User::customer();
    let engineer = User::engineer();
    let id = incident_of(&owner).await;
    let bytes = file_of(5 * 1024 * 1024);

    let created = create(
        &owner,
        &id,
        &declared("sqlserver \"crash\".log", bytes.len()),
    )
    .await
    .expect(201)
    .body;
    let attachment_id = text(&created, "attachment_id").to_string();
    assert_eq!(created["upload_headers"]["content-type"], "text/plain");
    assert_eq!(created["upload_headers"]["content-length"], "5242880");
    // The object key comes from the ids, never from the file name.
    let expected_prefix = format!(
        "{}/{}/attachments/pending/{id}/{attachment_id}?",
        env("AWS_ENDPOINT_URL_S3"),
        env("ATTACHMENTS_BUCKET")
    );
    assert!(
        text(&created, "upload_url").starts_with(&expected_prefix),
        "{created}"
    );
    let expires =
        chrono::DateTime::parse_from_rfc3339(text(&created, "expires_at")).expect("an instant");
    let left = expires.timestamp() - chrono::Utc::now().timestamp();
    assert!((14 * 60..=15 * 60).contains(&left), "{left} s left");

    // Before the upload: pending, no download.
    let before = list(&engineer, &id).await.expect(200).body;
    assert_eq!(before["items"][0]["status"], "pending");
    assert!(before["items"][0]["download_url"].is_null());

    assert_eq!(upload(&created, bytes.clone()).await, 200);
    let done = complete(&owner, &id, &attachment_id).await.expect(200).body;
    assert_eq!(done["status"], "uploaded");
    assert_eq!(done["size_bytes"], 5_242_880);
    assert_eq!(done["uploaded_by"], owner.account_id.as_str());
    // A repeat is a no-op.
    let again = complete(&owner, &id, &attachment_id).await.expect(200).body;
    assert_eq!(again["status"], "uploaded");

    let listed = list(&engineer, &id).await.expect(200).body;
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    let item = &items[0];
    for field in [
        "attachment_id",
        "file_name",
        "content_type",
        "size_bytes",
        "status",
        "uploaded_by",
        "created_at",
    ] {
        assert_eq!(item[field], done[field], "{field}");
    }
    assert_eq!(item["file_name"], "sqlserver \"crash\".log");
    let response = s3()
        .get(text(item, "download_url"))
        .send()
        .await
        .expect("the local S3 answers");
    assert_eq!(response.status().as_u16(), 200);
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"sqlserver _crash_.log\""),
        "{disposition}"
    );
    let downloaded = response.bytes().await.expect("the file");
    assert_eq!(downloaded.len(), bytes.len());
    assert!(downloaded.as_ref() == bytes.as_slice(), "the bytes differ");

    let events = attachment_added_events(&incident(&engineer, &id).await);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["attachment_id"], attachment_id.as_str());
    assert_eq!(events[0]["actor_account_id"], owner.account_id.as_str());
}

#[tokio::test]
async fn completing_a_missing_upload_or_one_of_another_size_is_409() {
    let owner = User::customer();
    let id = incident_of(&owner).await;
    let created = create(&owner, &id, &declared("app.log", 4096))
        .await
        .expect(201)
        .body;
    let attachment_id = text(&created, "attachment_id");
    complete(&owner, &id, attachment_id)
        .await
        .expect_problem(409, "invalid_state");
    // The local S3 does not enforce the signed length, so a short body reaches it; the
    // completion's own size check refuses it.
    assert_eq!(upload(&created, file_of(4095)).await, 200);
    complete(&owner, &id, attachment_id)
        .await
        .expect_problem(409, "invalid_state");
    let listed = list(&owner, &id).await.expect(200).body;
    assert_eq!(listed["items"][0]["status"], "pending");
    assert!(attachment_added_events(&incident(&owner, &id).await).is_empty());
    // The right size completes it.
    assert_eq!(upload(&created, file_of(4096)).await, 200);
    complete(&owner, &id, attachment_id).await.expect(200);
}

#[tokio::test]
async fn every_limit_is_a_400_naming_the_field() {
    let owner = User::customer();
    let id = incident_of(&owner).await;
    let ok = declared("a.log", 10);
    let cases = [
        ("size_bytes", json!(0)),
        ("size_bytes", json!(52_428_801)),
        ("size_bytes", json!("10")),
        ("file_name", json!("")),
        ("file_name", json!("a".repeat(256))),
        ("file_name", json!("logs/a.log")),
        ("file_name", json!("logs\\a.log")),
        ("file_name", json!("a\u{1b}.log")),
        ("content_type", json!("text/html")),
        ("content_type", json!("application/x-msdownload")),
    ];
    for (field, value) in cases {
        let mut body = ok.clone();
        body[field] = value.clone();
        let answer = create(&owner, &id, &body)
            .await
            .expect_problem(400, "invalid_request");
        assert_eq!(answer.error_fields(), vec![field], "{field} = {value}");
    }
    let answer = create(&owner, &id, &json!({}))
        .await
        .expect_problem(400, "invalid_request");
    let mut fields = answer.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["content_type", "file_name", "size_bytes"]);
    // The limits themselves are allowed.
    create(
        &owner,
        &id,
        &json!({"file_name": "a".repeat(255), "content_type": "application/vnd.tcpdump.pcap", "size_bytes": 52_428_800}),
    )
    .await
    .expect(201);
    assert_eq!(
        list(&owner, &id).await.expect(200).body["items"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "refused requests left nothing behind"
    );
}

#[tokio::test]
async fn an_incident_takes_twenty_attachments_even_when_they_race_and_refuses_the_next() {
    let owner = User::customer();
    let id = incident_of(&owner).await;
    let answers = join_all((0..25).map(|i| {
        let (owner, id) = (owner.clone(), id.clone());
        async move { create(&owner, &id, &declared(&format!("part-{i}.log"), 100)).await }
    }))
    .await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    let refused: Vec<&Answer> = answers.iter().filter(|a| a.status == 409).collect();
    assert_eq!(
        created,
        20,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(refused.len(), 5);
    assert!(refused.iter().all(|a| a.body["code"] == "invalid_state"));
    create(&owner, &id, &declared("one-more.log", 100))
        .await
        .expect_problem(409, "invalid_state");
    let listed = list(&owner, &id).await.expect(200).body;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(20));
}

#[tokio::test]
async fn a_closed_incident_takes_no_attachments() {
    let owner = User::customer();
    let id = incident_of(&owner).await;
    post(&format!("/incidents/{id}/closure-request"))
        .token(&owner)
        .json(&json!({"reason": "Solved it ourselves."}))
        .send()
        .await
        .expect(200);
    create(&owner, &id, &declared("late.log", 10))
        .await
        .expect_problem(409, "invalid_state");
    create(&User::engineer(), &id, &declared("late.log", 10))
        .await
        .expect_problem(409, "invalid_state");
    // Reading stays possible.
    list(&owner, &id).await.expect(200);
}

#[tokio::test]
async fn another_accounts_incident_and_attachments_are_not_found() {
    let owner = User::customer();
    let stranger = User::customer();
    let id = incident_of(&owner).await;
    let created = create(&owner, &id, &declared("a.log", 10))
        .await
        .expect(201)
        .body;
    let attachment_id = text(&created, "attachment_id");
    create(&stranger, &id, &declared("a.log", 10))
        .await
        .expect_problem(404, "not_found");
    list(&stranger, &id).await.expect_problem(404, "not_found");
    complete(&stranger, &id, attachment_id)
        .await
        .expect_problem(404, "not_found");
    complete(&owner, &id, "att_doesnotexist")
        .await
        .expect_problem(404, "not_found");
    list(&owner, "inc_doesnotexist")
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn staff_attach_and_read_and_only_the_uploader_completes() {
    let owner = User::customer();
    let engineer = User::engineer();
    let admin = User::admin();
    let id = incident_of(&owner).await;

    let bytes = file_of(2048);
    let created = create(&engineer, &id, &declared("procmon.csv", bytes.len()))
        .await
        .expect(201)
        .body;
    let attachment_id = text(&created, "attachment_id");
    assert_eq!(upload(&created, bytes.clone()).await, 200);
    complete(&owner, &id, attachment_id)
        .await
        .expect_problem(403, "forbidden");
    complete(&engineer, &id, attachment_id).await.expect(200);

    let mine = attached(&owner, &id, "eventlog.txt").await;
    for reader in [&owner, &engineer, &admin] {
        let items = list(reader, &id).await.expect(200).body["items"].clone();
        let mut by: Vec<&str> = items
            .as_array()
            .expect("items")
            .iter()
            .map(|i| text(i, "uploaded_by"))
            .collect();
        by.sort();
        let mut expected = vec![engineer.account_id.as_str(), owner.account_id.as_str()];
        expected.sort();
        assert_eq!(by, expected);
    }
    let listed = list(&owner, &id).await.expect(200).body;
    let engineers = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["attachment_id"] == attachment_id)
        .expect("the engineer's attachment")
        .clone();
    let downloaded = s3()
        .get(text(&engineers, "download_url"))
        .send()
        .await
        .expect("answers")
        .bytes()
        .await
        .expect("bytes");
    assert!(downloaded.as_ref() == bytes.as_slice());
    assert_eq!(mine["status"], "uploaded");
    // Attaching is for the owner and engineers; an admin reads only.
    create(&admin, &id, &declared("a.log", 10))
        .await
        .expect_problem(403, "forbidden");
}

#[tokio::test]
async fn concurrent_completions_record_one_attachment_added_event() {
    let owner = User::customer();
    let id = incident_of(&owner).await;
    let created = create(&owner, &id, &declared("dump.txt", 3000))
        .await
        .expect(201)
        .body;
    let attachment_id = text(&created, "attachment_id").to_string();
    assert_eq!(upload(&created, file_of(3000)).await, 200);
    let answers = join_all((0..8).map(|_| {
        let (owner, id, attachment_id) = (owner.clone(), id.clone(), attachment_id.clone());
        async move { complete(&owner, &id, &attachment_id).await }
    }))
    .await;
    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["status"], "uploaded");
    }
    let events = attachment_added_events(&incident(&owner, &id).await);
    assert_eq!(events.len(), 1, "{events:?}");
}

#[tokio::test]
async fn the_bucket_answers_the_upload_preflight_for_the_console_origin_only() {
    let owner = User::customer();
    let id = incident_of(&owner).await;
    let created = create(&owner, &id, &declared("a.log", 10))
        .await
        .expect(201)
        .body;
    let url = text(&created, "upload_url");
    let console = env("CONSOLE_ORIGIN")
        .split(',')
        .next()
        .expect("an origin")
        .trim()
        .to_string();
    let preflight = |origin: String| {
        s3().request(reqwest::Method::OPTIONS, url)
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "PUT")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
    };
    let allowed = preflight(console.clone()).await.expect("answers");
    assert_eq!(allowed.status().as_u16(), 200);
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    assert_eq!(
        header(&allowed, "access-control-allow-origin"),
        Some(console)
    );
    let methods = header(&allowed, "access-control-allow-methods").unwrap_or_default();
    assert!(methods.contains("PUT"), "{methods}");
    let headers = header(&allowed, "access-control-allow-headers").unwrap_or_default();
    assert!(
        headers.to_ascii_lowercase().contains("content-type"),
        "{headers}"
    );

    let refused = preflight("https://elsewhere.example".into())
        .await
        .expect("answers");
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(header(&refused, "access-control-allow-origin"), None);
}
