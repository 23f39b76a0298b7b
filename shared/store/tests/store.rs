//! The store against the real local DynamoDB-compatible server; every test on its own table.

use chrono::{Duration, Utc};
use domain::incident::{apply, Action, Incident};
use domain::pack::Pack;
use domain::time::{format_instant, Instant};
use domain::{Actor, Charge, Offer};
use futures::future::join_all;
use serde_json::json;
use store::idempotency::IdempotencyWrite;
use store::incidents::{ApplyOutcome, CreateOutcome};
use store::packs::{LedgerKind, PackDraw, PurchaseOutcome};
use store::testkit::fresh_store;
use store::{Store, StoreError};

fn now() -> Instant {
    domain::time::parse_instant(&format_instant(Utc::now())).expect("instant")
}

fn new_pack(owner: &str, offer: Offer) -> Pack {
    store::testkit::new_pack(owner, offer, now())
}

async fn bought(store: &Store, owner: &str, offer: Offer) -> Pack {
    store::testkit::bought(store, owner, offer, now()).await
}

fn incident_for(owner: &str, pack_id: &str) -> (Incident, domain::incident::Event) {
    store::testkit::incident_for(owner, pack_id, now())
}

#[tokio::test]
async fn a_purchase_opens_the_ledger_and_reconciles() {
    let store = fresh_store().await.expect("table");
    let pack = bought(&store, "buyer", Offer::FivePack).await;
    let r = store
        .reconcile(&pack.pack_id)
        .await
        .expect("store")
        .expect("pack");
    assert_eq!(
        (r.total, r.debits, r.credits, r.stored_remaining),
        (5, 0, 0, 5)
    );
    assert!(r.balances());
    assert_eq!(
        store
            .pack_id_by_order_number(&pack.order_confirmation_number)
            .await
            .expect("store"),
        Some(pack.pack_id.to_string())
    );
}

#[tokio::test]
async fn a_purchase_repeated_with_its_key_is_replayed_not_bought_again() {
    let store = fresh_store().await.expect("table");
    let mut idem = IdempotencyWrite::new(
        &domain::AccountId::from("buyer"),
        "POST /packs",
        "same-key",
        "fp-1".into(),
        now(),
    );
    idem.body = json!({"pack_id": "first"});
    assert_eq!(
        store
            .purchase(&new_pack("buyer", Offer::Single), &idem)
            .await
            .expect("purchase"),
        PurchaseOutcome::Created
    );
    let second = new_pack("buyer", Offer::Single);
    match store.purchase(&second, &idem).await.expect("purchase") {
        PurchaseOutcome::Replayed(record) => {
            assert_eq!(
                record.body_json().expect("readable"),
                json!({"pack_id": "first"})
            )
        }
        other => panic!("expected a replay, got {other:?}"),
    }
    assert!(
        store.pack(&second.pack_id).await.expect("store").is_none(),
        "nothing of the second purchase was written"
    );
}

#[tokio::test]
async fn thirty_concurrent_draws_on_a_five_pack_create_exactly_five_incidents() {
    let store = fresh_store().await.expect("table");
    let pack = bought(&store, "buyer", Offer::FivePack).await;
    let attempts: Vec<_> = (0..30)
        .map(|_| incident_for("buyer", &pack.pack_id))
        .collect();
    let outcomes = join_all(
        attempts
            .iter()
            .map(|(i, e)| store.create_incident(i, e, now(), None, None)),
    )
    .await;
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(CreateOutcome::Created)))
        .count();
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(CreateOutcome::PackUnusable)))
        .count();
    assert_eq!((created, refused), (5, 25), "{outcomes:?}");
    let r = store
        .reconcile(&pack.pack_id)
        .await
        .expect("store")
        .expect("pack");
    assert_eq!((r.debits, r.stored_remaining), (5, 0));
    assert!(r.balances());
}

