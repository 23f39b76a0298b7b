//! Packs, tax exemptions, pack claims and the account (S1, S9–S12): every route of the
//! `pack-purchase` function and every error code it answers.

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use domain::pack::{normalise_order_confirmation_number, order_confirmation_number};
use domain::time::{parse_instant, Instant};
use e2e::*;
use futures::future::join_all;
use serde_json::{json, Value};
use std::time::Duration;
use store::packs::LedgerKind;

// ---- helpers ------------------------------------------------------------------------------

async fn purchase(user: &User, key: &str, body: &Value) -> Answer {
    post("/packs")
        .token(user)
        .idempotency_key(key)
        .json(body)
        .send()
        .await
}

fn pl(offer: &str) -> Value {
    json!({"offer": offer, "billing_country": "PL"})
}

fn id(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {v}"))
        .to_string()
}

fn instant(v: &Value) -> Instant {
    v.as_str()
        .and_then(parse_instant)
        .unwrap_or_else(|| panic!("an instant: {v}"))
}

async fn my_packs(user: &User) -> Vec<Value> {
    get("/packs?limit=100")
        .token(user)
        .send()
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .expect("items")
        .clone()
}

async fn claim(user: &User, number: &str) -> Answer {
    post("/pack-claims")
        .token(user)
        .json(
            &json!({"order_confirmation_number": number, "reason": "The buyer left the company."}),
        )
        .send()
        .await
}

async fn decide_claim(admin: &User, claim_id: &str, approve: bool) -> Answer {
    post(&format!("/pack-claims/{claim_id}/decision"))
        .token(admin)
        .json(&json!({"approve": approve, "note": "checked against the order"}))
        .send()
        .await
}

async fn submit_exemption(user: &User, certificate: &str) -> Answer {
    post("/tax-exemptions")
        .token(user)
        .json(&json!({"jurisdiction": "PL", "certificate_reference": certificate}))
        .send()
        .await
}

async fn decide_exemption(admin: &User, account_id: &str, approve: bool) -> Answer {
    post(&format!("/tax-exemptions/{account_id}/decision"))
        .token(admin)
        .json(&json!({"approve": approve, "note": "certificate checked"}))
        .send()
        .await
}

/// Every pending claim the admins see, all pages (other tests' claims share the table).
async fn pending_claims(admin: &User) -> Vec<Value> {
    let mut all = Vec::new();
    let mut path = "/pack-claims?limit=100".to_string();
    loop {
        let page = get(&path).token(admin).send().await.expect(200).body;
        all.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/pack-claims?limit=100&cursor={c}"),
            None => return all,
        }
    }
}

/// A number that belongs to no pack (100 random bits).
fn unknown_number() -> String {
    order_confirmation_number(&store::ids::random_bytes::<13>())
}

fn with_pack(pack_id: &str) -> Value {
    let mut body = submission();
    body["pack_id"] = json!(pack_id);
    body
}

/// One calendar year later, 29 February → 28 February (S10), computed independently.
fn one_year_after(t: Instant) -> Instant {
    let d = t.date_naive();
    let date = NaiveDate::from_ymd_opt(d.year() + 1, d.month(), d.day())
        .or_else(|| NaiveDate::from_ymd_opt(d.year() + 1, 2, 28))
        .expect("a date");
    Utc.from_utc_datetime(&date.and_time(t.time()))
}

// ---- buying -------------------------------------------------------------------------------

#[tokio::test]
async fn a_single_incident_bought_in_poland_costs_1999_pln_plus_23_percent_vat() {
    let buyer = User::customer();
    let p = purchase(&buyer, &new_key(), &pl("single"))
        .await
        .expect(201)
        .body;
    assert_eq!(
        p["price"],
        json!({"currency": "PLN", "net": 199900, "tax": 45977, "gross": 245877})
    );
    assert_eq!(p["offer"], "single");
    assert_eq!(p["owner_account_id"], buyer.account_id.as_str());
    assert_eq!(
        (
            p["incidents_total"].clone(),
            p["incidents_remaining"].clone()
        ),
        (json!(1), json!(1))
    );
    assert_eq!(p["status"], "active");
    assert_eq!(p["tax_exempt"], false);
    let number = id(&p, "order_confirmation_number");
    assert_eq!(
        normalise_order_confirmation_number(&number).as_deref(),
        Some(number.as_str())
    );
    assert_eq!(
        number.len(),
        23,
        "20 symbols of 5 bits in four groups: {number}"
    );
    assert_reconciles(&[id(&p, "pack_id")]).await;
}

