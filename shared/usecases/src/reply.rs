//! E-mailed replies (API.md "E-mail replies"): a screened reply (its token verified, its sender
//! the token's recipient) becomes one `customer_message` with `"channel":"email"` on its incident,
//! its attachments incident attachments within the attachment limits, exactly once per message
//! however often it is delivered. And bounces: the contact's open incidents are marked
//! unreachable, once, and the address suppressed.
//!
//! Exactly once: the attachments' ids derive from the message's key and position, so a second
//! delivery finds them (uploaded: skipped; pending: finished); the message is appended in one
//! transaction with its marker (`INBOUND#{key}`), so a second delivery finds the marker.

use crate::act::commit_clock;
use crate::attachment::{complete, Bucket};
use crate::Failure;
use domain::attachment::{Attachment, AttachmentRequest, MAX_PER_INCIDENT};
use domain::incident::{apply, Action, ActionError, Incident};
use domain::{Actor, IncidentStatus};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::future::Future;
use store::attachments::AttachOutcome;
use store::inbound::PostOutcome;
use store::incidents::ApplyOutcome;
use store::Store;

/// One attachment of a reply.
#[derive(Debug, Clone)]
pub struct File {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A reply whose token verified and whose sender is the token's recipient.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The message's key (`mailbox::message_key` of its `Message-ID`).
    pub key: String,
    pub incident_id: String,
    pub from: String,
    pub text: String,
    pub files: Vec<File>,
    /// Attachments not even read (beyond what one message may carry).
    pub files_skipped: usize,
}

/// An attachment that did not become an incident attachment, and why (for the sender).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub file_name: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReplyOutcome {
    /// Appended now; `refused` names the attachments that were not taken.
    Posted {
        account_id: String,
        refused: Vec<Refused>,
    },
    /// Posted before (the same message delivered again): nothing written.
    Duplicate,
    /// The incident is closed: not appended; the sender is told how to open a new one.
    Closed(Box<Incident>),
    /// No such incident, or `from` is not its contact: never posted, never answered.
    NotTheContact,
}

/// Where the bytes go: the pending place of an attachment (then `complete` promotes them).
pub trait Uploads: Bucket {
    fn put_pending(
        &self,
        a: &Attachment,
        bytes: &[u8],
    ) -> impl Future<Output = Result<(), Failure>> + Send;
}

