//! Working an incident: engineers' responses and customers' messages, the agreed scope,
//! sub-problems that become incidents of their own, and the engineers' queue.

use chrono::SubsecRound;
use domain::incident::{apply, Action};
use domain::Actor;
use e2e::*;
use futures::future::join_all;
use serde_json::{json, Value};

fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is a string in {v}"))
}

fn with(mut body: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().expect("object") {
        body[k] = v.clone();
    }
    body
}

/// A customer with a five-pack and one incident submitted from it.
async fn incident_of(owner: &User) -> (String, String) {
    let pack = buy_pack(owner, "five_pack").await;
    let incident = submit(owner, &submission()).await.expect(201).body;
    (
        text(&incident, "incident_id").to_string(),
        text(&pack, "pack_id").to_string(),
    )
}

async fn pack_remaining(owner: &User, pack_id: &str) -> i64 {
    get(&format!("/packs/{pack_id}"))
        .token(owner)
        .send()
        .await
        .expect(200)
        .body["incidents_remaining"]
        .as_i64()
        .expect("incidents_remaining")
}

async fn incident(user: &User, id: &str) -> Value {
    get(&format!("/incidents/{id}"))
        .token(user)
        .send()
        .await
        .expect(200)
        .body
}

/// The answered event is the one in the timeline, field for field, and carries only API fields.
fn assert_is_stored(answered: &Value, stored: &Value) {
    let fields = answered.as_object().expect("an event object");
    for (name, value) in fields {
        assert_eq!(&stored[name], value, "{name} as stored");
    }
    assert!(
        !fields.contains_key("PK") && !fields.contains_key("SK"),
        "no storage keys: {answered}"
    );
}

