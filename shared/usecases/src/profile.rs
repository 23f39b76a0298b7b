//! The account keeps the last e-mail address its token presented (API.md, Identity): account
//! mail goes there; a support engineer is registered with its display name and address (the
//! engineers registry: `GET /engineers`, assignments, the owner's mail). Written only when it
//! changed (see `store::profiles`, `store::engineers`); a failure is logged and never fails the
//! caller's request. A request that writes a transaction anyway (intake's draw) may carry the
//! address in it instead (`claim_email`), and the hook then has nothing to do for it.

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

/// The address the caller's token presents, if any (the one account mail goes to from now on).
pub fn address(actor: &Actor) -> Option<&str> {
    actor
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
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
    if let Err(e) = store
        .remember_engineer(
            known_engineers(),
            &actor.account_id,
            &actor.display_name(),
            address(actor),
            now,
        )
        .await
    {
        tracing::warn!(error = %e, "the engineer was not registered");
    }
}

/// The caller's address, for a request to keep in its own transaction, when this process has
/// not seen it stored; from then on the process takes it as stored, so the identity hook (run
/// beside the handler, which is polled first) makes no call for it. Claim before the request's
/// first store call, and `release_email` if the transaction is not written.
pub fn claim_email(actor: &Actor) -> Option<&str> {
    address(actor).filter(|e| known().claim(&actor.account_id, e))
}

/// The claimed address was not written (the request's transaction failed or was not sent): the
/// next request of the account writes it.
pub fn release_email(actor: &Actor) {
    known().forget(&actor.account_id);
}

pub async fn remember_email(store: &store::Store, actor: &Actor, now: DateTime<Utc>) {
    let Some(email) = address(actor) else {
        return;
    };
    if let Err(e) = store
        .remember_email(known(), &actor.account_id, email, now)
        .await
    {
        tracing::warn!(error = %e, "the account's e-mail address was not recorded");
    }
}
