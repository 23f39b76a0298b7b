//! The account keeps the last e-mail address its token presented (API.md, Identity): account
//! mail goes there; a support engineer is registered with its display name and address (the
//! engineers registry: `GET /engineers`, assignments, the owner's mail). Written only when it
//! changed (see `store::profiles`, `store::engineers`); a failure is logged and never fails the
//! caller's request.

use chrono::{DateTime, Utc};
use domain::Actor;
use std::sync::OnceLock;
use store::profiles::KnownEmails;

fn known() -> &'static KnownEmails {
    static KNOWN: OnceLock<KnownEmails> = OnceLock::new();
    KNOWN.get_or_init(KnownEmails::default)
}

fn known_engineers() -> &'static KnownEmails {
    static KNOWN: OnceLock<KnownEmails> = OnceLock::new();
    KNOWN.get_or_init(KnownEmails::default)
}

/// The identity hook of the HTTP functions: the account's address, and an engineer's entry in
/// the registry, side by side.
pub async fn remember(store: &store::Store, actor: &Actor, now: DateTime<Utc>) {
    tokio::join!(
        remember_email(store, actor, now),
        remember_engineer(store, actor, now)
    );
}

/// Registers a support engineer (display name from its token's `name`, else its address
/// before `@`), or updates a changed name or address.
pub async fn remember_engineer(store: &store::Store, actor: &Actor, now: DateTime<Utc>) {
    if !actor.engineer {
        return;
    }
    let email = actor
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if let Err(e) = store
        .remember_engineer(
            known_engineers(),
            &actor.account_id,
            &actor.display_name(),
            email,
            now,
        )
        .await
    {
        tracing::warn!(error = %e, "the engineer was not registered");
    }
}

pub async fn remember_email(store: &store::Store, actor: &Actor, now: DateTime<Utc>) {
    let Some(email) = actor
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    else {
        return;
    };
    if let Err(e) = store
        .remember_email(known(), &actor.account_id, email, now)
        .await
    {
        tracing::warn!(error = %e, "the account's e-mail address was not recorded");
    }
}
