//! Every notification is sent once. A message is owed by one change (`source`: the stream
//! record's item and event, or an inbound message) to one recipient role; the pair is claimed
//! under a lease before anything is sent, marked sent with the provider's id after, and released
//! if the provider refused it (`store::notifications`). An address that bounced or complained is
//! suppressed: nothing more goes to it. Also the reads a message is planned from.

use crate::Failure;
use domain::incident::Incident;
use std::future::Future;
use store::notifications::ClaimOutcome;
use store::Store;

pub use domain::change::{ActivatedPack, Change, TimelineEntry};

/// One stream record's images (each empty when absent, as the stream event carries them) as the
/// change people are told about: the store's decoder, the only code that knows the items' layout.
pub use store::stream::decode;

/// What a message is about, stable across redeliveries: the key its "sent" records are kept
/// under (`None`: nobody is told of this change).
pub fn source(change: &Change) -> Option<String> {
    store::stream::source(change)
}

/// One message to send once.
pub struct Once<'a> {
    /// The change that owes the message.
    pub source: &'a str,
    /// Whom it is for (the contact, the owner, the team…): the pair is sent once.
    pub role: &'a str,
    /// The e-mail address, checked against the suppression list first (`None`: not an e-mail).
    pub to: Option<&'a str>,
    /// How long a claim holds before another invocation may take it over.
    pub lease: chrono::Duration,
}

/// A message that needs nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Sent now, and recorded.
    Sent,
    /// It had gone before.
    AlreadySent,
    /// The address bounced or complained: not sent.
    Suppressed,
}

/// A message that still needs sending (the caller retries the change later), or that the
/// provider refused for good (`Refused { retryable: false }`).
#[derive(Debug, thiserror::Error)]
pub enum NotSent {
    #[error("another invocation is sending it")]
    InFlight,
    #[error("{reason} (retryable: {retryable})")]
    Refused { retryable: bool, reason: String },
    /// Sent, but marking it sent failed: the lease still stands, and a retry after it is the
    /// one case that sends twice.
    #[error("sent, but not recorded: {0}")]
    Unrecorded(Failure),
    #[error("data store: {0}")]
    Store(#[from] Failure),
}

impl NotSent {
    /// Whether trying the change again later may send it.
    pub fn is_retryable(&self) -> bool {
        !matches!(
            self,
            NotSent::Refused {
                retryable: false,
                ..
            }
        )
    }
}

/// Sends one message once: `send` is called only after the claim, and answers the provider's
/// message id or whether its refusal is worth a retry and why.
pub async fn send_once<F, Fut>(store: &Store, once: Once<'_>, send: F) -> Result<Delivered, NotSent>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, (bool, String)>>,
{
    let (source, role) = (once.source, once.role);
    if let Some(to) = once.to {
        if store.is_suppressed(to).await.map_err(Failure::from)? {
            return Ok(Delivered::Suppressed);
        }
    }
    let now = crate::act::commit_clock();
    match store
        .claim_notification(source, role, now, once.lease)
        .await
        .map_err(Failure::from)?
    {
        ClaimOutcome::Claimed => {}
        ClaimOutcome::AlreadySent => return Ok(Delivered::AlreadySent),
        ClaimOutcome::InFlight => return Err(NotSent::InFlight),
    }
    match send().await {
        Ok(provider_id) => {
            let sent_at = crate::act::commit_clock();
            store
                .mark_notification_sent(source, role, &provider_id, sent_at)
                .await
                .map_err(|e| NotSent::Unrecorded(e.into()))?;
            Ok(Delivered::Sent)
        }
        Err((retryable, reason)) => {
            if let Err(e) = store.release_notification(source, role, &reason).await {
                tracing::warn!(%source, role, error = %e, "claim not released; it runs out with its lease");
            }
            Err(NotSent::Refused { retryable, reason })
        }
    }
}

/// The incident a message is about, as it now stands.
pub async fn incident(
    store: &Store,
    incident_id: &domain::IncidentId,
) -> Result<Option<Incident>, Failure> {
    Ok(store.incident(incident_id).await?.map(|s| s.incident))
}

/// Where an account's mail goes, and its billing country (the language of its mail).
pub async fn account_contact(
    store: &Store,
    account_id: &domain::AccountId,
) -> Result<(Option<String>, Option<String>), Failure> {
    let profile = store.account_profile(account_id).await?;
    Ok((profile.email, profile.billing_country))
}

/// A support engineer's address, from the registry.
pub async fn engineer_email(
    store: &Store,
    account_id: &domain::AccountId,
) -> Result<Option<String>, Failure> {
    Ok(store.engineer(account_id).await?.and_then(|e| e.email))
}
