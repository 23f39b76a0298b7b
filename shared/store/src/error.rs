//! Store failures, classified by the SDK's error kind and the operation's typed error variant
//! (the service's error code only where the operation does not model it), never by reading
//! messages. Condition failures are outcomes the caller turns into domain answers;
//! throttling, timeouts and unreachable servers are retryable (`503`); the rest is a bug (`500`).

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::{
    batch_get_item::BatchGetItemError, batch_write_item::BatchWriteItemError,
    create_table::CreateTableError, delete_table::DeleteTableError,
    describe_table::DescribeTableError, get_item::GetItemError, put_item::PutItemError,
    query::QueryError, transact_write_items::TransactWriteItemsError, update_item::UpdateItemError,
    update_time_to_live::UpdateTimeToLiveError,
};
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

/// What a typed variant of an operation's error means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The request's condition did not hold.
    Condition,
    /// Transient: throttled, overloaded or conflicting; the variant's name.
    Retryable(&'static str),
    /// Neither: a bug or a misconfiguration.
    Failure,
}

/// An operation's error enum, read by its typed variants. `None` for what the operation's model
/// does not name (the SDK's `Unhandled`): those are read by error code, see `UNMODELLED_CODES`.
pub(crate) trait TypedError:
    ProvideErrorMetadata + std::error::Error + Send + Sync + 'static
{
    fn verdict(&self) -> Option<Verdict>;
}

/// Retryable codes that some operation passed to `classify` does not model, so that they reach
/// it untyped: `ServiceUnavailable` (no operation models it); `ThrottlingException`,
/// `ProvisionedThroughputExceededException` and `RequestLimitExceeded` (not modelled by the
/// table operations: CreateTable, DeleteTable, DescribeTable, UpdateTimeToLive);
/// `TransactionConflictException` (modelled only by PutItem and UpdateItem) and
/// `TransactionInProgressException` (only by TransactWriteItems). `InternalServerError` and
/// `ConditionalCheckFailedException` are typed wherever they can occur.
const UNMODELLED_CODES: &[&str] = &[
    "ServiceUnavailable",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionConflictException",
    "TransactionInProgressException",
];

/// Implements `TypedError` by listing every typed variant of an operation's error enum.
macro_rules! typed_errors {
    ($($error:ident {
        condition: [$($c:ident),* $(,)?],
        retryable: [$($r:ident),* $(,)?],
        failure: [$($f:ident),* $(,)?] $(,)?
    })*) => {$(
        impl TypedError for $error {
            fn verdict(&self) -> Option<Verdict> {
                match self {
                    $($error::$c(_) => Some(Verdict::Condition),)*
                    $($error::$r(_) => Some(Verdict::Retryable(stringify!($r))),)*
                    $($error::$f(_) => Some(Verdict::Failure),)*
                    _ => None,
                }
            }
        }
    )*};
}