fn kinds(incident: &Value) -> Vec<String> {
    incident["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| text(e, "kind").to_string())
        .collect()
}

async fn respond(engineer: &User, id: &str, message: &str) -> Answer {
    post(&format!("/incidents/{id}/responses"))
        .token(engineer)
        .json(&json!({"message": message, "channel": "email"}))
        .send()
        .await
}

async fn message(user: &User, id: &str, message: &str) -> Answer {
    post(&format!("/incidents/{id}/messages"))
        .token(user)
        .json(&json!({ "message": message }))
        .send()
        .await
}

async fn propose_scope(engineer: &User, id: &str) -> Answer {
    post(&format!("/incidents/{id}/scope"))
        .token(engineer)
        .json(&json!({
            "problem_statement": "Cluster validation reports a storage warning on node 2.",
            "resolution_criteria": "Validation passes on both nodes."
        }))
        .send()
        .await
}

async fn decide_scope(owner: &User, id: &str, accept: bool) -> Answer {
    post(&format!("/incidents/{id}/scope/decision"))
        .token(owner)
        .json(&json!({"accept": accept, "comment": "Seen and agreed with the team."}))
        .send()
        .await
}

async fn propose_sub_problem(engineer: &User, id: &str) -> Answer {
    post(&format!("/incidents/{id}/sub-problems"))
        .token(engineer)
        .json(&json!({
            "title": "Quorum witness unreachable",
            "description": "The file share witness times out; separate from the storage warning."
        }))
        .send()
        .await
}

async fn decide_sub_problem(owner: &User, id: &str, proposal_id: &str, accept: bool) -> Answer {
    post(&format!(
        "/incidents/{id}/sub-problems/{proposal_id}/decision"
    ))
    .token(owner)
    .json(&json!({ "accept": accept }))
    .send()
    .await
}

/// Test set-up through the store: the owner closes the incident (the closure route's effect).
async fn close_as_customer(owner: &User, id: &str) {
    let now = chrono::Utc::now().trunc_subsecs(0);
    let actor = Actor::customer(owner.account_id.clone());
    let store = store().await;
    let mut rounds = store.rounds();
    usecases::change::update_incident(
        &store,
        &domain::IncidentId::from(id),
        &|| now,
        &mut rounds,
        |s, at| {
            let action = Action::RequestClosure {
                reason: "Fixed it ourselves.".into(),
            };
            Ok(apply(&s.incident, &actor, action, at)?)
        },
    )
    .await
    .expect("closed")
    .expect("the incident exists");
}

/// Every queue entry, page by page: (incident id, first response due).
async fn whole_queue(engineer: &User) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/queue?limit=100&cursor={c}"),
            None => "/queue?limit=100".to_string(),
        };
        let page = get(&path).token(engineer).send().await.expect(200).body;
        for item in page["items"].as_array().expect("items") {
            assert!(
                item.get("timeline").is_none(),
                "queue items carry no timeline"
            );
            assert_eq!(item["status"], "awaiting_response");
            out.push((
                text(item, "incident_id").to_string(),
                text(item, "first_response_due_at").to_string(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Responses and messages
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_first_response_moves_the_incident_to_in_progress_with_the_sla_met() {
    let owner = User::customer();
    let engineer = User::engineer();
    let (id, _) = incident_of(&owner).await;
    let before = incident(&owner, &id).await;
    assert_eq!(
        (
            &before["status"],
            &before["sla"],
            &before["first_responded_at"]
        ),
        (&json!("awaiting_response"), &json!("pending"), &Value::Null)
    );

    let event = post(&format!("/incidents/{id}/responses"))
        .token(&engineer)
        .json(
            &json!({"message": "We are looking at the cluster logs.", "channel": "remote_session"}),
        )
        .send()
        .await
        .expect(201)
        .body;
    assert_eq!(event["kind"], "response");
    assert_eq!(event["channel"], "remote_session");
    assert_eq!(event["message"], "We are looking at the cluster logs.");
    assert_eq!(event["actor_account_id"], engineer.account_id.as_str());

    let after = incident(&owner, &id).await;
    assert_eq!(after["status"], "in_progress");
    assert_eq!(after["sla"], "met");
    assert_eq!(after["first_responded_at"], event["at"]);
    // The first response to an unowned incident also makes its author the owner.
    assert_eq!(kinds(&after), ["submitted", "response", "assigned"]);
    assert_eq!(after["owner"]["account_id"], engineer.account_id.as_str());
    assert_is_stored(&event, &after["timeline"][1]);
}

#[tokio::test]
async fn a_later_response_keeps_the_first_response_instant() {
    let owner = User::customer();
    let engineer = User::engineer();
    let (id, _) = incident_of(&owner).await;
    let first = respond(&engineer, &id, "First contact.")
        .await
        .expect(201)
        .body;
    respond(&User::engineer(), &id, "Offline research done.")
        .await
        .expect(201);
    let after = incident(&owner, &id).await;
    assert_eq!(after["first_responded_at"], first["at"]);
    assert_eq!(after["sla"], "met");
    // The first response assigned its author; the second, by someone else, changes no owner.
    assert_eq!(
        kinds(&after),
        ["submitted", "response", "assigned", "response"]
    );
}

#[tokio::test]
async fn every_contact_is_kept_in_the_timeline_in_the_order_posted() {
    let owner = User::customer();
    let engineer = User::engineer();
    let (id, _) = incident_of(&owner).await;
    let contacts = ["one", "two", "three", "four", "five"];
    for (i, m) in contacts.iter().enumerate() {
        if i % 2 == 0 {
            respond(&engineer, &id, m).await.expect(201);
        } else {
            message(&owner, &id, m).await.expect(201);
        }
    }
    let timeline = incident(&owner, &id).await["timeline"].clone();
    let posted: Vec<(&str, &str)> = timeline
        .as_array()
        .expect("timeline")
        .iter()
        .skip(1)
        // The first response's assignment of its author is not a contact.
        .filter(|e| e["kind"] != "assigned")
        .map(|e| (text(e, "kind"), text(e, "message")))
        .collect();
    assert_eq!(
        posted,
        [
            ("response", "one"),
            ("customer_message", "two"),
            ("response", "three"),
            ("customer_message", "four"),
            ("response", "five"),
        ]
    );
}

#[tokio::test]
async fn ten_concurrent_first_responses_all_land_and_stop_the_clock_once() {
    let owner = User::customer();
    let engineer = User::engineer();
    let (id, _) = incident_of(&owner).await;
    let answers = join_all((0..10).map(|i| {
        let (engineer, id) = (engineer.clone(), id.clone());
        async move { respond(&engineer, &id, &format!("response {i}")).await }
    }))
    .await;
    for a in answers {
        a.expect(201);
    }
    let after = incident(&owner, &id).await;
    assert_eq!(after["status"], "in_progress");
    assert_eq!(after["sla"], "met");
    let responses: Vec<&Value> = after["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "response")
        .collect();
    assert_eq!(responses.len(), 10);
    assert_eq!(
        kinds(&after).len(),
        12,
        "only the responses were added, and one assignment of the first one's author"
    );
    assert_eq!(kinds(&after).iter().filter(|k| *k == "assigned").count(), 1);
    // The response written first is the one that stopped the clock.
    assert_eq!(after["first_responded_at"], responses[0]["at"]);
}

#[tokio::test]
async fn a_customer_may_not_post_a_response_even_on_its_own_incident() {
    let owner = User::customer();
    let (id, _) = incident_of(&owner).await;
    respond(&owner, &id, "I answer myself.")
        .await
        .expect_problem(403, "forbidden");
    respond(&User::customer(), &id, "Me too.")
        .await
        .expect_problem(403, "forbidden");
    assert_eq!(kinds(&incident(&owner, &id).await), ["submitted"]);
}

#[tokio::test]
async fn a_response_with_bad_fields_is_400_naming_each() {
    let owner = User::customer();
    let engineer = User::engineer();
    let (id, _) = incident_of(&owner).await;
    let path = format!("/incidents/{id}/responses");
    let a = post(&path)
        .token(&engineer)
        .json(&json!({"message": "  ", "channel": "fax"}))
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["message", "channel"]);
    let a = post(&path)
        .token(&engineer)
        .json(&json!({"message": "x".repeat(20_001), "channel": "phone"}))
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["message"]);
    let a = post(&path)
        .token(&engineer)
        .body("application/json", "[")
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["body"]);
    assert_eq!(incident(&owner, &id).await["status"], "awaiting_response");
}

#[tokio::test]
async fn a_response_to_an_unknown_incident_is_404() {
    respond(&User::engineer(), "inc_doesnotexist", "Hello?")
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn a_closed_incident_takes_no_response_message_scope_or_sub_problem() {
    let owner = User::customer();
    let engineer = User::engineer();
    let (id, _) = incident_of(&owner).await;
    close_as_customer(&owner, &id).await;
    respond(&engineer, &id, "Too late.")
        .await
        .expect_problem(409, "invalid_state");
    message(&owner, &id, "One more thing.")
        .await
        .expect_problem(409, "invalid_state");
    propose_scope(&engineer, &id)
        .await
        .expect_problem(409, "invalid_state");
    propose_sub_problem(&engineer, &id)
        .await
        .expect_problem(409, "invalid_state");
    let after = incident(&owner, &id).await;
    assert_eq!(after["status"], "closed_by_customer");
    assert_eq!(after["sla"], "withdrawn");
    assert_eq!(kinds(&after), ["submitted", "closure_requested"]);
}

#[tokio::test]
async fn the_owner_posts_a_message_that_is_answered_as_the_stored_event() {
    let owner = User::customer();
    let (id, _) = incident_of(&owner).await;
    let event = message(&owner, &id, "The warning appears after each reboot.")
        .await
        .expect(201)
        .body;
    assert_eq!(event["kind"], "customer_message");
    assert_eq!(event["message"], "The warning appears after each reboot.");
    assert_eq!(event["actor_account_id"], owner.account_id.as_str());
    let after = incident(&owner, &id).await;
    assert_is_stored(&event, &after["timeline"][1]);
    assert_eq!(
        after["status"], "awaiting_response",
        "a customer message does not stop the clock"
    );
}

#[tokio::test]
async fn another_customer_gets_404_and_an_engineer_403_on_the_message_route() {
    let owner = User::customer();
    let (id, _) = incident_of(&owner).await;
    message(&User::customer(), &id, "Hi")
        .await
        .expect_problem(404, "not_found");
    message(&User::engineer(), &id, "Hi")
        .await
        .expect_problem(403, "forbidden");
    let a = post(&format!("/incidents/{id}/messages"))
        .token(&owner)
        .json(&json!({"note": "wrong field"}))
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["message"]);
    assert_eq!(kinds(&incident(&owner, &id).await), ["submitted"]);
}

// ---------------------------------------------------------------------------------------------
// Scope (S7)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_engineer_proposes_the_scope_and_the_owner_accepts_it() {
    let owner = User::customer();
    let engineer = User::engineer();
    let (id, _) = incident_of(&owner).await;
    let proposed = propose_scope(&engineer, &id).await.expect(200).body;
    assert_eq!(proposed["incident_id"], id.as_str());
    assert_eq!(proposed["scope"]["status"], "proposed");
    assert_eq!(
        proposed["scope"]["resolution_criteria"],
        "Validation passes on both nodes."
    );
    assert_eq!(kinds(&proposed), ["submitted", "scope_proposed"]);

    let accepted = decide_scope(&owner, &id, true).await.expect(200).body;
    assert_eq!(accepted["scope"]["status"], "accepted");
    assert_eq!(
        accepted["scope"]["comment"],
        "Seen and agreed with the team."
    );
    assert_eq!(
        kinds(&accepted),
        ["submitted", "scope_proposed", "scope_accepted"]
    );
    assert_eq!(accepted, incident(&owner, &id).await, "as GET shows it");

    // Agreed is agreed: no new proposal, no second decision.
    propose_scope(&engineer, &id)
        .await
        .expect_problem(409, "invalid_state");
    decide_scope(&owner, &id, false)
        .await
        .expect_problem(409, "invalid_state");
}

#[tokio::test]
async fn a_rejected_scope_can_be_proposed_again() {
    let owner = User::customer();
    let engineer = User::engineer();
    let (id, _) = incident_of(&owner).await;
    propose_scope(&engineer, &id).await.expect(200);
    let rejected = decide_scope(&owner, &id, false).await.expect(200).body;
    assert_eq!(rejected["scope"]["status"], "rejected");
    let again = propose_scope(&engineer, &id).await.expect(200).body;
    assert_eq!(again["scope"]["status"], "proposed");
    assert_eq!(
        kinds(&again),
        [
            "submitted",
            "scope_proposed",
            "scope_rejected",
            "scope_proposed"
        ]
    );
}

#[tokio::test]
async fn a_scope_decision_without_a_proposal_is_409() {
    let owner = User::customer();
    let (id, _) = incident_of(&owner).await;
    decide_scope(&owner, &id, true)
        .await
        .expect_problem(409, "invalid_state");
}

#[tokio::test]
async fn scope_routes_check_role_owner_and_fields() {
    let owner = User::customer();
    let engineer = User::engineer();
    let (id, _) = incident_of(&owner).await;
    propose_scope(&owner, &id)
        .await
        .expect_problem(403, "forbidden");
    propose_scope(&engineer, "inc_doesnotexist")
        .await
        .expect_problem(404, "not_found");
    let a = post(&format!("/incidents/{id}/scope"))
        .token(&engineer)
        .json(&json!({"problem_statement": 42}))
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(
        a.error_fields(),
        ["problem_statement", "resolution_criteria"]
    );

    propose_scope(&engineer, &id).await.expect(200);
    decide_scope(&User::customer(), &id, true)
        .await
        .expect_problem(404, "not_found");
    decide_scope(&engineer, &id, true)
        .await
        .expect_problem(403, "forbidden");
    let a = post(&format!("/incidents/{id}/scope/decision"))
        .token(&owner)
        .json(&json!({"accept": "yes"}))
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["accept"]);
    assert_eq!(incident(&owner, &id).await["scope"]["status"], "proposed");
}

