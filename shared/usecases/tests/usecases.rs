//! The use cases against the real local DynamoDB-compatible server, each test on its own table:
//! what they decide and how they retry when other requests write the same items meanwhile.
//! (No HTTP here: the end-to-end suite covers the routes.)

use chrono::{NaiveDate, SubsecRound, Utc};
use domain::calendar::Calendars;
use domain::catalogue::Product;
use domain::idempotency::IdempotencyWrite;
use domain::incident::Action;
use domain::intake::Submission;
use domain::pack::Pack;
use domain::pricing::PriceList;
use domain::time::Instant;
use domain::{Actor, Channel, Offer};
use futures::future::join_all;
use serde_json::json;
use store::testkit::fresh_store;
use store::Store;
use usecases::draw::{submit as submit_incident, Submit, Submitted};
use usecases::idempotency::earlier;
use usecases::purchase::{
    purchase, CardOrder, Payment, PaymentPage, PurchaseRequest, Purchased, Session,
};
use usecases::Failure;

const PRODUCT: &str = "sql-server-2022";

fn now() -> Instant {
    Utc::now().trunc_subsecs(0)
}

fn engineer(id: &str) -> Actor {
    Actor {
        engineer: true,
        name: Some(format!("Engineer {id}")),
        ..Actor::customer(id)
    }
}

/// A table with the product in its catalogue.
async fn store() -> Store {
    let store = fresh_store().await.expect("table");
    store
        .put_product(&Product {
            product_id: PRODUCT.into(),
            name: "SQL Server 2022".into(),
            mainstream_end: NaiveDate::from_ymd_opt(2033, 1, 11).expect("date"),
            extended_end: None,
        })
        .await
        .expect("product");
    store
}

async fn bought(store: &Store, owner: &str, offer: Offer) -> Pack {
    store::testkit::bought(store, owner, offer, now()).await
}

fn submission(pack_id: Option<&str>) -> Submission {
    let mut body = json!({"product_id": PRODUCT, "category": "performance", "severity": "C",
        "handling": "business_hours", "title": "Slow queries", "description": "Since the upgrade.",
        "contact": {"name": "Anna Nowak", "email": "anna@example.com"}});
    if let Some(id) = pack_id {
        body["pack_id"] = json!(id);
    }
    Submission::parse(&body).expect("a valid submission")
}

async fn submit(
    store: &Store,
    actor: &Actor,
    submission: &Submission,
    idempotency_key: Option<&str>,
) -> Result<Submitted, Failure> {
    let calendars = Calendars::shipped().expect("calendars");
    let idempotency = idempotency_key.map(|key| {
        IdempotencyWrite::new(
            &actor.account_id,
            "POST /incidents",
            key,
            "fp".into(),
            now(),
        )
    });
    submit_incident(
        store,
        calendars,
        Submit {
            actor,
            submission,
            now: now(),
            incident_id: store::ids::new_id("inc"),
            idempotency,
            remember_email: None,
        },
    )
    .await
}

async fn remaining(store: &Store, pack_id: &str) -> i64 {
    let r = store
        .reconcile(pack_id)
        .await
        .expect("reconcile")
        .expect("the pack exists");
    assert!(r.balances(), "the ledger and the balance agree: {r:?}");
    r.stored_remaining
}

fn created(drawn: &Result<Submitted, Failure>) -> bool {
    matches!(drawn, Ok(Submitted::Created { .. }))
}

#[tokio::test]
async fn concurrent_draws_take_each_unit_exactly_once() {
    let store = store().await;
    let pack = bought(&store, "buyer", Offer::FivePack).await;
    let actor = Actor::customer("buyer");
    let unnamed = submission(None);
    let named = submission(Some(&pack.pack_id));
    // Eight at once, half naming the pack and half not: the two paths race for five units.
    let outcomes = join_all((0..8).map(|i| {
        let s = if i % 2 == 0 { &unnamed } else { &named };
        submit(&store, &actor, s, None)
    }))
    .await;
    let wins = outcomes.iter().filter(|o| created(o)).count();
    assert_eq!(wins, 5, "one incident per unit");
    for lost in outcomes.iter().filter(|o| !created(o)) {
        assert!(
            matches!(lost, Err(Failure::NoUsablePack(_))),
            "a draw past the last unit is refused as such, not as an error: {:?}",
            lost.as_ref().err()
        );
    }
    assert_eq!(remaining(&store, &pack.pack_id).await, 0);
}

