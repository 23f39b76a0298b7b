//! Staff's `GET /incidents?charge=pending`: the incidents whose charge awaits a decision, read
//! from the sparse list that holds exactly those, paged with the sealed cursors.

use e2e::*;
use serde_json::{json, Value};

async fn new_incident(customer: &User) -> String {
    submit(customer, &submission()).await.expect(201).body["incident_id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn ok(path: &str, user: &User, body: Value) {
    post(path).token(user).json(&body).send().await.expect(200);
}

/// Every incident of a staff list, all pages of `limit`.
async fn every_page(user: &User, query: &str, limit: usize) -> Vec<Value> {
    let mut all = Vec::new();
    let mut path = format!("/incidents?{query}&limit={limit}");
    for _ in 0..1_000 {
        let page = get(&path).token(user).send().await.expect(200).body;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= limit);
        all.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/incidents?{query}&limit={limit}&cursor={c}"),
            None => return all,
        }
    }
    panic!("the list never ends");
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["incident_id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn charge_pending_lists_exactly_the_incidents_whose_charge_awaits_a_decision() {
    let customer = User::customer();
    buy_pack(&customer, "five_pack").await;
    let grace = User::engineer();
    let admin = User::admin();
    let [first, second, resolved, decided, open] = [
        new_incident(&customer).await,
        new_incident(&customer).await,
        new_incident(&customer).await,
        new_incident(&customer).await,
        new_incident(&customer).await,
    ];
    // Grace owns all five (her first response assigns each).
    for id in [&first, &second, &resolved, &decided, &open] {
        post(&format!("/incidents/{id}/responses"))
            .token(&grace)
            .json(&json!({"message": "On it.", "channel": "email"}))
            .send()
            .await
            .expect(201);
    }
    // A second apart: closures are kept to the second, and the list orders a tie by id.
    for id in [&first, &second, &decided] {
        ok(
            &format!("/incidents/{id}/closure-request"),
            &customer,
            json!({"reason": "Fixed it ourselves"}),
        )
        .await;
        next_second().await;
    }
    ok(
        &format!("/incidents/{resolved}/resolution"),
        &grace,
        json!({"outcome": "resolved", "solutions": ["Patched"]}),
    )
    .await;
    ok(
        &format!("/incidents/{decided}/charge-decision"),
        &admin,
        json!({"charge": "refunded"}),
    )
    .await;

    // Grace's: exactly the two still to decide, earliest closure first, one per page too.
    let mine = format!("charge=pending&owner={}", grace.account_id);
    for limit in [1, 2, 25] {
        let listed = every_page(&admin, &mine, limit).await;
        assert_eq!(
            ids(&listed),
            [first.clone(), second.clone()],
            "pages of {limit}"
        );
        assert!(listed.iter().all(|i| i["charge"] == "pending"
            && i["status"] == "closed_by_customer"
            && i.get("timeline").is_none()));
    }
    let as_grace = every_page(&grace, "charge=pending&owner=me", 25).await;
    assert_eq!(ids(&as_grace), [first.clone(), second.clone()]);

    // Everyone's (other tests share the table): every one pending, ours in, the others out.
    let all = every_page(&admin, "charge=pending", 100).await;
    assert!(all.iter().all(|i| i["charge"] == "pending"), "{all:?}");
    let all = ids(&all);
    assert!(all.contains(&first) && all.contains(&second));
    for other in [&resolved, &decided, &open] {
        assert!(!all.contains(other), "{other} is not pending");
    }

    // Deciding takes it off the list.
    ok(
        &format!("/incidents/{first}/charge-decision"),
        &admin,
        json!({"charge": "consumed"}),
    )
    .await;
    assert_eq!(ids(&every_page(&admin, &mine, 25).await), [second]);
}

#[tokio::test]
async fn charge_takes_pending_alone_and_combines_with_the_owner_only() {
    let admin = User::admin();
    for query in [
        "charge=consumed",
        "charge=pending&status=closed_by_customer",
        "charge=pending&severity=C",
        "charge=pending&sla=met",
        "charge=pending&owner=me&open=true",
    ] {
        let refused = get(&format!("/incidents?{query}"))
            .token(&admin)
            .send()
            .await
            .expect_problem(400, "invalid_request");
        assert_eq!(refused.error_fields(), ["charge"], "{query}");
    }
    // A cursor of one list does not continue another.
    let customer = User::customer();
    buy_pack(&customer, "five_pack").await;
    for _ in 0..2 {
        let id = new_incident(&customer).await;
        ok(
            &format!("/incidents/{id}/closure-request"),
            &customer,
            json!({"reason": "Gone"}),
        )
        .await;
    }
    let page = get("/incidents?charge=pending&owner=none&limit=1")
        .token(&admin)
        .send()
        .await
        .expect(200)
        .body;
    let cursor = page["next_cursor"].as_str().expect("more than one");
    let refused = get(&format!("/incidents?owner=none&limit=1&cursor={cursor}"))
        .token(&admin)
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(refused.error_fields(), ["cursor"]);
}
