//! Ownership and hand-off (API.md "Ownership"): taking, handing off and releasing an incident
//! with every refusal, the race of ten engineers for one incident, a hand-off racing a response,
//! the engineers registry and its open-incident counts, the filtered lists (`GET /incidents`
//! for staff, `GET /queue?owner=`), and who is mailed (the owner, the admins, the new owner).
//! Every test uses fresh accounts; lists shared with other tests are checked by what they must
//! and must not hold, an engineer's own lists exactly.

use super::notifications::{count_mail, event_record, notify};
use e2e::*;
use serde_json::{json, Value};

fn support_team() -> String {
    std::env::var("SUPPORT_TEAM_EMAIL").expect("SUPPORT_TEAM_EMAIL is set by the stack")
}

fn support_admins() -> String {
    std::env::var("SUPPORT_ADMINS_EMAIL").expect("SUPPORT_ADMINS_EMAIL is set by the stack")
}

/// An engineer who has used the API (so it is a known engineer).
async fn registered(engineer: User) -> User {
    get("/queue?limit=1")
        .token(&engineer)
        .send()
        .await
        .expect(200);
    engineer
}

/// A fresh customer's incident (severity C unless `changes` say otherwise); its id.
async fn new_incident(customer: &User, changes: Value) -> String {
    let mut body = submission();
    for (k, v) in changes.as_object().expect("an object") {
        body[k] = v.clone();
    }
    let incident = submit(customer, &body).await.expect(201).body;
    incident["incident_id"].as_str().expect("id").to_string()
}

async fn customer_with_pack() -> User {
    let customer = User::customer();
    buy_pack(&customer, "five_pack").await;
    customer
}

fn severity_a() -> Value {
    json!({"severity": "A", "handling": "24x7",
           "contact": {"name": "Ola", "email": "ola@customer.example", "phone": "+48 600 100 200"}})
}

async fn assign(user: &User, id: &str, body: Value) -> Answer {
    post(&format!("/incidents/{id}/assignment"))
        .token(user)
        .json(&body)
        .send()
        .await
}

async fn take(engineer: &User, id: &str) -> Answer {
    assign(
        engineer,
        id,
        json!({"owner_account_id": engineer.account_id}),
    )
    .await
}

async fn incident(user: &User, id: &str) -> Value {
    get(&format!("/incidents/{id}"))
        .token(user)
        .send()
        .await
        .expect(200)
        .body
}

fn events_of<'a>(incident: &'a Value, kind: &str) -> Vec<&'a Value> {
    incident["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

fn owner_of(incident: &Value) -> Option<String> {
    incident["owner"]["account_id"].as_str().map(str::to_string)
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["incident_id"].as_str().expect("id").to_string())
        .collect()
}

async fn list(user: &User, query: &str) -> Value {
    get(&format!("/incidents?{query}"))
        .token(user)
        .send()
        .await
        .expect(200)
        .body
}

async fn open_count(engineer: &User) -> i64 {
    let all = get("/engineers")
        .token(engineer)
        .send()
        .await
        .expect(200)
        .body;
    all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["account_id"] == engineer.account_id.as_str())
        .unwrap_or_else(|| panic!("{} is registered: {all}", engineer.account_id))["open_incidents"]
        .as_i64()
        .expect("a count")
}

async fn respond(engineer: &User, id: &str) -> Answer {
    post(&format!("/incidents/{id}/responses"))
        .token(engineer)
        .json(&json!({"message": "Looking at it now.", "channel": "email"}))
        .send()
        .await
}