#[tokio::test]
async fn another_accounts_pack_is_refused_and_nothing_is_written() {
    let store = store().await;
    let pack = bought(&store, "owner", Offer::FivePack).await;
    let outcome = submit(
        &store,
        &Actor::customer("someone-else"),
        &submission(Some(&pack.pack_id)),
        None,
    )
    .await;
    assert!(
        matches!(outcome, Err(Failure::NoUsablePack(_))),
        "{:?}",
        outcome.err()
    );
    assert_eq!(remaining(&store, &pack.pack_id).await, 5);
}

#[tokio::test]
async fn a_repeated_idempotency_key_replays_instead_of_drawing_again() {
    let store = store().await;
    let pack = bought(&store, "buyer", Offer::FivePack).await;
    let actor = Actor::customer("buyer");
    let s = submission(None);
    // Concurrent first deliveries of one key: one draw, the others replay it or lose the race
    // to its record; none draws a second unit.
    let outcomes = join_all((0..4).map(|_| submit(&store, &actor, &s, Some("key-1")))).await;
    assert_eq!(outcomes.iter().filter(|o| created(o)).count(), 1);
    let again = submit(&store, &actor, &s, Some("key-1")).await;
    assert!(
        matches!(again, Ok(Submitted::Replayed(_))),
        "a later retry is a replay"
    );
    assert_eq!(remaining(&store, &pack.pack_id).await, 4);
}

async fn incident_of(store: &Store, owner: &str) -> String {
    bought(store, owner, Offer::Single).await;
    match submit(store, &Actor::customer(owner), &submission(None), None).await {
        Ok(Submitted::Created { incident, .. }) => incident.incident_id.to_string(),
        other => panic!("not created: {:?}", other.err()),
    }
}

#[tokio::test]
async fn concurrent_changes_to_one_incident_each_commit_on_their_own_version() {
    let store = store().await;
    let id = incident_of(&store, "customer").await;
    let responders: Vec<Actor> = (0..5).map(|i| engineer(&format!("eng-{i}"))).collect();
    let incident = domain::IncidentId::from(&id);
    let outcomes = join_all(responders.iter().map(|actor| {
        usecases::act::act(
            &store,
            actor,
            &incident,
            Action::Respond {
                message: format!("Looking at it ({})", actor.account_id),
                channel: Channel::Email,
            },
            now(),
        )
    }))
    .await;
    let versions: std::collections::BTreeSet<u64> = outcomes
        .iter()
        .map(|o| {
            o.as_ref()
                .expect("every response commits, retried on conflict")
                .version
        })
        .collect();
    assert_eq!(
        versions.len(),
        5,
        "each decided on a different version: {versions:?}"
    );
    let stored = store.incident(&id).await.expect("read").expect("exists");
    assert_eq!(stored.version, 1 + versions.iter().max().expect("five"));
    let firsts = outcomes
        .iter()
        .filter(|o| o.as_ref().expect("ok").before.first_responded_at.is_none())
        .count();
    assert_eq!(firsts, 1, "exactly one of them was the first response");
    assert!(stored.incident.first_responded_at.is_some());
}

#[tokio::test]
async fn an_incident_the_caller_may_not_see_is_not_found_and_unchanged() {
    let store = store().await;
    let id = incident_of(&store, "customer").await;
    let before = store.incident(&id).await.expect("read").expect("exists");
    let outcome = usecases::act::act(
        &store,
        &Actor::customer("another-customer"),
        &domain::IncidentId::from(&id),
        Action::CustomerMessage {
            message: "hello".into(),
        },
        now(),
    )
    .await;
    assert!(
        matches!(outcome, Err(Failure::NotFound)),
        "{:?}",
        outcome.err()
    );
    let after = store.incident(&id).await.expect("read").expect("exists");
    assert_eq!(after.version, before.version);
    assert_eq!(after.event_count, before.event_count);
}

/// A payment page that fails its first `failures` calls, then answers a session per pack (the
/// same one again for the same pack, as Stripe does under its `Idempotency-Key`); it counts calls.
struct Page {
    failures: usize,
    calls: std::sync::atomic::AtomicUsize,
}

impl PaymentPage for Page {
    async fn create_session(&self, order: &CardOrder) -> Result<Session, String> {
        let call = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if call < self.failures {
            return Err("the payment provider timed out".into());
        }
        Ok(Session {
            id: format!("cs_{}", order.pack_id),
            url: format!("https://pay.example/{}", order.pack_id),
        })
    }
}