// ---------------------------------------------------------------------------------------------
// Sub-problems (S1)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_accepted_sub_problem_becomes_a_linked_incident_drawing_exactly_one_unit() {
    let owner = User::customer();
    let engineer = User::engineer();
    let parent_body = with(
        submission(),
        json!({"severity": "B", "handling": "24x7", "calendar": "UK", "category": "connectivity"}),
    );
    let pack = buy_pack(&owner, "five_pack").await;
    let pack_id = text(&pack, "pack_id").to_string();
    let parent = submit(&owner, &parent_body).await.expect(201).body;
    let parent_id = text(&parent, "incident_id").to_string();
    assert_eq!(pack_remaining(&owner, &pack_id).await, 4);

    let proposed = propose_sub_problem(&engineer, &parent_id)
        .await
        .expect(201)
        .body;
    assert_eq!(proposed["status"], "proposed");
    let proposal_id = text(&proposed, "proposal_id").to_string();
    assert_eq!(
        pack_remaining(&owner, &pack_id).await,
        4,
        "a proposal is free"
    );

    let child = decide_sub_problem(&owner, &parent_id, &proposal_id, true)
        .await
        .expect(201)
        .body;
    assert_eq!(child["parent_incident_id"], parent_id.as_str());
    assert_ne!(child["incident_id"], parent["incident_id"]);
    for inherited in [
        "account_id",
        "product_id",
        "category",
        "severity",
        "handling",
        "calendar",
        "contact",
    ] {
        assert_eq!(child[inherited], parent[inherited], "{inherited}");
    }
    assert_eq!(child["title"], "Quorum witness unreachable");
    assert_eq!(
        child["description"],
        "The file share witness times out; separate from the storage warning."
    );
    assert_eq!(child["status"], "awaiting_response");
    assert_eq!(child["sla"], "pending");
    assert_eq!(child["pack_id"], pack_id.as_str());
    assert_eq!(kinds(&child), ["submitted"]);
    assert_eq!(pack_remaining(&owner, &pack_id).await, 3);

    let child_id = text(&child, "incident_id");
    let stored_child = incident(&owner, child_id).await;
    assert_eq!(stored_child["parent_incident_id"], parent_id.as_str());
    let parent_after = incident(&owner, &parent_id).await;
    assert_eq!(
        kinds(&parent_after),
        ["submitted", "sub_problem_proposed", "sub_problem_accepted"]
    );
    assert_eq!(parent_after["timeline"][2]["child_incident_id"], child_id);
    assert_eq!(
        parent_after["timeline"][2]["proposal_id"],
        proposal_id.as_str()
    );

    // Decided once: neither a second acceptance nor a decline changes anything.
    decide_sub_problem(&owner, &parent_id, &proposal_id, true)
        .await
        .expect_problem(409, "invalid_state");
    decide_sub_problem(&owner, &parent_id, &proposal_id, false)
        .await
        .expect_problem(409, "invalid_state");
    assert_eq!(pack_remaining(&owner, &pack_id).await, 3);
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn a_declined_sub_problem_consumes_nothing_and_is_decided_once() {
    let owner = User::customer();
    let engineer = User::engineer();
    let (parent_id, pack_id) = incident_of(&owner).await;
    let proposal_id = text(
        &propose_sub_problem(&engineer, &parent_id)
            .await
            .expect(201)
            .body,
        "proposal_id",
    )
    .to_string();
    let declined = decide_sub_problem(&owner, &parent_id, &proposal_id, false)
        .await
        .expect(200)
        .body;
    assert_eq!(
        declined,
        json!({"proposal_id": proposal_id, "status": "declined"})
    );
    assert_eq!(pack_remaining(&owner, &pack_id).await, 4);
    let parent = incident(&owner, &parent_id).await;
    assert_eq!(
        kinds(&parent),
        ["submitted", "sub_problem_proposed", "sub_problem_declined"]
    );
    decide_sub_problem(&owner, &parent_id, &proposal_id, true)
        .await
        .expect_problem(409, "invalid_state");
    assert_eq!(pack_remaining(&owner, &pack_id).await, 4);
    assert_reconciles(&[pack_id]).await;
}

