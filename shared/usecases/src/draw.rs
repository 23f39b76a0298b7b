//! Submitting an incident: every intake check, then one unit drawn from the first usable pack
//! that accepts the draw (the named one, or soonest expiry first), creating the incident, its
//! `submitted` event, the ledger debit and the idempotency record in one transaction. Shared by
//! `POST /incidents` and an accepted sub-problem, so both get every check and the same write.

use crate::Failure;
use domain::calendar::{first_response_clock, Calendars};
use domain::idempotency::{IdempotencyRecord, IdempotencyWrite};
use domain::incident::{Event, Incident};
use domain::intake::{check, new_incident, NewIncident, Submission};
use domain::pack::draw_candidates;
use domain::pack::Pack;
use domain::time::Instant;
use domain::Actor;
use domain::PackStatus;
use store::incidents::CreateOutcome::{
    Created, NumberTaken, PackUnusable, ParentChanged, Replayed,
};
use store::incidents::ParentChange;
use store::packs::PackDraw;
use store::retry::Rounds;
use store::Store;

/// A customer's submission (`POST /incidents`): who submits what, when, under which new id.
pub struct Submit<'a> {
    pub actor: &'a Actor,
    pub submission: &'a Submission,
    pub now: Instant,
    pub incident_id: String,
    pub idempotency: Option<IdempotencyWrite>,
    /// The account's e-mail address to keep in the draw's own transaction (see
    /// `profile::claim_email`), or `None`.
    pub remember_email: Option<&'a str>,
}

/// What a submission came to.
pub enum Submitted {
    Created {
        incident: Box<Incident>,
        submitted: Event,
    },
    /// The idempotency key already created an incident: its stored answer.
    Replayed(IdempotencyRecord),
}

/// Submits an incident under the request's one retry budget: every intake check, then a unit
/// drawn (see `draw_incident`).
pub async fn submit(
    store: &Store,
    calendars: &Calendars,
    s: Submit<'_>,
) -> Result<Submitted, Failure> {
    let mut rounds = store.rounds();
    let mut numbers = 0;
    let drawn = loop {
        numbers += 1;
        let draw = Draw {
            actor: s.actor,
            submission: s.submission,
            now: s.now,
            incident_id: s.incident_id.clone().into(),
            number: new_number(),
            idempotency: s.idempotency.clone(),
            parent_incident_id: None,
            parent: None,
            remember_email: s.remember_email,
        };
        match draw_incident(store, calendars, draw, &mut rounds).await? {
            // A taken number (rare: 3.3 × 10¹⁰ of them) is drawn again; nothing was written.
            Drawn::NumberTaken if numbers < NUMBER_DRAWS => continue,
            drawn => break drawn,
        }
    };
    match drawn {
        Drawn::Created {
            incident,
            submitted,
        } => Ok(Submitted::Created {
            incident,
            submitted,
        }),
        Drawn::Replayed(record) => Ok(Submitted::Replayed(record)),
        // The store reports a parent's change only for a draw that has a parent.
        Drawn::ParentChanged => Err(Failure::Internal(
            "a submission without a parent reported a parent change".into(),
        )),
        Drawn::NumberTaken => Err(Failure::Unavailable(
            "no free incident number was found; retry".into(),
        )),
    }
}

/// Fresh incident numbers a submission tries before it gives up (each taken one is a
/// 1-in-3.3 × 10¹⁰ event while the table holds fewer than a million incidents).
const NUMBER_DRAWS: u32 = 5;

/// What one draw came to (the store's outcomes; `submit` and the sub-problem decision each
/// answer only the ones their draw can have).
pub(crate) enum Drawn {
    Created {
        incident: Box<Incident>,
        submitted: Event,
    },
    Replayed(IdempotencyRecord),
    /// A sub-problem's parent changed between reading and drawing; nothing was written.
    ParentChanged,
    /// The draw's incident number is taken (`Draw::number`); nothing was written: draw again
    /// with another (`new_number`).
    NumberTaken,
}