#[tokio::test]
async fn a_draw_by_someone_other_than_the_owner_or_after_expiry_is_refused() {
    let store = fresh_store().await.expect("table");
    let pack = bought(&store, "buyer", Offer::FivePack).await;
    let (i, e) = incident_for("colleague", &pack.pack_id);
    assert_eq!(
        store
            .create_incident(&i, &e, now(), None, None)
            .await
            .expect("store"),
        CreateOutcome::PackUnusable
    );
    store
        .set_pack_expiry(&pack.pack_id, now() - Duration::seconds(1))
        .await
        .expect("store");
    let (i, e) = incident_for("buyer", &pack.pack_id);
    assert_eq!(
        store
            .create_incident(&i, &e, now(), None, None)
            .await
            .expect("store"),
        CreateOutcome::PackUnusable
    );
    assert!(store
        .incident(&i.incident_id)
        .await
        .expect("store")
        .is_none());
    assert_eq!(
        store
            .pack(&pack.pack_id)
            .await
            .expect("store")
            .expect("pack")
            .incidents_remaining,
        5
    );
}

#[tokio::test]
async fn two_transitions_decided_on_one_version_land_once() {
    let store = fresh_store().await.expect("table");
    let pack = bought(&store, "buyer", Offer::Single).await;
    let (i, e) = incident_for("buyer", &pack.pack_id);
    store
        .create_incident(&i, &e, now(), None, None)
        .await
        .expect("store");
    let stored = store
        .incident(&i.incident_id)
        .await
        .expect("store")
        .expect("incident");
    let owner = Actor::customer("buyer");
    let a = apply(
        &stored.incident,
        &owner,
        Action::CustomerMessage {
            message: "one".into(),
        },
        now(),
    )
    .expect("allowed");
    let b = apply(
        &stored.incident,
        &owner,
        Action::CustomerMessage {
            message: "two".into(),
        },
        now(),
    )
    .expect("allowed");
    let (ra, rb) = tokio::join!(
        store.apply_transition(&stored, &a, now()),
        store.apply_transition(&stored, &b, now())
    );
    let mut outcomes = vec![ra.expect("store"), rb.expect("store")];
    outcomes.sort_by_key(|o| *o == ApplyOutcome::Conflict);
    assert_eq!(outcomes, [ApplyOutcome::Applied, ApplyOutcome::Conflict]);
    let (after, timeline) = store
        .incident_with_timeline(&i.incident_id)
        .await
        .expect("store")
        .expect("incident");
    assert_eq!(after.version, 2);
    assert_eq!(timeline.len(), 2, "submitted and exactly one message");
}

/// One round of a change: read the incident, decide `action` at `at` (never before its latest
/// event), write on the version read. The store offers single attempts; looping on a lost round
/// is the use cases' (`usecases::change`). A refusal of the domain is `StoreError::Other`.
async fn attempt(
    store: &Store,
    incident_id: &str,
    actor: &Actor,
    action: Action,
    at: Instant,
) -> Result<ApplyOutcome, StoreError> {
    let stored = store.incident(incident_id).await?.expect("incident");
    let at = stored.commit_now(at);
    let t =
        apply(&stored.incident, actor, action, at).map_err(|e| StoreError::Other(e.to_string()))?;
    store.apply_transition(&stored, &t, at).await
}

/// The owner asks to close the incident (its charge then waits for staff).
async fn request_closure(store: &Store, incident_id: &str) {
    let closure = Action::RequestClosure {
        reason: "fixed it".into(),
    };
    let outcome = attempt(
        store,
        incident_id,
        &Actor::customer("buyer"),
        closure,
        now(),
    )
    .await;
    assert_eq!(outcome.expect("closed"), ApplyOutcome::Applied);
}

/// Staff refund the closed incident's unit (one round).
async fn refund(store: &Store, incident_id: &str) -> Result<ApplyOutcome, StoreError> {
    let staff = Actor {
        account_id: "eng".into(),
        email: None,
        name: None,
        engineer: true,
        admin: false,
    };
    let decision = Action::DecideCharge {
        charge: Charge::Refunded,
    };
    attempt(store, incident_id, &staff, decision, now()).await
}

