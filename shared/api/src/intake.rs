//! Intake's HTTP side: how an intake refusal is answered, and the replay of a repeated creating
//! request (the draw itself is the `usecases::draw` use case).

use crate::problem::ApiError;
use domain::idempotency::IdempotencyRecord;
use domain::intake::Refusal;
use std::future::Future;

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::UnknownProduct => ApiError::invalid_field(
                "product_id",
                "is not a product in the catalogue (see GET /products)",
            ),
            Refusal::OutOfScope {
                exclusion,
                redirect,
            } => ApiError::OutOfScope {
                exclusion: exclusion.to_string(),
                redirect: redirect.to_string(),
            },
            Refusal::ProductOutOfLifecycle { support_ended_on } => {
                ApiError::ProductOutOfLifecycle { support_ended_on }
            }
            Refusal::SeverityARequires24x7 => ApiError::SeverityARequires24x7,
        }
    }
}

/// The answer to a repeated creating request: the original, or `422` for a different body. A
/// stored answer that cannot be read back is a `500` (logged), never a replayed `null`.
pub fn replay(record: &IdempotencyRecord, fingerprint: &str) -> Result<crate::Reply, ApiError> {
    if record.fingerprint != fingerprint {
        return Err(ApiError::IdempotencyKeyReused);
    }
    let body = record
        .body_json()
        .map_err(|e| ApiError::Internal(crate::problem::Cause::new(e)))?;
    if !(200..300).contains(&record.status) {
        return Err(ApiError::Internal(
            format!("idempotency record with status {}", record.status).into(),
        ));
    }
    Ok(crate::Reply::replay(record.status, body))
}

/// A creating request that was not checked for a replay first (the record is looked for by the
/// creating transaction itself) and then refused with `refusal`: if the key already created
/// something (`earlier`, the use case's look-up, asked only then), its answer stands (a retry
/// after a success replays it even when the request would now be refused); otherwise the
/// refusal. Errors that are not the client's (`5xx`) are answered as they are.
pub async fn refused_unless_replayed(
    earlier: impl Future<Output = Result<Option<IdempotencyRecord>, usecases::Failure>>,
    fingerprint: &str,
    refusal: ApiError,
) -> Result<crate::Reply, ApiError> {
    if refusal.status().is_server_error() {
        return Err(refusal);
    }
    match earlier.await? {
        Some(record) => replay(&record, fingerprint),
        None => Err(refusal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: u16, body: &str) -> IdempotencyRecord {
        IdempotencyRecord {
            fingerprint: "f".into(),
            status,
            body: body.into(),
        }
    }

    #[test]
    fn a_stored_answer_that_does_not_read_back_is_a_500_not_a_null_replay() {
        for body in ["", "not json", "null", "{\"truncated\":"] {
            let e = replay(&record(201, body), "f").expect_err(body);
            assert_eq!(e.status().as_u16(), 500, "{body:?}");
        }
        assert_eq!(
            replay(&record(99, "{}"), "f").expect_err("status").status(),
            500
        );
    }

    #[test]
    fn a_readable_stored_answer_is_replayed_as_it_was() {
        let r = replay(&record(201, r#"{"pack_id":"p"}"#), "f").expect("replayed");
        assert_eq!(r.body["pack_id"], "p");
        assert!(r.replayed);
        assert!(matches!(
            replay(&record(201, "{}"), "other"),
            Err(ApiError::IdempotencyKeyReused)
        ));
    }
}
