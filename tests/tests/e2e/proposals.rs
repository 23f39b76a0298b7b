//! Closing an incident withdraws the proposals that await the customer, in the closure's own
//! write (`scope_withdrawn`, `sub_problem_withdrawn`); a decision on a withdrawn proposal is
//! `409 invalid_state`. The customer's own closure is confirmed to it by e-mail, once.

use e2e::*;
use serde_json::{json, Value};

/// An incident with a scope proposal and two sub-problem proposals awaiting the customer (and a
/// third the customer declined): the incident id and the open proposals' ids.
async fn with_open_proposals(
    customer: &User,
    engineer: &User,
    contact: &str,
) -> (String, Vec<String>) {
    buy_pack(customer, "five_pack").await;
    let mut body = submission();
    body["contact"] = json!({"name": "Ola", "email": contact, "language": "en"});
    let id = submit(customer, &body).await.expect(201).body["incident_id"]
        .as_str()
        .expect("id")
        .to_string();
    post(&format!("/incidents/{id}/scope"))
        .token(engineer)
        .json(&json!({"problem_statement": "Mail stops", "resolution_criteria": "Mail flows"}))
        .send()
        .await
        .expect(200);
    let mut proposals = Vec::new();
    for title in ["Backups fail", "Certificates expire", "Logs fill the disk"] {
        let p = post(&format!("/incidents/{id}/sub-problems"))
            .token(engineer)
            .json(&json!({"title": title, "description": "Separately"}))
            .send()
            .await
            .expect(201)
            .body;
        proposals.push(p["proposal_id"].as_str().expect("id").to_string());
    }
    let declined = proposals.pop().expect("three");
    decide(customer, &id, &declined, false).await.expect(200);
    (id, proposals)
}

async fn decide(customer: &User, id: &str, proposal: &str, accept: bool) -> Answer {
    post(&format!("/incidents/{id}/sub-problems/{proposal}/decision"))
        .token(customer)
        .json(&json!({ "accept": accept }))
        .send()
        .await
}

fn of_kind<'a>(incident: &'a Value, kind: &str) -> Vec<&'a Value> {
    incident["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

fn withdrawn_ids(incident: &Value) -> Vec<String> {
    let mut ids: Vec<String> = of_kind(incident, "sub_problem_withdrawn")
        .iter()
        .map(|e| e["proposal_id"].as_str().expect("proposal_id").to_string())
        .collect();
    ids.sort();
    ids
}

/// After the closure: every open proposal withdrawn once (the declined one left alone), the
/// scope withdrawn, and each decision on them `409`.
async fn assert_withdrawn(customer: &User, closed: &Value, open: &[String]) {
    let id = closed["incident_id"].as_str().expect("id");
    assert_eq!(closed["scope"]["status"], "withdrawn", "{closed}");
    assert_eq!(of_kind(closed, "scope_withdrawn").len(), 1, "{closed}");
    let mut expected = open.to_vec();
    expected.sort();
    assert_eq!(withdrawn_ids(closed), expected, "{closed}");
    // The answer is what is stored, and the customer sees it the same way.
    let read = get(&format!("/incidents/{id}"))
        .token(customer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(read["timeline"], closed["timeline"]);
    for proposal in open {
        for accept in [true, false] {
            decide(customer, id, proposal, accept)
                .await
                .expect_problem(409, "invalid_state");
        }
    }
    post(&format!("/incidents/{id}/scope/decision"))
        .token(customer)
        .json(&json!({"accept": true}))
        .send()
        .await
        .expect_problem(409, "invalid_state");
}

#[tokio::test]
async fn resolving_withdraws_the_scope_and_the_sub_problems_awaiting_the_customer() {
    let customer = User::customer();
    let engineer = User::engineer();
    let (id, open) = with_open_proposals(&customer, &engineer, &new_address("withdraw-r")).await;
    let pack_before = get("/packs").token(&customer).send().await.expect(200).body["items"][0]
        ["incidents_remaining"]
        .clone();
    let closed = post(&format!("/incidents/{id}/resolution"))
        .token(&engineer)
        .json(&json!({"outcome": "resolved", "solutions": ["Renewed the connector"]}))
        .send()
        .await
        .expect(200)
        .body;
    assert_withdrawn(&customer, &closed, &open).await;
    // Refused decisions spent nothing.
    let pack_after = get("/packs").token(&customer).send().await.expect(200).body["items"][0]
        ["incidents_remaining"]
        .clone();
    assert_eq!(pack_before, pack_after);
}

#[tokio::test]
async fn closing_unresolved_withdraws_them_too() {
    let customer = User::customer();
    let engineer = User::engineer();
    let (id, open) = with_open_proposals(&customer, &engineer, &new_address("withdraw-u")).await;
    let closed = post(&format!("/incidents/{id}/resolution"))
        .token(&engineer)
        .json(&json!({"outcome": "unresolved", "explanation": "Needs a vendor fix", "charge": "refunded"}))
        .send()
        .await
        .expect(200)
        .body;
    assert_withdrawn(&customer, &closed, &open).await;
}

#[tokio::test]
async fn the_customers_closure_withdraws_them_and_is_confirmed_to_it_once() {
    let customer = User::customer();
    let engineer = User::engineer();
    let contact = new_address("withdraw-c");
    let (id, open) = with_open_proposals(&customer, &engineer, &contact).await;
    let closed = post(&format!("/incidents/{id}/closure-request"))
        .token(&customer)
        .json(&json!({"reason": "Solved it ourselves"}))
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(closed["status"], "closed_by_customer");
    assert_withdrawn(&customer, &closed, &open).await;
    let number = closed["number"].as_str().expect("number");
    let confirmation = mail_to(&contact, &format!("[{number}] You closed your incident"), 1).await;
    assert_eq!(confirmation.len(), 1, "once: {confirmation:?}");
    assert!(
        confirmation[0].text.contains("Solved it ourselves"),
        "{}",
        confirmation[0].text
    );
}

#[tokio::test]
async fn a_closure_without_open_proposals_withdraws_nothing() {
    let customer = User::customer();
    let engineer = User::engineer();
    buy_pack(&customer, "single").await;
    let id = submit(&customer, &submission()).await.expect(201).body["incident_id"]
        .as_str()
        .expect("id")
        .to_string();
    post(&format!("/incidents/{id}/scope"))
        .token(&engineer)
        .json(&json!({"problem_statement": "Mail stops", "resolution_criteria": "Mail flows"}))
        .send()
        .await
        .expect(200);
    post(&format!("/incidents/{id}/scope/decision"))
        .token(&customer)
        .json(&json!({"accept": true}))
        .send()
        .await
        .expect(200);
    let closed = post(&format!("/incidents/{id}/resolution"))
        .token(&engineer)
        .json(&json!({"outcome": "resolved", "solutions": ["Done"]}))
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(closed["scope"]["status"], "accepted");
    assert!(of_kind(&closed, "scope_withdrawn").is_empty());
    assert!(of_kind(&closed, "sub_problem_withdrawn").is_empty());
}
