//! Satisfaction (API.md "Satisfaction"): the closing e-mail carries one-click rating links; the
//! link's token is the only authority (no sign-in), a later rating replaces the earlier, and the
//! monthly report counts each incident once, with its latest rating — 20 at once included.
//! Forged, tampered, expired or other incidents' tokens are 404 and record nothing.

use domain::rating::{RatingTokenKey, RATING_TOKEN_KEY_VAR};
use e2e::*;
use serde_json::{json, Value};

fn key() -> RatingTokenKey {
    RatingTokenKey::from_secret(std::env::var(RATING_TOKEN_KEY_VAR).ok().as_deref())
        .expect("RATING_TOKEN_KEY is set by the stack")
}

async fn registered(engineer: User) -> User {
    get("/queue?limit=1")
        .token(&engineer)
        .send()
        .await
        .expect(200);
    engineer
}

/// A customer's incident with its own contact address, taken by `engineer`: (id, contact).
async fn owned_incident(customer: &User, engineer: &User, lang: &str) -> (String, String) {
    let contact = new_address("rater");
    let mut body = submission();
    body["contact"] = json!({"name": "Rita", "email": contact, "language": lang});
    let incident = submit(customer, &body).await.expect(201).body;
    let id = incident["incident_id"].as_str().expect("id").to_string();
    post(&format!("/incidents/{id}/assignment"))
        .token(engineer)
        .json(&json!({"owner_account_id": engineer.account_id}))
        .send()
        .await
        .expect(200);
    (id, contact)
}

async fn resolve(engineer: &User, id: &str) {
    post(&format!("/incidents/{id}/resolution"))
        .token(engineer)
        .json(&json!({"outcome": "resolved", "solutions": ["Updated the driver."]}))
        .send()
        .await
        .expect(200);
}

/// The rating token in the mail's `…/rate/<token>?score=good` link (and its `bad` twin).
fn token_in(body: &str) -> String {
    let start = body.find("/rate/").expect("a rating link") + "/rate/".len();
    let token: String = body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert!(
        body.contains(&format!("/rate/{token}?score=good")),
        "{body}"
    );
    assert!(body.contains(&format!("/rate/{token}?score=bad")), "{body}");
    token
}

/// Rates with no bearer token at all.
async fn rate(token: &str, body: Value) -> Answer {
    post(&format!("/ratings/{token}")).json(&body).send().await
}

async fn incident(user: &User, id: &str) -> Value {
    get(&format!("/incidents/{id}"))
        .token(user)
        .send()
        .await
        .expect(200)
        .body
}

fn rated_events(incident: &Value) -> Vec<Value> {
    incident["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "rated")
        .cloned()
        .collect()
}

/// The report's line of this month, severity C and `owner` (each test has its own engineer).
async fn line(owner: &User) -> Option<Value> {
    let admin = User::admin();
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let report = get(&format!("/reports/satisfaction?from={month}&to={month}"))
        .token(&admin)
        .send()
        .await
        .expect(200)
        .body;
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|l| l["owner_account_id"] == owner.account_id.as_str() && l["severity"] == "C")
        .cloned()
}

#[tokio::test]
async fn the_closing_mail_links_rate_without_sign_in_and_a_later_rating_replaces_the_earlier() {
    let customer = User::customer();
    buy_pack(&customer, "five_pack").await;
    let engineer = registered(User::engineer()).await;
    let (id, contact) = owned_incident(&customer, &engineer, "en").await;
    resolve(&engineer, &id).await;
    let mail = mail_to(&contact, "resolved", 1).await;
    let token = token_in(&mail[0].body);
    assert!(mail[0].body.contains("How did we do?"), "{}", mail[0].body);

    let first = rate(&token, json!({"score": "good"}))
        .await
        .expect(200)
        .body;
    assert_eq!(first["incident_id"], id.as_str());
    assert_eq!(first["score"], "good");
    assert_eq!(first["comment"], Value::Null);
    assert!(first["at"].as_str().is_some_and(|a| a.ends_with('Z')));
    let seen = incident(&customer, &id).await;
    assert_eq!(seen["rating"]["score"], "good");
    let l = line(&engineer).await.expect("counted");
    assert_eq!((l["good"].clone(), l["bad"].clone()), (json!(1), json!(0)));
    assert_eq!(l["score"], json!(1.0));

    let second = rate(&token, json!({"score": "bad", "comment": "Took too long."}))
        .await
        .expect(200)
        .body;
    assert_eq!(second["comment"], "Took too long.");
    for viewer in [&customer, &engineer] {
        let seen = incident(viewer, &id).await;
        assert_eq!(
            seen["rating"],
            json!({"score": "bad", "comment": "Took too long.", "at": second["at"]})
        );
        let rated = rated_events(&seen);
        assert_eq!(rated.len(), 2, "one rated event each");
        assert_eq!(rated[1]["score"], "bad");
    }
    let l = line(&engineer).await.expect("counted");
    assert_eq!(
        (l["good"].clone(), l["bad"].clone()),
        (json!(0), json!(1)),
        "moved, not added"
    );
    assert_eq!(l["score"], json!(0.0));
}

