//! `POST /incidents`, `GET /incidents`, `GET /incidents/{id}`: every refusal, the atomic draw,
//! idempotency, and who sees what.

use e2e::*;
use futures::future::join_all;
use serde_json::{json, Value};

fn with(mut body: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().expect("object") {
        body[k] = v.clone();
    }
    body
}

async fn pack_remaining(user: &User, pack_id: &str) -> i64 {
    get(&format!("/packs/{pack_id}"))
        .token(user)
        .send()
        .await
        .expect(200)
        .body["incidents_remaining"]
        .as_i64()
        .expect("remaining")
}

#[tokio::test]
async fn a_valid_submission_draws_one_unit_and_fixes_the_deadline() {
    let user = User::customer();
    let pack = buy_pack(&user, "five_pack").await;
    let pack_id = pack["pack_id"].as_str().expect("id").to_string();
    let a = submit(&user, &submission()).await.expect(201);
    let incident = &a.body;
    assert_eq!(incident["status"], "awaiting_response");
    assert_eq!(incident["sla"], "pending");
    assert_eq!(incident["charge"], "consumed");
    assert_eq!(incident["pack_id"], pack_id.as_str());
    assert_eq!(incident["account_id"], user.account_id.as_str());
    assert_eq!(incident["parent_incident_id"], Value::Null);
    assert_eq!(incident["timeline"][0]["kind"], "submitted");
    // The deadline is the one the quote gives for the same instant.
    let quote = get(&format!(
        "/sla/quote?severity=C&calendar=PL&at={}",
        incident["created_at"].as_str().expect("created")
    ))
    .token(&user)
    .send()
    .await
    .expect(200);
    assert_eq!(
        incident["first_response_due_at"],
        quote.body["first_response_due_at"]
    );
    assert_eq!(pack_remaining(&user, &pack_id).await, 4);
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn every_bad_field_is_named_and_nothing_is_consumed() {
    let user = User::customer();
    let pack = buy_pack(&user, "single").await;
    let body = json!({"product_id": 7, "category": "nonsense", "severity": "Z", "handling": "always",
        "calendar": "DE", "title": "", "contact": {"name": "N", "email": "not-an-email"}});
    let a = submit(&user, &body)
        .await
        .expect_problem(400, "invalid_request");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "calendar",
            "category",
            "contact.email",
            "description",
            "handling",
            "product_id",
            "severity",
            "title"
        ]
    );
    assert_eq!(
        pack_remaining(&user, pack["pack_id"].as_str().expect("id")).await,
        1
    );
}

#[tokio::test]
async fn round_the_clock_handling_without_a_phone_is_400_naming_contact_phone() {
    let user = User::customer();
    buy_pack(&user, "single").await;
    let body = with(
        submission(),
        json!({"handling": "24x7", "contact": {"name": "N", "email": "n@example.com"}}),
    );
    let a = submit(&user, &body)
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["contact.phone"]);
}

#[tokio::test]
async fn severity_a_without_24x7_is_422_and_takes_precedence_over_the_phone_rule() {
    let user = User::customer();
    let pack = buy_pack(&user, "single").await;
    let no_phone = with(
        submission(),
        json!({"severity": "A", "handling": "24x7", "contact": {"name": "N", "email": "n@example.com"}}),
    );
    submit(&user, &no_phone)
        .await
        .expect_problem(422, "severity_a_requires_24x7");
    let business_hours = with(
        submission(),
        json!({"severity": "A", "handling": "business_hours"}),
    );
    submit(&user, &business_hours)
        .await
        .expect_problem(422, "severity_a_requires_24x7");
    assert_eq!(
        pack_remaining(&user, pack["pack_id"].as_str().expect("id")).await,
        1
    );
    let ok = with(submission(), json!({"severity": "A", "handling": "24x7"}));
    let a = submit(&user, &ok).await.expect(201);
    let created =
        chrono::DateTime::parse_from_rfc3339(a.body["created_at"].as_str().expect("created"))
            .expect("instant");
    let due = chrono::DateTime::parse_from_rfc3339(
        a.body["first_response_due_at"].as_str().expect("due"),
    )
    .expect("instant");
    assert_eq!(due - created, chrono::Duration::hours(2));
}

