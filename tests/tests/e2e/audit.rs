//! The audit log (API.md "Audit"): every staff decision — assignment, resolution, charge
//! decision, claim decision, exemption decision — leaves exactly one entry naming its actor,
//! written with the change; admins read it newest first, filtered by time, actor and subject
//! from indexes, with sealed cursors. Nobody else reads it, and no route changes it.

use e2e::*;
use serde_json::{json, Value};

async fn audit(user: &User, query: &str) -> Answer {
    get(&format!("/audit?{query}")).token(user).send().await
}

/// Every entry `query` selects, all pages, newest first.
async fn entries(admin: &User, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut path = format!("{query}&limit=2");
    loop {
        let page = audit(admin, &path).await.expect(200).body;
        all.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("{query}&limit=2&cursor={c}"),
            None => return all,
        }
    }
}

fn actions(entries: &[Value]) -> Vec<(String, String)> {
    entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().expect("action").to_string(),
                e["actor_account_id"].as_str().expect("actor").to_string(),
            )
        })
        .collect()
}

async fn new_incident(customer: &User) -> String {
    let incident = submit(customer, &submission()).await.expect(201).body;
    incident["incident_id"].as_str().expect("id").to_string()
}

async fn customer_with_pack() -> User {
    let customer = User::customer();
    buy_pack(&customer, "five_pack").await;
    customer
}

async fn registered(engineer: User) -> User {
    get("/queue?limit=1")
        .token(&engineer)
        .send()
        .await
        .expect(200);
    engineer
}

async fn send(user: &User, path: &str, body: Value) -> Answer {
    post(path).token(user).json(&body).send().await
}