/// A new incident's id (`inc_…`, random).
pub fn new_incident_id() -> String {
    store::ids::new_id("inc")
}

/// A fresh incident number from the OS CSPRNG (`domain::incident::incident_number`).
pub(crate) fn new_number() -> String {
    domain::incident::incident_number(&store::ids::random_bytes::<5>())
}

/// One draw: who submits what, when, under which new id; for a sub-problem, the parent's change.
pub(crate) struct Draw<'a> {
    pub actor: &'a Actor,
    pub submission: &'a Submission,
    pub now: Instant,
    pub incident_id: domain::IncidentId,
    /// The new incident's number (`new_number`), reserved by the draw's transaction.
    pub number: String,
    pub idempotency: Option<IdempotencyWrite>,
    pub parent_incident_id: Option<domain::IncidentId>,
    pub parent: Option<ParentChange<'a>>,
    pub remember_email: Option<&'a str>,
}

/// Runs the intake checks, then draws from the first usable pack that accepts the draw (the
/// named one, or soonest expiry first), creating the incident in the same transaction.
///
/// A named pack is drawn from without reading it first: the transaction's own condition is the
/// rule of usability (`store::packs::usable_condition`), so the common submission is one round
/// trip. Only when that draw does not hold is the pack read, to tell a pack that changed
/// meanwhile (draw again) from one that is not usable (the refusal). Such a draw leaves the
/// `usable_packs` index as it is, so a pack whose last unit it took stays listed until the next
/// draw from the index takes it out (as after concurrent draws).
///
/// The packs come from the sparse `usable_packs` index (one Query whose cost follows the packs
/// in use, not the account's history). A draw whose pack no longer takes it (its last unit went
/// meanwhile) reads the pack again (consistently) and, while it is still usable, draws again.
/// Only when no indexed pack takes the draw is the account's whole history read, once, before
/// the refusal: an index that lags or misses a pack never refuses a customer who has a unit.
/// Listed packs found used up leave the index in the first draw's transaction.
///
/// Its attempts spend the caller's `rounds`: one budget for the request, however many packs the
/// draw tries and whichever loop (a sub-problem decision's) it runs in.
pub(crate) async fn draw_incident(
    store: &Store,
    calendars: &Calendars,
    draw: Draw<'_>,
    rounds: &mut Rounds,
) -> Result<Drawn, Failure> {
    let submission = draw.submission;
    let product = store.catalogue_product(&submission.product_id).await?;
    check(submission, product.as_ref(), draw.now)?;
    let account = &draw.actor.account_id;
    // One budget for the whole draw, whichever packs it tries (the index's, then the history's):
    // moving on to another pack does not start the policy's time again.
    // No pack named, and this process drew for the account before: that pack again, in one
    // transaction that holds only while it is usable and no pack became usable by the account
    // since it was chosen as the soonest-expiring (`memory`).
    if submission.pack_id.is_none() {
        if let Some(known) = memory::recall(account) {
            if rounds.start().await {
                let how = PackDraw {
                    seen: None,
                    reindex: false,
                    used_up: &[],
                    remember_email: draw.remember_email,
                    generation: Some(known.generation),
                };
                match draw_one(store, calendars, &draw, &known.pack_id, how).await? {
                    Attempt::Done(drawn) => {
                        memory::drew(account, &known.pack_id);
                        return Ok(drawn);
                    }
                    Attempt::PackChanged => memory::forget(account),
                }
            }
        }
    }
    if let Some(id) = &submission.pack_id {
        if rounds.start().await {
            let blind = PackDraw {
                seen: None,
                reindex: false,
                used_up: &[],
                remember_email: draw.remember_email,
                generation: None,
            };
            if let Attempt::Done(drawn) = draw_one(store, calendars, &draw, id, blind).await? {
                return Ok(drawn);
            }
        }
    }
    let (packs, generation) = match &submission.pack_id {
        Some(id) => (store.pack(id).await?.into_iter().collect(), None),
        // The generation beside the index's Query (the same round trip): what a later draw from
        // memory checks is unchanged.
        None => {
            let (packs, generation) = tokio::join!(
                store.usable_packs_of(account, draw.now),
                store.pack_generation(account)
            );
            (packs?, Some(generation?))
        }
    };
    let listed = submission.pack_id.is_none();
    if let Some((drawn, from)) = draw_from(store, calendars, &draw, &packs, listed, rounds).await? {
        if let (Some(generation), Some(from)) = (generation, from) {
            if memory::settled(&generation, &packs, account, draw.now) {
                memory::remember(account, &from, generation.generation);
            }
        }
        return Ok(drawn);
    }
    if listed {
        let history = store.all_packs_of(account).await?;
        if let Some((drawn, _)) =
            draw_from(store, calendars, &draw, &history, false, rounds).await?
        {
            return Ok(drawn);
        }
    }
    Err(Failure::NoUsablePack(match &submission.pack_id {
        Some(id) => format!("Pack {id} is not yours, has expired, or has no incidents left."),
        None => "You have no unexpired pack with incidents remaining. Buy a pack (POST /packs) or claim one (POST /pack-claims).".into(),
    }))
}

