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
