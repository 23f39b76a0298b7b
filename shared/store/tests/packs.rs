//! Store-level checks of what the HTTP tests cannot see: the raw keys a claim's transfer writes,
//! the TTL and window of claim attempts, and the version guard on tax exemptions. Needs the local
//! DynamoDB-compatible server (`make test` starts it); every test has its own table.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, SubsecRound, Utc};
use domain::account::{decide_claim, open_claim, submit_exemption, Decision, ExemptionRequest};
use domain::pack::{order_confirmation_number, Pack};
use domain::time::{format_instant, Instant};
use domain::{Money, Offer, ReviewStatus};
use std::collections::HashMap;
use store::accounts::{ClaimFailures, DecideClaimOutcome, OpenClaimOutcome, SaveOutcome};
use store::idempotency::IdempotencyWrite;
use store::keys::{self, Key};
use store::packs::{LedgerKind, PurchaseOutcome};
use store::{Page, Store};

fn now() -> Instant {
    Utc::now().trunc_subsecs(0)
}

async fn raw(store: &Store, key: &Key) -> Option<HashMap<String, AttributeValue>> {
    store
        .client()
        .get_item()
        .table_name(store.table_name())
        .set_key(Some(key.to_item()))
        .consistent_read(true)
        .send()
        .await
        .expect("GetItem")
        .item
}

fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .unwrap_or_else(|| panic!("{name} in {item:?}"))
}

async fn bought(store: &Store, owner: &str, at: Instant) -> Pack {
    store::testkit::bought(store, owner, Offer::FivePack, at).await
}

fn decision(approve: bool) -> Decision {
    Decision {
        approve,
        note: None,
    }
}

#[tokio::test]
async fn an_approved_claim_moves_the_pack_and_its_owner_index_in_one_transaction() {
    let store = store::testkit::fresh_store().await.expect("table");
    let at = now();
    let pack = bought(&store, "buyer", at).await;
    let claim = open_claim("clm_1".into(), &pack, "colleague", "left".into(), at).expect("open");
    assert_eq!(
        store
            .open_claim(&claim, &ClaimFailures::default())
            .await
            .expect("open"),
        OpenClaimOutcome::Opened
    );
    let marker = keys::open_claim(&pack.pack_id, "colleague");
    assert!(raw(&store, &marker).await.is_some());
    let pending = store
        .claims_with_status(ReviewStatus::Pending, &Page::default())
        .await
        .expect("list")
        .0;
    assert_eq!(pending, vec![claim.clone()]);

    let approved = decide_claim(&claim, decision(true), "admin", at).expect("pending");
    assert_eq!(
        store.decide_claim(&approved).await.expect("decide"),
        DecideClaimOutcome::Decided
    );

    let item = raw(&store, &keys::pack(&pack.pack_id)).await.expect("pack");
    assert_eq!(text(&item, "GSI1PK"), "ACCOUNT#colleague");
    assert_eq!(
        text(&item, "GSI1SK"),
        format!("PACK#{}#{}", format_instant(at), pack.pack_id)
    );
    let moved = store
        .pack(&pack.pack_id)
        .await
        .expect("read")
        .expect("pack");
    assert_eq!(moved.owner_account_id, "colleague");
    assert_eq!(
        (moved.incidents_remaining, moved.expires_at),
        (pack.incidents_remaining, pack.expires_at)
    );
    let page = Page::default();
    assert_eq!(
        store
            .packs_of("colleague", &page)
            .await
            .expect("list")
            .0
            .len(),
        1
    );
    assert!(store
        .packs_of("buyer", &page)
        .await
        .expect("list")
        .0
        .is_empty());
    assert!(raw(&store, &marker).await.is_none());
    let claim_item = raw(&store, &keys::claim("clm_1")).await.expect("claim");
    assert_eq!(text(&claim_item, "GSI2PK"), "CLAIM_STATUS#approved");
    let ledger = store.ledger(&pack.pack_id).await.expect("ledger");
    let transfer: Vec<_> = ledger
        .iter()
        .filter(|e| e.kind == LedgerKind::Transfer)
        .collect();
    assert_eq!(transfer.len(), 1);
    assert_eq!(
        (transfer[0].reference.as_str(), transfer[0].units),
        ("clm_1", 0)
    );
    assert!(store
        .reconcile(&pack.pack_id)
        .await
        .expect("reconcile")
        .expect("pack")
        .balances());
    assert!(store
        .claims_with_status(ReviewStatus::Pending, &page)
        .await
        .expect("list")
        .0
        .is_empty());
    store.delete_table().await.expect("drop");
}

