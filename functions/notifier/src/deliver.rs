//! One invocation: a batch of stream records, each item's in order (items concurrently). Each
//! record's messages are planned, and each message is claimed, sent and recorded once
//! (`usecases::notify::send_once`). The first record
//! that cannot be finished is reported with every record after it (`batchItemFailures`, by
//! sequence number), so the event source mapping retries from there; what already went is not
//! sent again because its "sent" record stands.

use crate::config::Config;
use crate::plan::{
    needs, needs_owner, plan, told_of_assignment, Context, Delivery, Needs, Outgoing, Role, Staff,
};
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use domain::calendar::Calendars;
use domain::incident::Incident;
use email::{Email, Mailer};
use futures::future::join_all;
use futures::{stream, StreamExt};
use lambda_runtime::LambdaEvent;
use pager::{Page, Pager};
use serde::Serialize;
use serde_json::Value;
use store::Store;
use usecases::notify::{send_once, Change, Delivered, Once};
use usecases::Failure;

pub struct Notifier {
    pub store: Store,
    pub mailer: Mailer,
    pub pager: Pager,
    pub config: Config,
    pub calendars: &'static Calendars,
    /// The key and domain of the reply addresses (issue 27): every message to an incident's
    /// contact carries `Reply-To: reply+<token>@<REPLY_DOMAIN>`.
    pub replies: Replies,
}

/// `REPLY_TOKEN_KEY` and `REPLY_DOMAIN`.
pub struct Replies {
    pub key: mailbox::ReplyKey,
    pub domain: String,
}