#[tokio::test]
async fn every_staff_decision_leaves_exactly_one_entry_naming_its_actor() {
    let admin = User::admin();
    let engineer = registered(User::engineer()).await;
    let customer = customer_with_pack().await;

    // Assignment, then resolution, of one incident.
    let resolved = new_incident(&customer).await;
    send(
        &engineer,
        &format!("/incidents/{resolved}/assignment"),
        json!({"owner_account_id": engineer.account_id, "note": "mine"}),
    )
    .await
    .expect(200);
    let subject = format!("subject={resolved}");
    let after_take = entries(&admin, &subject).await;
    assert_eq!(
        actions(&after_take),
        [("assignment".to_string(), engineer.account_id.clone())]
    );
    let take = &after_take[0];
    assert_eq!(take["subject"], json!({"kind": "incident", "id": resolved}));
    assert_eq!(
        take["details"]["owner_account_id"],
        engineer.account_id.as_str()
    );
    assert_eq!(take["details"]["note"], "mine");
    // Taking it again is a no-op: no entry.
    send(
        &engineer,
        &format!("/incidents/{resolved}/assignment"),
        json!({"owner_account_id": engineer.account_id}),
    )
    .await
    .expect(200);
    send(
        &engineer,
        &format!("/incidents/{resolved}/resolution"),
        json!({"outcome": "resolved", "solutions": ["Updated the driver."]}),
    )
    .await
    .expect(200);
    let after_resolution = entries(&admin, &subject).await;
    assert_eq!(
        actions(&after_resolution),
        [
            ("resolution".to_string(), engineer.account_id.clone()),
            ("assignment".to_string(), engineer.account_id.clone()),
        ],
        "newest first: {after_resolution:?}"
    );
    assert_eq!(after_resolution[0]["details"]["outcome"], "resolved");
    // A refused decision (resolving again) writes nothing.
    send(
        &engineer,
        &format!("/incidents/{resolved}/resolution"),
        json!({"outcome": "resolved", "solutions": ["Again."]}),
    )
    .await
    .expect_problem(409, "invalid_state");
    assert_eq!(entries(&admin, &subject).await.len(), 2);

    // The charge decision of a customer's closure: one entry, the closure itself none; the
    // same decision again is a no-op and writes none.
    let closed = new_incident(&customer).await;
    send(
        &customer,
        &format!("/incidents/{closed}/closure-request"),
        json!({"reason": "Worked around it."}),
    )
    .await
    .expect(200);
    assert!(entries(&admin, &format!("subject={closed}"))
        .await
        .is_empty());
    for _ in 0..2 {
        send(
            &admin,
            &format!("/incidents/{closed}/charge-decision"),
            json!({"charge": "refunded"}),
        )
        .await
        .expect(200);
    }
    let charge = entries(&admin, &format!("subject={closed}")).await;
    assert_eq!(
        actions(&charge),
        [("charge_decision".to_string(), admin.account_id.clone())]
    );
    assert_eq!(charge[0]["details"]["charge"], "refunded");

    // Closing unresolved with a charge is one decision: one resolution entry.
    let unresolved = new_incident(&customer).await;
    send(
        &engineer,
        &format!("/incidents/{unresolved}/resolution"),
        json!({"outcome": "unresolved", "explanation": "No fix.", "charge": "consumed"}),
    )
    .await
    .expect(200);
    let u = entries(&admin, &format!("subject={unresolved}")).await;
    assert_eq!(
        actions(&u),
        [("resolution".to_string(), engineer.account_id.clone())]
    );
    assert_eq!(u[0]["details"]["outcome"], "unresolved");
    assert_eq!(u[0]["details"]["charge"], "consumed");

    // The first response to an unowned incident assigns its author: an assignment entry.
    let answered = new_incident(&customer).await;
    send(
        &engineer,
        &format!("/incidents/{answered}/responses"),
        json!({"message": "Looking.", "channel": "email"}),
    )
    .await
    .expect(201);
    assert_eq!(
        actions(&entries(&admin, &format!("subject={answered}")).await),
        [("assignment".to_string(), engineer.account_id.clone())]
    );

    // A claim decision.
    let buyer = User::customer();
    let pack = buy_pack(&buyer, "five_pack").await;
    let claimant = User::customer();
    let claim = send(
        &claimant,
        "/pack-claims",
        json!({"order_confirmation_number": pack["order_confirmation_number"], "reason": "The buyer left."}),
    )
    .await
    .expect(201)
    .body;
    let claim_id = claim["claim_id"].as_str().expect("claim_id").to_string();
    send(
        &admin,
        &format!("/pack-claims/{claim_id}/decision"),
        json!({"approve": true, "note": "checked"}),
    )
    .await
    .expect(200);
    let c = entries(&admin, &format!("subject={claim_id}")).await;
    assert_eq!(
        actions(&c),
        [("claim_decision".to_string(), admin.account_id.clone())]
    );
    assert_eq!(c[0]["subject"], json!({"kind": "claim", "id": claim_id}));
    assert_eq!(c[0]["details"]["status"], "approved");
    assert_eq!(
        c[0]["details"]["claimant_account_id"],
        claimant.account_id.as_str()
    );

    // An exemption decision (the submission itself is the customer's: none).
    let exempt = User::customer();
    send(
        &exempt,
        "/tax-exemptions",
        json!({"jurisdiction": "PL", "certificate_reference": "CERT-1"}),
    )
    .await
    .expect(201);
    assert!(entries(&admin, &format!("subject={}", exempt.account_id))
        .await
        .is_empty());
    send(
        &admin,
        &format!("/tax-exemptions/{}/decision", exempt.account_id),
        json!({"approve": false, "note": "unreadable"}),
    )
    .await
    .expect(200);
    let x = entries(&admin, &format!("subject={}", exempt.account_id)).await;
    assert_eq!(
        actions(&x),
        [("exemption_decision".to_string(), admin.account_id.clone())]
    );
    assert_eq!(x[0]["subject"]["kind"], "tax_exemption");
    assert_eq!(x[0]["details"]["status"], "rejected");

    // By actor: exactly this admin's three decisions, newest first; this engineer's four.
    let by_admin = entries(&admin, &format!("actor={}", admin.account_id)).await;
    assert_eq!(
        actions(&by_admin)
            .into_iter()
            .map(|(a, _)| a)
            .collect::<Vec<_>>(),
        ["exemption_decision", "claim_decision", "charge_decision"]
    );
    let by_engineer = entries(&admin, &format!("actor={}", engineer.account_id)).await;
    assert_eq!(by_engineer.len(), 4, "{by_engineer:?}");
    // Actor and subject together.
    let both = entries(
        &admin,
        &format!("actor={}&subject={resolved}", engineer.account_id),
    )
    .await;
    assert_eq!(both.len(), 2);
    assert!(entries(
        &admin,
        &format!("actor={}&subject={resolved}", admin.account_id)
    )
    .await
    .is_empty());
    // The whole log holds them, newest first.
    let page = audit(&admin, "limit=100").await.expect(200).body;
    let at: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["at"].as_str().expect("at"))
        .collect();
    let mut sorted = at.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(at, sorted, "newest first");
}

