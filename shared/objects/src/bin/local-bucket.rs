//! Creates the attachments bucket on the local server (if missing) with the deployed bucket's
//! CORS rule for the console's origin(s) and its lifecycle rule. Reads `ATTACHMENTS_BUCKET`,
//! `CONSOLE_ORIGIN` (comma-separated; default `http://127.0.0.1:9001`) and the SDK's variables
//! (`AWS_ENDPOINT_URL_S3`, `AWS_REGION`, credentials).

use aws_sdk_s3::Client;
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
    let created = ensure_bucket(objects.client(), objects.bucket(), &origins).await?;
    println!(
        "bucket {} {}; CORS for {}",
        objects.bucket(),
        if created { "created" } else { "already there" },
        origins.join(", ")
    );
    Ok(())
}

/// Creates the bucket unless it exists, then (re)applies CORS for `origins` and the lifecycle
/// rule, so a second run with another console origin updates the rule. Local stack only.
pub async fn ensure_bucket(
    client: &Client,
    bucket: &str,
    origins: &[String],
) -> Result<bool, String> {
    let created = match client.head_bucket().bucket(bucket).send().await {
        Ok(_) => false,
        Err(_) => {
            client
                .create_bucket()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "CreateBucket: {}",
                        aws_sdk_s3::error::DisplayErrorContext(&e)
                    )
                })?;
            true
        }
    };
    client
        .put_bucket_cors()
        .bucket(bucket)
        .cors_configuration(objects::bucket::cors(origins)?)
        .send()
        .await
        .map_err(|e| {
            format!(
                "PutBucketCors: {}",
                aws_sdk_s3::error::DisplayErrorContext(&e)
            )
        })?;
    client
        .put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(objects::bucket::lifecycle()?)
        .send()
        .await
        .map_err(|e| {
            format!(
                "PutBucketLifecycleConfiguration: {}",
                aws_sdk_s3::error::DisplayErrorContext(&e)
            )
        })?;
    Ok(created)
}