impl Replies {
    pub fn from_env() -> Result<Replies, String> {
        let key = mailbox::ReplyKey::from_env().map_err(|e| e.to_string())?;
        let domain = std::env::var("REPLY_DOMAIN")
            .ok()
            .map(|d| d.trim().to_lowercase())
            .filter(|d| !d.is_empty())
            .ok_or("environment variable REPLY_DOMAIN is not set")?;
        Ok(Replies { key, domain })
    }
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
    Store(#[from] Failure),
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

/// Items handled at once within a batch.
const CONCURRENT_ITEMS: usize = 8;

/// The item a record belongs to (its partition key): its records are handled in order.
fn group_key(record: &EventRecord) -> String {
    match record.change.keys.get("PK") {
        Some(serde_dynamo::AttributeValue::S(pk)) => pk.clone(),
        _ => identifier(record),
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
        let records = &batch.records;
        // Records of one item (one incident's timeline, one pack…) keep their order; different
        // items go concurrently. A group stops at its first unfinished record.
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, record) in records.iter().enumerate() {
            let key = group_key(record);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(i),
                None => groups.push((key, vec![i])),
            }
        }
        let outcomes: Vec<Vec<(usize, Result<usize, RecordFailure>)>> = stream::iter(groups)
            .map(|(_, members)| async move {
                let mut done = Vec::new();
                for i in members {
                    let outcome = self.record(&records[i]).await;
                    let failed = outcome.is_err();
                    done.push((i, outcome));
                    if failed {
                        break;
                    }
                }
                done
            })
            .buffer_unordered(CONCURRENT_ITEMS)
            .collect()
            .await;
        let mut sent = 0usize;
        let mut first_failure: Option<usize> = None;
        for (i, outcome) in outcomes.into_iter().flatten() {
            match outcome {
                Ok(n) => sent += n,
                Err(e) => {
                    tracing::warn!(record = %identifier(&records[i]), error = %e, "record not finished");
                    first_failure = Some(first_failure.map_or(i, |f| f.min(i)));
                }
            }
        }
        // The mapping retries from the first unfinished record: it and every later one are
        // reported (those already finished find their "sent" records and send nothing again).
        let response = BatchResponse {
            batch_item_failures: first_failure
                .map(|first| {
                    records[first..]
                        .iter()
                        .map(|r| ItemFailure {
                            item_identifier: identifier(r),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        };
        tracing::info!(
            records = records.len(),
            sent,
            failed = response.batch_item_failures.len(),
            "batch"
        );
        Ok(response)
    }

    /// One record: the messages it owes that had not gone yet; how many went now.
    async fn record(&self, record: &EventRecord) -> Result<usize, RecordFailure> {
        let change = usecases::notify::decode(
            record.change.keys.clone(),
            record.change.old_image.clone(),
            record.change.new_image.clone(),
        )
        .map_err(Failure::from)?;
        let Some(source) = usecases::notify::source(&change) else {
            return Ok(0);
        };
        let context = match needs(&change) {
            Needs::Nothing => Context::None,
            Needs::Incident(id) => match usecases::notify::incident(&self.store, &id).await? {
                Some(incident) => {
                    let staff = self.staff_for(&change, &incident).await?;
                    Context::Incident(Box::new(incident), staff)
                }
                None => {
                    tracing::warn!(%source, "event of an incident that is not there; nothing sent");
                    return Ok(0);
                }
            },
            Needs::Account(account_id) => {
                let (email, billing_country) =
                    usecases::notify::account_contact(&self.store, &account_id).await?;
                if email.is_none() {
                    tracing::warn!(%source, "no e-mail address known for the account; nothing sent");
                }
                Context::Account {
                    email,
                    billing_country,
                }
            }
        };
        let messages = plan(&change, &context, &self.config, self.calendars);
        let incident = match &context {
            Context::Incident(incident, _) => Some(incident.as_ref()),
            _ => None,
        };
        let total = messages.len();
        let mut failed = 0;
        let mut sent = 0;
        // Every message gets its chance: one refused address does not hold back the others.
        let outcomes = join_all(messages.iter().map(|m| self.deliver(&source, m, incident))).await;
        for (message, outcome) in messages.iter().zip(outcomes) {
            match outcome {
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

    /// The engineers an incident's message may go to, from the registry: the owner (for the
    /// kinds its owner hears of) and the engineer an `assigned` event tells.
    async fn staff_for(&self, change: &Change, incident: &Incident) -> Result<Staff, Failure> {
        let Some(e) = (match change {
            Change::Event(entry) => entry.event.as_ref(),
            _ => None,
        }) else {
            return Ok(Staff::default());
        };
        let email_of = |account: Option<domain::AccountId>| async move {
            match account {
                Some(account) => usecases::notify::engineer_email(&self.store, &account).await,
                None => Ok(None),
            }
        };
        let owner = incident
            .owner
            .as_ref()
            .filter(|_| needs_owner(e.kind()))
            .map(|o| o.account_id.clone());
        let (owner_email, new_owner_email) =
            futures::join!(email_of(owner), email_of(told_of_assignment(e)));
        Ok(Staff {
            owner_email: owner_email?,
            new_owner_email: new_owner_email?,
        })
    }

    /// Claims, sends and records one message. `Ok(false)`: it had gone before, or its address
    /// is suppressed (it bounced or complained: nothing more is sent to it).
    async fn deliver(
        &self,
        source: &str,
        message: &Outgoing,
        incident: Option<&Incident>,
    ) -> Result<bool, String> {
        let role = message.role.key();
        // To the incident's contact: replies come back to the incident (issue 27).
        let (reply_to, tags) = match incident {
            Some(i) if message.role == Role::Contact => (
                self.replies.key.reply_address(
                    &i.incident_id,
                    &i.contact.email,
                    &self.replies.domain,
                ),
                vec![("incident_id".to_string(), i.incident_id.to_string())],
            ),
            Some(i) => (
                None,
                vec![("incident_id".to_string(), i.incident_id.to_string())],
            ),
            None => (None, Vec::new()),
        };
        let to = match &message.delivery {
            Delivery::Email { to, .. } => Some(to.as_str()),
            Delivery::Page { .. } => None,
        };
        let once = Once {
            source,
            role,
            to,
            lease: self.config.lease,
        };
        let send = || async {
            match &message.delivery {
                Delivery::Email { to, message } => self
                    .mailer
                    .send(&Email {
                        to: to.clone(),
                        subject: message.subject.clone(),
                        text: message.text.clone(),
                        html: message.html.clone(),
                        reply_to,
                        headers: Vec::new(),
                        tags,
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
            }
        };
        match send_once(&self.store, once, send).await {
            Ok(Delivered::Sent) => {
                tracing::info!(%source, role, "sent");
                Ok(true)
            }
            Ok(Delivered::AlreadySent) => {
                tracing::info!(%source, role, "already sent; not again");
                Ok(false)
            }
            Ok(Delivered::Suppressed) => {
                tracing::info!(%source, role, "the address bounced or complained; not sent");
                Ok(false)
            }
            Err(e) => Err(e.to_string()),
        }
    }
}
