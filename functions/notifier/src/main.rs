//! `notifier`: the table's DynamoDB stream → e-mail (SES v2) and pages (SNS), per the table in
//! API.md "Notifications", exactly one message per (event, recipient) however often a record is
//! delivered. Invoked by the event source mapping (locally: the stream relay) with stream batches;
//! answers partial batch failures.

mod config;
mod deliver;
mod plan;
mod templates;

use deliver::Notifier;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

// One thread: a process serves one invocation at a time on a share of a vCPU (256 MB), so
// worker threads would only add to the cold start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let config = config::Config::from_env()?;
    let calendars =
        domain::calendar::Calendars::shipped().map_err(|e| format!("calendars: {e}"))?;
    let store = store::Store::from_env().await?;
    let mailer = email::Mailer::from_env(config.notify_from.clone())?;
    let pager = pager::Pager::from_env(config.pager_topic_arn.clone())?;
    let replies = deliver::Replies::from_env()?;
    let notifier = Notifier {
        replies,
        store,
        mailer,
        pager,
        config,
        calendars,
    };
    let notifier = &notifier;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        notifier.handle(event).await
    }))
    .await
}

#[cfg(test)]
mod tests;