#[tokio::test]
async fn a_claim_decided_twice_or_against_a_pack_that_moved_changes_nothing() {
    let store = store::testkit::fresh_store().await.expect("table");
    let at = now();
    let pack = bought(&store, "buyer", at).await;
    let first = open_claim("clm_a".into(), &pack, "first", "left".into(), at).expect("open");
    let second = open_claim("clm_b".into(), &pack, "second", "left".into(), at).expect("open");
    for c in [&first, &second] {
        assert_eq!(
            store
                .open_claim(c, &ClaimFailures::default())
                .await
                .expect("open"),
            OpenClaimOutcome::Opened
        );
    }
    let approved = decide_claim(&first, decision(true), "admin", at).expect("pending");
    assert_eq!(
        store.decide_claim(&approved).await.expect("decide"),
        DecideClaimOutcome::Decided
    );
    // A decision made on a stale read of the first claim.
    let rejected = decide_claim(&first, decision(false), "admin", at).expect("pending");
    assert_eq!(
        store.decide_claim(&rejected).await.expect("decide"),
        DecideClaimOutcome::NotPending
    );
    let competing = decide_claim(&second, decision(true), "admin", at).expect("pending");
    assert_eq!(
        store.decide_claim(&competing).await.expect("decide"),
        DecideClaimOutcome::OwnerChanged
    );
    let still = store.claim("clm_b").await.expect("read").expect("claim");
    assert_eq!(still.status, ReviewStatus::Pending);
    let pack_now = store
        .pack(&pack.pack_id)
        .await
        .expect("read")
        .expect("pack");
    assert_eq!(pack_now.owner_account_id, "first");
    assert_eq!(
        store
            .claim("clm_a")
            .await
            .expect("read")
            .expect("claim")
            .status,
        ReviewStatus::Approved
    );
    store.delete_table().await.expect("drop");
}

#[tokio::test]
async fn a_second_open_claim_by_the_same_account_names_the_first() {
    let store = store::testkit::fresh_store().await.expect("table");
    let at = now();
    let pack = bought(&store, "buyer", at).await;
    let one = open_claim("clm_1".into(), &pack, "colleague", "left".into(), at).expect("open");
    let two = open_claim("clm_2".into(), &pack, "colleague", "again".into(), at).expect("open");
    assert_eq!(
        store
            .open_claim(&one, &ClaimFailures::default())
            .await
            .expect("open"),
        OpenClaimOutcome::Opened
    );
    assert_eq!(
        store
            .open_claim(&two, &ClaimFailures::default())
            .await
            .expect("open"),
        OpenClaimOutcome::AlreadyOpen("clm_1".into())
    );
    assert!(store.claim("clm_2").await.expect("read").is_none());
    store.delete_table().await.expect("drop");
}

#[tokio::test]
async fn claim_failures_are_one_versioned_item_and_a_stale_attempt_does_not_land() {
    let store = store::testkit::fresh_store().await.expect("table");
    let t = now();
    let pack = bought(&store, "buyer", t).await;
    let read = |account: &'static str| {
        let store = store.clone();
        let number = pack.order_confirmation_number.clone();
        async move {
            store
                .claim_failures_and_number(account, &number)
                .await
                .expect("read")
        }
    };
    let (none, pack_id) = read("acct").await;
    assert_eq!(none, ClaimFailures::default());
    assert_eq!(pack_id.as_deref(), Some(pack.pack_id.as_str()));
    assert_eq!(
        store
            .record_claim_failure("acct", &none, t - Duration::seconds(3600))
            .await
            .expect("record"),
        SaveOutcome::Saved
    );
    // A second attempt judged on the same (now stale) read does not land.
    assert_eq!(
        store
            .record_claim_failure("acct", &none, t)
            .await
            .expect("record"),
        SaveOutcome::Conflict
    );
    let (one, _) = read("acct").await;
    assert_eq!(one.version, 1);
    assert_eq!(
        store
            .record_claim_failure("acct", &one, t)
            .await
            .expect("record"),
        SaveOutcome::Saved
    );
    let (two, _) = read("acct").await;
    assert_eq!(
        two.failures,
        vec![t],
        "the failure an hour old left the window"
    );
    assert_eq!(two.version, 2);
    let item = raw(&store, &keys::claim_failures("acct"))
        .await
        .expect("failures item");
    let ttl: i64 = item
        .get(store::table::TTL_ATTRIBUTE)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .expect("a TTL in epoch seconds");
    assert_eq!(ttl, t.timestamp() + 3600);
    assert_eq!(read("someone-else").await.0, ClaimFailures::default());

    // A claim judged on failures that changed since does not open either.
    let claim = open_claim("clm_1".into(), &pack, "acct", "left".into(), t).expect("open");
    assert_eq!(
        store.open_claim(&claim, &one).await.expect("open"),
        OpenClaimOutcome::FailuresChanged
    );
    assert!(store.claim("clm_1").await.expect("read").is_none());
    assert_eq!(
        store.open_claim(&claim, &two).await.expect("open"),
        OpenClaimOutcome::Opened
    );
    store.delete_table().await.expect("drop");
}