#[tokio::test]
async fn concurrent_refund_decisions_credit_the_pack_exactly_once() {
    let store = fresh_store().await.expect("table");
    let pack = bought(&store, "buyer", Offer::FivePack).await;
    let (i, e) = incident_for("buyer", &pack.pack_id);
    store
        .create_incident(&i, &e, now(), None, None)
        .await
        .expect("store");
    request_closure(&store, &i.incident_id).await;
    // Twenty rounds at once: each lands, loses to another (nothing written), or reads the
    // charge already refunded (the same decision again: nothing to write). One credit.
    let results = join_all((0..20).map(|_| refund(&store, &i.incident_id))).await;
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Ok(ApplyOutcome::Applied))),
        "{results:?}"
    );
    assert!(
        results.iter().all(|r| matches!(
            r,
            Ok(ApplyOutcome::Applied | ApplyOutcome::Conflict) | Err(StoreError::Other(_))
        )),
        "{results:?}"
    );
    let credits = store
        .ledger(&pack.pack_id)
        .await
        .expect("store")
        .iter()
        .filter(|e| e.kind == LedgerKind::Credit)
        .count();
    assert_eq!(credits, 1);
    let r = store
        .reconcile(&pack.pack_id)
        .await
        .expect("store")
        .expect("pack");
    assert_eq!((r.debits, r.credits, r.stored_remaining), (1, 1, 5));
    assert!(r.balances());
}

#[tokio::test]
async fn the_breach_query_reads_only_incidents_past_their_deadline() {
    let store = fresh_store().await.expect("table");
    let pack = bought(&store, "buyer", Offer::FivePack).await;
    let mut due_ids = Vec::new();
    for k in 0..4 {
        let (mut i, e) = incident_for("buyer", &pack.pack_id);
        i.first_response_due_at = now() + Duration::minutes(if k < 2 { -5 } else { 60 });
        if k < 2 {
            due_ids.push(i.incident_id.clone());
        }
        store
            .create_incident(&i, &e, now(), None, None)
            .await
            .expect("store");
    }
    let mut found = Vec::new();
    for shard in 0..store::keys::AWAIT_SHARDS {
        let (items, _) = store
            .due_for_breach(shard, now(), 100, None)
            .await
            .expect("store");
        found.extend(items.into_iter().map(|s| s.incident.incident_id));
    }
    found.sort();
    due_ids.sort();
    assert_eq!(found, due_ids);
}

#[tokio::test]
async fn an_unreachable_server_is_a_retryable_error() {
    let base = store::client_from_env().await;
    let config = base
        .config()
        .to_builder()
        .endpoint_url("http://127.0.0.1:9")
        .build();
    let store = Store::new(aws_sdk_dynamodb::Client::from_conf(config), "nowhere");
    let err = store
        .pack("p")
        .await
        .expect_err("nothing listens on port 9");
    assert!(err.is_retryable(), "{err:?}");
    assert!(matches!(err, StoreError::Unavailable(_)));
}

#[tokio::test]
async fn a_missing_table_is_a_non_retryable_error() {
    let store = Store::new(store::client_from_env().await, "no-such-table");
    let err = store.pack("p").await.expect_err("no table");
    assert!(!err.is_retryable(), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Attachments (issue 18)

fn open_statuses() -> Vec<domain::IncidentStatus> {
    domain::IncidentStatus::ALL
        .iter()
        .copied()
        .filter(|s| !s.is_closed())
        .collect()
}

fn pending_attachment(incident_id: &str, by: &Actor, n: usize) -> domain::attachment::Attachment {
    let request = domain::attachment::AttachmentRequest::parse(&json!({
        "file_name": format!("part-{n}.log"), "content_type": "text/plain", "size_bytes": 100
    }))
    .expect("valid");
    domain::attachment::Attachment::new(
        request,
        incident_id,
        &store::ids::new_id("att").into(),
        by,
        now(),
    )
}

async fn stored_incident(store: &Store) -> store::incidents::StoredIncident {
    let pack = bought(store, "buyer", Offer::Single).await;
    let (i, e) = incident_for("buyer", &pack.pack_id);
    store
        .create_incident(&i, &e, now(), None, None)
        .await
        .expect("store");
    store
        .incident(&i.incident_id)
        .await
        .expect("store")
        .expect("incident")
}

#[tokio::test]
async fn concurrent_attachments_stop_at_the_limit_by_condition() {
    use store::attachments::AttachOutcome;
    let store = fresh_store().await.expect("table");
    let stored = stored_incident(&store).await;
    let owner = Actor::customer("buyer");
    let attachments: Vec<_> = (0..12)
        .map(|n| pending_attachment(&stored.incident.incident_id, &owner, n))
        .collect();
    let open = open_statuses();
    let outcomes = join_all(
        attachments
            .iter()
            .map(|a| store.create_attachment(a, &open, 8)),
    )
    .await;
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(AttachOutcome::Created)))
        .count();
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(AttachOutcome::LimitReached)))
        .count();
    assert_eq!((created, refused), (8, 4), "{outcomes:?}");
    let listed = store
        .attachments(&stored.incident.incident_id)
        .await
        .expect("store");
    assert_eq!(listed.len(), 8);
    // The timeline never sees attachment items.
    let (_, timeline) = store
        .incident_with_timeline(&stored.incident.incident_id)
        .await
        .expect("store")
        .expect("incident");
    assert_eq!(timeline.len(), 1);
}

