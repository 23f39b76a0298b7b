//! People see numbers and names, not ids: every incident's short `number` (unique, typable,
//! found by `GET /incidents/by-number/{number}`, in e-mail subjects instead of the id) and each
//! event's `actor_display_name`.

use e2e::*;
use serde_json::{json, Value};

fn is_number(n: &str) -> bool {
    let symbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    n.len() == 8
        && n.as_bytes()[3] == b'-'
        && n.chars()
            .enumerate()
            .all(|(i, c)| i == 3 || symbols.contains(c))
}

async fn by_number(user: &User, number: &str) -> Answer {
    get(&format!("/incidents/by-number/{number}"))
        .token(user)
        .send()
        .await
}

#[tokio::test]
async fn every_incident_has_its_own_number_found_by_its_owner_and_staff_and_by_nobody_else() {
    let customer = User::customer();
    buy_pack(&customer, "five_pack").await;
    let mut numbers = Vec::new();
    for _ in 0..3 {
        let incident = submit(&customer, &submission()).await.expect(201).body;
        let number = incident["number"].as_str().expect("number").to_string();
        assert!(is_number(&number), "{number}");
        numbers.push((incident["incident_id"].clone(), number));
    }
    let mut distinct: Vec<&String> = numbers.iter().map(|(_, n)| n).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "{numbers:?}");

    let (id, number) = &numbers[0];
    // As people type it: lower case, no dash, O for 0 and L for 1.
    let typed = number
        .replace('-', "")
        .to_lowercase()
        .replace('0', "o")
        .replace('1', "l");
    for (user, asked) in [
        (&customer, number.clone()),
        (&customer, typed.clone()),
        (&User::engineer(), number.clone()),
        (&User::admin(), number.clone()),
    ] {
        let found = by_number(user, &asked).await.expect(200).body;
        assert_eq!(&found["incident_id"], id, "{asked}");
        assert_eq!(found["number"], number.as_str());
        assert!(found["timeline"].is_array());
    }
    // Another customer's, a well-formed number nobody holds, and no number at all: 404 alike.
    by_number(&User::customer(), number)
        .await
        .expect_problem(404, "not_found");
    let nobodys = if number.starts_with('Z') {
        "Y00-0000"
    } else {
        "Z00-0000"
    };
    by_number(&customer, nobodys)
        .await
        .expect_problem(404, "not_found");
    for bad in ["not-a-number", "K7M-4QXU", "K7M4QX99", "%20"] {
        by_number(&customer, bad)
            .await
            .expect_problem(404, "not_found");
    }
    // The list shows numbers too.
    let list = get("/incidents")
        .token(&customer)
        .send()
        .await
        .expect(200)
        .body;
    for item in list["items"].as_array().expect("items") {
        assert!(is_number(item["number"].as_str().expect("number")));
    }
}

#[tokio::test]
async fn e_mail_subjects_carry_the_number_and_never_the_id() {
    let customer = User::customer();
    buy_pack(&customer, "five_pack").await;
    let contact = new_address("numbers");
    let mut body = submission();
    body["contact"] = json!({"name": "Ola", "email": contact, "language": "en"});
    let incident = submit(&customer, &body).await.expect(201).body;
    let id = incident["incident_id"].as_str().expect("id").to_string();
    let number = incident["number"].as_str().expect("number").to_string();
    post(&format!("/incidents/{id}/responses"))
        .token(&User::engineer())
        .json(&json!({"message": "Looking.", "channel": "email"}))
        .send()
        .await
        .expect(201);
    let mail = mail_to(&contact, "An engineer has responded", 1).await;
    let all: Vec<SentMail> = outbox()
        .await
        .into_iter()
        .filter(|m| m.to.contains(&contact))
        .collect();
    assert!(all.len() >= 2, "confirmation and response: {all:?}");
    for m in &all {
        assert!(
            m.subject.starts_with(&format!("[{number}] ")),
            "{}",
            m.subject
        );
        assert!(!m.subject.contains(&id), "{}", m.subject);
        assert!(!m.subject.contains("[inc_"), "{}", m.subject);
        // Replies still find the incident: by the Reply-To token, not the subject.
        assert_eq!(m.reply_to.len(), 1, "{m:?}");
        assert!(m.reply_to[0].starts_with("reply+"), "{m:?}");
    }
    assert_eq!(mail.len(), 1);
    let team = mail_to(
        &std::env::var("SUPPORT_TEAM_EMAIL").expect("team"),
        &format!("[{number}] New severity"),
        1,
    )
    .await;
    assert_eq!(team.len(), 1);
}