/// Tries the usable ones of `packs` in the draw's order; `None` if none took the draw. `listed`:
/// the packs came from the `usable_packs` index (else from the account's history, and a draw
/// puts its pack back in the index). With the draw, the pack as it was drawn from when it was
/// the first in the draw's order (the soonest-expiring of `packs`), else `None`.
async fn draw_from(
    store: &Store,
    calendars: &Calendars,
    draw: &Draw<'_>,
    packs: &[Pack],
    listed: bool,
    rounds: &mut Rounds,
) -> Result<Option<(Drawn, Option<Pack>)>, Failure> {
    let account = &draw.actor.account_id;
    let named = draw.submission.pack_id.as_deref();
    let used_up: Vec<domain::PackId> = if listed {
        packs
            .iter()
            .filter(|p| p.owner_account_id == *account && p.status(draw.now) == PackStatus::UsedUp)
            .map(|p| p.pack_id.clone())
            .collect()
    } else {
        Vec::new()
    };
    let mut clean_up: &[domain::PackId] = &used_up;
    for (position, candidate) in draw_candidates(packs, account, named, draw.now)
        .into_iter()
        .enumerate()
    {
        let mut pack = candidate.clone();
        let mut still_usable = true;
        while still_usable && rounds.start().await {
            let how = PackDraw {
                seen: Some(pack.incidents_remaining),
                reindex: !listed,
                used_up: std::mem::take(&mut clean_up),
                remember_email: draw.remember_email,
                generation: None,
            };
            if let Attempt::Done(drawn) =
                draw_one(store, calendars, draw, &pack.pack_id, how).await?
            {
                return Ok(Some((drawn, (position == 0).then_some(pack))));
            }
            // Drawn from meanwhile, refunded, moved or expired: the pack as it stands now.
            match store.pack(&pack.pack_id).await? {
                Some(now) if now.usable_by(account, draw.now) => pack = now,
                _ => still_usable = false,
            }
        }
        if still_usable {
            return Err(Failure::Unavailable(format!(
                "pack {} is changing too fast; retry",
                pack.pack_id
            )));
        }
    }
    Ok(None)
}

/// What one attempt on one pack came to.
enum Attempt {
    Done(Drawn),
    /// The pack no longer takes the draw (the last unit it was read with went meanwhile, or it is
    /// no longer usable): read it again.
    PackChanged,
}

