//! Test support against the real local server: every test gets its own freshly created table,
//! so tests run in parallel without seeing each other. There is no in-memory stand-in.

use crate::{Store, StoreError};

/// A store on a new, uniquely named table in the server named by `AWS_ENDPOINT_URL_DYNAMODB`.
pub async fn fresh_store() -> Result<Store, StoreError> {
    let client = crate::client_from_env().await;
    let name = crate::ids::new_id("test");
    crate::table::create_table(&client, &name).await?;
    Ok(Store::new(client, name))
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
