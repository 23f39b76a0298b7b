//! The account keeps the last e-mail address its token presented (API.md, Identity): account
//! mail goes there. Written only when it changed (see `store::profiles`); a failure is logged
//! and never fails the caller's request.

use chrono::{DateTime, Utc};
use domain::Actor;
use std::sync::OnceLock;
use store::profiles::KnownEmails;

fn known() -> &'static KnownEmails {
    static KNOWN: OnceLock<KnownEmails> = OnceLock::new();
    KNOWN.get_or_init(KnownEmails::default)
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