/// One transaction: a unit drawn from the pack (as `how` says), the incident created.
async fn draw_one(
    store: &Store,
    calendars: &Calendars,
    draw: &Draw<'_>,
    pack_id: &str,
    how: PackDraw<'_>,
) -> Result<Attempt, Failure> {
    let submission = draw.submission;
    let clock = first_response_clock(
        calendars.get(submission.calendar),
        submission.severity,
        draw.now,
    );
    let (incident, submitted) = new_incident(
        submission,
        NewIncident {
            incident_id: draw.incident_id.clone(),
            account_id: &draw.actor.account_id,
            pack_id: &domain::PackId::from(pack_id),
            parent_incident_id: draw.parent_incident_id.clone(),
            first_response_warn_at: clock.warn_at,
            first_response_due_at: clock.due_at,
            now: draw.now,
            number: draw.number.clone(),
            actor_display_name: domain::incident::actor_name(draw.actor),
        },
    );
    let idempotency = match draw.idempotency.clone() {
        Some(mut w) => {
            w.body = serde_json::to_value(incident.view(Some(vec![submitted.clone()])))
                .map_err(|e| Failure::Internal(format!("serialising the answer: {e}")))?;
            Some(w)
        }
        None => None,
    };
    let parent = draw.parent.as_ref().map(|p| ParentChange {
        parent: p.parent,
        transition: p.transition,
        proposal: p.proposal,
    });
    let outcome = store
        .draw_and_create(
            &incident,
            &submitted,
            draw.now,
            idempotency.as_ref(),
            parent,
            how,
        )
        .await?;
    Ok(match outcome {
        Created => Attempt::Done(Drawn::Created {
            incident: Box::new(incident),
            submitted,
        }),
        Replayed(record) => Attempt::Done(Drawn::Replayed(record)),
        ParentChanged => Attempt::Done(Drawn::ParentChanged),
        NumberTaken => Attempt::Done(Drawn::NumberTaken),
        PackUnusable => Attempt::PackChanged,
    })
}

/// What this process remembers of its accounts' draws without a named pack: the pack it drew
/// from last as the soonest-expiring usable one, at which pack generation
/// (`store::packs::PackGeneration`), and how many units it had left as far as this process knows.
/// A draw from memory is one transaction conditioned on the pack's usability (as every draw) and
/// on the generation being unchanged: if a pack became usable by the account since (bought,
/// activated, claimed, refunded — each moves the generation in its own transaction), the draw
/// does not hold and the account's packs are read again. So the pack drawn is always the one the
/// index's Query would choose, and a Lambda process that has drawn for the account once draws in
/// one round trip.
pub(crate) mod memory {
    use domain::pack::Pack;
    use domain::time::Instant;
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    use store::packs::PackGeneration;

    /// Accounts remembered per process at most (then it starts afresh): a few hundred bytes each.
    const ACCOUNTS: usize = 10_000;
    /// How long after a write a global secondary index is trusted to show it. AWS documents the
    /// propagation as "within a fraction of a second, under normal conditions"; two seconds is
    /// the margin beyond which a choice made from the index is remembered without more proof.
    const INDEX_MARGIN_MS: i64 = 2_000;

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(crate) struct Known {
        pub pack_id: String,
        pub generation: u64,
        units_left: u32,
    }