#[tokio::test]
async fn an_exemption_saved_over_a_version_it_did_not_read_is_a_conflict() {
    let store = store::testkit::fresh_store().await.expect("table");
    let at = now();
    let request = ExemptionRequest {
        jurisdiction: "PL".into(),
        certificate_reference: "C-1".into(),
    };
    let first = submit_exemption(None, "acct", request.clone(), at).expect("submit");
    assert_eq!(
        store.save_tax_exemption(&first, None).await.expect("save"),
        SaveOutcome::Saved
    );
    assert_eq!(
        store.save_tax_exemption(&first, None).await.expect("save"),
        SaveOutcome::Conflict
    );
    let stored = store
        .tax_exemption("acct")
        .await
        .expect("read")
        .expect("one");
    assert_eq!((stored.version, &stored.exemption), (1, &first));
    let again = submit_exemption(Some(&first), "acct", request, at).expect("submit");
    assert_eq!(
        store
            .save_tax_exemption(&again, Some(1))
            .await
            .expect("save"),
        SaveOutcome::Saved
    );
    assert_eq!(
        store
            .save_tax_exemption(&again, Some(1))
            .await
            .expect("save"),
        SaveOutcome::Conflict
    );
    assert_eq!(
        store
            .tax_exemption("acct")
            .await
            .expect("read")
            .expect("one")
            .version,
        2
    );
    store.delete_table().await.expect("drop");
}

fn priced() -> Money {
    Money {
        currency: "PLN".into(),
        net: 199_900,
        tax: 45_977,
        gross: 245_877,
    }
}

/// Writes any pack exactly as given (through the purchase transaction).
async fn written(store: &Store, pack: Pack) -> Pack {
    let key = store::ids::new_id("key");
    let write = IdempotencyWrite::new(
        &pack.owner_account_id,
        "POST /packs",
        &key,
        "fp".into(),
        pack.ordered_at,
    );
    assert_eq!(
        store.purchase(&pack, &write).await.expect("purchase"),
        PurchaseOutcome::Created
    );
    pack
}

fn unpaid(owner: &str, at: Instant) -> Pack {
    Pack::order(
        store::ids::new_id("pck"),
        Offer::Single,
        owner,
        at,
        order_confirmation_number(&store::ids::random_bytes::<13>()),
        priced(),
        false,
    )
}

#[tokio::test]
async fn the_draw_condition_agrees_with_the_domain_rule_of_usability() {
    let store = store::testkit::fresh_store().await.expect("table");
    let now = now();
    let mut variants = Vec::new();
    variants.push(bought(&store, "buyer", now - Duration::days(30)).await);
    let mut used_up = Pack::new(
        store::ids::new_id("pck"),
        Offer::Single,
        "buyer",
        now,
        order_confirmation_number(&store::ids::random_bytes::<13>()),
        priced(),
        false,
    );
    used_up.incidents_remaining = 0;
    variants.push(written(&store, used_up).await);
    variants.push(bought(&store, "buyer", now - Duration::days(400)).await);
    variants.push(written(&store, unpaid("buyer", now)).await);
    variants.push(written(&store, unpaid("buyer", now).cancelled()).await);
    // Units and an expiry written onto unpaid orders: only the payment state refuses them.
    for state_of in [unpaid("buyer", now), unpaid("buyer", now).cancelled()] {
        let mut forged = state_of;
        forged.incidents_remaining = 1;
        forged.expires_at = Some(now + Duration::days(300));
        variants.push(written(&store, forged).await);
    }
    let mut usable = 0;
    for pack in &variants {
        for caller in ["buyer", "someone_else"] {
            let domain_says = pack.usable_by(caller, now);
            let store_says = store
                .usable_in_store(&pack.pack_id, caller, now)
                .await
                .expect("condition check");
            assert_eq!(
                store_says,
                domain_says,
                "{caller} on a {:?} pack ({:?}, {} left, expires {:?})",
                pack.state,
                pack.status(now),
                pack.incidents_remaining,
                pack.expires_at
            );
            usable += usize::from(domain_says);
        }
    }
    assert_eq!(
        usable, 1,
        "exactly one variant (the active pack, for its owner) is usable"
    );
}