#[tokio::test]
async fn an_engineer_takes_hands_off_and_releases_and_every_other_move_is_refused() {
    let customer = customer_with_pack().await;
    let ada = registered(User::engineer_named("Ada Lovelace")).await;
    let grace = registered(User::engineer_named("Grace Hopper")).await;
    let admin = User::admin();
    let id = new_incident(&customer, json!({})).await;
    assert_eq!(incident(&customer, &id).await["owner"], Value::Null);

    // Take: one assigned event, the owner shown with its display name (the customer sees it).
    let taken = take(&ada, &id).await.expect(200).body;
    assert_eq!(
        taken["owner"],
        json!({"account_id": ada.account_id, "display_name": "Ada Lovelace"})
    );
    let assigned = events_of(&taken, "assigned");
    assert_eq!(assigned.len(), 1, "{taken}");
    assert_eq!(assigned[0]["owner_account_id"], ada.account_id.as_str());
    assert_eq!(assigned[0]["previous_owner_account_id"], Value::Null);
    assert_eq!(assigned[0]["actor_account_id"], ada.account_id.as_str());
    assert_eq!(
        incident(&customer, &id).await["owner"]["display_name"],
        "Ada Lovelace"
    );
    // Taking it again: a 200 no-op, no second event.
    let again = take(&ada, &id).await.expect(200).body;
    assert_eq!(events_of(&again, "assigned").len(), 1);
    // Taking someone else's: 409; handing off or releasing someone else's: 403.
    take(&grace, &id).await.expect_problem(409, "invalid_state");
    assign(&grace, &id, json!({"owner_account_id": grace.account_id}))
        .await
        .expect_problem(409, "invalid_state");
    assign(&grace, &id, json!({"owner_account_id": null}))
        .await
        .expect_problem(403, "forbidden");
    let third = registered(User::engineer()).await;
    assign(&grace, &id, json!({"owner_account_id": third.account_id}))
        .await
        .expect_problem(403, "forbidden");
    // Not a known engineer: a customer, an unknown id (after the right to assign is checked).
    assign(&ada, &id, json!({"owner_account_id": customer.account_id}))
        .await
        .expect_problem(422, "not_an_engineer");
    assign(&ada, &id, json!({"owner_account_id": "acct_nobody_knows"}))
        .await
        .expect_problem(422, "not_an_engineer");
    // Bad bodies: a note over 2,000 characters, no owner member at all.
    let long = assign(
        &ada,
        &id,
        json!({"owner_account_id": grace.account_id, "note": "x".repeat(2001)}),
    )
    .await
    .expect_problem(400, "invalid_request");
    assert_eq!(long.error_fields(), ["note"]);
    let missing = assign(&ada, &id, json!({"note": "hi"}))
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(missing.error_fields(), ["owner_account_id"]);
    // A customer may not assign, even its own incident.
    assign(&customer, &id, json!({"owner_account_id": ada.account_id}))
        .await
        .expect_problem(403, "forbidden");
    assign(
        &ada,
        "inc_does_not_exist",
        json!({"owner_account_id": null}),
    )
    .await
    .expect_problem(404, "not_found");

    // Hand off with a note, then an admin moves it back, then the owner releases it.
    let handed = assign(
        &ada,
        &id,
        json!({"owner_account_id": grace.account_id, "note": "Customer prefers mornings."}),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        owner_of(&handed).as_deref(),
        Some(grace.account_id.as_str())
    );
    let last = *events_of(&handed, "assigned").last().expect("assigned");
    assert_eq!(last["previous_owner_account_id"], ada.account_id.as_str());
    assert_eq!(last["note"], "Customer prefers mornings.");
    let moved = assign(&admin, &id, json!({"owner_account_id": ada.account_id}))
        .await
        .expect(200)
        .body;
    assert_eq!(owner_of(&moved).as_deref(), Some(ada.account_id.as_str()));
    let released = assign(&ada, &id, json!({"owner_account_id": null}))
        .await
        .expect(200)
        .body;
    assert_eq!(released["owner"], Value::Null);
    assert_eq!(events_of(&released, "assigned").len(), 4);

    // Closed: 409, for the admin too.
    post(&format!("/incidents/{id}/resolution"))
        .token(&ada)
        .json(&json!({"outcome": "resolved", "solutions": ["Restarted the service"]}))
        .send()
        .await
        .expect(200);
    take(&ada, &id).await.expect_problem(409, "invalid_state");
    assign(&admin, &id, json!({"owner_account_id": ada.account_id}))
        .await
        .expect_problem(409, "invalid_state");
}