#[tokio::test]
async fn from_and_to_bound_the_entries_by_instant() {
    let admin = User::admin();
    let engineer = registered(User::engineer()).await;
    let customer = customer_with_pack().await;
    let id = new_incident(&customer).await;
    send(
        &engineer,
        &format!("/incidents/{id}/assignment"),
        json!({"owner_account_id": engineer.account_id}),
    )
    .await
    .expect(200);
    let all = entries(&admin, &format!("subject={id}")).await;
    let at = all[0]["at"].as_str().expect("at").to_string();
    let one = entries(&admin, &format!("subject={id}&from={at}&to={at}")).await;
    assert_eq!(one.len(), 1);
    for query in [
        format!("actor={}&to=2001-01-01T00:00:00Z", engineer.account_id),
        "from=2099-01-01T00:00:00Z".to_string(),
    ] {
        assert!(entries(&admin, &query).await.is_empty(), "{query}");
    }
    audit(&admin, "from=yesterday")
        .await
        .expect_problem(400, "invalid_request");
    audit(&admin, "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")
        .await
        .expect_problem(400, "invalid_request");
}

#[tokio::test]
async fn only_support_admins_read_the_audit_log() {
    for user in [User::engineer(), User::customer()] {
        audit(&user, "").await.expect_problem(403, "forbidden");
    }
    get("/audit").send().await.expect_unauthorized();
}

#[tokio::test]
async fn a_forged_or_foreign_cursor_is_400_naming_cursor() {
    let admin = User::admin();
    let engineer = registered(User::engineer()).await;
    let customer = customer_with_pack().await;
    for _ in 0..3 {
        let id = new_incident(&customer).await;
        send(
            &engineer,
            &format!("/incidents/{id}/assignment"),
            json!({"owner_account_id": engineer.account_id}),
        )
        .await
        .expect(200);
    }
    let query = format!("actor={}", engineer.account_id);
    let page = audit(&admin, &format!("{query}&limit=1"))
        .await
        .expect(200)
        .body;
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    // It continues its own list…
    audit(&admin, &format!("{query}&limit=1&cursor={cursor}"))
        .await
        .expect(200);
    // …and nothing else: another filter, another admin, a forged or tampered one.
    let other_admin = User::admin();
    let mut tampered = cursor.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    for (user, path) in [
        (&admin, format!("limit=1&cursor={cursor}")),
        (&other_admin, format!("{query}&limit=1&cursor={cursor}")),
        (&admin, format!("{query}&cursor=eyJQSyI6IkFVRElUI3gifQ")),
        (&admin, format!("{query}&cursor={tampered}")),
    ] {
        let a = audit(user, &path)
            .await
            .expect_problem(400, "invalid_request");
        assert_eq!(a.error_fields(), ["cursor"], "{path}");
    }
}
