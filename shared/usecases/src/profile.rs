//! The account keeps the last e-mail address its token presented (API.md, Identity): account
//! mail goes there. Written only when it changed (see `store::profiles`); a failure is logged
//! and never fails the caller's request. A request that writes a transaction anyway (intake's
//! draw) may carry the address in it instead (`claim_email`), and the hook then has nothing to do.

use chrono::{DateTime, Utc};
use domain::Actor;
use std::sync::OnceLock;
use store::profiles::KnownEmails;

fn known() -> &'static KnownEmails {
    static KNOWN: OnceLock<KnownEmails> = OnceLock::new();
    KNOWN.get_or_init(KnownEmails::default)
}

fn address(actor: &Actor) -> Option<&str> {
    actor
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
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
