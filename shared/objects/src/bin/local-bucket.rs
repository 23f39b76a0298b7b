//! Creates the attachments bucket on the local server (if missing) with the deployed bucket's
//! CORS rule for the console's origin(s) and its lifecycle rule. Reads `ATTACHMENTS_BUCKET`,
//! `CONSOLE_ORIGIN` (comma-separated; default `http://127.0.0.1:9001`) and the SDK's variables
//! (`AWS_ENDPOINT_URL_S3`, `AWS_REGION`, credentials).

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-bucket: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let objects = objects::Objects::from_env()
        .await
        .map_err(|e| e.to_string())?;
    let origins = objects::bucket::origins_from(
        &std::env::var("CONSOLE_ORIGIN").unwrap_or_else(|_| "http://127.0.0.1:9001".into()),
    );
    if origins.is_empty() {
        return Err("CONSOLE_ORIGIN names no origin".into());
    }
    let created =
        objects::bucket::ensure_bucket(objects.client(), objects.bucket(), &origins).await?;
    println!(
        "bucket {} {}; CORS for {}",
        objects.bucket(),
        if created { "created" } else { "already there" },
        origins.join(", ")
    );
    Ok(())
}
