//! Seeds the product catalogue (`infra/data/products.json`, compiled in) into the table, and for
//! the local stack creates that table first when it is missing.
//! Reads `TABLE_NAME` and the SDK's variables (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_REGION`, …).
//!
//! Usage: local-setup [--no-create]
//! - Against a local data store (`AWS_ENDPOINT_URL_DYNAMODB` or `AWS_ENDPOINT_URL` set) it creates
//!   a missing table and says so.
//! - Against AWS (no endpoint override), or with `--no-create`, it never creates a table: a
//!   missing table, or one whose keys and indexes are not the store's, is an error and nothing
//!   is written. That is the deployed use: the stack owns the table (infra/DEPLOY.md).

use domain::catalogue::{parse_catalogue, SHIPPED_CATALOGUE};
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut no_create = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--no-create" => no_create = true,
            "-h" | "--help" => {
                println!("usage: local-setup [--no-create]   (TABLE_NAME and the AWS SDK variables from the environment)");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!(
                    "local-setup: unknown argument {other} (usage: local-setup [--no-create])"
                );
                return ExitCode::from(2);
            }
        }
    }
    match run(no_create).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-setup: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The endpoint override of a local data store, if any.
fn local_endpoint() -> Option<String> {
    ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

async fn run(no_create: bool) -> Result<(), String> {
    // Validate the data before touching anything.
    let products = parse_catalogue(SHIPPED_CATALOGUE)?;
    let store = store::Store::from_env().await.map_err(|e| e.to_string())?;
    let table = store.table_name().to_string();
    let endpoint = local_endpoint();
    let where_ = endpoint
        .as_deref()
        .map_or("in AWS".to_string(), |e| format!("at {e}"));
    let may_create = endpoint.is_some() && !no_create;
    let state = if may_create {
        let created = store::table::ensure_table(store.client(), &table)
            .await
            .map_err(|e| e.to_string())?;
        if created {
            println!("local-setup: CREATED table {table} {where_} (local data store; a deployed table comes from the stack)");
        }
        if created {
            "created"
        } else {
            "already there"
        }
    } else {
        store::table::check_table(store.client(), &table)
            .await
            .map_err(|e| {
                format!(
                    "{e} (not creating a table {where_}: the stack creates it; check TABLE_NAME against the stack's TableName output)"
                )
            })?;
        "already there, keys and indexes as the store expects"
    };
    for p in &products {
        store.put_product(p).await.map_err(|e| e.to_string())?;
    }
    println!(
        "table {table} {where_} {state}; {} products seeded",
        products.len()
    );
    Ok(())
}