    static MEMORY: LazyLock<Mutex<HashMap<String, Known>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));

    fn with<T>(f: impl FnOnce(&mut HashMap<String, Known>) -> T) -> T {
        let mut map = MEMORY
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut map)
    }

    pub(crate) fn recall(account: &str) -> Option<Known> {
        with(|m| m.get(account).cloned())
    }

    /// After a draw from `pack` chosen as the soonest-expiring (read as `pack`, before the draw).
    pub(crate) fn remember(account: &str, pack: &Pack, generation: u64) {
        let units_left = pack.incidents_remaining.saturating_sub(1);
        with(|m| {
            if units_left == 0 {
                m.remove(account);
                return;
            }
            if m.len() >= ACCOUNTS && !m.contains_key(account) {
                m.clear();
            }
            m.insert(
                account.to_string(),
                Known {
                    pack_id: pack.pack_id.to_string(),
                    generation,
                    units_left,
                },
            );
        });
    }

    /// After a draw from memory: one unit fewer (as far as this process knows).
    pub(crate) fn drew(account: &str, pack_id: &str) {
        with(|m| {
            let done = match m.get_mut(account) {
                Some(k) if k.pack_id == pack_id => {
                    k.units_left = k.units_left.saturating_sub(1);
                    k.units_left == 0
                }
                _ => false,
            };
            if done {
                m.remove(account);
            }
        });
    }

    pub(crate) fn forget(account: &str) {
        with(|m| m.remove(account));
    }

    /// Whether `packs` (the index's Query, eventually consistent) can be trusted to show every
    /// pack the generation counts, so that the choice made from them may be remembered at that
    /// generation. Yes when its last change is older than the index's margin; or when the change
    /// before it is, and the last change's pack is listed usable (the change is visible, or the
    /// pack was usable anyway: the order is the same). `started`: no later than the Query's start.
    pub(crate) fn settled(
        generation: &PackGeneration,
        packs: &[Pack],
        account: &str,
        started: Instant,
    ) -> bool {
        let margin = chrono::Duration::milliseconds(INDEX_MARGIN_MS);
        let old = |t: Option<Instant>| t.is_none_or(|t| t + margin < started);
        if old(generation.changed_at) {
            return true;
        }
        old(generation.previous_changed_at)
            && generation.last_pack.as_ref().is_some_and(|last| {
                packs
                    .iter()
                    .any(|p| p.pack_id == *last && p.usable_by(account, started))
            })
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use chrono::{Duration, TimeZone, Utc};
        use domain::{Money, Offer};

        fn at(s: i64) -> Instant {
            Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap() + Duration::seconds(s)
        }

        fn pack(id: &str, bought: Instant) -> Pack {
            let mut p = Pack::order(
                id.into(),
                Offer::FivePack,
                "acc",
                bought,
                format!("ORD-{id}"),
                Money {
                    currency: "PLN".into(),
                    net: 1,
                    tax: 0,
                    gross: 1,
                },
                false,
            );
            p.state = domain::PackState::Active;
            p.purchased_at = Some(bought);
            p.expires_at = Some(bought + Duration::days(365));
            p.incidents_remaining = 5;
            p
        }

        fn generation(
            last: Option<&str>,
            changed: Option<i64>,
            previous: Option<i64>,
        ) -> PackGeneration {
            PackGeneration {
                generation: 1,
                last_pack: last.map(String::from),
                changed_at: changed.map(at),
                previous_changed_at: previous.map(at),
            }
        }

        #[test]
        fn an_index_read_long_after_the_last_change_is_trusted() {
            assert!(settled(&PackGeneration::default(), &[], "acc", at(0)));
            assert!(settled(
                &generation(Some("p2"), Some(-60), Some(-120)),
                &[],
                "acc",
                at(0)
            ));
        }

        #[test]
        fn a_recent_change_is_trusted_only_when_its_pack_is_listed_usable() {
            let listed = [pack("p1", at(-100)), pack("p2", at(-1))];
            assert!(settled(
                &generation(Some("p2"), Some(-1), None),
                &listed,
                "acc",
                at(0)
            ));
            // The index has not shown the new pack yet: not remembered.
            assert!(!settled(
                &generation(Some("p3"), Some(-1), None),
                &listed,
                "acc",
                at(0)
            ));
            // Listed, but as it was before the change (no unit): not remembered.
            let mut stale = listed.clone();
            stale[1].incidents_remaining = 0;
            assert!(!settled(
                &generation(Some("p2"), Some(-1), None),
                &stale,
                "acc",
                at(0)
            ));
            // Two recent changes: only the last one's pack can be checked.
            assert!(!settled(
                &generation(Some("p2"), Some(-1), Some(-1)),
                &listed,
                "acc",
                at(0)
            ));
        }

        #[test]
        fn memory_counts_down_the_units_it_knows_of_and_forgets_an_empty_pack() {
            let account = "acc-memory-test";
            let mut p = pack("p1", at(0));
            p.incidents_remaining = 3;
            remember(account, &p, 4);
            assert_eq!(
                recall(account).map(|k| (k.pack_id, k.generation)),
                Some(("p1".into(), 4))
            );
            drew(account, "p1");
            assert!(recall(account).is_some());
            drew(account, "p1");
            assert_eq!(recall(account), None, "its last known unit went");
            p.incidents_remaining = 1;
            remember(account, &p, 4);
            assert_eq!(
                recall(account),
                None,
                "a draw that took the last unit leaves nothing to remember"
            );
        }
    }
}