fn prices() -> PriceList {
    PriceList::shipped().expect("the shipped price list")
}

#[tokio::test]
async fn a_card_order_whose_payment_page_fails_is_retried_into_the_same_order() {
    let store = store().await;
    let page = Page {
        failures: 1,
        calls: Default::default(),
    };
    let request = PurchaseRequest {
        offer: Offer::FivePack,
        billing_country: "PL".into(),
    };
    let key = IdempotencyWrite::new(&"buyer".into(), "POST /packs", "k-1", "fp".into(), now());
    let first = purchase(
        &store,
        &prices(),
        Payment::Card(&page),
        "buyer",
        &request,
        key.clone(),
        now(),
    )
    .await;
    assert!(
        matches!(first, Err(Failure::PaymentUnavailable(_))),
        "{:?}",
        first.err()
    );
    assert!(
        earlier(&store, &key).await.expect("read").is_none(),
        "nothing was answered for the key"
    );
    let (listed, _) = store
        .packs_of(
            "buyer",
            &store::Page {
                limit: 10,
                cursor: None,
            },
        )
        .await
        .expect("list");
    assert!(listed.is_empty(), "no pack exists before its session does");
    let Purchased::Created(pack) = purchase(
        &store,
        &prices(),
        Payment::Card(&page),
        "buyer",
        &request,
        key.clone(),
        now(),
    )
    .await
    .expect("the retry orders") else {
        panic!("not created")
    };
    let checkout = pack.checkout.clone().expect("an order awaiting payment");
    assert_eq!(checkout.session_id, format!("cs_{}", pack.pack_id));
    assert_eq!(page.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    // The draft fixed the order: a later retry replays it; another body under the key is refused.
    assert!(earlier(&store, &key).await.expect("read").is_some());
    let other = IdempotencyWrite::new(&"buyer".into(), "POST /packs", "k-2", "fp-a".into(), now());
    let reused = IdempotencyWrite::new(&"buyer".into(), "POST /packs", "k-2", "fp-b".into(), now());
    let failing = Page {
        failures: usize::MAX,
        calls: Default::default(),
    };
    let reserved = purchase(
        &store,
        &prices(),
        Payment::Card(&failing),
        "buyer",
        &request,
        other,
        now(),
    )
    .await;
    assert!(matches!(reserved, Err(Failure::PaymentUnavailable(_))));
    let refused = purchase(
        &store,
        &prices(),
        Payment::Card(&page),
        "buyer",
        &request,
        reused,
        now(),
    )
    .await;
    assert!(
        matches!(refused, Err(Failure::IdempotencyKeyReused)),
        "{:?}",
        refused.err()
    );
}

#[tokio::test]
async fn an_invoiced_purchase_is_active_at_once_and_priced_with_tax() {
    let store = store().await;
    let request = PurchaseRequest {
        offer: Offer::Single,
        billing_country: "PL".into(),
    };
    let key = IdempotencyWrite::new(&"buyer".into(), "POST /packs", "k-1", "fp".into(), now());
    let Purchased::Created(pack) = purchase::<Page>(
        &store,
        &prices(),
        Payment::Invoiced,
        "buyer",
        &request,
        key,
        now(),
    )
    .await
    .expect("bought") else {
        panic!("not created")
    };
    assert!(pack.checkout.is_none());
    assert!(pack.price.tax > 0, "no verified exemption: taxed");
    assert_eq!(pack.price.gross, pack.price.net + pack.price.tax);
    assert_eq!(remaining(&store, &pack.pack_id).await, 1);
}

#[tokio::test]
async fn the_lists_show_a_caller_its_own_and_staff_every_one() {
    let store = store().await;
    let mine = bought(&store, "lister", Offer::FivePack).await;
    let theirs = bought(&store, "other", Offer::FivePack).await;
    let me = Actor::customer("lister");
    let page = domain::paging::Page::default();

    // Packs: the caller's own, and another account's is not found (never a hint it exists).
    let (packs, next) = usecases::lists::own_packs(&store, &me, &page)
        .await
        .expect("packs");
    let ids: Vec<_> = packs.iter().map(|p| p.pack_id.as_str()).collect();
    assert_eq!(ids, [mine.pack_id.as_str()]);
    assert_eq!(next, None);
    assert_eq!(
        usecases::lists::pack(&store, &me, &mine.pack_id)
            .await
            .expect("own")
            .pack_id,
        mine.pack_id
    );
    assert!(matches!(
        usecases::lists::pack(&store, &me, &theirs.pack_id).await,
        Err(Failure::NotFound)
    ));

    // Incidents: a customer lists its own; the staff's list is for staff.
    submit(
        &store,
        &Actor::customer("other"),
        &submission(Some(&theirs.pack_id)),
        None,
    )
    .await
    .expect("their incident");
    let (own, _) = usecases::lists::own_incidents(&store, &me, None, &page)
        .await
        .expect("own");
    assert!(own.is_empty(), "another account's incident listed: {own:?}");
    let everyone = usecases::lists::IncidentFilter {
        owner: usecases::lists::OwnerFilter::Any,
        status: None,
        severity: None,
        sla: None,
        open: false,
        charge_pending: false,
    };
    assert!(matches!(
        usecases::lists::staff_incidents(&store, &me, &everyone, &page).await,
        Err(Failure::Forbidden(_))
    ));
    let (all, _) = usecases::lists::staff_incidents(&store, &engineer("e1"), &everyone, &page)
        .await
        .expect("staff list");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].account_id, "other");

    // A cursor the store cannot read is the client's mistake, named as such.
    let forged = domain::paging::Page {
        limit: 10,
        cursor: Some("not-a-position".into()),
    };
    assert!(matches!(
        usecases::lists::own_packs(&store, &me, &forged).await,
        Err(Failure::InvalidCursor)
    ));
}