#[tokio::test]
async fn the_charge_decision_of_a_customer_closure_carries_the_links_in_polish() {
    let customer = User::customer();
    buy_pack(&customer, "five_pack").await;
    let engineer = registered(User::engineer()).await;
    let (id, contact) = owned_incident(&customer, &engineer, "pl").await;
    post(&format!("/incidents/{id}/closure-request"))
        .token(&customer)
        .json(&json!({"reason": "Sami to obeszliśmy."}))
        .send()
        .await
        .expect(200);
    post(&format!("/incidents/{id}/charge-decision"))
        .token(&User::admin())
        .json(&json!({"charge": "refunded"}))
        .send()
        .await
        .expect(200);
    let mail = mail_to(&contact, "Decyzja o rozliczeniu", 1).await;
    assert!(mail[0].body.contains("Dobrze"), "{}", mail[0].body);
    let token = token_in(&mail[0].body);
    rate(&token, json!({"score": "good", "comment": "Dziękuję"}))
        .await
        .expect(200);
    assert_eq!(
        incident(&customer, &id).await["rating"]["comment"],
        "Dziękuję"
    );
}

#[tokio::test]
async fn forged_tampered_expired_or_other_tokens_are_404_and_record_nothing() {
    let customer = User::customer();
    buy_pack(&customer, "five_pack").await;
    let engineer = registered(User::engineer()).await;
    let (id, _) = owned_incident(&customer, &engineer, "en").await;
    resolve(&engineer, &id).await;
    let now = chrono::Utc::now();
    let valid = key().issue(&id, now);
    let mut tampered = valid.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    let other_key =
        RatingTokenKey::from_secret(Some("not the stack's key, but long enough")).expect("key");
    let forged = [
        ("tampered", tampered),
        ("another key", other_key.issue(&id, now)),
        (
            "expired",
            key().issue(&id, now - chrono::Duration::days(31)),
        ),
        ("another incident", key().issue("inc_does_not_exist", now)),
        ("not a token", "hello".to_string()),
    ];
    for (what, token) in &forged {
        let a = rate(token, json!({"score": "bad"})).await;
        assert_eq!(a.status, 404, "{what}: {}", a.body);
        assert_eq!(a.body["code"], "not_found", "{what}");
    }
    let seen = incident(&customer, &id).await;
    assert_eq!(seen["rating"], Value::Null);
    assert!(rated_events(&seen).is_empty());
    assert_eq!(line(&engineer).await, None, "nothing counted");
    // A token of an incident still open: nothing to rate yet.
    let (open, _) = owned_incident(&customer, &engineer, "en").await;
    rate(&key().issue(&open, now), json!({"score": "good"}))
        .await
        .expect_problem(409, "invalid_state");
    // A valid one still works.
    rate(&valid, json!({"score": "good"})).await.expect(200);
}

#[tokio::test]
async fn a_comment_over_2000_characters_is_400_and_records_nothing() {
    let customer = User::customer();
    buy_pack(&customer, "five_pack").await;
    let engineer = registered(User::engineer()).await;
    let (id, _) = owned_incident(&customer, &engineer, "en").await;
    resolve(&engineer, &id).await;
    let token = key().issue(&id, chrono::Utc::now());
    let a = rate(
        &token,
        json!({"score": "good", "comment": "x".repeat(2001)}),
    )
    .await
    .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["comment"]);
    rate(&token, json!({"score": "meh"}))
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(incident(&customer, &id).await["rating"], Value::Null);
    rate(
        &token,
        json!({"score": "good", "comment": "ż".repeat(2000)}),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn twenty_concurrent_ratings_with_one_token_count_one_rating() {
    let customer = User::customer();
    buy_pack(&customer, "five_pack").await;
    let engineer = registered(User::engineer()).await;
    let (id, _) = owned_incident(&customer, &engineer, "en").await;
    resolve(&engineer, &id).await;
    let token = key().issue(&id, chrono::Utc::now());
    let answers = futures::future::join_all((0..20).map(|i| {
        let token = token.clone();
        async move {
            let score = if i % 2 == 0 { "good" } else { "bad" };
            rate(&token, json!({"score": score})).await
        }
    }))
    .await;
    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let l = line(&engineer).await.expect("counted");
    let (good, bad) = (
        l["good"].as_u64().expect("n"),
        l["bad"].as_u64().expect("n"),
    );
    assert_eq!(good + bad, 1, "one rating counted: {l}");
    let seen = incident(&engineer, &id).await;
    assert_eq!(rated_events(&seen).len(), 20, "one rated event each");
    let last = rated_events(&seen).last().cloned().expect("events");
    assert_eq!(seen["rating"]["score"], last["score"], "the latest counts");
    assert_eq!(l[last["score"].as_str().expect("score")], json!(1));
}

#[tokio::test]
async fn only_support_admins_read_the_satisfaction_report() {
    for user in [User::engineer(), User::customer()] {
        get("/reports/satisfaction")
            .token(&user)
            .send()
            .await
            .expect_problem(403, "forbidden");
    }
    get("/reports/satisfaction?from=2026-13")
        .token(&User::admin())
        .send()
        .await
        .expect_problem(400, "invalid_request");
}
