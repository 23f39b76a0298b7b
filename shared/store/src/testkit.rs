//! Test support against the real local server: every test gets its own freshly created table,
//! so tests run in parallel without seeing each other. There is no in-memory stand-in.

use crate::idempotency::IdempotencyWrite;
use crate::packs::PurchaseOutcome;
use crate::{Store, StoreError};
use domain::incident::{Event, Incident};
use domain::intake::{new_incident, NewIncident, Submission};
use domain::pack::{order_confirmation_number, Pack};
use domain::time::Instant;
use domain::{Money, Offer};

/// A store on a new, uniquely named table in the server named by `AWS_ENDPOINT_URL_DYNAMODB`.
pub async fn fresh_store() -> Result<Store, StoreError> {
    let client = crate::client_from_env().await;
    let name = crate::ids::new_id("test");
    crate::table::create_table(&client, &name).await?;
    Ok(Store::new(client, name))
}

/// A pack of `offer` for `owner`, ordered at `at`, active at once (vendors who invoice), at a
/// five-pack's Polish price; not yet written.
pub fn new_pack(owner: &str, offer: Offer, at: Instant) -> Pack {
    let price = Money {
        currency: "PLN".into(),
        net: 899_500,
        tax: 206_885,
        gross: 1_106_385,
    };
    Pack::new(
        crate::ids::new_id("pck"),
        offer,
        owner,
        at,
        order_confirmation_number(&crate::ids::random_bytes::<13>()),
        price,
        false,
    )
}

/// `new_pack`, bought as `POST /packs` writes it (its ledger opening, its order number, an
/// idempotency record under a fresh key). Panics if the purchase is not created: test support.
pub async fn bought(store: &Store, owner: &str, offer: Offer, at: Instant) -> Pack {
    let pack = new_pack(owner, offer, at);
    let key = crate::ids::new_id("key");
    let write = IdempotencyWrite::new(&owner.into(), "POST /packs", &key, "fp".into(), at);
    let outcome = store.purchase(&pack, &write).await.expect("purchase");
    assert_eq!(outcome, PurchaseOutcome::Created, "the pack was bought");
    pack
}

/// Sets a pack's remaining units with one plain `UpdateItem` and nothing else — in particular
/// not its owner's pack generation (`packs::bump_generation`). Tests only: a unit that appears
/// behind the back of a draw's memory (`usecases::draw`), to prove that the memory, checked
/// against the generation, is what decides.
pub async fn set_remaining_behind_generation(
    store: &Store,
    pack_id: &str,
    units: u32,
) -> Result<(), StoreError> {
    // Units back: the pack is listed in `usable_packs` again, as a refund lists it.
    let expression = if units > 0 {
        "SET incidents_remaining = :n, #usable_pk = #owner_pk"
    } else {
        "SET incidents_remaining = :n"
    };
    let mut update = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(crate::keys::pack(pack_id).to_item()))
        .update_expression(expression)
        .condition_expression("attribute_exists(PK)")
        .expression_attribute_values(":n", crate::items::n(units));
    if units > 0 {
        update = update
            .expression_attribute_names("#usable_pk", crate::table::USABLE_PACKS.pk)
            .expression_attribute_names("#owner_pk", crate::table::BY_OWNER.pk);
    }
    update
        .send()
        .await
        .map_err(|e| crate::error::classify("UpdateItem", e))?;
    Ok(())
}

/// A severity C incident of `owner` drawn from `pack_id` at `at` (not stored): warned at 6 h,
/// due at 8 h on the clock.
pub fn incident_for(owner: &str, pack_id: &str, at: Instant) -> (Incident, Event) {
    let body = serde_json::json!({"product_id": "sql-server-2022", "category": "performance",
        "severity": "C", "handling": "business_hours", "title": "Slow queries",
        "description": "Since the upgrade.", "contact": {"name": "N", "email": "n@example.com"}});
    let submission = Submission::parse(&body).expect("a valid submission");
    new_incident(
        &submission,
        NewIncident {
            incident_id: crate::ids::new_id("inc").into(),
            account_id: &domain::AccountId::from(owner),
            pack_id: &domain::PackId::from(pack_id),
            parent_incident_id: None,
            first_response_warn_at: at + chrono::Duration::hours(6),
            first_response_due_at: at + chrono::Duration::hours(8),
            now: at,
            number: domain::incident::incident_number(&crate::ids::random_bytes::<5>()),
            actor_display_name: None,
        },
    )
}