/// A change that loses its round to another writer decides again at the clock's new reading, and
/// never before the latest event: events are stamped when they commit, so `at` never decreases
/// along a timeline, even if the later round's clock reads earlier than the winner's stamp.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_lost_a_round_is_stamped_at_its_commit_never_before_the_winner() {
    use usecases::change::update_incident;
    let store = store().await;
    let id = incident_of(&store, "buyer").await;
    let owner = Actor::customer("buyer");
    let base = now() + chrono::Duration::seconds(5);
    let winner_at = base + chrono::Duration::seconds(60);
    // The loser's clock: its first round reads `base`; its later rounds read a skewed clock,
    // earlier than the winner's stamp.
    let readings = std::sync::atomic::AtomicUsize::new(0);
    let loser_clock = || {
        if readings.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            base
        } else {
            base + chrono::Duration::seconds(30)
        }
    };
    let message = |m: &str| Action::CustomerMessage { message: m.into() };
    let decided = |m: &'static str| {
        let owner = owner.clone();
        move |s: &store::incidents::StoredIncident, at| {
            domain::incident::apply(&s.incident, &owner, message(m), at).map_err(Failure::from)
        }
    };
    let mut interrupted = false;
    let loser = decided("loser");
    let (_, written) = update_incident(
        &store,
        &domain::IncidentId::from(&id),
        &loser_clock,
        &mut store.rounds(),
        |s, at| {
            if !interrupted {
                interrupted = true;
                // Another writer commits while this round is deciding.
                tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(async {
                        let winner = decided("winner");
                        update_incident(
                            &store,
                            &domain::IncidentId::from(&id),
                            &|| winner_at,
                            &mut store.rounds(),
                            winner,
                        )
                        .await
                    })
                })
                .expect("the winner commits");
            }
            loser(s, at)
        },
    )
    .await
    .expect("written")
    .expect("exists");
    assert!(
        readings.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "a second round ran"
    );
    assert_eq!(
        written.events[0].at, winner_at,
        "not before the winner's event"
    );
    let (_, timeline) = store
        .incident_with_timeline(&id)
        .await
        .expect("store")
        .expect("exists");
    let ats: Vec<_> = timeline.iter().map(|e| e.at).collect();
    assert_eq!(ats.len(), 3);
    assert!(ats.windows(2).all(|w| w[0] <= w[1]), "{ats:?}");
}

