//! Paying for packs through Stripe Checkout, end to end: the copy of the API started with
//! `PAYMENT_PROVIDER=stripe` (scripts/stack.sh `start_stripe_watch`) orders from the recording
//! fake Stripe on loopback, and signed webhook events (the same HMAC Stripe uses) activate or
//! cancel the orders through `cargo lambda watch`. Draws go through the main copy: the same table.

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use domain::time::{format_instant, parse_instant, Instant};
use e2e::fake_stripe::{FakeStripe, Mode};
use e2e::*;
use futures::future::join_all;
use serde_json::{json, Value};
use store::packs::LedgerKind;

// ---- helpers ------------------------------------------------------------------------------

async fn order(buyer: &User, key: &str, offer: &str) -> Answer {
    post_stripe("/packs")
        .token(buyer)
        .idempotency_key(key)
        .json(&json!({"offer": offer, "billing_country": "PL"}))
        .send()
        .await
}

fn text(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {v}"))
        .to_string()
}

fn one_year_after(t: Instant) -> Instant {
    let d = t.date_naive();
    let date = NaiveDate::from_ymd_opt(d.year() + 1, d.month(), d.day())
        .or_else(|| NaiveDate::from_ymd_opt(d.year() + 1, 2, 28))
        .expect("a date");
    Utc.from_utc_datetime(&date.and_time(t.time()))
}

/// A Stripe event about the Checkout Session of `pack` (its amount and currency as paid).
fn event(kind: &str, pack: &Value, amount: i64, currency: &str, created: i64) -> Value {
    let pack_id = text(pack, "pack_id");
    let paid = kind == "checkout.session.completed" || kind.ends_with("succeeded");
    json!({
        "id": store::ids::new_id("evt"),
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "livemode": false,
        "pending_webhooks": 1,
        "type": kind,
        "data": {"object": {
            "id": "cs_test_from_event",
            "object": "checkout.session",
            "mode": "payment",
            "client_reference_id": pack_id,
            "metadata": {"pack_id": pack_id},
            "amount_total": amount,
            "amount_subtotal": amount,
            "currency": currency,
            "payment_status": if paid { "paid" } else { "unpaid" },
            "status": if kind.ends_with("expired") { "expired" } else { "complete" }
        }}
    })
}

fn paid_event(pack: &Value, created: i64) -> Value {
    let gross = pack["price"]["gross"].as_i64().expect("gross");
    let currency = pack["price"]["currency"]
        .as_str()
        .expect("currency")
        .to_lowercase();
    event(
        "checkout.session.completed",
        pack,
        gross,
        &currency,
        created,
    )
}

/// Sends a raw body with a `Stripe-Signature` header (or none) to the Stripe-mode webhook.
async fn send_webhook(body: &str, signature: Option<&str>) -> Answer {
    let mut req =
        post_stripe("/payments/stripe/webhook").body("application/json", body.to_string());
    if let Some(s) = signature {
        req = req.header("Stripe-Signature", s);
    }
    req.send().await
}

/// Signs the event now with the endpoint's secret, as Stripe does, and delivers it.
async fn deliver(event: &Value) -> Answer {
    let body = event.to_string();
    let header = stripe::signature::header(
        webhook_secret().as_bytes(),
        Utc::now().timestamp(),
        body.as_bytes(),
    );
    send_webhook(&body, Some(&header)).await
}

async fn pack_now(buyer: &User, pack_id: &str) -> Value {
    get(&format!("/packs/{pack_id}"))
        .token(buyer)
        .send()
        .await
        .expect(200)
        .body
}

async fn draw(buyer: &User, pack_id: &str) -> Answer {
    let mut body = submission();
    body["pack_id"] = json!(pack_id);
    submit(buyer, &body).await
}

async fn openings(pack_id: &str) -> usize {
    store()
        .await
        .ledger(pack_id)
        .await
        .expect("ledger")
        .iter()
        .filter(|e| e.kind == LedgerKind::Opening)
        .count()
}

// ---- ordering -----------------------------------------------------------------------------

