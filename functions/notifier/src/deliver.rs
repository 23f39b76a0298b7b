//! One invocation: a batch of stream records, in order. Each record's messages are planned, and
//! each message is claimed, sent and recorded once (`store::notifications`). The first record
//! that cannot be finished is reported with every record after it (`batchItemFailures`, by
//! sequence number), so the event source mapping retries from there; what already went is not
//! sent again because its "sent" record stands.

use crate::config::Config;
use crate::plan::{needs, plan, Context, Delivery, Needs, Outgoing};
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use chrono::{SubsecRound, Utc};
use domain::calendar::Calendars;
use email::{Email, Mailer};
use lambda_runtime::LambdaEvent;
use pager::{Page, Pager};
use serde::Serialize;
use serde_json::Value;
use store::notifications::ClaimOutcome;
use store::Store;

pub struct Notifier {
    pub store: Store,
    pub mailer: Mailer,
    pub pager: Pager,
    pub config: Config,
    pub calendars: &'static Calendars,
}

/// The partial batch response (`FunctionResponseTypes: ReportBatchItemFailures`).
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    pub item_identifier: String,
}

#[derive(Debug, thiserror::Error)]
enum RecordFailure {
    #[error("data store: {0}")]
    Store(#[from] store::StoreError),
    #[error("{0} of {1} messages not sent")]
    NotSent(usize, usize),
}

#[derive(Debug, thiserror::Error)]
#[error("the event is not a DynamoDB stream batch: {0}")]
pub struct MalformedBatch(String);

impl From<MalformedBatch> for lambda_runtime::Diagnostic {
    fn from(e: MalformedBatch) -> lambda_runtime::Diagnostic {
        lambda_runtime::Diagnostic {
            error_type: "MalformedBatch".into(),
            error_message: e.to_string(),
        }
    }
}

fn identifier(record: &EventRecord) -> String {
    record
        .change
        .sequence_number
        .clone()
        .unwrap_or_else(|| record.event_id.clone())
}

impl Notifier {
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<BatchResponse, MalformedBatch> {
        let batch: Event =
            serde_json::from_value(event.payload).map_err(|e| MalformedBatch(e.to_string()))?;
        let mut response = BatchResponse::default();
        let mut sent = 0usize;
        for (i, record) in batch.records.iter().enumerate() {
            match self.record(record).await {
                Ok(n) => sent += n,
                Err(e) => {
                    tracing::warn!(
                        record = %identifier(record),
                        error = %e,
                        retried = batch.records.len() - i,
                        "record not finished; it and the records after it are retried"
                    );
                    response.batch_item_failures = batch.records[i..]
                        .iter()
                        .map(|r| ItemFailure {
                            item_identifier: identifier(r),
                        })
                        .collect();
                    break;
                }
            }
        }
        tracing::info!(
            records = batch.records.len(),
            sent,
            failed = response.batch_item_failures.len(),
            "batch"
        );
        Ok(response)
    }

    /// One record: the messages it owes that had not gone yet; how many went now.
    async fn record(&self, record: &EventRecord) -> Result<usize, RecordFailure> {
        let change = store::stream::decode(
            record.change.keys.clone(),
            record.change.old_image.clone(),
            record.change.new_image.clone(),
        )?;
        let Some(source) = change.source() else {
            return Ok(0);
        };
        let context = match needs(&change) {
            Needs::Nothing => Context::None,
            Needs::Incident(id) => match self.store.incident(&id).await? {
                Some(stored) => Context::Incident(Box::new(stored.incident)),
                None => {
                    tracing::warn!(%source, "event of an incident that is not there; nothing sent");
                    return Ok(0);
                }
            },
            Needs::Account(account_id) => {
                let profile = self.store.account_profile(&account_id).await?;
                if profile.email.is_none() {
                    tracing::warn!(%source, "no e-mail address known for the account; nothing sent");
                }
                Context::Account {
                    email: profile.email,
                    billing_country: profile.billing_country,
                }
            }
        };
        let messages = plan(&change, &context, &self.config, self.calendars);
        let total = messages.len();
        let mut failed = 0;
        let mut sent = 0;
        // Every message gets its chance: one refused address does not hold back the others.
        for message in &messages {
            match self.deliver(&source, message).await {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(e) => {
                    failed += 1;
                    tracing::warn!(%source, role = message.role.key(), error = %e, "message not sent");
                }
            }
        }
        if failed > 0 {
            return Err(RecordFailure::NotSent(failed, total));
        }
        Ok(sent)
    }

    /// Claims, sends and records one message. `Ok(false)`: it had gone before.
    async fn deliver(&self, source: &str, message: &Outgoing) -> Result<bool, String> {
        let role = message.role.key();
        let now = Utc::now().trunc_subsecs(0);
        let claim = self
            .store
            .claim_notification(source, role, now, self.config.lease)
            .await
            .map_err(|e| e.to_string())?;
        match claim {
            ClaimOutcome::AlreadySent => {
                tracing::info!(%source, role, "already sent; not again");
                return Ok(false);
            }
            ClaimOutcome::InFlight => {
                return Err("another invocation is sending it".into());
            }
            ClaimOutcome::Claimed => {}
        }
        let outcome = match &message.delivery {
            Delivery::Email { to, message } => self
                .mailer
                .send(&Email {
                    to: to.clone(),
                    subject: message.subject.clone(),
                    text: message.text.clone(),
                    html: message.html.clone(),
                })
                .await
                .map_err(|e| (e.is_retryable(), e.to_string())),
            Delivery::Page { subject, text } => self
                .pager
                .page(&Page {
                    subject: subject.clone(),
                    text: text.clone(),
                })
                .await
                .map_err(|e| (e.is_retryable(), e.to_string())),
        };
        match outcome {
            Ok(provider_id) => {
                // Sent: if recording that fails, the lease still stands, and the retry after it
                // is the one case that sends twice (see store::notifications).
                self.store
                    .mark_notification_sent(source, role, &provider_id, Utc::now().trunc_subsecs(0))
                    .await
                    .map_err(|e| format!("sent, but not recorded: {e}"))?;
                tracing::info!(%source, role, "sent");
                Ok(true)
            }
            Err((retryable, reason)) => {
                if let Err(e) = self.store.release_notification(source, role, &reason).await {
                    tracing::warn!(%source, role, error = %e, "claim not released; it runs out with its lease");
                }
                Err(format!("{reason} (retryable: {retryable})"))
            }
        }
    }
}
