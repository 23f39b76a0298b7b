//! Creates the table (if missing) and seeds the product catalogue, for the local stack.
//! Reads `TABLE_NAME` and the SDK's variables (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_REGION`, …).

use domain::catalogue::{parse_catalogue, SHIPPED_CATALOGUE};
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-setup: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let store = store::Store::from_env().await.map_err(|e| e.to_string())?;
    let created = store::table::ensure_table(store.client(), store.table_name())
        .await
        .map_err(|e| e.to_string())?;
    let products = parse_catalogue(SHIPPED_CATALOGUE)?;
    for p in &products {
        store.put_product(p).await.map_err(|e| e.to_string())?;
    }
    println!(
        "table {} {}; {} products seeded",
        store.table_name(),
        if created { "created" } else { "already there" },
        products.len()
    );
    Ok(())
}