#[tokio::test]
async fn of_ten_engineers_taking_one_unowned_incident_at_once_exactly_one_wins() {
    let customer = customer_with_pack().await;
    let id = new_incident(&customer, json!({})).await;
    let mut engineers = Vec::new();
    for _ in 0..10 {
        engineers.push(registered(User::engineer()).await);
    }
    let answers = futures::future::join_all(engineers.iter().map(|e| take(e, &id))).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        9,
        "{statuses:?}"
    );
    let winner = engineers[statuses.iter().position(|s| *s == 200).expect("a winner")].clone();
    let stored = incident(&winner, &id).await;
    assert_eq!(
        owner_of(&stored).as_deref(),
        Some(winner.account_id.as_str())
    );
    let assigned = events_of(&stored, "assigned");
    assert_eq!(assigned.len(), 1, "one assigned event: {stored}");
    assert_eq!(assigned[0]["actor_account_id"], winner.account_id.as_str());
    assert_eq!(open_count(&winner).await, 1);
    for loser in engineers
        .iter()
        .filter(|e| e.account_id != winner.account_id)
    {
        assert_eq!(open_count(loser).await, 0);
    }
}

#[tokio::test]
async fn the_first_response_assigns_its_author_and_a_hand_off_racing_a_response_both_land() {
    let customer = customer_with_pack().await;
    let ada = registered(User::engineer_named("Ada Lovelace")).await;
    let grace = registered(User::engineer()).await;
    let linus = registered(User::engineer()).await;
    let id = new_incident(&customer, json!({})).await;
    // The first response to an unowned incident makes its author the owner, in the same write.
    respond(&ada, &id).await.expect(201);
    let after = incident(&ada, &id).await;
    assert_eq!(owner_of(&after).as_deref(), Some(ada.account_id.as_str()));
    let kinds: Vec<&str> = after["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["submitted", "response", "assigned"]);
    assert_eq!(open_count(&ada).await, 1);
    // A later response by someone else changes nothing about ownership.
    respond(&linus, &id).await.expect(201);
    assert_eq!(
        owner_of(&incident(&ada, &id).await).as_deref(),
        Some(ada.account_id.as_str())
    );

    // The owner hands off while a colleague responds: both land, in commit order.
    let hand_off = assign(
        &ada,
        &id,
        json!({"owner_account_id": grace.account_id, "note": "Off shift"}),
    );
    let (handed, responded) = tokio::join!(hand_off, respond(&linus, &id));
    handed.expect(200);
    let response = responded.expect(201).body;
    assert_eq!(response["actor_account_id"], linus.account_id.as_str());
    let stored = incident(&grace, &id).await;
    assert_eq!(
        owner_of(&stored).as_deref(),
        Some(grace.account_id.as_str())
    );
    let timeline = stored["timeline"].as_array().expect("timeline");
    let ats: Vec<&str> = timeline
        .iter()
        .map(|e| e["at"].as_str().unwrap_or_default())
        .collect();
    let mut sorted = ats.clone();
    sorted.sort();
    assert_eq!(ats, sorted, "commit order: at never decreases");
    let responses: Vec<&Value> = timeline
        .iter()
        .filter(|e| e["kind"] == "response")
        .collect();
    assert_eq!(responses.len(), 3);
    assert_eq!(responses[2]["actor_account_id"], linus.account_id.as_str());
    assert_eq!(events_of(&stored, "assigned").len(), 2);
    assert_eq!(open_count(&ada).await, 0);
    assert_eq!(open_count(&grace).await, 1);
    assert_eq!(open_count(&linus).await, 0);
}

#[tokio::test]
async fn the_engineers_registry_names_each_engineer_and_counts_moves_with_every_change() {
    let customer = customer_with_pack().await;
    let ada = registered(User::engineer_named("Ada Lovelace")).await;
    let plain = registered(User::engineer()).await;
    let all = get("/engineers").token(&ada).send().await.expect(200).body;
    let me = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["account_id"] == ada.account_id.as_str())
        .expect("registered")
        .clone();
    assert_eq!(
        me,
        json!({"account_id": ada.account_id, "display_name": "Ada Lovelace",
               "email": ada.email(), "open_incidents": 0})
    );
    let plain_entry = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["account_id"] == plain.account_id.as_str())
        .expect("registered")
        .clone();
    assert_eq!(
        plain_entry["display_name"],
        plain.account_id.as_str(),
        "no name claim: the address before @"
    );
    get("/engineers")
        .token(&customer)
        .send()
        .await
        .expect_problem(403, "forbidden");
    get("/engineers")
        .token(&User::admin())
        .send()
        .await
        .expect(200);

    let one = new_incident(&customer, json!({})).await;
    let two = new_incident(&customer, json!({})).await;
    let three = new_incident(&customer, json!({})).await;
    take(&ada, &one).await.expect(200);
    take(&ada, &two).await.expect(200);
    take(&ada, &three).await.expect(200);
    assert_eq!(open_count(&ada).await, 3);
    // Hand-off moves one over; a release takes one off.
    assign(&ada, &one, json!({"owner_account_id": plain.account_id}))
        .await
        .expect(200);
    assert_eq!((open_count(&ada).await, open_count(&plain).await), (2, 1));
    assign(&ada, &two, json!({"owner_account_id": null}))
        .await
        .expect(200);
    assert_eq!(open_count(&ada).await, 1);
    // Closing an owned incident: resolved counts off at once.
    post(&format!("/incidents/{one}/resolution"))
        .token(&plain)
        .json(&json!({"outcome": "resolved", "solutions": ["Patched"]}))
        .send()
        .await
        .expect(200);
    assert_eq!(open_count(&plain).await, 0);
    // Closed by the customer: open until the charge is decided.
    post(&format!("/incidents/{three}/closure-request"))
        .token(&customer)
        .json(&json!({"reason": "Solved it ourselves"}))
        .send()
        .await
        .expect(200);
    assert_eq!(open_count(&ada).await, 1, "charge pending: still open");
    post(&format!("/incidents/{three}/charge-decision"))
        .token(&ada)
        .json(&json!({"charge": "refunded"}))
        .send()
        .await
        .expect(200);
    assert_eq!(open_count(&ada).await, 0);
}

