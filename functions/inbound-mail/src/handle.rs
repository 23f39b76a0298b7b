//! One invocation: S3 records (a raw message each under `inbound/`) and SNS records (SES bounce
//! and complaint notifications). A message that cannot be read is moved aside (`quarantine/`) and
//! reported, never retried; a failure worth retrying (the store or the bucket unavailable) fails
//! the invocation, so the asynchronous invocation is retried and, after its retries, lands in the
//! on-failure destination.

use crate::answers::{self, Answer};
use crate::config::Config;
use bucket::AttachmentsBucket;
use chrono::Utc;
use domain::incident::Incident;
use email::{Email, Mailer};
use mailbox::read::{read_headers, MAX_MESSAGE_BYTES};
use mailbox::screen::sender_verified;
use objects::keys::{INBOUND_PREFIX, QUARANTINE_PREFIX};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use store::Store;
use usecases::notify::{send_once, Delivered, Once};
use usecases::reply::{post, File, Reply, ReplyOutcome};
use usecases::Failure;

pub struct Inbound {
    pub store: Store,
    pub uploads: AttachmentsBucket,
    pub mailer: Mailer,
    pub config: Config,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Retry(String);

impl From<Retry> for lambda_runtime::Diagnostic {
    fn from(e: Retry) -> lambda_runtime::Diagnostic {
        lambda_runtime::Diagnostic {
            error_type: "Retry".into(),
            error_message: e.0,
        }
    }
}

/// What became of one record (logged, and answered for the local SMTP server and the tests).
fn outcome(key: &str, what: &str) -> Value {
    json!({"key": key, "outcome": what})
}

fn retryable(e: &Failure) -> bool {
    matches!(e, Failure::Unavailable(_) | Failure::Busy(_))
}

/// `+` and `%XX` of an S3 event's object key.
fn url_decode(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Inbound {
    pub async fn handle(&self, event: Value) -> Result<Value, Retry> {
        let records = event
            .get("Records")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut results = Vec::new();
        for record in &records {
            if let Some(key) = record.pointer("/s3/object/key").and_then(Value::as_str) {
                let key = url_decode(key);
                results.push(self.message(&key).await?);
            } else if let Some(message) = record.pointer("/Sns/Message").and_then(Value::as_str) {
                results.push(self.feedback(message).await?);
            } else {
                tracing::warn!(
                    "a record that is neither an S3 object nor an SNS notification; skipped"
                );
                results.push(outcome("", "skipped"));
            }
        }
        Ok(json!({"records": results}))
    }

    async fn message(&self, key: &str) -> Result<Value, Retry> {
        if !key.starts_with(INBOUND_PREFIX) {
            tracing::warn!(key, "an object outside inbound/; skipped");
            return Ok(outcome(key, "skipped"));
        }
        let objects = &self.uploads.0;
        let got = objects
            .read_bounded(key, MAX_MESSAGE_BYTES as u64)
            .await
            .map_err(|e| Retry(e.to_string()))?;
        let Some((size, Some(raw))) = got else {
            tracing::warn!(
                key,
                "the message is not there (expired, or moved aside); nothing to do"
            );
            return Ok(outcome(key, "missing"));
        };
        if size > MAX_MESSAGE_BYTES as u64 {
            return self.too_large(key, &raw).await;
        }
        let Some(inbound) = mailbox::read(&raw) else {
            return self.quarantine(key, "not a readable message").await;
        };
        let screened = match mailbox::screen(&inbound, &self.config.key, &self.config.reply_domain)
        {
            Ok(s) => s,
            Err(why) => {
                tracing::info!(key, reason = %why.reason(), "not posted");
                return Ok(outcome(key, "not_posted"));
            }
        };
        let identity = inbound.message_id.clone().unwrap_or_else(|| {
            Sha256::digest(&raw)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        });
        let reply = Reply {
            key: mailbox::message_key(&identity),
            incident_id: screened.verified.incident_id.clone(),
            from: screened.from.clone(),
            text: screened.text.clone(),
            files: inbound
                .attachments
                .into_iter()
                .map(|a| File {
                    file_name: a.file_name,
                    content_type: a.content_type,
                    bytes: a.bytes,
                })
                .collect(),
            files_skipped: inbound.attachments_skipped,
        };
        let result = post(&self.store, &self.uploads, &reply).await;
        match result {
            Ok(ReplyOutcome::Posted { refused, .. }) => {
                tracing::info!(key, incident_id = %reply.incident_id, refused = refused.len(), "posted");
                if !refused.is_empty() {
                    if let Some(incident) = usecases::notify::incident(
                        &self.store,
                        &domain::IncidentId::from(&reply.incident_id),
                    )
                    .await
                    .map_err(|e| Retry(e.to_string()))?
                    {
                        let link = format!(
                            "{}/incidents/{}",
                            self.config.console_url, reply.incident_id
                        );
                        let answer = answers::refused(&incident, &refused, &link);
                        self.answer(
                            &format!("inbound#{}", reply.key),
                            "refused",
                            &incident,
                            answer,
                        )
                        .await?;
                    }
                }
                Ok(outcome(key, "posted"))
            }
            Ok(ReplyOutcome::Duplicate) => {
                tracing::info!(key, "posted before; not again");
                Ok(outcome(key, "duplicate"))
            }
            Ok(ReplyOutcome::NotTheContact) => {
                tracing::info!(key, "the sender is not the incident's contact; not posted");
                Ok(outcome(key, "not_posted"))
            }
            Ok(ReplyOutcome::Closed(incident)) => {
                let day = Utc::now().format("%Y-%m-%d");
                let answer = answers::closed(
                    &incident,
                    &format!("{}/incidents/new", self.config.console_url),
                );
                self.answer(
                    &format!("closed-reply#{}#{day}", incident.incident_id),
                    "contact",
                    &incident,
                    answer,
                )
                .await?;
                Ok(outcome(key, "closed"))
            }
            Err(e) if retryable(&e) => Err(Retry(e.to_string())),
            Err(e) => self.quarantine(key, &e.to_string()).await,
        }
    }

    async fn too_large(&self, key: &str, head: &[u8]) -> Result<Value, Retry> {
        let Some(inbound) = read_headers(head, head.len()) else {
            return self
                .quarantine(key, "too large, and no readable headers")
                .await;
        };
        let Ok((verified, _)) =
            sender_verified(&inbound, &self.config.key, &self.config.reply_domain)
        else {
            tracing::info!(key, "too large, and not a verified reply; not answered");
            return Ok(outcome(key, "not_posted"));
        };
        if inbound.automatic.is_some() {
            return Ok(outcome(key, "not_posted"));
        }
        let incident = usecases::notify::incident(
            &self.store,
            &domain::IncidentId::from(&verified.incident_id),
        )
        .await
        .map_err(|e| Retry(e.to_string()))?;
        if let Some(incident) = incident {
            let link = format!(
                "{}/incidents/{}",
                self.config.console_url, verified.incident_id
            );
            let answer = answers::too_large(&incident, MAX_MESSAGE_BYTES / (1024 * 1024), &link);
            let identity = inbound
                .message_id
                .clone()
                .unwrap_or_else(|| key.to_string());
            self.answer(
                &format!("inbound#{}", mailbox::message_key(&identity)),
                "too_large",
                &incident,
                answer,
            )
            .await?;
        }
        Ok(outcome(key, "too_large"))
    }

    /// Moves a message that cannot be handled aside and reports it (a warning, once).
    async fn quarantine(&self, key: &str, why: &str) -> Result<Value, Retry> {
        let objects = &self.uploads.0;
        let aside = format!("{QUARANTINE_PREFIX}{key}");
        objects
            .copy_to(key, &aside)
            .await
            .map_err(|e| Retry(e.to_string()))?;
        objects
            .delete_key(key)
            .await
            .map_err(|e| Retry(e.to_string()))?;
        tracing::warn!(key, moved_to = %aside, reason = why, "poison message moved aside");
        Ok(outcome(key, "quarantined"))
    }

    /// Sends one automatic answer to the incident's contact, once per `(source, role)`, unless
    /// the address is suppressed.
    async fn answer(
        &self,
        source: &str,
        role: &str,
        incident: &Incident,
        answer: Answer,
    ) -> Result<(), Retry> {
        let to = incident.contact.email.clone();
        if incident.contact_unreachable {
            tracing::info!(source, "the contact is unreachable; no answer sent");
            return Ok(());
        }
        let mut email = Email::new(
            to.clone(),
            answer.subject,
            answer.text.clone(),
            String::new(),
        );
        email.html = format!("<pre>{}</pre>", escape(&answer.text));
        email
            .headers
            .push(("Auto-Submitted".into(), "auto-replied".into()));
        email
            .tags
            .push(("incident_id".into(), incident.incident_id.to_string()));
        let once = Once {
            source,
            role,
            to: Some(&to),
            lease: chrono::Duration::seconds(180),
        };
        let send = || async {
            self.mailer
                .send(&email)
                .await
                .map_err(|e| (e.is_retryable(), e.to_string()))
        };
        match send_once(&self.store, once, send).await {
            Ok(Delivered::Sent | Delivered::AlreadySent) => Ok(()),
            Ok(Delivered::Suppressed) => {
                tracing::info!(source, "the contact is unreachable; no answer sent");
                Ok(())
            }
            Err(e) if e.is_retryable() => Err(Retry(e.to_string())),
            Err(e) => {
                tracing::warn!(source, error = %e, "automatic answer refused");
                Ok(())
            }
        }
    }

    async fn feedback(&self, message: &str) -> Result<Value, Retry> {
        let incident_id = serde_json::from_str::<Value>(message).ok().and_then(|v| {
            let tag = v.pointer("/mail/tags/incident_id")?;
            tag.as_array()
                .and_then(|a| a.first())
                .unwrap_or(tag)
                .as_str()
                .map(str::to_string)
        });
        let mut marked = Vec::new();
        for u in mailbox::bounce::unreachable(message) {
            match usecases::reply::bounced(
                &self.store,
                &u.address,
                u.failure.as_str(),
                incident_id.as_deref(),
            )
            .await
            {
                Ok(ids) => marked.extend(ids),
                Err(e) if retryable(&e) => return Err(Retry(e.to_string())),
                Err(e) => tracing::warn!(error = %e, "a bounce not recorded"),
            }
        }
        tracing::info!(incidents = marked.len(), "feedback recorded");
        Ok(json!({"outcome": "feedback", "incidents": marked}))
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn s3_keys_are_url_decoded() {
        assert_eq!(
            super::url_decode("inbound/a+b%2Fc%zz%"),
            "inbound/a b/c%zz%"
        );
        assert_eq!(super::url_decode("inbound/%C5%82"), "inbound/ł");
    }
}