#[tokio::test]
async fn an_order_is_activated_once_in_one_transaction_with_its_ledger_opening() {
    use domain::payment::{decide, NoticeKind, PaymentDecision, PaymentNotice};
    use store::payments::NoticeOutcome;
    let store = store::testkit::fresh_store().await.expect("table");
    let now = now();
    let order = written(&store, unpaid("buyer", now - Duration::minutes(5))).await;
    assert!(store
        .ledger(&order.pack_id)
        .await
        .expect("ledger")
        .is_empty());
    let notice = PaymentNotice {
        event_id: store::ids::new_id("evt"),
        kind: NoticeKind::Paid,
        pack_id: Some(order.pack_id.to_string()),
        amount_total: Some(245_877),
        currency: Some("pln".into()),
        created: now - Duration::minutes(1),
    };
    let PaymentDecision::Activate(paid) = decide(&order, &notice) else {
        panic!("a paid notice activates")
    };
    assert_eq!(
        store
            .activate_pack(&order, &paid, &notice.event_id, now)
            .await
            .expect("activate"),
        NoticeOutcome::Applied
    );
    assert_eq!(
        store
            .activate_pack(&order, &paid, &notice.event_id, now)
            .await
            .expect("again"),
        NoticeOutcome::Duplicate
    );
    let other_event = store::ids::new_id("evt");
    assert_eq!(
        store
            .activate_pack(&order, &paid, &other_event, now)
            .await
            .expect("stale"),
        NoticeOutcome::PackChanged,
        "a second event cannot activate a pack read before the first"
    );
    assert!(!store
        .payment_event_applied(&other_event)
        .await
        .expect("read"));
    let stored = store
        .pack(&order.pack_id)
        .await
        .expect("read")
        .expect("pack");
    assert_eq!(stored, paid);
    assert!(store
        .usable_in_store(&order.pack_id, "buyer", now)
        .await
        .expect("check"));
    let ledger = store.ledger(&order.pack_id).await.expect("ledger");
    assert_eq!(ledger.len(), 1);
    assert_eq!((ledger[0].kind, ledger[0].units), (LedgerKind::Opening, 1));
    let r = store
        .reconcile(&order.pack_id)
        .await
        .expect("reconcile")
        .expect("pack");
    assert!(r.balances(), "{r:?}");
    // A cancellation read before the payment cannot cancel the paid pack.
    assert_eq!(
        store
            .cancel_order(&order, &order.cancelled(), &store::ids::new_id("evt"), now)
            .await
            .expect("cancel"),
        NoticeOutcome::PackChanged
    );
}

#[tokio::test]
async fn a_second_reservation_under_the_same_key_gets_the_first_draft() {
    let store = store::testkit::fresh_store().await.expect("table");
    let at = now();
    let key = domain::idempotency::IdempotencyWrite::new(
        &"acc_res".into(),
        "POST /orders",
        "k1",
        "fp1".into(),
        at,
    );
    let first = store::payments::OrderDraft {
        fingerprint: "fp1".into(),
        pack: unpaid("acc_res", at),
    };
    let second = store::payments::OrderDraft {
        fingerprint: "fp2".into(),
        pack: unpaid("acc_res", at),
    };
    // The second put fails its condition (a typed `ConditionalCheckFailedException`), so the
    // first reservation is read back.
    assert_eq!(store.reserve_order(&key, &first, at).await.unwrap(), first);
    assert_eq!(store.reserve_order(&key, &second, at).await.unwrap(), first);
    assert_eq!(store.order_draft(&key, at).await.unwrap(), Some(first));
}