#[tokio::test]
async fn with_payments_off_a_pack_is_active_at_once_without_a_checkout() {
    let p = buy_pack(&User::customer(), "single").await;
    assert_eq!(p["status"], "active");
    assert!(p["checkout_url"].is_null(), "{p}");
    assert_eq!(p["ordered_at"], p["purchased_at"]);
    assert_eq!(p["incidents_remaining"], 1);
}

#[tokio::test]
async fn offers_are_priced_from_the_purchase_price_list_with_the_exemption_applied() {
    let buyer = User::customer();
    let offers = get("/offers?billing_country=pl")
        .token(&buyer)
        .send()
        .await
        .expect(200)
        .body;
    let items = offers["items"].as_array().expect("items").clone();
    let offered: Vec<(&str, i64)> = items
        .iter()
        .map(|o| {
            (
                o["offer"].as_str().expect("offer"),
                o["incidents"].as_i64().expect("n"),
            )
        })
        .collect();
    assert_eq!(offered, [("single", 1), ("five_pack", 5)]);
    for o in &items {
        assert_eq!(o["tax_exempt"], false);
        let offer = o["offer"].as_str().expect("offer");
        let bought = purchase(&buyer, &new_key(), &pl(offer))
            .await
            .expect(201)
            .body;
        assert_eq!(o["price"], bought["price"], "{offer}: offered as bought");
    }
    assert_eq!(
        items[0]["price"],
        json!({"currency": "PLN", "net": 199900, "tax": 45977, "gross": 245877})
    );

    let admin = User::admin();
    submit_exemption(&buyer, "PL-EX-OFFERS").await.expect(201);
    decide_exemption(&admin, &buyer.account_id, true)
        .await
        .expect(200);
    let exempt = get("/offers?billing_country=US")
        .token(&buyer)
        .send()
        .await
        .expect(200)
        .body;
    for o in exempt["items"].as_array().expect("items") {
        assert_eq!(o["tax_exempt"], true);
        assert_eq!(o["price"]["tax"], 0);
        assert_eq!(o["price"]["currency"], "USD");
    }
}

#[tokio::test]
async fn offers_for_an_unknown_or_missing_country_are_400_naming_it() {
    let buyer = User::customer();
    for path in [
        "/offers?billing_country=XX",
        "/offers",
        "/offers?billing_country=",
    ] {
        let a = get(path)
            .token(&buyer)
            .send()
            .await
            .expect_problem(400, "invalid_request");
        assert_eq!(a.error_fields(), ["billing_country"], "{path}");
    }
}

#[tokio::test]
async fn a_pack_expires_exactly_one_calendar_year_after_its_purchase() {
    let p = buy_pack(&User::customer(), "five_pack").await;
    assert_eq!(p["incidents_total"], 5);
    assert_eq!(p["incidents_remaining"], 5);
    let purchased = instant(&p["purchased_at"]);
    assert_eq!(instant(&p["expires_at"]), one_year_after(purchased));
    assert!((Utc::now() - purchased).num_minutes().abs() < 10);
}