#[tokio::test]
async fn an_incident_closed_after_it_was_read_takes_no_attachment() {
    use store::attachments::AttachOutcome;
    let store = fresh_store().await.expect("table");
    let stored = stored_incident(&store).await;
    let owner = Actor::customer("buyer");
    let close = apply(
        &stored.incident,
        &owner,
        Action::RequestClosure {
            reason: "Solved.".into(),
        },
        now(),
    )
    .expect("allowed");
    assert_eq!(
        store
            .apply_transition(&stored, &close, now())
            .await
            .expect("store"),
        ApplyOutcome::Applied
    );
    // Decided on the open incident read before the closure: the condition still refuses it.
    let a = pending_attachment(&stored.incident.incident_id, &owner, 1);
    assert_eq!(
        store
            .create_attachment(&a, &open_statuses(), 20)
            .await
            .expect("store"),
        AttachOutcome::NotOpen
    );
    assert!(store
        .attachment(&a.incident_id, &a.attachment_id)
        .await
        .expect("store")
        .is_none());
}

#[tokio::test]
async fn two_completions_decided_on_one_version_write_one_event() {
    let store = fresh_store().await.expect("table");
    let stored = stored_incident(&store).await;
    let owner = Actor::customer("buyer");
    let a = pending_attachment(&stored.incident.incident_id, &owner, 1);
    store
        .create_attachment(&a, &open_statuses(), 20)
        .await
        .expect("store");
    let (uploaded, t) = domain::attachment::complete(&stored.incident, &a, &owner, now())
        .expect("allowed")
        .expect("a change");
    let (x, y) = tokio::join!(
        store.complete_attachment(&stored, &t, &uploaded, now()),
        store.complete_attachment(&stored, &t, &uploaded, now())
    );
    let mut outcomes = vec![x.expect("store"), y.expect("store")];
    outcomes.sort_by_key(|o| *o == ApplyOutcome::Conflict);
    assert_eq!(outcomes, [ApplyOutcome::Applied, ApplyOutcome::Conflict]);
    // A completion decided on a newer version but a stale (pending) attachment is refused too.
    let newer = store
        .incident(&stored.incident.incident_id)
        .await
        .expect("store")
        .expect("incident");
    assert_eq!(
        store
            .complete_attachment(&newer, &t, &uploaded, now())
            .await
            .expect("store"),
        ApplyOutcome::Conflict
    );
    let (_, timeline) = store
        .incident_with_timeline(&stored.incident.incident_id)
        .await
        .expect("store")
        .expect("incident");
    let added: Vec<_> = timeline
        .iter()
        .filter(|e| e.kind() == domain::incident::EventKind::AttachmentAdded)
        .collect();
    assert_eq!(added.len(), 1);
    let stored_attachment = store
        .attachment(&a.incident_id, &a.attachment_id)
        .await
        .expect("store")
        .expect("attachment");
    assert!(stored_attachment.is_uploaded());
}

fn listed(packs: &[Pack]) -> Vec<(domain::PackId, u32)> {
    packs
        .iter()
        .map(|p| (p.pack_id.clone(), p.incidents_remaining))
        .collect()
}

