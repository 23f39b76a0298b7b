//! The raw store floor: the one SDK call a handler's request comes down to, made straight from
//! the bench process with the functions' client settings and timed alone; and the emptying of
//! the table between batches.

use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use bench::fixtures::{five_pack, now};
use domain::calendar::{first_response_clock, Calendars};
use domain::incident::apply;
use domain::intake::{new_incident, NewIncident, Submission};
use domain::{Actor, Money};
use std::time::Duration;
use store::idempotency::IdempotencyWrite;
use store::incidents::{ApplyOutcome, CreateOutcome};
use store::keys::{CATALOGUE_PK, PK, SK};
use store::packs::PurchaseOutcome;
use store::Store;

/// A pack bought straight through the store, for the floor's owner.
pub async fn floor_pack(store: &Store, owner: &str) -> Result<String, String> {
    let price = Money {
        currency: "PLN".into(),
        net: 100,
        tax: 23,
        gross: 123,
    };
    let pack = five_pack(owner, price, now());
    let idem = IdempotencyWrite::new(
        &domain::AccountId::from(owner),
        "POST /packs",
        &store::ids::new_id("key"),
        "bench".into(),
        now(),
    );
    match store.purchase(&pack, &idem).await {
        Ok(PurchaseOutcome::Created) => Ok(pack.pack_id.to_string()),
        other => Err(format!("floor pack purchase: {other:?}")),
    }
}

/// The floor of an intake: exactly the draw transaction intake writes (pack draw, incident,
/// `submitted` event, ledger debit, idempotency record), built the same way, timed alone.
pub async fn floor_draw(
    store: &Store,
    owner: &str,
    pack_id: &str,
    submission: &Submission,
) -> Result<(Duration, String), String> {
    let draw = FloorDraw::new(owner, pack_id, submission)?;
    let started = std::time::Instant::now();
    let id = draw.write(store).await?;
    Ok((started.elapsed(), id))
}

/// The floor of an intake without a named pack on an account's first request in a process:
/// what DynamoDB needs for it at the least — the account's usable packs (the `usable_packs`
/// Query) beside its pack generation (one GetItem), then the draw transaction from the
/// soonest-expiring of them — made straight and timed together. On an account of its own with
/// one five-pack, bought through the store before the clock starts.
pub async fn floor_find_and_draw(
    store: &Store,
    submission: &Submission,
) -> Result<Duration, String> {
    let owner = store::ids::new_id("acct");
    floor_pack(store, &owner).await?;
    let started = std::time::Instant::now();
    let (packs, generation) = tokio::join!(
        store.usable_packs_of(&owner, now()),
        store.pack_generation(&owner)
    );
    generation.map_err(|e| e.to_string())?;
    let packs = packs.map_err(|e| e.to_string())?;
    let soonest = packs
        .first()
        .ok_or("the floor's pack is not listed usable")?;
    FloorDraw::new(&owner, &soonest.pack_id, submission)?
        .write(store)
        .await?;
    Ok(started.elapsed())
}

/// One draw transaction of the floor, built as intake builds it.
struct FloorDraw {
    incident: domain::incident::Incident,
    submitted: domain::incident::Event,
    idempotency: IdempotencyWrite,
    at: domain::time::Instant,
}

impl FloorDraw {
    fn new(owner: &str, pack_id: &str, submission: &Submission) -> Result<FloorDraw, String> {
        let at = now();
        let calendars = Calendars::shipped().map_err(|e| e.to_string())?;
        let clock =
            first_response_clock(calendars.get(submission.calendar), submission.severity, at);
        let (incident, submitted) = new_incident(
            submission,
            NewIncident {
                incident_id: store::ids::new_id("inc").into(),
                account_id: &domain::AccountId::from(owner),
                pack_id: &domain::PackId::from(pack_id),
                parent_incident_id: None,
                first_response_warn_at: clock.warn_at,
                first_response_due_at: clock.due_at,
                now: at,
                number: domain::incident::incident_number(&store::ids::random_bytes::<5>()),
                actor_display_name: None,
            },
        );
        let mut idempotency = IdempotencyWrite::new(
            &domain::AccountId::from(owner),
            "POST /incidents",
            &store::ids::new_id("key"),
            "bench".into(),
            at,
        );
        idempotency.body = serde_json::to_value(incident.view(Some(vec![submitted.clone()])))
            .map_err(|e| e.to_string())?;
        Ok(FloorDraw {
            incident,
            submitted,
            idempotency,
            at,
        })
    }

    /// The transaction; the new incident's id.
    async fn write(self, store: &Store) -> Result<String, String> {
        let outcome = store
            .create_incident(
                &self.incident,
                &self.submitted,
                self.at,
                Some(&self.idempotency),
                None,
            )
            .await;
        match outcome {
            Ok(CreateOutcome::Created) => Ok(self.incident.incident_id.to_string()),
            other => Err(format!("floor draw: {other:?}")),
        }
    }
}

/// The floor of a response or closure: the one versioned transition write, timed alone; the
/// GetItem of the incident before it is timed on its own, as the read floor.
pub async fn floor_transition(
    store: &Store,
    actor: &Actor,
    incident_id: &str,
    action: domain::incident::Action,
) -> Result<(Duration, Duration), String> {
    let at = now();
    let started = std::time::Instant::now();
    let stored = store
        .incident(incident_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("floor incident missing")?;
    let read = started.elapsed();
    let t = apply(&stored.incident, actor, action, at).map_err(|e| format!("{e:?}"))?;
    let started = std::time::Instant::now();
    let outcome = store.apply_transition(&stored, &t, at).await;
    let took = started.elapsed();
    match outcome {
        Ok(ApplyOutcome::Applied) => Ok((read, took)),
        other => Err(format!("floor transition: {other:?}")),
    }
}

/// Deletes every item but the catalogue; how many items there were (catalogue included).
pub async fn clear_table(store: &Store) -> Result<usize, String> {
    let client = store.client();
    let mut keys = Vec::new();
    let mut seen = 0;
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(store.table_name())
            .projection_expression("#pk, #sk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| format!("Scan: {e}"))?;
        for item in page.items() {
            seen += 1;
            if item.get(PK).and_then(|v| v.as_s().ok()).map(String::as_str) != Some(CATALOGUE_PK) {
                keys.push(item.clone());
            }
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    for chunk in keys.chunks(25) {
        let mut requests: Vec<WriteRequest> = chunk
            .iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key.clone()))
                    .build()
                    .map(|d| WriteRequest::builder().delete_request(d).build())
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        while !requests.is_empty() {
            let out = client
                .batch_write_item()
                .request_items(store.table_name(), requests)
                .send()
                .await
                .map_err(|e| format!("BatchWriteItem: {e}"))?;
            requests = out
                .unprocessed_items
                .and_then(|mut u| u.remove(store.table_name()))
                .unwrap_or_default();
        }
    }
    Ok(seen)
}
