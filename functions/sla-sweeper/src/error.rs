//! The sweep's failures, each saying whether running the same event again can help. Every breach
//! written before a failure is durable, and a retried sweep skips what is already breached.

use domain::incident::ActionError;
use lambda_runtime::Diagnostic;
use usecases::Failure;

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The event carries no usable as-of instant: the same event will never work.
    #[error("the scheduled event has no valid `time`: {0}")]
    BadEvent(String),
    /// Throttled, timed out or unreachable: the next attempt (or the next minute) goes on.
    #[error("data store unavailable: {0}")]
    StoreUnavailable(Failure),
    /// A store failure that a retry will not cure (a malformed item, a bad request).
    #[error("data store failure: {0}")]
    Store(Failure),
    /// The domain refused a breach for a reason other than the incident's state: a bug.
    #[error("breach of incident {incident_id} refused: {reason}")]
    Refused {
        incident_id: String,
        reason: ActionError,
    },
}

impl SweepError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, SweepError::StoreUnavailable(_))
    }

    fn kind(&self) -> &'static str {
        match self {
            SweepError::BadEvent(_) => "BadEvent",
            SweepError::StoreUnavailable(_) => "StoreUnavailable",
            SweepError::Store(_) => "StoreFailure",
            SweepError::Refused { .. } => "UnexpectedRefusal",
        }
    }
}

impl From<usecases::sweep::UnexpectedRefusal> for SweepError {
    fn from(e: usecases::sweep::UnexpectedRefusal) -> Self {
        SweepError::Refused {
            incident_id: e.incident_id,
            reason: e.reason,
        }
    }
}

/// The use cases' failure of a store call: `Unavailable` (throttled, timed out, unreachable) is
/// worth a retry, anything else is not.
impl From<Failure> for SweepError {
    fn from(e: Failure) -> Self {
        if matches!(e, Failure::Unavailable(_)) {
            SweepError::StoreUnavailable(e)
        } else {
            SweepError::Store(e)
        }
    }
}

/// The Lambda error: its type names the kind and whether a retry can help
/// (`Retryable.StoreUnavailable`, `NonRetryable.BadEvent`), for alarms and failure routing.
impl From<SweepError> for Diagnostic {
    fn from(e: SweepError) -> Diagnostic {
        let class = if e.is_retryable() {
            "Retryable"
        } else {
            "NonRetryable"
        };
        Diagnostic {
            error_type: format!("{class}.{}", e.kind()),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_store_is_retryable_and_a_bad_event_is_not() {
        let throttled = SweepError::from(Failure::Unavailable("Query: ThrottlingException".into()));
        assert!(throttled.is_retryable());
        assert_eq!(
            Diagnostic::from(throttled).error_type,
            "Retryable.StoreUnavailable"
        );
        let bad = SweepError::BadEvent("missing".into());
        assert!(!bad.is_retryable());
        assert_eq!(Diagnostic::from(bad).error_type, "NonRetryable.BadEvent");
    }

    #[test]
    fn a_malformed_item_is_not_retryable() {
        let corrupt = SweepError::from(Failure::Internal("incident without version".into()));
        assert!(!corrupt.is_retryable());
        assert_eq!(
            Diagnostic::from(corrupt).error_type,
            "NonRetryable.StoreFailure"
        );
    }
}