typed_errors! {
    GetItemError {
        condition: [],
        retryable: [
            ProvisionedThroughputExceededException,
            RequestLimitExceeded,
            ThrottlingException,
            InternalServerError,
        ],
        failure: [ResourceNotFoundException, InvalidEndpointException],
    }
    QueryError {
        condition: [],
        retryable: [
            ProvisionedThroughputExceededException,
            RequestLimitExceeded,
            ThrottlingException,
            InternalServerError,
        ],
        failure: [ResourceNotFoundException, InvalidEndpointException],
    }
    PutItemError {
        condition: [ConditionalCheckFailedException],
        retryable: [
            ProvisionedThroughputExceededException,
            RequestLimitExceeded,
            ThrottlingException,
            InternalServerError,
            TransactionConflictException,
        ],
        failure: [
            ResourceNotFoundException,
            InvalidEndpointException,
            ItemCollectionSizeLimitExceededException,
            ReplicatedWriteConflictException,
        ],
    }
    UpdateItemError {
        condition: [ConditionalCheckFailedException],
        retryable: [
            ProvisionedThroughputExceededException,
            RequestLimitExceeded,
            ThrottlingException,
            InternalServerError,
            TransactionConflictException,
        ],
        failure: [
            ResourceNotFoundException,
            InvalidEndpointException,
            ItemCollectionSizeLimitExceededException,
            ReplicatedWriteConflictException,
        ],
    }
    BatchGetItemError {
        condition: [],
        retryable: [
            ProvisionedThroughputExceededException,
            RequestLimitExceeded,
            ThrottlingException,
            InternalServerError,
        ],
        failure: [ResourceNotFoundException, InvalidEndpointException],
    }
    BatchWriteItemError {
        condition: [],
        retryable: [
            ProvisionedThroughputExceededException,
            RequestLimitExceeded,
            ThrottlingException,
            InternalServerError,
        ],
        failure: [
            ResourceNotFoundException,
            InvalidEndpointException,
            ItemCollectionSizeLimitExceededException,
            ReplicatedWriteConflictException,
        ],
    }
    TransactWriteItemsError {
        // A cancellation is read by `classify_transaction` before it gets here.
        condition: [],
        retryable: [
            ProvisionedThroughputExceededException,
            RequestLimitExceeded,
            ThrottlingException,
            InternalServerError,
            TransactionInProgressException,
        ],
        failure: [
            ResourceNotFoundException,
            InvalidEndpointException,
            IdempotentParameterMismatchException,
            TransactionCanceledException,
        ],
    }
    CreateTableError {
        condition: [],
        retryable: [InternalServerError],
        failure: [InvalidEndpointException, LimitExceededException, ResourceInUseException],
    }
    DeleteTableError {
        condition: [],
        retryable: [InternalServerError],
        failure: [
            InvalidEndpointException,
            LimitExceededException,
            ResourceInUseException,
            ResourceNotFoundException,
        ],
    }
    DescribeTableError {
        condition: [],
        retryable: [InternalServerError],
        failure: [InvalidEndpointException, ResourceNotFoundException],
    }
    UpdateTimeToLiveError {
        condition: [],
        retryable: [InternalServerError],
        failure: [
            InvalidEndpointException,
            LimitExceededException,
            ResourceInUseException,
            ResourceNotFoundException,
        ],
    }
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            // A transaction cancelled only by conflicts with concurrent transactions holds no
            // decision: it is safe to try again.
            // Cancellation reasons carry only a code string (`CancellationReason::code`): there
            // is no typed variant to match.
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

/// Classifies an SDK error by kind, then by the operation's typed error variant, and only for
/// errors the operation does not model by error code.
pub(crate) fn classify<E, R>(operation: &'static str, err: SdkError<E, R>) -> StoreError
where
    E: TypedError,
    R: Debug,
{
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(format!("{operation}: {}", DisplayErrorContext(&err)))
        }
        SdkError::ServiceError(service) => {
            let e = service.err();
            let verdict = e.verdict().or_else(|| {
                e.code()
                    .and_then(|code| UNMODELLED_CODES.iter().find(|c| **c == code).copied())
                    .map(Verdict::Retryable)
            });
            match verdict {
                Some(Verdict::Condition) => StoreError::ConditionFailed,
                Some(Verdict::Retryable(name)) => {
                    StoreError::Unavailable(format!("{operation}: {}", e.code().unwrap_or(name)))
                }
                Some(Verdict::Failure) | None => {
                    StoreError::Other(format!("{operation}: {}", DisplayErrorContext(&err)))
                }
            }
        }
        _ => StoreError::Other(format!("{operation}: {}", DisplayErrorContext(&err))),
    }
}