#[tokio::test]
async fn an_order_awaits_payment_with_one_checkout_session_requested_as_stripe_documents() {
    let (_guard, fake) = FakeStripe::exclusive().await;
    let buyer = User::customer();
    let p = order(&buyer, &new_key(), "five_pack")
        .await
        .expect(201)
        .body;
    let pack_id = text(&p, "pack_id");
    assert_eq!(p["status"], "awaiting_payment");
    assert!(
        p["purchased_at"].is_null() && p["expires_at"].is_null(),
        "{p}"
    );
    assert_eq!(
        (
            p["incidents_total"].clone(),
            p["incidents_remaining"].clone()
        ),
        (json!(5), json!(0))
    );
    assert!(parse_instant(&text(&p, "ordered_at")).is_some());
    assert_eq!(text(&p, "order_confirmation_number").len(), 23);
    let gross = p["price"]["gross"].as_i64().expect("gross");
    assert_eq!(
        p["price"],
        json!({"currency": "PLN", "net": 899500, "tax": 206885, "gross": 1106385})
    );

    let requests = fake.requests_with_key(&pack_id);
    assert_eq!(
        requests.len(),
        1,
        "exactly one session request for the order"
    );
    let r = &requests[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/checkout/sessions")
    );
    assert_eq!(r.header("authorization"), Some("Bearer sk_test_e2e_local"));
    assert_eq!(r.header("idempotency-key"), Some(pack_id.as_str()));
    assert!(
        r.content_type
            .starts_with("application/x-www-form-urlencoded"),
        "{}",
        r.content_type
    );
    let mut fields: Vec<(String, String)> = r.form.clone();
    fields.sort();
    let mut expected: Vec<(String, String)> = [
        (
            "cancel_url",
            "https://console.example/packs/cancelled".to_string(),
        ),
        ("client_reference_id", pack_id.clone()),
        ("line_items[0][price_data][currency]", "pln".to_string()),
        (
            "line_items[0][price_data][product_data][name]",
            "Professional support: 5-pack of incidents".to_string(),
        ),
        ("line_items[0][price_data][unit_amount]", gross.to_string()),
        ("line_items[0][quantity]", "1".to_string()),
        ("metadata[pack_id]", pack_id.clone()),
        ("mode", "payment".to_string()),
        (
            "success_url",
            "https://console.example/packs/paid".to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    expected.sort();
    assert_eq!(
        fields, expected,
        "the form, field by field (raw: {})",
        r.raw_body
    );

    let session = fake.session(&pack_id).expect("a session was created");
    assert_eq!(p["checkout_url"], session["url"]);

    // Listed, readable, but nothing can be drawn before the payment.
    let listed = get("/packs").token(&buyer).send().await.expect(200).body;
    assert_eq!(listed["items"][0]["pack_id"], pack_id.as_str());
    assert_eq!(listed["items"][0]["status"], "awaiting_payment");
    draw(&buyer, &pack_id)
        .await
        .expect_problem(422, "no_usable_pack");
    submit(&buyer, &submission())
        .await
        .expect_problem(422, "no_usable_pack");
    assert_eq!(openings(&pack_id).await, 0);
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn a_retried_order_replays_without_a_second_session() {
    let (_guard, fake) = FakeStripe::exclusive().await;
    let buyer = User::customer();
    let key = new_key();
    let first = order(&buyer, &key, "single").await.expect(201);
    let again = order(&buyer, &key, "single").await.expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    let pack_id = text(&first.body, "pack_id");
    assert_eq!(fake.requests_with_key(&pack_id).len(), 1);
    order(&buyer, &key, "five_pack")
        .await
        .expect_problem(422, "idempotency_key_reused");
}

// ---- Stripe failing at order time ---------------------------------------------------------

/// The one request the failing attempt sent (its Idempotency-Key is the order's pack id).
fn only_new_request(fake: &FakeStripe, before: usize) -> e2e::fake_stripe::Recorded {
    let new = fake.requests_since(before);
    assert_eq!(new.len(), 1, "one session request per attempt: {new:?}");
    new.into_iter().next().expect("one")
}

#[tokio::test]
async fn when_stripe_refuses_the_order_is_503_leaves_no_pack_and_a_retry_reuses_the_order() {
    let (_guard, fake) = FakeStripe::exclusive().await;
    let buyer = User::customer();
    let key = new_key();
    for status in [402, 500] {
        fake.set_mode(Mode::Refuse(status));
        let before = fake.request_count();
        let refused = order(&buyer, &key, "five_pack")
            .await
            .expect_problem(503, "service_unavailable");
        assert!(refused.header("retry-after").is_some());
        assert!(!refused.body.to_string().contains("refused by the fake"));
        only_new_request(fake, before);
    }
    let listed = get("/packs").token(&buyer).send().await.expect(200).body;
    assert_eq!(listed["items"], json!([]), "nothing half-made");
    submit(&buyer, &submission())
        .await
        .expect_problem(422, "no_usable_pack");

    fake.set_mode(Mode::Normal);
    let before = fake.request_count();
    let p = order(&buyer, &key, "five_pack").await.expect(201).body;
    let retried = only_new_request(fake, before);
    let pack_id = text(&p, "pack_id");
    assert_eq!(retried.header("idempotency-key"), Some(pack_id.as_str()));
    let attempts = fake.requests_with_key(&pack_id);
    assert_eq!(
        attempts.len(),
        3,
        "the refused attempts were for this same order"
    );
    assert!(
        attempts.iter().all(|a| a.form == attempts[0].form),
        "same parameters every time"
    );
    assert_eq!(fake.sessions_with_key(&pack_id), 1);
    assert_eq!(p["status"], "awaiting_payment");
    let listed = get("/packs").token(&buyer).send().await.expect(200).body;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn when_stripe_is_unreachable_or_slow_the_order_is_503_and_the_retry_gets_the_same_session() {
    let (_guard, fake) = FakeStripe::exclusive().await;
    let buyer = User::customer();
    let key = new_key();

    fake.set_mode(Mode::Drop);
    let before = fake.request_count();
    order(&buyer, &key, "single")
        .await
        .expect_problem(503, "service_unavailable");
    let dropped = only_new_request(fake, before);
    let pack_id = dropped
        .header("idempotency-key")
        .expect("a key")
        .to_string();

    // Stripe creates the session but answers after the function stopped waiting.
    let stripe_answers_after = stripe_timeout() * 6;
    fake.set_mode(Mode::Slow(stripe_answers_after));
    let started = std::time::Instant::now();
    order(&buyer, &key, "single")
        .await
        .expect_problem(503, "service_unavailable");
    assert!(
        started.elapsed() < stripe_answers_after,
        "the order gave up within its bound: {:?}",
        started.elapsed()
    );
    let slow_session = fake
        .session(&pack_id)
        .expect("the slow attempt created the session");
    assert!(
        get("/packs").token(&buyer).send().await.expect(200).body["items"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );

    fake.set_mode(Mode::Normal);
    let p = order(&buyer, &key, "single").await.expect(201).body;
    assert_eq!(text(&p, "pack_id"), pack_id, "the retry reused the order");
    assert_eq!(p["checkout_url"], slow_session["url"], "and the session");
    assert_eq!(fake.sessions_with_key(&pack_id), 1);
    assert_eq!(fake.requests_with_key(&pack_id).len(), 3);
}

// ---- the webhook --------------------------------------------------------------------------

#[tokio::test]
async fn a_signed_paid_event_activates_the_order_once_and_it_can_be_drawn_from() {
    let (_guard, _fake) = FakeStripe::exclusive().await;
    let buyer = User::customer();
    let p = order(&buyer, &new_key(), "five_pack")
        .await
        .expect(201)
        .body;
    let pack_id = text(&p, "pack_id");
    let paid_at = Utc::now().timestamp() - 90;
    let e = paid_event(&p, paid_at);
    let answer = deliver(&e).await.expect(200);
    assert_eq!(answer.body, json!({"received": true}));

    let active = pack_now(&buyer, &pack_id).await;
    assert_eq!(active["status"], "active");
    let purchased = Utc.timestamp_opt(paid_at, 0).single().expect("instant");
    assert_eq!(active["purchased_at"], format_instant(purchased).as_str());
    assert_eq!(
        active["expires_at"],
        format_instant(one_year_after(purchased)).as_str()
    );
    assert_eq!(active["incidents_remaining"], 5);
    assert!(active["checkout_url"].is_null());
    assert_eq!(active["ordered_at"], p["ordered_at"]);
    assert_eq!(
        active["order_confirmation_number"],
        p["order_confirmation_number"]
    );
    assert_eq!(openings(&pack_id).await, 1);
    assert!(store()
        .await
        .payment_event_applied(&text(&e, "id"))
        .await
        .expect("store"));

    draw(&buyer, &pack_id).await.expect(201);
    // The same event again, and a later success for the same session: nothing more.
    deliver(&e).await.expect(200);
    deliver(&event(
        "checkout.session.async_payment_succeeded",
        &p,
        p["price"]["gross"].as_i64().expect("gross"),
        "pln",
        paid_at + 30,
    ))
    .await
    .expect(200);
    let after = pack_now(&buyer, &pack_id).await;
    assert_eq!(after["incidents_remaining"], 4);
    assert_eq!(after["purchased_at"], active["purchased_at"]);
    assert_eq!(openings(&pack_id).await, 1);
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn concurrent_duplicate_deliveries_activate_the_order_exactly_once() {
    let (_guard, _fake) = FakeStripe::exclusive().await;
    let buyer = User::customer();
    let p = order(&buyer, &new_key(), "five_pack")
        .await
        .expect(201)
        .body;
    let pack_id = text(&p, "pack_id");
    let e = paid_event(&p, Utc::now().timestamp());
    let twin = {
        let mut t = paid_event(&p, Utc::now().timestamp());
        t["type"] = json!("checkout.session.async_payment_succeeded");
        t
    };
    let deliveries: Vec<_> = (0..8)
        .map(|i| if i % 4 == 3 { twin.clone() } else { e.clone() })
        .collect();
    let answers = join_all(deliveries.iter().map(deliver)).await;
    for a in answers {
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let active = pack_now(&buyer, &pack_id).await;
    assert_eq!(active["status"], "active");
    assert_eq!(active["incidents_remaining"], 5);
    assert_eq!(openings(&pack_id).await, 1, "one purchase in the ledger");
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn an_expired_checkout_cancels_the_order_and_a_late_expiry_never_cancels_a_paid_pack() {
    let (_guard, _fake) = FakeStripe::exclusive().await;
    let buyer = User::customer();
    let now = Utc::now().timestamp();

    let unpaid = order(&buyer, &new_key(), "single").await.expect(201).body;
    let unpaid_id = text(&unpaid, "pack_id");
    deliver(&event(
        "checkout.session.expired",
        &unpaid,
        245_877,
        "pln",
        now,
    ))
    .await
    .expect(200);
    let cancelled = pack_now(&buyer, &unpaid_id).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["purchased_at"].is_null() && cancelled["checkout_url"].is_null());
    draw(&buyer, &unpaid_id)
        .await
        .expect_problem(422, "no_usable_pack");

    let paid = order(&buyer, &new_key(), "single").await.expect(201).body;
    let paid_id = text(&paid, "pack_id");
    deliver(&paid_event(&paid, now)).await.expect(200);
    for kind in [
        "checkout.session.expired",
        "checkout.session.async_payment_failed",
    ] {
        deliver(&event(kind, &paid, 245_877, "pln", now + 5))
            .await
            .expect(200);
    }
    assert_eq!(pack_now(&buyer, &paid_id).await["status"], "active");
    draw(&buyer, &paid_id).await.expect(201);
    assert_reconciles(&[unpaid_id, paid_id]).await;
}

#[tokio::test]
async fn a_failed_asynchronous_payment_cancels_and_a_paid_event_after_the_expiry_still_activates() {
    let (_guard, _fake) = FakeStripe::exclusive().await;
    let buyer = User::customer();
    let now = Utc::now().timestamp();
    let p = order(&buyer, &new_key(), "five_pack")
        .await
        .expect(201)
        .body;
    let pack_id = text(&p, "pack_id");
    deliver(&event(
        "checkout.session.async_payment_failed",
        &p,
        1_106_385,
        "pln",
        now - 20,
    ))
    .await
    .expect(200);
    assert_eq!(pack_now(&buyer, &pack_id).await["status"], "cancelled");
    // Delivered out of order: the payment was taken, so the order ends active, once.
    deliver(&paid_event(&p, now - 60)).await.expect(200);
    let active = pack_now(&buyer, &pack_id).await;
    assert_eq!(active["status"], "active");
    assert_eq!(active["incidents_remaining"], 5);
    assert_eq!(openings(&pack_id).await, 1);
    draw(&buyer, &pack_id).await.expect(201);
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn a_payment_of_another_amount_or_currency_leaves_the_order_awaiting_and_is_recorded() {
    let (_guard, _fake) = FakeStripe::exclusive().await;
    let buyer = User::customer();
    let p = order(&buyer, &new_key(), "single").await.expect(201).body;
    let pack_id = text(&p, "pack_id");
    let now = Utc::now().timestamp();
    let short = event("checkout.session.completed", &p, 245_876, "pln", now);
    deliver(&short).await.expect(200);
    deliver(&short).await.expect(200);
    deliver(&event(
        "checkout.session.completed",
        &p,
        245_877,
        "eur",
        now,
    ))
    .await
    .expect(200);
    let still = pack_now(&buyer, &pack_id).await;
    assert_eq!(still["status"], "awaiting_payment");
    assert!(still["purchased_at"].is_null());
    assert_eq!(still["incidents_remaining"], 0);
    let mismatch = &still["payment_mismatch"];
    assert_eq!(mismatch["expected_amount"], 245_877);
    assert_eq!(mismatch["expected_currency"], "PLN");
    let recorded = store()
        .await
        .payment_mismatches(&pack_id)
        .await
        .expect("store");
    assert_eq!(
        recorded.len(),
        2,
        "one record per mismatching event: {recorded:?}"
    );
    let staff = get(&format!("/packs/{pack_id}"))
        .token(&User::admin())
        .send()
        .await
        .expect(200)
        .body;
    assert!(
        staff["payment_mismatch"].is_object(),
        "staff see it: {staff}"
    );
    draw(&buyer, &pack_id)
        .await
        .expect_problem(422, "no_usable_pack");
    assert_eq!(openings(&pack_id).await, 0);
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn an_event_whose_signature_does_not_verify_is_400_and_changes_nothing() {
    let (_guard, _fake) = FakeStripe::exclusive().await;
    let buyer = User::customer();
    let p = order(&buyer, &new_key(), "single").await.expect(201).body;
    let pack_id = text(&p, "pack_id");
    let body = paid_event(&p, Utc::now().timestamp()).to_string();
    let secret = webhook_secret();
    let now = Utc::now().timestamp();
    let good = stripe::signature::header(secret.as_bytes(), now, body.as_bytes());
    let tampered = body.replace("\"amount_total\":245877", "\"amount_total\":1");
    assert_ne!(tampered, body);
    let cases: Vec<(String, Option<String>)> = vec![
        (tampered, Some(good.clone())),
        (
            body.clone(),
            Some(stripe::signature::header(
                b"whsec_wrong",
                now,
                body.as_bytes(),
            )),
        ),
        (
            body.clone(),
            Some(stripe::signature::header(
                secret.as_bytes(),
                now - 301,
                body.as_bytes(),
            )),
        ),
        (
            body.clone(),
            Some(stripe::signature::header(
                secret.as_bytes(),
                now + 600,
                body.as_bytes(),
            )),
        ),
        (body.clone(), Some("t=notanumber,v1=abc".into())),
        (body.clone(), None),
    ];
    for (sent, signature) in cases {
        send_webhook(&sent, signature.as_deref())
            .await
            .expect_problem(400, "invalid_signature");
    }
    assert_eq!(
        pack_now(&buyer, &pack_id).await["status"],
        "awaiting_payment"
    );
    // The main copy runs with payments off and no signing secret: nothing verifies there.
    post("/payments/stripe/webhook")
        .body("application/json", body.clone())
        .header("Stripe-Signature", &good)
        .send()
        .await
        .expect_problem(400, "invalid_signature");
    assert_eq!(
        pack_now(&buyer, &pack_id).await["status"],
        "awaiting_payment"
    );
    // Several v1 values, as during a secret roll: the matching one is enough.
    let rolled = format!(
        "t={now},v1={},v1={}",
        stripe::signature::sign(b"whsec_old", now, body.as_bytes()),
        stripe::signature::sign(secret.as_bytes(), now, body.as_bytes())
    );
    send_webhook(&body, Some(&rolled)).await.expect(200);
    assert_eq!(pack_now(&buyer, &pack_id).await["status"], "active");
}

#[tokio::test]
async fn other_event_types_and_unknown_packs_are_received_and_change_nothing() {
    let (_guard, _fake) = FakeStripe::exclusive().await;
    let buyer = User::customer();
    let p = order(&buyer, &new_key(), "single").await.expect(201).body;
    let pack_id = text(&p, "pack_id");
    let now = Utc::now().timestamp();
    let mut unknown = paid_event(&p, now);
    unknown["data"]["object"]["client_reference_id"] = json!("pck_does_not_exist");
    unknown["data"]["object"]["metadata"]["pack_id"] = json!("pck_does_not_exist");
    for e in [
        event("payment_intent.succeeded", &p, 245_877, "pln", now),
        event("charge.refunded", &p, 245_877, "pln", now),
        {
            let mut processing = paid_event(&p, now);
            processing["data"]["object"]["payment_status"] = json!("unpaid");
            processing
        },
        unknown,
    ] {
        assert_eq!(
            deliver(&e).await.expect(200).body,
            json!({"received": true})
        );
    }
    assert_eq!(
        pack_now(&buyer, &pack_id).await["status"],
        "awaiting_payment"
    );
}