/// A message that lands after the sweep's instant but before its write: the warning and breach
/// the sweep records are stamped at their commit, after that message, never at the earlier
/// instant the sweep decided at.
#[tokio::test]
async fn sla_signals_written_after_a_later_message_are_stamped_after_it() {
    let store = store().await;
    let pack = bought(&store, "buyer", Offer::FivePack).await;
    let (i, e) = store::testkit::incident_for("buyer", &pack.pack_id, now());
    store
        .create_incident(&i, &e, now(), None, None)
        .await
        .expect("store");
    // Past the deadline (due in 8 h); the customer wrote a minute after the sweep's instant.
    let as_of = now() + chrono::Duration::hours(9);
    let message_at = as_of + chrono::Duration::seconds(60);
    let buyer = Actor::customer("buyer");
    let mut rounds = store.rounds();
    let clock = || message_at;
    usecases::change::update_incident(&store, &i.incident_id, &clock, &mut rounds, |s, at| {
        let message = Action::CustomerMessage {
            message: "Any news?".into(),
        };
        Ok(domain::incident::apply(&s.incident, &buyer, message, at)?)
    })
    .await
    .expect("written")
    .expect("exists");
    let plan = usecases::sweep::SweepPlan {
        as_of,
        page_size: 10,
        page_budget: 10,
        stop_at: None,
    };
    let system = Actor::system();
    let swept = usecases::sweep::sweep_due(&store, &plan, |incident, at| {
        Ok::<_, Failure>(domain::incident::sweep_signals(
            incident, &system, as_of, at,
        )?)
    })
    .await;
    assert!(swept.failure.is_none(), "{:?}", swept.failure);
    assert_eq!((swept.tally.warned, swept.tally.breached), (1, 1));
    let (stored, timeline) = store
        .incident_with_timeline(&i.incident_id)
        .await
        .expect("store")
        .expect("exists");
    let kinds: Vec<_> = timeline.iter().map(|e| (e.kind(), e.at)).collect();
    let signals: Vec<_> = timeline
        .iter()
        .filter(|e| {
            matches!(
                e.kind(),
                domain::incident::EventKind::SlaWarning | domain::incident::EventKind::SlaBreached
            )
        })
        .collect();
    assert_eq!(signals.len(), 2, "{kinds:?}");
    assert!(signals.iter().all(|e| e.at == message_at), "{kinds:?}");
    assert!(timeline.windows(2).all(|w| w[0].at <= w[1].at), "{kinds:?}");
    assert_eq!(stored.incident.sla_warned_at, Some(message_at));
}

/// A message is sent once however often and however concurrently its change is handled; a
/// refusal releases the claim so a later try sends it; a suppressed address gets nothing.
#[tokio::test]
async fn a_notification_is_sent_once_and_a_refused_one_again_later() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use usecases::notify::{send_once, Delivered, NotSent, Once};
    let store = store().await;
    let once = |source: &'static str, to: Option<&'static str>| Once {
        source,
        role: "contact",
        to,
        lease: chrono::Duration::seconds(60),
    };
    let sends = AtomicUsize::new(0);
    let send = || async {
        sends.fetch_add(1, SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        Ok::<_, (bool, String)>("provider-id".to_string())
    };

    // Ten deliveries of one change at once: one send; the rest find it sent or in flight.
    let outcomes = join_all(
        (0..10).map(|_| send_once(&store, once("INC#1#EVENT#1", Some("a@example.com")), send)),
    )
    .await;
    assert_eq!(sends.load(SeqCst), 1, "{outcomes:?}");
    assert!(outcomes.iter().any(|o| matches!(o, Ok(Delivered::Sent))));
    assert!(outcomes.iter().all(|o| matches!(
        o,
        Ok(Delivered::Sent | Delivered::AlreadySent) | Err(NotSent::InFlight)
    )));
    let again = send_once(&store, once("INC#1#EVENT#1", Some("a@example.com")), send).await;
    assert!(matches!(again, Ok(Delivered::AlreadySent)), "{again:?}");
    assert_eq!(sends.load(SeqCst), 1);

    // The provider refuses (throttled): the claim is released, and the next try sends.
    let refused = send_once(&store, once("INC#1#EVENT#2", None), || async {
        Err::<String, _>((true, "throttled".to_string()))
    })
    .await;
    assert!(
        matches!(&refused, Err(e @ NotSent::Refused { retryable: true, .. }) if e.is_retryable())
    );
    let retried = send_once(&store, once("INC#1#EVENT#2", None), send).await;
    assert!(matches!(retried, Ok(Delivered::Sent)), "{retried:?}");
    assert_eq!(sends.load(SeqCst), 2);

    // A bounced address: nothing is sent, nothing claimed.
    store
        .suppress_address("bounced@example.com", "bounce", now())
        .await
        .expect("suppressed");
    let suppressed = send_once(
        &store,
        once("INC#1#EVENT#3", Some("bounced@example.com")),
        send,
    )
    .await;
    assert!(
        matches!(suppressed, Ok(Delivered::Suppressed)),
        "{suppressed:?}"
    );
    assert_eq!(sends.load(SeqCst), 2);
}