#[tokio::test]
async fn accepting_a_sub_problem_without_a_usable_pack_is_422_and_changes_nothing() {
    let owner = User::customer();
    let engineer = User::engineer();
    let single = buy_pack(&owner, "single").await;
    let single_id = text(&single, "pack_id").to_string();
    let parent = submit(&owner, &submission()).await.expect(201).body;
    let parent_id = text(&parent, "incident_id").to_string();
    assert_eq!(pack_remaining(&owner, &single_id).await, 0);
    let proposal_id = text(
        &propose_sub_problem(&engineer, &parent_id)
            .await
            .expect(201)
            .body,
        "proposal_id",
    )
    .to_string();

    decide_sub_problem(&owner, &parent_id, &proposal_id, true)
        .await
        .expect_problem(422, "no_usable_pack");
    assert_eq!(pack_remaining(&owner, &single_id).await, 0);
    assert_eq!(
        kinds(&incident(&owner, &parent_id).await),
        ["submitted", "sub_problem_proposed"]
    );

    // The proposal is still open: with a new pack, the same acceptance goes through.
    let fresh = buy_pack(&owner, "single").await;
    let fresh_id = text(&fresh, "pack_id").to_string();
    let child = decide_sub_problem(&owner, &parent_id, &proposal_id, true)
        .await
        .expect(201)
        .body;
    assert_eq!(child["pack_id"], fresh_id.as_str());
    assert_eq!(pack_remaining(&owner, &fresh_id).await, 0);
    assert_reconciles(&[single_id, fresh_id]).await;
}

