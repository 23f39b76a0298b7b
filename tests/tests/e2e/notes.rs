//! Internal notes (API.md "Internal notes and open proposals"): staff write and read them; the
//! customer never meets one — not in its incident, its timeline pages (nor in their length or
//! cursors), its attachment list, nor any e-mail.

use e2e::*;
use serde_json::{json, Value};

/// A customer with a pack and an incident whose contact is a fresh address; its id.
async fn incident_with_contact(customer: &User, contact: &str) -> String {
    buy_pack(customer, "five_pack").await;
    let mut body = submission();
    body["contact"] = json!({"name": "Ola", "email": contact, "language": "en"});
    submit(customer, &body).await.expect(201).body["incident_id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn note(engineer: &User, id: &str, text: &str) -> Answer {
    post(&format!("/incidents/{id}/notes"))
        .token(engineer)
        .json(&json!({ "note": text }))
        .send()
        .await
}

async fn respond(engineer: &User, id: &str, text: &str) {
    post(&format!("/incidents/{id}/responses"))
        .token(engineer)
        .json(&json!({"message": text, "channel": "email"}))
        .send()
        .await
        .expect(201);
}

/// Every page of the timeline as `user` reads it, `limit` at a time: the pages' events.
async fn pages(user: &User, id: &str, limit: usize) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => format!("/incidents/{id}/timeline?limit={limit}"),
            Some(c) => format!("/incidents/{id}/timeline?limit={limit}&cursor={c}"),
        };
        let page = get(&path).token(user).send().await.expect(200).body;
        let items = page["items"].as_array().expect("items").clone();
        out.push(items);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
        assert!(out.len() < 100, "the timeline never ends");
    }
}

fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["kind"].as_str().expect("kind").to_string())
        .collect()
}