/// The attachment id of the `index`-th file of message `key` (same message, same ids).
pub fn attachment_id(key: &str, index: usize) -> domain::AttachmentId {
    let digest = Sha256::new()
        .chain_update(b"inbound attachment\0")
        .chain_update(key.as_bytes())
        .chain_update((index as u64).to_be_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let value = u128::from_be_bytes(bytes);
    let mut out = String::from("att_");
    out.extend(domain::base32::encode(value, 26).map(|c| c.to_ascii_lowercase()));
    out.into()
}

fn refused(file_name: &str, reason: impl Into<String>) -> Refused {
    Refused {
        file_name: file_name.chars().take(255).collect(),
        reason: reason.into(),
    }
}

/// Posts a reply once.
pub async fn post<U: Uploads>(
    store: &Store,
    uploads: &U,
    reply: &Reply,
) -> Result<ReplyOutcome, Failure> {
    let Some(stored) = store.incident(&reply.incident_id).await? else {
        return Ok(ReplyOutcome::NotTheContact);
    };
    let incident = &stored.incident;
    if !incident
        .contact
        .email
        .trim()
        .eq_ignore_ascii_case(reply.from.trim())
    {
        return Ok(ReplyOutcome::NotTheContact);
    }
    if store.inbound_posted(&reply.key).await? {
        return Ok(ReplyOutcome::Duplicate);
    }
    if incident.status.is_closed() {
        return Ok(ReplyOutcome::Closed(Box::new(incident.clone())));
    }
    // The reply is the contact's: its events are named as the contact (no token to name it).
    let customer = Actor {
        name: Some(incident.contact.name.clone()),
        ..Actor::customer(incident.account_id.clone())
    };
    let mut refusals = Vec::new();
    for (index, file) in reply.files.iter().enumerate() {
        if let Some(r) = attach(store, uploads, &customer, reply, index, file).await? {
            refusals.push(r);
        }
    }
    if reply.files_skipped > 0 {
        refusals.push(refused(
            &format!("{} more", reply.files_skipped),
            format!("at most {MAX_PER_INCIDENT} attachments per incident"),
        ));
    }
    let mut rounds = store.rounds();
    while rounds.start().await {
        let Some(stored) = store.incident(&reply.incident_id).await? else {
            return Ok(ReplyOutcome::NotTheContact);
        };
        let now = stored.commit_now(commit_clock());
        let action = Action::EmailedMessage {
            message: reply.text.clone(),
        };
        let t = match apply(&stored.incident, &customer, action, now) {
            Ok(t) => t,
            Err(ActionError::InvalidState(_)) => {
                return Ok(ReplyOutcome::Closed(Box::new(stored.incident)))
            }
            Err(e) => return Err(e.into()),
        };
        match store.post_inbound(&stored, &t, now, &reply.key).await? {
            PostOutcome::Posted => {
                return Ok(ReplyOutcome::Posted {
                    account_id: stored.incident.account_id.to_string(),
                    refused: refusals,
                })
            }
            PostOutcome::Duplicate => return Ok(ReplyOutcome::Duplicate),
            PostOutcome::Conflict => continue,
        }
    }
    Err(Failure::Busy("the incident is changing too fast".into()))
}

/// One file: refused (why), or an uploaded incident attachment (created, filled and completed
/// unless an earlier delivery did so).
async fn attach<U: Uploads>(
    store: &Store,
    uploads: &U,
    customer: &Actor,
    reply: &Reply,
    index: usize,
    file: &File,
) -> Result<Option<Refused>, Failure> {
    let id = attachment_id(&reply.key, index);
    let attachment = match store.attachment(&reply.incident_id, &id).await? {
        Some(a) if a.is_uploaded() => return Ok(None),
        Some(a) => a,
        None => {
            let request = match AttachmentRequest::parse(&json!({
                "file_name": file.file_name,
                "content_type": file.content_type,
                "size_bytes": file.bytes.len(),
            })) {
                Ok(r) => r,
                Err(errors) => {
                    let why: Vec<String> = errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect();
                    return Ok(Some(refused(&file.file_name, why.join("; "))));
                }
            };
            let a = Attachment::new(request, &reply.incident_id, &id, customer, commit_clock());
            let open: Vec<IncidentStatus> = IncidentStatus::ALL
                .iter()
                .copied()
                .filter(|s| !s.is_closed())
                .collect();
            match store.create_attachment(&a, &open, MAX_PER_INCIDENT).await? {
                AttachOutcome::Created => a,
                AttachOutcome::NotOpen => {
                    return Ok(Some(refused(&file.file_name, "the incident is closed")))
                }
                AttachOutcome::LimitReached => {
                    return Ok(Some(refused(
                        &file.file_name,
                        format!("the incident already has {MAX_PER_INCIDENT} attachments, the most it takes"),
                    )))
                }
            }
        }
    };
    uploads.put_pending(&attachment, &file.bytes).await?;
    complete(
        store,
        uploads,
        customer,
        &domain::IncidentId::from(&reply.incident_id),
        &id,
    )
    .await?;
    Ok(None)
}

/// A bounce or complaint for `address`, about the incident its message was sent for: the
/// address is suppressed; each open incident of that incident's account whose contact is the
/// address is marked unreachable with one `contact_bounced` event. The incidents marked now.
pub async fn bounced(
    store: &Store,
    address: &str,
    kind_of_failure: &str,
    incident_id: Option<&str>,
) -> Result<Vec<domain::IncidentId>, Failure> {
    store
        .suppress_address(address, kind_of_failure, commit_clock())
        .await?;
    let Some(incident_id) = incident_id else {
        return Ok(vec![]);
    };
    let Some(named) = store.incident(incident_id).await? else {
        return Ok(vec![]);
    };
    let mut candidates = vec![named.incident.incident_id.clone()];
    for status in IncidentStatus::ALL.iter().filter(|s| !s.is_closed()) {
        let mut page = store::Page {
            limit: 100,
            cursor: None,
        };
        loop {
            let (items, next) = store
                .incidents_of_with_status(&named.incident.account_id, *status, &page)
                .await?;
            for i in items {
                if !candidates.contains(&i.incident_id) {
                    candidates.push(i.incident_id);
                }
            }
            match next {
                Some(cursor) => page.cursor = Some(cursor),
                None => break,
            }
        }
    }
    let mut marked = Vec::new();
    let system = Actor::system();
    for id in candidates {
        let mut rounds = store.rounds();
        while rounds.start().await {
            let Some(stored) = store.incident(&id).await? else {
                break;
            };
            let i = &stored.incident;
            if i.status.is_closed()
                || i.contact_unreachable
                || !i.contact.email.trim().eq_ignore_ascii_case(address.trim())
            {
                break;
            }
            let now = stored.commit_now(commit_clock());
            let t = apply(
                i,
                &system,
                Action::ContactBounced {
                    kind_of_failure: kind_of_failure.to_string(),
                },
                now,
            )?;
            if store.apply_transition(&stored, &t, now).await? == ApplyOutcome::Applied {
                marked.push(id.clone());
                break;
            }
        }
    }
    Ok(marked)
}