#[tokio::test]
async fn staff_filter_incidents_by_owner_status_severity_and_sla_from_indexes_with_sealed_cursors()
{
    let customer = customer_with_pack().await;
    let ada = registered(User::engineer()).await;
    let admin = User::admin();
    let c_old = new_incident(&customer, json!({})).await;
    let a = new_incident(&customer, severity_a()).await;
    let c_new = new_incident(&customer, json!({})).await;
    let unowned = new_incident(&customer, json!({})).await;
    let resolved = new_incident(&customer, json!({})).await;
    for id in [&c_old, &a, &c_new, &resolved] {
        take(&ada, id).await.expect(200);
    }
    respond(&ada, &c_new).await.expect(201);
    post(&format!("/incidents/{resolved}/resolution"))
        .token(&ada)
        .json(&json!({"outcome": "resolved", "solutions": ["Done"]}))
        .send()
        .await
        .expect(200);

    // The caller's incidents, newest first (created in the same second, they are in any order
    // among themselves); the same list by account id for an admin.
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let mine = ids(&list(&ada, "owner=me&limit=100").await);
    assert_eq!(
        sorted(mine.clone()),
        sorted(vec![
            resolved.clone(),
            c_new.clone(),
            a.clone(),
            c_old.clone()
        ])
    );
    let by_id = ids(&list(&admin, &format!("owner={}&limit=100", ada.account_id)).await);
    assert_eq!(sorted(by_id), sorted(mine));
    // Combined filters.
    assert_eq!(
        ids(&list(&ada, "owner=me&severity=A").await),
        vec![a.clone()]
    );
    assert_eq!(
        ids(&list(&ada, "owner=me&status=in_progress").await),
        vec![c_new.clone()]
    );
    assert_eq!(
        ids(&list(&ada, "owner=me&status=awaiting_response&severity=C").await),
        vec![c_old.clone()]
    );
    assert_eq!(
        sorted(ids(&list(&ada, "owner=me&sla=met").await)),
        sorted(vec![resolved.clone(), c_new.clone()])
    );
    assert_eq!(
        ids(&list(&ada, "owner=me&sla=breached").await),
        Vec::<String>::new()
    );
    // Open, earliest deadline first: A (2 hours) before the C ones; the resolved one is not open.
    let open = ids(&list(&ada, "owner=me&open=true&limit=100").await);
    assert_eq!(open.len(), 3, "{open:?}");
    assert_eq!(open[0], a);
    assert!(!open.contains(&resolved));
    assert_eq!(
        ids(&list(&ada, "owner=me&open=true&severity=C").await).len(),
        2
    );
    // Unowned, and filters without an owner: every item fits.
    let none = list(&ada, "owner=none&limit=100").await;
    assert!(ids(&none).contains(&unowned), "{none}");
    assert!(none["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|i| i["owner"].is_null()));
    for (query, field, value) in [
        ("severity=A&limit=50", "severity", "A"),
        ("sla=met&limit=50", "sla", "met"),
        ("status=resolved&severity=C&limit=50", "status", "resolved"),
        (
            "status=awaiting_response&limit=50",
            "status",
            "awaiting_response",
        ),
    ] {
        let page = list(&admin, query).await;
        assert!(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .all(|i| i[field] == value),
            "{query}: {page}"
        );
    }
    assert!(ids(&list(&admin, "severity=A&limit=100").await).contains(&a));

    // Paging: one at a time through the caller's open list, with the sealed cursor.
    let first = list(&ada, "owner=me&open=true&limit=1").await;
    assert_eq!(ids(&first), vec![a.clone()]);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = list(&ada, &format!("owner=me&open=true&limit=1&cursor={cursor}")).await;
    assert_eq!(ids(&second).len(), 1);
    assert_ne!(ids(&second), ids(&first));
    // The cursor is bound to the filters and the caller; a forged one is refused.
    for (who, query) in [
        (&ada, format!("owner=me&limit=1&cursor={cursor}")),
        (
            &admin,
            format!("owner=me&open=true&limit=1&cursor={cursor}"),
        ),
        (
            &ada,
            "owner=me&open=true&limit=1&cursor=AAAAforgedAAAA".to_string(),
        ),
    ] {
        let refused = get(&format!("/incidents?{query}"))
            .token(who)
            .send()
            .await
            .expect_problem(400, "invalid_request");
        assert_eq!(refused.error_fields(), ["cursor"], "{query}");
    }
    // Bad filter values: 400 naming the parameter.
    for (query, field) in [
        ("owner=", "owner"),
        ("severity=D", "severity"),
        ("sla=late", "sla"),
        ("status=open", "status"),
        ("owner=me&open=yes", "open"),
        ("open=true", "open"),
        ("owner=none&open=true", "open"),
    ] {
        let refused = get(&format!("/incidents?{query}"))
            .token(&ada)
            .send()
            .await
            .expect_problem(400, "invalid_request");
        assert_eq!(refused.error_fields(), [field], "{query}");
    }
    // A customer's list is its own, whatever the staff filters say.
    let own = list(&customer, "owner=none&limit=100").await;
    assert_eq!(ids(&own).len(), 5);
}

#[tokio::test]
async fn the_queue_shows_the_callers_the_unowned_or_all_awaiting_incidents() {
    let customer = customer_with_pack().await;
    let ada = registered(User::engineer()).await;
    let mine = new_incident(&customer, json!({})).await;
    let free = new_incident(&customer, json!({})).await;
    take(&ada, &mine).await.expect(200);
    let queue = |query: &'static str| {
        let ada = ada.clone();
        async move {
            get(&format!("/queue?{query}"))
                .token(&ada)
                .send()
                .await
                .expect(200)
                .body
        }
    };
    assert_eq!(ids(&queue("owner=me&limit=100").await), vec![mine.clone()]);
    let none = queue("owner=none&limit=100").await;
    assert!(none["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|i| i["owner"].is_null()));
    assert!(!ids(&none).contains(&mine));
    let any = queue("limit=100").await;
    assert!(any["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|i| i["status"] == "awaiting_response"));
    let refused = get("/queue?owner=someone")
        .token(&ada)
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(refused.error_fields(), ["owner"]);
    // Answered: off the queue.
    respond(&ada, &mine).await.expect(201);
    assert!(ids(&queue("owner=me&limit=100").await).is_empty());
    let _ = free;
}

#[tokio::test]
async fn mail_goes_to_the_owner_the_admins_and_the_new_owner_and_a_release_tells_nobody() {
    let customer = customer_with_pack().await;
    let ada = registered(User::engineer_named("Ada Lovelace")).await;
    let grace = registered(User::engineer_named("Grace Hopper")).await;
    let contact = new_address("owned");
    let id = new_incident(
        &customer,
        json!({"calendar": "UK", "contact": {"name": "Lin", "email": contact}}),
    )
    .await;
    // The first response makes Ada the owner: the customer's message goes to her, not the team.
    respond(&ada, &id).await.expect(201);
    post(&format!("/incidents/{id}/messages"))
        .token(&customer)
        .json(&json!({"message": "The log is attached."}))
        .send()
        .await
        .expect(201);
    let to_ada = mail_to(
        &ada.email(),
        &format!("[{}] Customer message", number_of(&id).await),
        1,
    )
    .await;
    assert_eq!(to_ada.len(), 1, "{to_ada:?}");
    assert!(to_ada[0].body.contains("The log is attached."));
    assert!(
        to_ada[0]
            .body
            .contains("Severity: C – minimal business impact"),
        "{}",
        to_ada[0].body
    );
    assert_eq!(
        count_mail(
            &support_team(),
            &format!("[{}] Customer message", number_of(&id).await)
        )
        .await,
        0
    );

    // Handed to Grace with a note: she hears who and why.
    assign(
        &ada,
        &id,
        json!({"owner_account_id": grace.account_id, "note": "Customer is in Sydney: call after 22:00 UTC."}),
    )
    .await
    .expect(200);
    let to_grace = mail_to(
        &grace.email(),
        &format!("[{}] Assigned to you", number_of(&id).await),
        1,
    )
    .await;
    assert_eq!(to_grace.len(), 1, "{to_grace:?}");
    assert!(
        to_grace[0].body.contains("Ada Lovelace assigned incident"),
        "{}",
        to_grace[0].body
    );
    assert!(
        to_grace[0]
            .body
            .contains("Customer is in Sydney: call after 22:00 UTC."),
        "{}",
        to_grace[0].body
    );
    assert_eq!(
        count_mail(
            &ada.email(),
            &format!("[{}] Assigned to you", number_of(&id).await)
        )
        .await,
        0
    );

    // A breach reaches the team, the owner and the admins, once each (the record delivered
    // twice, as the stream may).
    let breach = event_record(
        "9100001",
        &id,
        90,
        "sla_breached",
        json!({"severity": "C", "first_response_due_at": "2026-12-01T14:00:00Z"}),
    );
    assert!(notify(std::slice::from_ref(&breach)).await.is_empty());
    assert!(notify(&[breach]).await.is_empty());
    let subject = format!("[{}] SLA breached", number_of(&id).await);
    for to in [support_admins(), grace.email(), support_team()] {
        let mail = mail_to(&to, &subject, 1).await;
        assert_eq!(mail.len(), 1, "{to}: {mail:?}");
    }
    assert_eq!(
        count_mail(&ada.email(), &subject).await,
        0,
        "no longer the owner"
    );

    // Released: nobody is told.
    assign(&grace, &id, json!({"owner_account_id": null}))
        .await
        .expect(200);
    // Unowned again: the next customer message goes to the team.
    post(&format!("/incidents/{id}/messages"))
        .token(&customer)
        .json(&json!({"message": "Anyone there?"}))
        .send()
        .await
        .expect(201);
    let team = mail_to(
        &support_team(),
        &format!("[{}] Customer message", number_of(&id).await),
        1,
    )
    .await;
    assert_eq!(team.len(), 1);
    assert_eq!(
        count_mail(
            &grace.email(),
            &format!("[{}] Assigned to you", number_of(&id).await)
        )
        .await,
        1
    );
    let assigned = format!("[{}] Assigned", number_of(&id).await);
    let about: Vec<SentMail> = outbox()
        .await
        .into_iter()
        .filter(|m| m.subject.contains(&assigned))
        .collect();
    assert_eq!(about.len(), 1, "the release mailed nobody: {about:?}");
}