#[tokio::test]
async fn each_excluded_category_is_out_of_scope_with_where_it_belongs() {
    let user = User::customer();
    let pack = buy_pack(&user, "single").await;
    for category in [
        "feature_request",
        "onsite_support",
        "custom_code",
        "developer_support",
        "security_incident_response",
        "billing_question",
    ] {
        let a = submit(&user, &with(submission(), json!({"category": category})))
            .await
            .expect_problem(422, "out_of_scope");
        assert_eq!(a.body["exclusion"], category);
        assert!(
            a.body["redirect"].as_str().is_some_and(|r| r.len() > 20),
            "{category}: {}",
            a.body
        );
    }
    assert_eq!(
        pack_remaining(&user, pack["pack_id"].as_str().expect("id")).await,
        1
    );
}

#[tokio::test]
async fn a_product_past_extended_support_is_refused_naming_the_end_date() {
    let user = User::customer();
    buy_pack(&user, "single").await;
    let a = submit(
        &user,
        &with(
            submission(),
            json!({"product_id": "windows-server-2012-r2"}),
        ),
    )
    .await
    .expect_problem(422, "product_out_of_lifecycle");
    assert_eq!(a.body["support_ended_on"], "2023-10-10");
    // A product in extended support is still eligible.
    submit(
        &user,
        &with(submission(), json!({"product_id": "windows-server-2016"})),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn an_unknown_product_is_400_naming_product_id() {
    let user = User::customer();
    buy_pack(&user, "single").await;
    let a = submit(
        &user,
        &with(submission(), json!({"product_id": "no-such-product"})),
    )
    .await
    .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["product_id"]);
}

#[tokio::test]
async fn without_a_pack_the_submission_is_no_usable_pack() {
    submit(&User::customer(), &submission())
        .await
        .expect_problem(422, "no_usable_pack");
}

#[tokio::test]
async fn an_expired_pack_cannot_be_drawn_from() {
    let user = User::customer();
    let pack = buy_pack(&user, "five_pack").await;
    let pack_id = pack["pack_id"].as_str().expect("id").to_string();
    store()
        .await
        .set_pack_expiry(&pack_id, chrono::Utc::now() - chrono::Duration::minutes(1))
        .await
        .expect("store");
    submit(&user, &submission())
        .await
        .expect_problem(422, "no_usable_pack");
    submit(&user, &with(submission(), json!({"pack_id": pack_id})))
        .await
        .expect_problem(422, "no_usable_pack");
    let p = get(&format!("/packs/{pack_id}"))
        .token(&user)
        .send()
        .await
        .expect(200);
    assert_eq!(p.body["status"], "expired");
    assert_eq!(p.body["incidents_remaining"], 5);
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn the_soonest_expiring_pack_is_drawn_first() {
    let user = User::customer();
    let older = buy_pack(&user, "five_pack").await["pack_id"]
        .as_str()
        .expect("id")
        .to_string();
    let newer = buy_pack(&user, "five_pack").await["pack_id"]
        .as_str()
        .expect("id")
        .to_string();
    // Make the newer purchase expire first: it must be drawn before the older one.
    store()
        .await
        .set_pack_expiry(&newer, chrono::Utc::now() + chrono::Duration::days(30))
        .await
        .expect("store");
    let a = submit(&user, &submission()).await.expect(201);
    assert_eq!(a.body["pack_id"], newer.as_str());
    assert_eq!(pack_remaining(&user, &newer).await, 4);
    assert_eq!(pack_remaining(&user, &older).await, 5);
}

#[tokio::test]
async fn a_named_pack_is_drawn_from_and_another_accounts_pack_is_not_usable() {
    let user = User::customer();
    let first = buy_pack(&user, "five_pack").await["pack_id"]
        .as_str()
        .expect("id")
        .to_string();
    let second = buy_pack(&user, "five_pack").await["pack_id"]
        .as_str()
        .expect("id")
        .to_string();
    let a = submit(&user, &with(submission(), json!({"pack_id": second})))
        .await
        .expect(201);
    assert_eq!(a.body["pack_id"], second.as_str());
    let stranger = User::customer();
    buy_pack(&stranger, "single").await;
    submit(&stranger, &with(submission(), json!({"pack_id": first})))
        .await
        .expect_problem(422, "no_usable_pack");
    assert_eq!(pack_remaining(&user, &first).await, 5);
}

#[tokio::test]
async fn a_replayed_submission_returns_the_same_incident_and_consumes_once() {
    let user = User::customer();
    let pack_id = buy_pack(&user, "five_pack").await["pack_id"]
        .as_str()
        .expect("id")
        .to_string();
    let key = new_key();
    let first = post("/incidents")
        .token(&user)
        .idempotency_key(&key)
        .json(&submission())
        .send()
        .await
        .expect(201);
    assert!(first.header("idempotent-replayed").is_none());
    // Same body with other whitespace and key order is the same request.
    let reordered = serde_json::to_string_pretty(&submission()).expect("json");
    let again = post("/incidents")
        .token(&user)
        .idempotency_key(&key)
        .body("application/json", reordered)
        .send()
        .await
        .expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(pack_remaining(&user, &pack_id).await, 4);
    let other = with(submission(), json!({"title": "Something else"}));
    post("/incidents")
        .token(&user)
        .idempotency_key(&key)
        .json(&other)
        .send()
        .await
        .expect_problem(422, "idempotency_key_reused");
    // Keys are scoped to the account: another customer's same key is a new request.
    let stranger = User::customer();
    buy_pack(&stranger, "single").await;
    post("/incidents")
        .token(&stranger)
        .idempotency_key(&key)
        .json(&submission())
        .send()
        .await
        .expect(201);
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn the_idempotency_key_is_required_and_checked() {
    let user = User::customer();
    let a = post("/incidents")
        .token(&user)
        .json(&submission())
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["Idempotency-Key"]);
    let long = "k".repeat(129);
    post("/incidents")
        .token(&user)
        .idempotency_key(&long)
        .json(&submission())
        .send()
        .await
        .expect_problem(400, "invalid_request");
}

#[tokio::test]
async fn concurrent_replays_of_one_key_create_one_incident() {
    let user = User::customer();
    let pack_id = buy_pack(&user, "five_pack").await["pack_id"]
        .as_str()
        .expect("id")
        .to_string();
    let key = new_key();
    let answers = join_all((0..20).map(|_| {
        post("/incidents")
            .token(&user)
            .idempotency_key(&key)
            .json(&submission())
            .send()
    }))
    .await;
    let ids: std::collections::HashSet<_> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, 201, "{}", a.body);
            a.body["incident_id"].as_str().expect("id").to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(pack_remaining(&user, &pack_id).await, 4);
    assert_reconciles(&[pack_id]).await;
}

/// The worst bug this product can have is a unit drawn twice or not at all.
#[tokio::test]
async fn forty_concurrent_submissions_against_a_five_pack_create_exactly_five_incidents_ten_times_over(
) {
    for round in 0..10 {
        let user = User::customer();
        let pack_id = buy_pack(&user, "five_pack").await["pack_id"]
            .as_str()
            .expect("id")
            .to_string();
        let body = submission();
        let keys: Vec<String> = (0..40).map(|_| new_key()).collect();
        let send = |key: String| {
            let (user, body) = (&user, &body);
            async move {
                // A client retries a 503 with the same key, as the contract tells it to.
                for _ in 0..5 {
                    let a = post("/incidents")
                        .token(user)
                        .idempotency_key(&key)
                        .json(body)
                        .send()
                        .await;
                    if a.status != 503 {
                        return a;
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
                panic!("the data store stayed unavailable");
            }
        };
        let answers = join_all(keys.into_iter().map(send)).await;
        let created = answers.iter().filter(|a| a.status == 201).count();
        let refused = answers
            .iter()
            .filter(|a| a.status == 422 && a.body["code"] == "no_usable_pack")
            .count();
        assert_eq!(
            (created, refused),
            (5, 35),
            "round {round}: {:?}",
            answers.iter().map(|a| a.status).collect::<Vec<_>>()
        );
        assert_eq!(pack_remaining(&user, &pack_id).await, 0, "round {round}");
        let listed = get("/incidents?limit=100")
            .token(&user)
            .send()
            .await
            .expect(200);
        assert_eq!(
            listed.body["items"].as_array().map(Vec::len),
            Some(5),
            "round {round}"
        );
        assert_reconciles(&[pack_id]).await;
    }
}

#[tokio::test]
async fn another_accounts_incident_is_404_and_staff_see_it() {
    let owner = User::customer();
    buy_pack(&owner, "single").await;
    let id = submit(&owner, &submission()).await.expect(201).body["incident_id"]
        .as_str()
        .expect("id")
        .to_string();
    get(&format!("/incidents/{id}"))
        .token(&User::customer())
        .send()
        .await
        .expect_problem(404, "not_found");
    let seen = get(&format!("/incidents/{id}"))
        .token(&User::engineer())
        .send()
        .await
        .expect(200);
    assert_eq!(seen.body["incident_id"], id.as_str());
    assert_eq!(seen.body["timeline"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_customer_lists_only_its_own_incidents_newest_first_page_by_page() {
    let user = User::customer();
    buy_pack(&user, "five_pack").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let a = submit(
            &user,
            &with(submission(), json!({"title": format!("Problem {i}")})),
        )
        .await
        .expect(201);
        ids.push(a.body["incident_id"].as_str().expect("id").to_string());
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    let stranger = User::customer();
    buy_pack(&stranger, "single").await;
    submit(&stranger, &submission()).await.expect(201);
    let first = get("/incidents?limit=2")
        .token(&user)
        .send()
        .await
        .expect(200);
    let page1: Vec<_> = first.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["incident_id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(page1, [ids[2].clone(), ids[1].clone()]);
    assert!(
        first.body["items"][0].get("timeline").is_none(),
        "list items carry no timeline"
    );
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("more pages")
        .to_string();
    let second = get(&format!("/incidents?limit=2&cursor={cursor}"))
        .token(&user)
        .send()
        .await
        .expect(200);
    let page2: Vec<_> = second.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["incident_id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(page2, [ids[0].clone()]);
    // A cursor from this list is refused on another account's list, not followed.
    get(&format!("/incidents?limit=2&cursor={cursor}"))
        .token(&stranger)
        .send()
        .await
        .expect_problem(400, "invalid_request");
    get("/incidents?limit=0")
        .token(&user)
        .send()
        .await
        .expect_problem(400, "invalid_request");
    get("/incidents?status=bogus")
        .token(&user)
        .send()
        .await
        .expect_problem(400, "invalid_request");
}

#[tokio::test]
async fn staff_list_every_incident_and_filter_by_status() {
    let user = User::customer();
    buy_pack(&user, "single").await;
    let id = submit(&user, &submission()).await.expect(201).body["incident_id"]
        .as_str()
        .expect("id")
        .to_string();
    let a = get("/incidents?status=awaiting_response&limit=100")
        .token(&User::engineer())
        .send()
        .await
        .expect(200);
    let items = a.body["items"].as_array().expect("items");
    assert!(items.iter().all(|i| i["status"] == "awaiting_response"));
    assert!(
        items.iter().any(|i| i["incident_id"] == id.as_str()),
        "the new incident is the newest awaiting one"
    );
    let all = get("/incidents?limit=100")
        .token(&User::admin())
        .send()
        .await
        .expect(200);
    assert!(all.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|i| i["incident_id"] == id.as_str()));
}