#[tokio::test]
async fn the_usable_packs_index_lists_exactly_the_packs_that_may_still_be_drawn() {
    let store = fresh_store().await.expect("table");
    let single = bought(&store, "buyer", Offer::Single).await;
    let five = bought(&store, "buyer", Offer::FivePack).await;
    bought(&store, "someone-else", Offer::FivePack).await;
    let usable = || store.usable_packs_of("buyer", now());
    let mut both = listed(&usable().await.expect("query"));
    both.sort();
    let mut expected = vec![(single.pack_id.clone(), 1), (five.pack_id.clone(), 5)];
    expected.sort();
    assert_eq!(
        both, expected,
        "paid packs are listed under their owner only"
    );

    let draw = |seen: u32, used_up: &'static [domain::PackId]| PackDraw {
        seen: Some(seen),
        reindex: false,
        used_up,
        remember_email: None,
        generation: None,
    };
    // The draw of a last unit it read takes the pack out of the index; a second one that read
    // the same last unit does not hold.
    let (i, e) = incident_for("buyer", &single.pack_id);
    assert_eq!(
        store
            .draw_and_create(&i, &e, now(), None, None, draw(1, &[]))
            .await
            .expect("store"),
        CreateOutcome::Created
    );
    let (late, late_e) = incident_for("buyer", &single.pack_id);
    assert_eq!(
        store
            .draw_and_create(&late, &late_e, now(), None, None, draw(1, &[]))
            .await
            .expect("store"),
        CreateOutcome::PackUnusable
    );
    assert_eq!(
        listed(&usable().await.expect("query")),
        vec![(five.pack_id.clone(), 5)]
    );
    // A refund puts it back, under whoever owns the pack now.
    request_closure(&store, &i.incident_id).await;
    assert_eq!(
        refund(&store, &i.incident_id).await.expect("refunded"),
        ApplyOutcome::Applied
    );
    let mut back = listed(&usable().await.expect("query"));
    back.sort();
    assert_eq!(back, expected, "the refunded unit is drawable again");

    // An expired pack lies before every draw's key range.
    store
        .set_pack_expiry(&five.pack_id, now() - Duration::seconds(1))
        .await
        .expect("expiry");
    assert_eq!(
        listed(&usable().await.expect("query")),
        vec![(single.pack_id.clone(), 1)]
    );
}

#[tokio::test]
async fn a_pack_whose_last_unit_went_to_a_draw_that_read_more_leaves_the_index_at_the_next_draw() {
    let store = fresh_store().await.expect("table");
    let single = bought(&store, "buyer", Offer::Single).await;
    let five = bought(&store, "buyer", Offer::FivePack).await;
    // Read with 2 units (concurrent draws, or an index read that lagged): any unit will do, so
    // the draw holds, and the pack stays listed with none left.
    let (i, e) = incident_for("buyer", &single.pack_id);
    let stale = PackDraw {
        seen: Some(2),
        reindex: false,
        used_up: &[],
        remember_email: None,
        generation: None,
    };
    assert_eq!(
        store
            .draw_and_create(&i, &e, now(), None, None, stale)
            .await
            .expect("store"),
        CreateOutcome::Created
    );
    let mut still = listed(&store.usable_packs_of("buyer", now()).await.expect("query"));
    still.sort();
    let mut expected = vec![(single.pack_id.clone(), 0), (five.pack_id.clone(), 5)];
    expected.sort();
    assert_eq!(still, expected);
    // The next draw takes it out in its own transaction.
    let used_up = [single.pack_id.clone()];
    let (next, next_e) = incident_for("buyer", &five.pack_id);
    let cleaning = PackDraw {
        seen: Some(5),
        reindex: false,
        used_up: &used_up,
        remember_email: None,
        generation: None,
    };
    assert_eq!(
        store
            .draw_and_create(&next, &next_e, now(), None, None, cleaning)
            .await
            .expect("store"),
        CreateOutcome::Created
    );
    assert_eq!(
        listed(&store.usable_packs_of("buyer", now()).await.expect("query")),
        vec![(five.pack_id.clone(), 4)]
    );
    // A clean-up that no longer holds (the pack got a unit back) does not stop the draw.
    request_closure(&store, &i.incident_id).await;
    assert_eq!(
        refund(&store, &i.incident_id).await.expect("refunded"),
        ApplyOutcome::Applied
    );
    let (third, third_e) = incident_for("buyer", &five.pack_id);
    let stale_clean_up = PackDraw {
        seen: Some(4),
        reindex: false,
        used_up: &used_up,
        remember_email: None,
        generation: None,
    };
    assert_eq!(
        store
            .draw_and_create(&third, &third_e, now(), None, None, stale_clean_up)
            .await
            .expect("store"),
        CreateOutcome::Created
    );
    let mut after = listed(&store.usable_packs_of("buyer", now()).await.expect("query"));
    after.sort();
    let mut expected = vec![(single.pack_id.clone(), 1), (five.pack_id.clone(), 3)];
    expected.sort();
    assert_eq!(after, expected, "the refunded pack stays listed");
}

