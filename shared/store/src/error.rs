//! Store failures, classified by the SDK's error kind and the service's error code, never by
//! reading messages. Condition failures are outcomes the caller turns into domain answers;
//! throttling, timeouts and unreachable servers are retryable (`503`); the rest is a bug (`500`).

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::fmt::Debug;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A single-item condition did not hold.
    #[error("condition failed")]
    ConditionFailed,
    /// A transaction was cancelled; one entry per item, `Some(code)` where that item failed
    /// (e.g. `ConditionalCheckFailed`), `None` where it did not.
    #[error("transaction cancelled: {0:?}")]
    Cancelled(Vec<Option<String>>),
    /// Throttled, timed out, unreachable or otherwise transient: retry later.
    #[error("data store unavailable: {0}")]
    Unavailable(String),
    /// A paging cursor the client sent that this query did not hand out.
    #[error("invalid cursor")]
    InvalidCursor,
    /// A stored item this code cannot read.
    #[error("stored item is malformed: {0}")]
    Corrupt(String),
    #[error("data store error: {0}")]
    Other(String),
}

const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
];

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            // A transaction cancelled only by conflicts with concurrent transactions holds no
            // decision: it is safe to try again.
            StoreError::Cancelled(reasons) => {
                reasons
                    .iter()
                    .flatten()
                    .all(|c| c == "TransactionConflict" || c == "ThrottlingError")
                    && reasons.iter().any(Option::is_some)
            }
            _ => false,
        }
    }

    /// Whether item `index` of a cancelled transaction failed its condition.
    pub fn condition_failed_at(&self, index: usize) -> bool {
        match self {
            StoreError::Cancelled(reasons) => {
                reasons.get(index).and_then(|r| r.as_deref()) == Some("ConditionalCheckFailed")
            }
            StoreError::ConditionFailed => index == 0,
            _ => false,
        }
    }

    pub fn is_condition_failure(&self) -> bool {
        match self {
            StoreError::ConditionFailed => true,
            StoreError::Cancelled(reasons) => reasons
                .iter()
                .flatten()
                .any(|c| c == "ConditionalCheckFailed"),
            _ => false,
        }
    }
}

/// Classifies an SDK error by kind and error code.
pub(crate) fn classify<E, R>(operation: &'static str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug,
{
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(format!("{operation}: {}", DisplayErrorContext(&err)))
        }
        SdkError::ServiceError(service) => match service.err().code() {
            Some("ConditionalCheckFailedException") => StoreError::ConditionFailed,
            Some(code) if RETRYABLE_CODES.contains(&code) => {
                StoreError::Unavailable(format!("{operation}: {code}"))
            }
            _ => StoreError::Other(format!("{operation}: {}", DisplayErrorContext(&err))),
        },
        _ => StoreError::Other(format!("{operation}: {}", DisplayErrorContext(&err))),
    }
}

/// `TransactWriteItems` failures: a cancellation keeps the per-item reasons.
pub(crate) fn classify_transaction<R: Debug>(
    err: SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> StoreError {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    if let SdkError::ServiceError(service) = &err {
        if let TransactWriteItemsError::TransactionCanceledException(cancelled) = service.err() {
            let reasons = cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().filter(|c| *c != "None").map(str::to_string))
                .collect();
            return StoreError::Cancelled(reasons);
        }
    }
    classify("TransactWriteItems", err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancellation_by_conflicts_alone_is_retryable() {
        let e = StoreError::Cancelled(vec![None, Some("TransactionConflict".into())]);
        assert!(e.is_retryable());
        let e = StoreError::Cancelled(vec![
            Some("ConditionalCheckFailed".into()),
            Some("TransactionConflict".into()),
        ]);
        assert!(!e.is_retryable());
        assert!(e.condition_failed_at(0) && !e.condition_failed_at(1));
    }
}