#[tokio::test]
async fn events_name_their_authors_for_people_and_a_sub_problem_says_which_it_became() {
    let customer = User::customer();
    buy_pack(&customer, "five_pack").await;
    let incident = submit(&customer, &submission()).await.expect(201).body;
    let id = incident["incident_id"].as_str().expect("id").to_string();
    // The customer's token has no `name`: the e-mail's local part.
    let submitted = &incident["timeline"][0];
    assert_eq!(submitted["kind"], "submitted");
    assert_eq!(
        submitted["actor_display_name"],
        customer.account_id.as_str(),
        "{submitted}"
    );
    let grace = User::engineer_named("Grace Hopper");
    let proposal = post(&format!("/incidents/{id}/sub-problems"))
        .token(&grace)
        .json(&json!({"title": "Backups fail too", "description": "The nightly job"}))
        .send()
        .await
        .expect(201)
        .body;
    let proposal_id = proposal["proposal_id"]
        .as_str()
        .expect("proposal")
        .to_string();
    let child = post(&format!(
        "/incidents/{id}/sub-problems/{proposal_id}/decision"
    ))
    .token(&customer)
    .json(&json!({"accept": true}))
    .send()
    .await
    .expect(201)
    .body;
    let child_number = child["number"].as_str().expect("number");
    assert!(is_number(child_number));
    assert_ne!(child_number, incident["number"].as_str().expect("number"));
    by_number(&customer, child_number).await.expect(200);

    // What the customer reads: the engineer by name, and which sub-problem became what.
    let parent = get(&format!("/incidents/{id}"))
        .token(&customer)
        .send()
        .await
        .expect(200)
        .body;
    let events = parent["timeline"].as_array().expect("timeline");
    let of = |kind: &str| -> Value {
        events
            .iter()
            .find(|e| e["kind"] == kind)
            .unwrap_or_else(|| panic!("{kind} in {events:?}"))
            .clone()
    };
    assert_eq!(
        of("sub_problem_proposed")["actor_display_name"],
        "Grace Hopper"
    );
    let accepted = of("sub_problem_accepted");
    assert_eq!(accepted["title"], "Backups fail too");
    assert_eq!(accepted["child_incident_id"], child["incident_id"]);
    assert_eq!(accepted["child_number"], child_number);
    assert_eq!(accepted["proposal_id"], proposal_id.as_str());
    assert_eq!(accepted["actor_display_name"], customer.account_id.as_str());
    for e in events {
        assert!(
            e.as_object()
                .expect("event")
                .contains_key("actor_display_name"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn a_claim_shows_the_order_confirmation_number_typed_not_the_pack_id() {
    let buyer = User::customer();
    let pack = buy_pack(&buyer, "single").await;
    let number = pack["order_confirmation_number"].as_str().expect("number");
    let claimant = User::customer();
    // Typed as people type it: lower case, spaces for dashes.
    let typed = number.replace('-', " ").to_lowercase();
    let claim = post("/pack-claims")
        .token(&claimant)
        .json(&json!({"order_confirmation_number": typed, "reason": "Our former admin bought it."}))
        .send()
        .await
        .expect(201)
        .body;
    assert_eq!(claim["order_confirmation_number"], number);
    let claim_id = claim["claim_id"].as_str().expect("claim");
    let admin = User::admin();
    let mut path = "/pack-claims?limit=100".to_string();
    let listed = loop {
        let page = get(&path).token(&admin).send().await.expect(200).body;
        if let Some(found) = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|c| c["claim_id"] == claim_id)
        {
            break found.clone();
        }
        path = format!(
            "/pack-claims?limit=100&cursor={}",
            page["next_cursor"].as_str().expect("the claim is pending")
        );
    };
    assert_eq!(listed["order_confirmation_number"], number);
    let decided = post(&format!("/pack-claims/{claim_id}/decision"))
        .token(&admin)
        .json(&json!({"approve": false, "note": "Not confirmed"}))
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(decided["order_confirmation_number"], number);
}