#[tokio::test]
async fn sub_problem_routes_check_role_owner_proposal_and_fields() {
    let owner = User::customer();
    let engineer = User::engineer();
    let (parent_id, pack_id) = incident_of(&owner).await;
    propose_sub_problem(&owner, &parent_id)
        .await
        .expect_problem(403, "forbidden");
    propose_sub_problem(&engineer, "inc_doesnotexist")
        .await
        .expect_problem(404, "not_found");
    let a = post(&format!("/incidents/{parent_id}/sub-problems"))
        .token(&engineer)
        .json(&json!({"title": "t".repeat(201)}))
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["title", "description"]);

    let proposal_id = text(
        &propose_sub_problem(&engineer, &parent_id)
            .await
            .expect(201)
            .body,
        "proposal_id",
    )
    .to_string();
    decide_sub_problem(&owner, &parent_id, "prop_doesnotexist", true)
        .await
        .expect_problem(404, "not_found");
    decide_sub_problem(&User::customer(), &parent_id, &proposal_id, true)
        .await
        .expect_problem(404, "not_found");
    decide_sub_problem(&engineer, &parent_id, &proposal_id, true)
        .await
        .expect_problem(403, "forbidden");
    let a = post(&format!(
        "/incidents/{parent_id}/sub-problems/{proposal_id}/decision"
    ))
    .token(&owner)
    .json(&json!({}))
    .send()
    .await
    .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["accept"]);

    // A proposal belongs to its incident: another incident of the same owner does not know it.
    let other = submit(&owner, &submission()).await.expect(201).body;
    decide_sub_problem(&owner, text(&other, "incident_id"), &proposal_id, true)
        .await
        .expect_problem(404, "not_found");

    assert_eq!(pack_remaining(&owner, &pack_id).await, 3);
    decide_sub_problem(&owner, &parent_id, &proposal_id, false)
        .await
        .expect(200);
}