#[tokio::test]
async fn a_retried_purchase_buys_once_and_replays_the_original_answer() {
    let buyer = User::customer();
    let key = new_key();
    let first = purchase(&buyer, &key, &pl("five_pack")).await.expect(201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = purchase(&buyer, &key, &pl("five_pack")).await.expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(my_packs(&buyer).await.len(), 1);
    assert_reconciles(&[id(&first.body, "pack_id")]).await;
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_refused_and_buys_nothing() {
    let buyer = User::customer();
    let key = new_key();
    purchase(&buyer, &key, &pl("single")).await.expect(201);
    purchase(&buyer, &key, &pl("five_pack"))
        .await
        .expect_problem(422, "idempotency_key_reused");
    assert_eq!(my_packs(&buyer).await.len(), 1);
}

#[tokio::test]
async fn a_key_is_scoped_to_its_account() {
    let key = new_key();
    let a = purchase(&User::customer(), &key, &pl("single"))
        .await
        .expect(201);
    let b = purchase(&User::customer(), &key, &pl("single"))
        .await
        .expect(201);
    assert_eq!(b.header("idempotent-replayed"), None);
    assert_ne!(a.body["pack_id"], b.body["pack_id"]);
}

#[tokio::test]
async fn a_purchase_without_an_idempotency_key_is_400_and_buys_nothing() {
    let buyer = User::customer();
    let a = post("/packs")
        .token(&buyer)
        .json(&pl("single"))
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["Idempotency-Key"]);
    assert!(my_packs(&buyer).await.is_empty());
}

#[tokio::test]
async fn thirty_concurrent_purchases_with_one_key_create_one_pack() {
    let buyer = User::customer();
    let key = new_key();
    let body = pl("five_pack");
    let answers = join_all((0..30).map(|_| purchase(&buyer, &key, &body))).await;
    let ids: Vec<String> = answers
        .into_iter()
        .map(|a| id(&a.expect(201).body, "pack_id"))
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    let packs = my_packs(&buyer).await;
    assert_eq!(packs.len(), 1);
    assert_eq!(packs[0]["pack_id"], ids[0].as_str());
    assert_reconciles(&ids[..1]).await;
}

#[tokio::test]
async fn an_unknown_offer_and_country_are_400_naming_both_fields() {
    let a = purchase(
        &User::customer(),
        &new_key(),
        &json!({"offer": "ten_pack", "billing_country": "XX"}),
    )
    .await
    .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["offer", "billing_country"]);
    let a = purchase(&User::customer(), &new_key(), &json!({"offer": "single"}))
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["billing_country"]);
}