/// The memory against the local data store (`AWS_ENDPOINT_URL_DYNAMODB`, as the store's own
/// tests): one process, so every draw below meets the same memory.
#[cfg(test)]
mod memory_against_the_store {
    use super::*;
    use domain::catalogue::{parse_catalogue, SHIPPED_CATALOGUE};

    fn now() -> Instant {
        domain::time::parse_instant(&domain::time::format_instant(chrono::Utc::now()))
            .expect("instant")
    }

    async fn bought(store: &Store, owner: &str) -> Pack {
        store::testkit::bought(store, owner, domain::Offer::FivePack, now()).await
    }

    async fn drawn_from(store: &Store, calendars: &Calendars, actor: &Actor) -> String {
        let body = serde_json::json!({"product_id": "sql-server-2022", "category": "performance",
            "severity": "C", "handling": "business_hours", "title": "Slow queries",
            "description": "Since the upgrade.", "contact": {"name": "N", "email": "n@example.com"}});
        let submission = Submission::parse(&body).expect("valid");
        let draw = Submit {
            actor,
            submission: &submission,
            now: now(),
            incident_id: store::ids::new_id("inc"),
            idempotency: None,
            remember_email: None,
        };
        match submit(store, calendars, draw).await {
            Ok(Submitted::Created { incident, .. }) => incident.pack_id.to_string(),
            Ok(_) => panic!("not created"),
            Err(e) => panic!("{e:?}"),
        }
    }

    #[tokio::test]
    async fn a_draw_reuses_the_pack_drawn_last_only_while_the_pack_generation_holds() {
        let store = store::testkit::fresh_store().await.expect("table");
        for p in parse_catalogue(SHIPPED_CATALOGUE).expect("catalogue") {
            store.put_product(&p).await.expect("product");
        }
        let calendars = Calendars::shipped().expect("calendars");
        let account = store::ids::new_id("acct");
        let actor = Actor::customer(account.clone());
        // Bought first, so it expires first; "used up" for now.
        let sooner = bought(&store, &account).await;
        store::testkit::set_remaining_behind_generation(&store, &sooner.pack_id, 0)
            .await
            .expect("store");
        // Past the index's margin (instants are stored to the second), so the next choice may
        // be remembered.
        tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
        let later = bought(&store, &account).await;
        assert_eq!(drawn_from(&store, calendars, &actor).await, later.pack_id);
        assert_eq!(
            memory::recall(&account).map(|k| k.pack_id),
            Some(later.pack_id.to_string())
        );
        // A unit the generation does not know of: the memory's draw holds, so it takes `later`
        // (a draw that read the index would have taken `sooner`). Proof the memory decides.
        store::testkit::set_remaining_behind_generation(&store, &sooner.pack_id, 1)
            .await
            .expect("store");
        assert_eq!(drawn_from(&store, calendars, &actor).await, later.pack_id);
        // A write that may make a pack usable moves the generation (here an expiry set to what
        // it was): the memory's draw no longer holds, the index decides: `sooner`.
        store
            .set_pack_expiry(&sooner.pack_id, sooner.expires_at.expect("paid"))
            .await
            .expect("store");
        assert_eq!(drawn_from(&store, calendars, &actor).await, sooner.pack_id);
        assert_eq!(drawn_from(&store, calendars, &actor).await, later.pack_id);
        for pack in [&sooner.pack_id, &later.pack_id] {
            let r = store.reconcile(pack).await.expect("store").expect("pack");
            assert_eq!(r.debits, if *pack == later.pack_id { 3 } else { 1 });
        }
    }
}