#[tokio::test]
async fn a_repeated_draw_learns_the_first_answer_from_its_own_cancellation() {
    let store = fresh_store().await.expect("table");
    let pack = bought(&store, "buyer", Offer::FivePack).await;
    let mut idem = IdempotencyWrite::new(
        &domain::AccountId::from("buyer"),
        "POST /incidents",
        "k",
        "fp".into(),
        now(),
    );
    idem.body = json!({"incident_id": "first"});
    let (i, e) = incident_for("buyer", &pack.pack_id);
    assert_eq!(
        store
            .draw_and_create(
                &i,
                &e,
                now(),
                Some(&idem),
                None,
                PackDraw {
                    seen: Some(5),
                    ..PackDraw::default()
                }
            )
            .await
            .expect("store"),
        CreateOutcome::Created
    );
    // The retry read 5 units too; the replay wins whatever else its transaction met.
    let (again, e2) = incident_for("buyer", &pack.pack_id);
    match store
        .draw_and_create(
            &again,
            &e2,
            now(),
            Some(&idem),
            None,
            PackDraw {
                seen: Some(5),
                ..PackDraw::default()
            },
        )
        .await
        .expect("store")
    {
        CreateOutcome::Replayed(record) => {
            assert_eq!(record.fingerprint, "fp");
            assert_eq!(
                record.body_json().expect("readable"),
                json!({"incident_id": "first"})
            );
        }
        other => panic!("expected a replay, got {other:?}"),
    }
    assert!(store
        .incident(&again.incident_id)
        .await
        .expect("store")
        .is_none());
    let r = store
        .reconcile(&pack.pack_id)
        .await
        .expect("store")
        .expect("pack");
    assert_eq!((r.debits, r.stored_remaining), (1, 4));
}

/// `n` customer messages on the incident, one transition each.
async fn messages(store: &Store, incident_id: &str, n: usize) {
    let owner = Actor::customer("buyer");
    for k in 0..n {
        let message = Action::CustomerMessage {
            message: format!("note {k}"),
        };
        let written = attempt(store, incident_id, &owner, message, now()).await;
        assert_eq!(written.expect("message"), ApplyOutcome::Applied);
    }
}

/// Answers a request for closure from one read (`read_for_change`, `apply_answered`), and
/// checks the answer against what a fresh read of the incident and its first timeline page
/// gives.
async fn closed_and_answered(store: &Store, incident_id: &str) {
    let owner = Actor::customer("buyer");
    let head = store
        .read_for_change(incident_id, None, false)
        .await
        .expect("store")
        .expect("incident");
    let at = head.stored.commit_now(now());
    let closure = Action::RequestClosure {
        reason: "fixed it".into(),
    };
    let t = apply(&head.stored.incident, &owner, closure, at).expect("closure decided");
    let answered = store
        .apply_answered(head, t, at)
        .await
        .expect("store")
        .expect("no other writer");
    let (stored, page, next) = store
        .incident_first_page(incident_id, store::incidents::TIMELINE_PAGE_MAX, false)
        .await
        .expect("store")
        .expect("incident");
    assert_eq!(answered.transition.incident, stored.incident);
    assert_eq!(answered.first_page, page, "the page read afresh");
    assert_eq!(answered.next, next, "the same position");
}