#[tokio::test]
async fn prices_follow_the_billing_country() {
    let p = purchase(
        &User::customer(),
        &new_key(),
        &json!({"offer": "single", "billing_country": "GB"}),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(
        p["price"],
        json!({"currency": "GBP", "net": 42900, "tax": 8580, "gross": 51480})
    );
}

// ---- reading packs ------------------------------------------------------------------------

#[tokio::test]
async fn packs_are_listed_newest_first_and_page_with_a_cursor() {
    let buyer = User::customer();
    let older = buy_pack(&buyer, "single").await;
    // Purchase instants have whole seconds: let the next one be later.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let middle = buy_pack(&buyer, "five_pack").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let newest = buy_pack(&buyer, "single").await;
    let first = get("/packs?limit=2")
        .token(&buyer)
        .send()
        .await
        .expect(200)
        .body;
    let ids: Vec<_> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| id(p, "pack_id"))
        .collect();
    assert_eq!(ids, [id(&newest, "pack_id"), id(&middle, "pack_id")]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let rest = get(&format!("/packs?limit=2&cursor={cursor}"))
        .token(&buyer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(rest["items"][0]["pack_id"], older["pack_id"]);
    assert_eq!(rest["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_cursor_from_another_account_is_400_not_its_packs() {
    let a = User::customer();
    buy_pack(&a, "single").await;
    buy_pack(&a, "single").await;
    let cursor = get("/packs?limit=1")
        .token(&a)
        .send()
        .await
        .expect(200)
        .body["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    get(&format!("/packs?cursor={cursor}"))
        .token(&User::customer())
        .send()
        .await
        .expect_problem(400, "invalid_request");
}

#[tokio::test]
async fn a_new_account_has_no_packs() {
    let body = get("/packs")
        .token(&User::customer())
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(body, json!({"items": [], "next_cursor": null}));
}

#[tokio::test]
async fn a_pack_is_read_by_its_owner_and_staff_and_is_404_to_anyone_else() {
    let buyer = User::customer();
    let p = buy_pack(&buyer, "single").await;
    let path = format!("/packs/{}", id(&p, "pack_id"));
    let mine = get(&path).token(&buyer).send().await.expect(200).body;
    assert_eq!(mine, p);
    get(&path).token(&User::admin()).send().await.expect(200);
    get(&path)
        .token(&User::customer())
        .send()
        .await
        .expect_problem(404, "not_found");
    get("/packs/pck_doesnotexist")
        .token(&buyer)
        .send()
        .await
        .expect_problem(404, "not_found");
}

// ---- tax exemptions -----------------------------------------------------------------------

#[tokio::test]
async fn a_verified_exemption_makes_later_purchases_tax_free_and_leaves_earlier_ones_unchanged() {
    let buyer = User::customer();
    let admin = User::admin();
    let before = buy_pack(&buyer, "single").await;
    let submitted = submit_exemption(&buyer, "PL-VAT-EX-2026-001")
        .await
        .expect(201)
        .body;
    assert_eq!(submitted["account_id"], buyer.account_id.as_str());
    assert_eq!(submitted["status"], "pending");
    // Pending proof does not exempt anything yet.
    let while_pending = buy_pack(&buyer, "single").await;
    assert_eq!(while_pending["price"]["tax"], 45977);
    let decided = decide_exemption(&admin, &buyer.account_id, true)
        .await
        .expect(200)
        .body;
    assert_eq!(decided["account_id"], buyer.account_id.as_str());
    assert_eq!(decided["status"], "verified");
    let after = buy_pack(&buyer, "single").await;
    assert_eq!(
        after["price"],
        json!({"currency": "PLN", "net": 199900, "tax": 0, "gross": 199900})
    );
    assert_eq!(after["tax_exempt"], true);
    for earlier in [&before, &while_pending] {
        let now = get(&format!("/packs/{}", id(earlier, "pack_id")))
            .token(&buyer)
            .send()
            .await
            .expect(200)
            .body;
        assert_eq!(now["price"]["tax"], 45977);
        assert_eq!(now["tax_exempt"], false);
    }
}

#[tokio::test]
async fn the_account_shows_its_exemption_and_null_without_one() {
    let user = User::customer();
    let a = get("/account").token(&user).send().await.expect(200).body;
    assert_eq!(a["account_id"], user.account_id.as_str());
    assert_eq!(a["tax_exemption"], Value::Null);
    submit_exemption(&user, "CERT-1").await.expect(201);
    let a = get("/account").token(&user).send().await.expect(200).body;
    assert_eq!(a["tax_exemption"]["status"], "pending");
    assert_eq!(a["tax_exemption"]["jurisdiction"], "PL");
    decide_exemption(&User::admin(), &user.account_id, false)
        .await
        .expect(200);
    let a = get("/account").token(&user).send().await.expect(200).body;
    assert_eq!(a["tax_exemption"]["status"], "rejected");
}

#[tokio::test]
async fn a_rejected_exemption_is_resubmitted_and_goes_back_to_pending() {
    let user = User::customer();
    let admin = User::admin();
    submit_exemption(&user, "CERT-OLD").await.expect(201);
    let rejected = decide_exemption(&admin, &user.account_id, false)
        .await
        .expect(200)
        .body;
    assert_eq!(rejected["status"], "rejected");
    let again = submit_exemption(&user, "CERT-NEW").await.expect(201).body;
    assert_eq!(again["status"], "pending");
    let a = get("/account").token(&user).send().await.expect(200).body;
    assert_eq!(a["tax_exemption"]["status"], "pending");
    assert_eq!(a["tax_exemption"]["certificate_reference"], "CERT-NEW");
    let verified = decide_exemption(&admin, &user.account_id, true)
        .await
        .expect(200)
        .body;
    assert_eq!(verified["status"], "verified");
}

#[tokio::test]
async fn a_resubmission_while_pending_replaces_the_proof() {
    let user = User::customer();
    submit_exemption(&user, "CERT-TYPO").await.expect(201);
    submit_exemption(&user, "CERT-FIXED").await.expect(201);
    let a = get("/account").token(&user).send().await.expect(200).body;
    assert_eq!(a["tax_exemption"]["certificate_reference"], "CERT-FIXED");
    assert_eq!(a["tax_exemption"]["status"], "pending");
}

#[tokio::test]
async fn a_verified_exemption_is_not_replaced_by_a_resubmission() {
    let user = User::customer();
    submit_exemption(&user, "CERT-1").await.expect(201);
    decide_exemption(&User::admin(), &user.account_id, true)
        .await
        .expect(200);
    submit_exemption(&user, "CERT-2")
        .await
        .expect_problem(409, "invalid_state");
    let a = get("/account").token(&user).send().await.expect(200).body;
    assert_eq!(a["tax_exemption"]["status"], "verified");
    assert_eq!(a["tax_exemption"]["certificate_reference"], "CERT-1");
}

#[tokio::test]
async fn an_exemption_is_decided_once() {
    let user = User::customer();
    let admin = User::admin();
    submit_exemption(&user, "CERT-1").await.expect(201);
    decide_exemption(&admin, &user.account_id, true)
        .await
        .expect(200);
    decide_exemption(&admin, &user.account_id, false)
        .await
        .expect_problem(409, "invalid_state");
    decide_exemption(&admin, &user.account_id, true)
        .await
        .expect_problem(409, "invalid_state");
}

#[tokio::test]
async fn deciding_the_exemption_of_an_account_that_submitted_none_is_404() {
    decide_exemption(&User::admin(), &User::customer().account_id, true)
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn only_support_admins_decide_exemptions() {
    let user = User::customer();
    submit_exemption(&user, "CERT-1").await.expect(201);
    for someone in [User::customer(), User::engineer(), user.clone()] {
        decide_exemption(&someone, &user.account_id, true)
            .await
            .expect_problem(403, "forbidden");
    }
    let a = get("/account").token(&user).send().await.expect(200).body;
    assert_eq!(a["tax_exemption"]["status"], "pending");
}

#[tokio::test]
async fn an_exemption_without_its_fields_is_400_naming_them() {
    let a = post("/tax-exemptions")
        .token(&User::customer())
        .json(&json!({"jurisdiction": ""}))
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["jurisdiction", "certificate_reference"]);
    let a = post(&format!(
        "/tax-exemptions/{}/decision",
        User::customer().account_id
    ))
    .token(&User::admin())
    .json(&json!({"approve": "yes"}))
    .send()
    .await
    .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["approve"]);
}

// ---- pack claims --------------------------------------------------------------------------

#[tokio::test]
async fn an_approved_claim_moves_the_pack_with_its_remaining_units_and_expiry() {
    let buyer = User::customer();
    let colleague = User::customer();
    let admin = User::admin();
    let pack = buy_pack(&buyer, "five_pack").await;
    let pack_id = id(&pack, "pack_id");
    submit(&buyer, &with_pack(&pack_id)).await.expect(201);
    // Typed as a person would: lower case, spaces instead of dashes.
    let typed = id(&pack, "order_confirmation_number")
        .to_lowercase()
        .replace('-', " ");
    let opened = claim(&colleague, &typed).await.expect(201).body;
    assert_eq!(opened["status"], "pending");
    let claim_id = id(&opened, "claim_id");
    let listed = pending_claims(&admin).await;
    let entry = listed
        .iter()
        .find(|c| c["claim_id"] == claim_id.as_str())
        .expect("the claim is pending");
    assert_eq!(entry["pack_id"], pack_id.as_str());
    assert_eq!(entry["claimant_account_id"], colleague.account_id.as_str());
    assert_eq!(entry["owner_account_id"], buyer.account_id.as_str());

    let decided = decide_claim(&admin, &claim_id, true).await.expect(200).body;
    assert_eq!(
        decided,
        json!({"claim_id": claim_id, "status": "approved", "pack_id": pack_id,
               "order_confirmation_number": pack["order_confirmation_number"]})
    );

    let theirs = my_packs(&colleague).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["pack_id"], pack_id.as_str());
    assert_eq!(theirs[0]["owner_account_id"], colleague.account_id.as_str());
    assert_eq!(theirs[0]["incidents_remaining"], 4);
    assert_eq!(theirs[0]["expires_at"], pack["expires_at"]);
    assert_eq!(theirs[0]["purchased_at"], pack["purchased_at"]);
    assert!(my_packs(&buyer).await.is_empty());
    get(&format!("/packs/{pack_id}"))
        .token(&buyer)
        .send()
        .await
        .expect_problem(404, "not_found");

    // S9: only the current owner draws from it.
    submit(&buyer, &with_pack(&pack_id))
        .await
        .expect_problem(422, "no_usable_pack");
    let drawn = submit(&colleague, &with_pack(&pack_id))
        .await
        .expect(201)
        .body;
    assert_eq!(drawn["pack_id"], pack_id.as_str());
    let now = get(&format!("/packs/{pack_id}"))
        .token(&colleague)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(now["incidents_remaining"], 3);

    let ledger = store()
        .await
        .ledger(&pack_id)
        .await
        .expect("store reachable");
    let transfer = ledger
        .iter()
        .find(|e| e.kind == LedgerKind::Transfer)
        .expect("a transfer entry");
    assert_eq!(
        (
            transfer.reference.as_str(),
            transfer.units,
            transfer.account_id.as_str()
        ),
        (claim_id.as_str(), 0, colleague.account_id.as_str())
    );
    assert!(!pending_claims(&admin)
        .await
        .iter()
        .any(|c| c["claim_id"] == claim_id.as_str()));
    decide_claim(&admin, &claim_id, false)
        .await
        .expect_problem(409, "invalid_state");
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn a_rejected_claim_leaves_the_pack_with_its_owner() {
    let buyer = User::customer();
    let stranger = User::customer();
    let admin = User::admin();
    let pack = buy_pack(&buyer, "five_pack").await;
    let pack_id = id(&pack, "pack_id");
    let opened = claim(&stranger, &id(&pack, "order_confirmation_number"))
        .await
        .expect(201)
        .body;
    let claim_id = id(&opened, "claim_id");
    let decided = decide_claim(&admin, &claim_id, false)
        .await
        .expect(200)
        .body;
    assert_eq!(
        decided,
        json!({"claim_id": claim_id, "status": "rejected", "pack_id": pack_id,
               "order_confirmation_number": pack["order_confirmation_number"]})
    );
    assert_eq!(my_packs(&buyer).await.len(), 1);
    assert!(my_packs(&stranger).await.is_empty());
    submit(&stranger, &with_pack(&pack_id))
        .await
        .expect_problem(422, "no_usable_pack");
    submit(&buyer, &with_pack(&pack_id)).await.expect(201);
    decide_claim(&admin, &claim_id, true)
        .await
        .expect_problem(409, "invalid_state");
    let ledger = store()
        .await
        .ledger(&pack_id)
        .await
        .expect("store reachable");
    assert!(ledger.iter().all(|e| e.kind != LedgerKind::Transfer));
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn once_one_claim_moved_the_pack_a_competing_claim_cannot_move_it_again() {
    let buyer = User::customer();
    let first = User::customer();
    let second = User::customer();
    let admin = User::admin();
    let pack = buy_pack(&buyer, "five_pack").await;
    let number = id(&pack, "order_confirmation_number");
    let a = id(&claim(&first, &number).await.expect(201).body, "claim_id");
    let b = id(&claim(&second, &number).await.expect(201).body, "claim_id");
    decide_claim(&admin, &a, true).await.expect(200);
    decide_claim(&admin, &b, true)
        .await
        .expect_problem(409, "invalid_state");
    assert_eq!(my_packs(&first).await.len(), 1);
    assert!(my_packs(&second).await.is_empty());
    // The stale claim can still be closed.
    let closed = decide_claim(&admin, &b, false).await.expect(200).body;
    assert_eq!(closed["status"], "rejected");
    assert_reconciles(&[id(&pack, "pack_id")]).await;
}

#[tokio::test]
async fn an_unknown_order_confirmation_number_is_404() {
    claim(&User::customer(), &unknown_number())
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn something_that_cannot_be_an_order_confirmation_number_is_400() {
    let a = post("/pack-claims")
        .token(&User::customer())
        .json(&json!({"order_confirmation_number": "12345"}))
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["order_confirmation_number", "reason"]);
}

#[tokio::test]
async fn five_wrong_numbers_in_an_hour_lock_the_account_out_even_for_a_correct_number() {
    let guesser = User::customer();
    let pack = buy_pack(&User::customer(), "single").await;
    let right = id(&pack, "order_confirmation_number");
    for _ in 0..5 {
        claim(&guesser, &unknown_number())
            .await
            .expect_problem(404, "not_found");
    }
    for number in [unknown_number(), right.clone()] {
        let refused = claim(&guesser, &number)
            .await
            .expect_problem(429, "too_many_attempts");
        let wait: u64 = refused
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .expect("Retry-After in seconds");
        assert!((1..=3600).contains(&wait), "Retry-After {wait}");
    }
    // The limit is per account: another account with the right number is not held back.
    claim(&User::customer(), &right).await.expect(201);
}

#[tokio::test]
async fn concurrent_wrong_numbers_get_no_more_than_five_lookups() {
    let guesser = User::customer();
    let answers = join_all((0..20).map(|_| {
        let guesser = guesser.clone();
        async move { claim(&guesser, &unknown_number()).await }
    }))
    .await;
    let looked_up = answers.iter().filter(|a| a.status == 404).count();
    let refused = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!(looked_up + refused, 20, "only 404 and 429 expected");
    assert!(
        (1..=5).contains(&looked_up),
        "{looked_up} numbers were looked up"
    );
}

#[tokio::test]
async fn claiming_a_pack_you_already_own_is_409() {
    let buyer = User::customer();
    let pack = buy_pack(&buyer, "single").await;
    claim(&buyer, &id(&pack, "order_confirmation_number"))
        .await
        .expect_problem(409, "invalid_state");
}

#[tokio::test]
async fn a_second_claim_on_the_same_pack_while_the_first_is_pending_is_409() {
    let colleague = User::customer();
    let pack = buy_pack(&User::customer(), "single").await;
    let number = id(&pack, "order_confirmation_number");
    claim(&colleague, &number).await.expect(201);
    claim(&colleague, &number)
        .await
        .expect_problem(409, "invalid_state");
}

#[tokio::test]
async fn only_support_admins_list_and_decide_claims() {
    let pack = buy_pack(&User::customer(), "single").await;
    let claimant = User::customer();
    let claim_id = id(
        &claim(&claimant, &id(&pack, "order_confirmation_number"))
            .await
            .expect(201)
            .body,
        "claim_id",
    );
    for someone in [User::customer(), User::engineer(), claimant.clone()] {
        get("/pack-claims")
            .token(&someone)
            .send()
            .await
            .expect_problem(403, "forbidden");
        decide_claim(&someone, &claim_id, true)
            .await
            .expect_problem(403, "forbidden");
    }
    assert!(my_packs(&claimant).await.is_empty());
}

#[tokio::test]
async fn deciding_an_unknown_claim_is_404() {
    decide_claim(&User::admin(), "clm_doesnotexist", true)
        .await
        .expect_problem(404, "not_found");
}

// ---- the pack drawn without one named (issue 30) -------------------------------------------
// The intake process may remember the pack it drew from last for an account and draw from it
// again in one transaction, which holds only while no pack became usable by the account since
// (store::packs::PackGeneration). Each test makes a sooner-expiring pack usable after draws that
// took a later one: the next draw must take the sooner one (SPEC: "the caller's usable pack that
// expires soonest"), however the process remembers.

// Packs bought in the same second expire in the same second (instants are kept to the second):
// the next purchase waits for the clock's next second (`next_second`) so the one bought first
// expires first.

fn drawn_from(answer: Answer) -> String {
    id(&answer.expect(201).body, "pack_id")
}

fn unresolved_refunded() -> Value {
    json!({"outcome": "unresolved", "explanation": "The storage vendor has no fix yet.", "charge": "refunded"})
}

async fn refund(engineer: &User, incident_id: &str) {
    post(&format!("/incidents/{incident_id}/resolution"))
        .token(engineer)
        .json(&unresolved_refunded())
        .send()
        .await
        .expect(200);
}

#[tokio::test]
async fn a_unit_refunded_to_a_sooner_expiring_pack_is_drawn_before_the_pack_drawn_last() {
    let (customer, engineer) = (User::customer(), User::engineer());
    let sooner = id(&buy_pack(&customer, "single").await, "pack_id");
    next_second().await;
    let later = id(&buy_pack(&customer, "five_pack").await, "pack_id");
    let first = submit(&customer, &submission()).await.expect(201).body;
    assert_eq!(first["pack_id"], sooner.as_str());
    for _ in 0..2 {
        assert_eq!(drawn_from(submit(&customer, &submission()).await), later);
    }
    refund(&engineer, &id(&first, "incident_id")).await;
    assert_eq!(drawn_from(submit(&customer, &submission()).await), sooner);
    assert_eq!(drawn_from(submit(&customer, &submission()).await), later);
    assert_reconciles(&[sooner, later]).await;
}

#[tokio::test]
async fn a_claimed_pack_expiring_sooner_is_drawn_before_the_pack_drawn_last() {
    let (buyer, colleague, admin) = (User::customer(), User::customer(), User::admin());
    // Bought first, so it expires first.
    let claimed = buy_pack(&buyer, "five_pack").await;
    let claimed_id = id(&claimed, "pack_id");
    next_second().await;
    let own = id(&buy_pack(&colleague, "five_pack").await, "pack_id");
    for _ in 0..2 {
        assert_eq!(drawn_from(submit(&colleague, &submission()).await), own);
    }
    let opened = claim(&colleague, &id(&claimed, "order_confirmation_number"))
        .await
        .expect(201)
        .body;
    decide_claim(&admin, &id(&opened, "claim_id"), true)
        .await
        .expect(200);
    assert_eq!(
        drawn_from(submit(&colleague, &submission()).await),
        claimed_id
    );
    assert_reconciles(&[claimed_id, own]).await;
}

#[tokio::test]
async fn a_refund_to_a_pack_claimed_since_goes_to_its_new_owner_whose_next_draw_takes_it() {
    let (buyer, colleague, admin, engineer) = (
        User::customer(),
        User::customer(),
        User::admin(),
        User::engineer(),
    );
    // The buyer's single (expiring first) is used up, then claimed by the colleague.
    let single = buy_pack(&buyer, "single").await;
    let single_id = id(&single, "pack_id");
    let incident = submit(&buyer, &submission()).await.expect(201).body;
    assert_eq!(incident["pack_id"], single_id.as_str());
    next_second().await;
    let own = id(&buy_pack(&colleague, "five_pack").await, "pack_id");
    let opened = claim(&colleague, &id(&single, "order_confirmation_number"))
        .await
        .expect(201)
        .body;
    decide_claim(&admin, &id(&opened, "claim_id"), true)
        .await
        .expect(200);
    for _ in 0..2 {
        assert_eq!(drawn_from(submit(&colleague, &submission()).await), own);
    }
    // The buyer's incident is refunded: the unit returns to the pack, now the colleague's.
    refund(&engineer, &id(&incident, "incident_id")).await;
    let theirs = get(&format!("/packs/{single_id}"))
        .token(&colleague)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(theirs["incidents_remaining"], 1);
    assert_eq!(
        drawn_from(submit(&colleague, &submission()).await),
        single_id
    );
    assert_eq!(drawn_from(submit(&colleague, &submission()).await), own);
    assert_reconciles(&[single_id, own]).await;
}