// ---------------------------------------------------------------------------------------------
// The engineers' queue
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_queue_lists_the_earliest_deadline_first_and_drops_responded_incidents() {
    let owner = User::customer();
    let engineer = User::engineer();
    buy_pack(&owner, "five_pack").await;
    let c = submit(&owner, &submission()).await.expect(201).body;
    let a_body = with(submission(), json!({"severity": "A", "handling": "24x7"}));
    let a = submit(&owner, &a_body).await.expect(201).body;
    let (c_id, a_id) = (text(&c, "incident_id"), text(&a, "incident_id"));
    assert!(a["first_response_due_at"].as_str() < c["first_response_due_at"].as_str());

    let queue = whole_queue(&engineer).await;
    let position = |id: &str| queue.iter().position(|(i, _)| i == id);
    let (Some(a_at), Some(c_at)) = (position(a_id), position(c_id)) else {
        panic!("both incidents are queued: {queue:?}");
    };
    assert!(a_at < c_at, "severity A (due first) is listed first");
    assert!(
        queue.windows(2).all(|w| w[0].1 <= w[1].1),
        "earliest first_response_due_at first"
    );

    respond(&engineer, a_id, "On it.").await.expect(201);
    let queue = whole_queue(&engineer).await;
    assert!(
        !queue.iter().any(|(i, _)| i == a_id),
        "responded: left the queue"
    );
    assert!(queue.iter().any(|(i, _)| i == c_id));
}

#[tokio::test]
async fn the_queue_pages_with_limit_and_cursor() {
    let owner = User::customer();
    let engineer = User::engineer();
    buy_pack(&owner, "five_pack").await;
    submit(&owner, &submission()).await.expect(201);
    submit(&owner, &submission()).await.expect(201);
    let first = get("/queue?limit=1")
        .token(&engineer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(first["items"].as_array().map(Vec::len), Some(1));
    let cursor = text(&first, "next_cursor");
    let second = get(&format!("/queue?limit=1&cursor={cursor}"))
        .token(&engineer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1));
    assert!(
        first["items"][0]["first_response_due_at"].as_str()
            <= second["items"][0]["first_response_due_at"].as_str()
    );
    get("/queue?limit=0")
        .token(&engineer)
        .send()
        .await
        .expect_problem(400, "invalid_request");
    let a = get("/queue?cursor=not-a-cursor")
        .token(&engineer)
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["cursor"]);
}

#[tokio::test]
async fn a_customer_may_not_read_the_queue() {
    get("/queue")
        .token(&User::customer())
        .send()
        .await
        .expect_problem(403, "forbidden");
}

/// The deployed path: the authorizer's bracketed groups claim makes the caller an engineer.
#[tokio::test]
async fn the_queue_answers_an_engineer_identified_by_authorizer_claims() {
    let event = http_event(
        "GET",
        "/queue",
        json!({"sub": "eng-from-authorizer", "cognito:groups": "[support-engineers]"}),
    );
    let out = lambda_invoke("response", &event).await;
    assert_eq!(out["statusCode"], 200, "{out}");
    let body: Value = serde_json::from_str(out["body"].as_str().expect("body")).expect("json");
    assert!(body["items"].is_array());
}
