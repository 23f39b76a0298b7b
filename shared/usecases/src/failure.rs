//! Why a use case did not happen: the domain's refusals, the store's failures, and the few
//! outcomes of the use cases themselves. Client-readable messages are the domain's own.

use domain::account::{ClaimRefusal, ExemptionRefusal};
use domain::incident::ActionError;
use domain::intake::Refusal;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The resource does not exist, or the caller may not see it.
    #[error("not found")]
    NotFound,
    /// The caller's role may not do this (the group named).
    #[error("forbidden: only {0}")]
    Forbidden(&'static str),
    /// An assignment names an account that is not a known support engineer.
    #[error("not a support engineer")]
    NotAnEngineer,
    /// Refused in the current state; the message is for the caller.
    #[error("conflict: {0}")]
    Conflict(String),
    /// An intake check turned the submission away (nothing consumed).
    #[error("refused: {0:?}")]
    Refused(Refusal),
    /// No pack the caller may draw from; the message says which and what to do.
    #[error("no usable pack: {0}")]
    NoUsablePack(String),
    /// Too many wrong order confirmation numbers: wait this long.
    #[error("too many attempts")]
    TooManyAttempts { retry_after_secs: u64 },
    /// Lost every round of the retry policy to other writers: nothing was written; retry.
    #[error("busy: {0}")]
    Busy(String),
    /// The payment provider could not be reached or refused the order: nothing was ordered;
    /// retry with the same idempotency key.
    #[error("payment unavailable: {0}")]
    PaymentUnavailable(String),
    /// The idempotency key was used before with a different request.
    #[error("idempotency key reused with another request")]
    IdempotencyKeyReused,
    /// A service the use case needs (object storage) is unreachable or slow: retry.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A list's `cursor` is not one this list handed out (or no longer reads).
    #[error("invalid cursor")]
    InvalidCursor,
    /// Something that must not happen (a missing pack of an incident, an unreadable answer).
    #[error("internal: {0}")]
    Internal(String),
}

/// The store's failures in the use cases' terms: a cursor it cannot read is the client's
/// mistake; a busy or unreachable store is worth a retry; anything else must not happen.
impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        if matches!(e, StoreError::InvalidCursor) {
            Failure::InvalidCursor
        } else if e.is_retryable() {
            Failure::Unavailable(e.to_string())
        } else {
            Failure::Internal(e.to_string())
        }
    }
}

impl From<ActionError> for Failure {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound => Failure::NotFound,
            ActionError::Forbidden(who) => Failure::Forbidden(who),
            ActionError::InvalidState(why) => Failure::Conflict(why),
            ActionError::NotAnEngineer => Failure::NotAnEngineer,
        }
    }
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Self {
        Failure::Refused(r)
    }
}

impl From<ClaimRefusal> for Failure {
    fn from(r: ClaimRefusal) -> Self {
        Failure::Conflict(r.message())
    }
}

impl From<ExemptionRefusal> for Failure {
    fn from(r: ExemptionRefusal) -> Self {
        Failure::Conflict(r.message())
    }
}
