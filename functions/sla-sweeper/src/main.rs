//! `sla-sweeper`: the scheduled SLA sweep (EventBridge, every minute). Records one `sla_warning`
//! for every incident still awaiting a first response past its warning instant, marks every one
//! past its deadline `breached`, each once, and reports counts. Then the privacy step
//! (`usecases::privacy::privacy_step`): builds waiting data exports, finishes erasures left
//! midway, deletes attachments past `ATTACHMENT_RETENTION_DAYS`.
//! A plain `lambda_runtime` function: its input is a Scheduled Event, not an HTTP request.

mod error;
mod metrics;
mod report;
mod sweep;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use sweep::{SweepConfig, Sweeper};

// One thread: a process serves one invocation at a time on a share of a vCPU (256 MB), so
// worker threads would only add to the cold start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let config = SweepConfig::from_env()?;
    let store = store::Store::from_env().await?;
    let objects = objects::Objects::from_env().await?;
    let sweeper = Sweeper {
        store,
        objects,
        config,
    };
    let sweeper = &sweeper;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        sweeper.handle(event).await
    }))
    .await
}