/// `TransactWriteItems` failures: a cancellation keeps the per-item reasons.
pub(crate) fn classify_transaction<R: Debug>(
    err: SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> StoreError {
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

/// `classify_transaction`, with what a cancellation handed back: per item, the existing item
/// where its condition failed and the item asked for it (`ReturnValuesOnConditionCheckFailure`).
pub(crate) fn classify_transaction_keeping_old<R: Debug>(
    err: SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> (
    StoreError,
    Vec<Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>>,
) {
    let old = match &err {
        SdkError::ServiceError(service) => match service.err() {
            TransactWriteItemsError::TransactionCanceledException(cancelled) => cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| r.item().filter(|i| !i.is_empty()).cloned())
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    (classify_transaction(err), old)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::types::error::{
        ConditionalCheckFailedException, InternalServerError,
        ProvisionedThroughputExceededException, RequestLimitExceeded, ResourceNotFoundException,
        ThrottlingException, TransactionCanceledException, TransactionConflictException,
    };
    use aws_sdk_dynamodb::types::CancellationReason;

    fn service<E>(e: E) -> SdkError<E, ()> {
        SdkError::service_error(e, ())
    }

    fn meta(code: &str) -> ErrorMetadata {
        ErrorMetadata::builder().code(code).message("m").build()
    }

    #[test]
    fn a_typed_condition_failure_is_a_condition_failure() {
        let e = classify(
            "PutItem",
            service(PutItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder()
                    .meta(meta("ConditionalCheckFailedException"))
                    .build(),
            )),
        );
        assert!(matches!(e, StoreError::ConditionFailed));
        assert!(e.is_condition_failure() && e.condition_failed_at(0) && !e.is_retryable());
        // Typed even without the error code.
        let e = classify(
            "UpdateItem",
            service(UpdateItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder().build(),
            )),
        );
        assert!(matches!(e, StoreError::ConditionFailed));
    }

    #[test]
    fn typed_throttling_and_server_errors_are_retryable() {
        let cases = [
            classify(
                "Query",
                service(QueryError::ProvisionedThroughputExceededException(
                    ProvisionedThroughputExceededException::builder()
                        .meta(meta("ProvisionedThroughputExceededException"))
                        .build(),
                )),
            ),
            classify(
                "GetItem",
                service(GetItemError::RequestLimitExceeded(
                    RequestLimitExceeded::builder().build(),
                )),
            ),
            classify(
                "BatchWriteItem",
                service(BatchWriteItemError::ThrottlingException(
                    ThrottlingException::builder().build(),
                )),
            ),
            classify(
                "PutItem",
                service(PutItemError::TransactionConflictException(
                    TransactionConflictException::builder().build(),
                )),
            ),
            classify(
                "DescribeTable",
                service(DescribeTableError::InternalServerError(
                    InternalServerError::builder().build(),
                )),
            ),
        ];
        for e in &cases {
            assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
            assert!(e.is_retryable() && !e.is_condition_failure());
        }
        // The message names the operation and the error code, as before.
        let StoreError::Unavailable(message) = &cases[0] else {
            unreachable!()
        };
        assert_eq!(message, "Query: ProvisionedThroughputExceededException");
        let StoreError::Unavailable(message) = &cases[1] else {
            unreachable!()
        };
        assert_eq!(message, "GetItem: RequestLimitExceeded");
    }

    #[test]
    fn codes_an_operation_does_not_model_are_read_by_code() {
        for (operation, e) in [
            (
                "GetItem",
                classify(
                    "GetItem",
                    service(GetItemError::generic(meta("ServiceUnavailable"))),
                ),
            ),
            (
                "DescribeTable",
                classify(
                    "DescribeTable",
                    service(DescribeTableError::generic(meta("ThrottlingException"))),
                ),
            ),
            (
                "CreateTable",
                classify(
                    "CreateTable",
                    service(CreateTableError::generic(meta("RequestLimitExceeded"))),
                ),
            ),
            (
                "Query",
                classify(
                    "Query",
                    service(QueryError::generic(meta("TransactionConflictException"))),
                ),
            ),
            (
                "UpdateItem",
                classify(
                    "UpdateItem",
                    service(UpdateItemError::generic(meta(
                        "TransactionInProgressException",
                    ))),
                ),
            ),
        ] {
            assert!(
                matches!(&e, StoreError::Unavailable(m) if m.starts_with(operation)),
                "{e:?}"
            );
            assert!(e.is_retryable());
        }
        let e = classify(
            "PutItem",
            service(PutItemError::generic(meta("ValidationException"))),
        );
        assert!(matches!(e, StoreError::Other(_)), "{e:?}");
        assert!(!e.is_retryable() && !e.is_condition_failure());
    }

    #[test]
    fn a_missing_table_is_neither_retryable_nor_a_condition() {
        let e = classify(
            "Query",
            service(QueryError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .meta(meta("ResourceNotFoundException"))
                    .build(),
            )),
        );
        assert!(matches!(e, StoreError::Other(_)), "{e:?}");
        assert!(!e.is_retryable() && !e.is_condition_failure());
    }

    #[test]
    fn timeouts_are_retryable() {
        let e = classify(
            "GetItem",
            SdkError::<GetItemError, ()>::timeout_error("slow"),
        );
        assert!(matches!(e, StoreError::Unavailable(_)) && e.is_retryable());
    }

    #[test]
    fn a_cancellation_hands_back_the_items_it_was_asked_for() {
        let with_item = CancellationReason::builder()
            .code("ConditionalCheckFailed")
            .item(
                "status",
                aws_sdk_dynamodb::types::AttributeValue::N("201".into()),
            )
            .build();
        let (e, old) = classify_transaction_keeping_old(service(
            TransactWriteItemsError::TransactionCanceledException(
                TransactionCanceledException::builder()
                    .cancellation_reasons(CancellationReason::builder().code("None").build())
                    .cancellation_reasons(with_item)
                    .build(),
            ),
        ));
        assert!(e.condition_failed_at(1));
        assert_eq!(old.len(), 2);
        assert!(old[0].is_none(), "no item where none was handed back");
        assert_eq!(
            old[1]
                .as_ref()
                .and_then(|i| i.get("status"))
                .and_then(|v| v.as_n().ok()),
            Some(&"201".to_string())
        );
    }

    #[test]
    fn a_cancelled_transaction_keeps_its_reasons() {
        let reason = |code: &str| CancellationReason::builder().code(code).build();
        let e = classify_transaction(service(
            TransactWriteItemsError::TransactionCanceledException(
                TransactionCanceledException::builder()
                    .cancellation_reasons(reason("None"))
                    .cancellation_reasons(reason("ConditionalCheckFailed"))
                    .build(),
            ),
        ));
        assert!(
            matches!(&e, StoreError::Cancelled(r) if *r == [None, Some("ConditionalCheckFailed".into())])
        );
        assert!(e.condition_failed_at(1) && !e.condition_failed_at(0) && !e.is_retryable());
        let e = classify_transaction(service(TransactWriteItemsError::generic(meta(
            "TransactionInProgressException",
        ))));
        assert!(e.is_retryable());
    }

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