#[tokio::test]
async fn a_change_is_answered_from_one_read_as_a_fresh_read_would_answer_it() {
    let store = fresh_store().await.expect("table");
    let pack = bought(&store, "buyer", Offer::FivePack).await;
    for messages_before in [3, 98, 99, 120] {
        let (i, e) = incident_for("buyer", &pack.pack_id);
        store
            .create_incident(&i, &e, now(), None, None)
            .await
            .expect("store");
        messages(&store, &i.incident_id, messages_before).await;
        let head = store
            .incident_head(&i.incident_id)
            .await
            .expect("store")
            .expect("incident");
        let events = 1 + messages_before as u64;
        assert_eq!(head.stored.event_count, events);
        assert_eq!(
            head.timeline.as_ref().map(|t| t.len() as u64),
            (events <= 100).then_some(events),
            "the whole timeline exactly when it fits a page"
        );
        // 3: well inside a page; 98 and 99: the new events cross the end of the page; 120:
        // longer than a page before the change (its first page is read beside the write).
        closed_and_answered(&store, &i.incident_id).await;
    }
    assert!(store
        .incident_head("inc_missing")
        .await
        .expect("store")
        .is_none());
}

/// A draw remembered at a pack generation holds only while no pack became usable by the account
/// since: a purchase moves the generation, and the draw then writes nothing.
#[tokio::test]
async fn a_draw_checked_against_an_old_pack_generation_writes_nothing() {
    let store = fresh_store().await.expect("table");
    assert_eq!(
        store.pack_generation("buyer").await.expect("store"),
        store::packs::PackGeneration::default()
    );
    // No generation item yet: generation 0 holds.
    let early = bought(&store, "other", Offer::FivePack).await;
    let at = |generation| PackDraw {
        generation: Some(generation),
        ..PackDraw::default()
    };
    let (i, e) = incident_for("other", &early.pack_id);
    assert_eq!(
        store
            .draw_and_create(&i, &e, now(), None, None, at(0))
            .await
            .expect("store"),
        CreateOutcome::PackUnusable,
        "the purchase moved other's generation to 1"
    );
    let first = bought(&store, "buyer", Offer::FivePack).await;
    let g = store.pack_generation("buyer").await.expect("store");
    assert_eq!(g.generation, 1);
    assert_eq!(g.last_pack.as_deref(), Some(first.pack_id.as_str()));
    assert!(g.changed_at.is_some() && g.previous_changed_at.is_none());
    let (i, e) = incident_for("buyer", &first.pack_id);
    assert_eq!(
        store
            .draw_and_create(&i, &e, now(), None, None, at(1))
            .await
            .expect("store"),
        CreateOutcome::Created
    );
    let second = bought(&store, "buyer", Offer::Single).await;
    let g = store.pack_generation("buyer").await.expect("store");
    assert_eq!(
        (g.generation, g.last_pack.as_deref()),
        (2, Some(second.pack_id.as_str()))
    );
    assert!(g.previous_changed_at.is_some());
    let (stale, e) = incident_for("buyer", &first.pack_id);
    assert_eq!(
        store
            .draw_and_create(&stale, &e, now(), None, None, at(1))
            .await
            .expect("store"),
        CreateOutcome::PackUnusable
    );
    assert!(store
        .incident(&stale.incident_id)
        .await
        .expect("store")
        .is_none());
    let (i, e) = incident_for("buyer", &first.pack_id);
    assert_eq!(
        store
            .draw_and_create(&i, &e, now(), None, None, at(2))
            .await
            .expect("store"),
        CreateOutcome::Created
    );
    let r = store
        .reconcile(&first.pack_id)
        .await
        .expect("store")
        .expect("pack");
    assert_eq!((r.debits, r.stored_remaining), (2, 3));
    assert!(r.balances());
}

/// A refund moves the pack owner's generation (the unit may make it the soonest-expiring).
#[tokio::test]
async fn a_refund_moves_the_pack_generation_of_the_packs_owner() {
    let store = fresh_store().await.expect("table");
    let pack = bought(&store, "buyer", Offer::FivePack).await;
    let (i, e) = incident_for("buyer", &pack.pack_id);
    store
        .create_incident(&i, &e, now(), None, None)
        .await
        .expect("store");
    request_closure(&store, &i.incident_id).await;
    let before = store.pack_generation("buyer").await.expect("store");
    assert_eq!(
        refund(&store, &i.incident_id).await.expect("refunded"),
        ApplyOutcome::Applied
    );
    let after = store.pack_generation("buyer").await.expect("store");
    assert_eq!(after.generation, before.generation + 1);
    assert_eq!(after.last_pack.as_deref(), Some(pack.pack_id.as_str()));
}
