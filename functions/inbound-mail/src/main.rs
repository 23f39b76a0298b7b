//! `inbound-mail`: e-mail as a channel (API.md "E-mail replies"). Invoked with S3 events for the
//! raw messages SES's receipt rule writes under `inbound/` (locally, the SMTP server writes them
//! and invokes the same way), and with SNS notifications of the SES configuration set's bounces
//! and complaints. Parsing and screening are `mailbox`'s, the writes `usecases::reply`'s.

mod answers;
mod config;
mod handle;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

// One thread: a process serves one invocation at a time.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let config = config::Config::from_env()?;
    let store = store::Store::from_env().await?;
    let objects = objects::Objects::from_env().await?;
    let mailer = email::Mailer::from_env(config.notify_from.clone())?;
    let inbound = handle::Inbound {
        store,
        uploads: bucket::AttachmentsBucket(objects),
        mailer,
        config,
    };
    let inbound = &inbound;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        inbound.handle(event.payload).await
    }))
    .await
}