#[tokio::test]
async fn a_customer_never_sees_an_internal_note_nor_its_trace_and_staff_see_each_where_it_was_written(
) {
    let customer = User::customer();
    let engineer = User::engineer_named("Grace Hopper");
    let contact = new_address("notes");
    let id = incident_with_contact(&customer, &contact).await;
    let secret = format!("SECRET-{}", store::ids::new_id("n"));

    // submitted, note 1, response, note 2, note 3 — the last two after every customer event.
    let first = note(&engineer, &id, &format!("{secret} one"))
        .await
        .expect(201)
        .body;
    assert_eq!(first["kind"], "internal_note");
    assert_eq!(first["note"], format!("{secret} one"));
    assert_eq!(first["actor_account_id"], engineer.account_id.as_str());
    assert_eq!(first["actor_display_name"], "Grace Hopper");
    respond(&engineer, &id, "We are on it.").await;
    for n in ["two", "three"] {
        note(&engineer, &id, &format!("{secret} {n}"))
            .await
            .expect(201);
    }

    // Staff: every event and note, in the order written, in the incident and in pages of any size.
    let staff_view = get(&format!("/incidents/{id}"))
        .token(&engineer)
        .send()
        .await
        .expect(200)
        .body;
    let staff_timeline = staff_view["timeline"].as_array().expect("timeline").clone();
    assert_eq!(
        kinds(&staff_timeline),
        [
            "submitted",
            "internal_note",
            "response",
            "assigned",
            "internal_note",
            "internal_note"
        ]
    );
    for limit in [1, 2, 4] {
        let all: Vec<Value> = pages(&engineer, &id, limit).await.concat();
        assert_eq!(all, staff_timeline, "staff pages of {limit}");
    }
    let admin = get(&format!("/incidents/{id}"))
        .token(&User::admin())
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(admin["timeline"], staff_view["timeline"]);

    // The customer: the same incident without the notes, and nothing that counts them.
    let mine = get(&format!("/incidents/{id}"))
        .token(&customer)
        .send()
        .await
        .expect(200)
        .body;
    assert!(!mine.to_string().contains(&secret), "{mine}");
    assert!(!mine.to_string().contains("internal_note"), "{mine}");
    let visible: Vec<Value> = staff_timeline
        .iter()
        .filter(|e| e["kind"] != "internal_note")
        .cloned()
        .collect();
    assert_eq!(mine["timeline"].as_array().expect("timeline"), &visible);
    assert_eq!(mine["timeline_next_cursor"], Value::Null);
    for limit in [1, 2, 3] {
        let pages = pages(&customer, &id, limit).await;
        // Every page but the last is full, and the last is not empty: no note shortens a page or
        // leaves a cursor that leads only to notes.
        for (i, page) in pages.iter().enumerate() {
            if i + 1 < pages.len() {
                assert_eq!(page.len(), limit, "page {i} of {limit}: {pages:?}");
            } else {
                assert!(!page.is_empty(), "an empty last page of {limit}: {pages:?}");
            }
        }
        assert_eq!(pages.concat(), visible, "customer pages of {limit}");
    }
    // Exactly as long as the visible timeline: the last visible event ends it.
    let whole = get(&format!("/incidents/{id}/timeline?limit={}", visible.len()))
        .token(&customer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(whole["next_cursor"], Value::Null, "{whole}");
    let listed = get(&format!("/incidents/{id}/attachments"))
        .token(&customer)
        .send()
        .await
        .expect(200)
        .body;
    assert!(!listed.to_string().contains(&secret));
    let list = get("/incidents").token(&customer).send().await.expect(200);
    assert!(!list.body.to_string().contains(&secret));
    assert!(!list.body.to_string().contains("note_count"));

    // E-mail: the response's mail reaches the contact (the relay is past the notes before it),
    // then one more visible event after the last notes; no message anywhere carries a note.
    mail_to(&contact, "An engineer has responded", 1).await;
    respond(&engineer, &id, "Please try the patch.").await;
    let responses = mail_to(&contact, "An engineer has responded", 2).await;
    assert_eq!(responses.len(), 2, "{responses:?}");
    let leaked: Vec<SentMail> = outbox()
        .await
        .into_iter()
        .filter(|m| {
            m.subject.contains(&secret) || m.body.contains(&secret) || m.text.contains(&secret)
        })
        .collect();
    assert!(leaked.is_empty(), "a note was mailed: {leaked:?}");
}

#[tokio::test]
async fn a_note_has_one_to_ten_thousand_characters_is_staffs_alone_and_may_follow_the_closure() {
    let customer = User::customer();
    let engineer = User::engineer();
    let id = incident_with_contact(&customer, &new_address("notes-limits")).await;

    let refused = note(&engineer, &id, &"x".repeat(10_001))
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(refused.error_fields(), ["note"]);
    note(&engineer, &id, "   ")
        .await
        .expect_problem(400, "invalid_request");
    note(&engineer, &id, &"ż".repeat(10_000)).await.expect(201);

    // The customer may not write one; another customer does not learn the incident exists.
    note(&customer, &id, "mine")
        .await
        .expect_problem(403, "forbidden");
    note(&User::customer(), &id, "theirs")
        .await
        .expect_problem(403, "forbidden");
    note(&engineer, "inc_00000000000000000000000000", "nobody's")
        .await
        .expect_problem(404, "not_found");

    // Closed: a note is still welcome, and the customer still sees none.
    post(&format!("/incidents/{id}/resolution"))
        .token(&engineer)
        .json(&json!({"outcome": "resolved", "solutions": ["Patched"]}))
        .send()
        .await
        .expect(200);
    let after = note(&engineer, &id, "Follow up in a week")
        .await
        .expect(201)
        .body;
    assert_eq!(after["kind"], "internal_note");
    let mine = get(&format!("/incidents/{id}"))
        .token(&customer)
        .send()
        .await
        .expect(200)
        .body;
    assert!(!mine.to_string().contains("internal_note"));
    assert!(!mine.to_string().contains("Follow up in a week"));
    let theirs = get(&format!("/incidents/{id}"))
        .token(&engineer)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(
        theirs["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .filter(|e| e["kind"] == "internal_note")
            .count(),
        2
    );
}

#[tokio::test]
async fn a_staff_answer_to_a_change_shows_the_notes_and_the_customers_does_not() {
    let customer = User::customer();
    let engineer = User::engineer();
    let id = incident_with_contact(&customer, &new_address("notes-answer")).await;
    note(&engineer, &id, "Check the cluster logs first")
        .await
        .expect(201);
    // Staff change it (a scope proposal): the answer's timeline carries the note.
    let staff = post(&format!("/incidents/{id}/scope"))
        .token(&engineer)
        .json(&json!({"problem_statement": "Cluster fails", "resolution_criteria": "It starts"}))
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(
        kinds(staff["timeline"].as_array().expect("timeline")),
        ["submitted", "internal_note", "scope_proposed"]
    );
    // The customer's answer to its own change does not.
    let mine = post(&format!("/incidents/{id}/scope/decision"))
        .token(&customer)
        .json(&json!({"accept": true}))
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(
        kinds(mine["timeline"].as_array().expect("timeline")),
        ["submitted", "scope_proposed", "scope_accepted"]
    );
}
