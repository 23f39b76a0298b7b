//! The answer a creating request gave, kept under its `Idempotency-Key`: a repeat of the same
//! request gets it again; the same key with another request is refused.

use crate::time::Instant;
use crate::AccountId;
use serde_json::Value;

/// What a creating request keeps beside its result, in the same transaction: whose request,
/// which operation and the client's `Idempotency-Key` (together, where the record is kept), what
/// made the request "the same" and the answer to give again.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyWrite {
    pub account_id: AccountId,
    pub operation: &'static str,
    pub client_key: String,
    pub fingerprint: String,
    pub status: u16,
    pub body: Value,
    pub now: Instant,
}

impl IdempotencyWrite {
    /// A `201 Created` whose body the creating use case fills in.
    pub fn new(
        account_id: &AccountId,
        operation: &'static str,
        client_key: &str,
        fingerprint: String,
        now: Instant,
    ) -> Self {
        IdempotencyWrite {
            account_id: account_id.clone(),
            operation,
            client_key: client_key.to_string(),
            fingerprint,
            status: 201,
            body: Value::Null,
            now,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct IdempotencyRecord {
    /// What made the request "the same" (route and canonical body; `api::Ctx::fingerprint`).
    pub fingerprint: String,
    pub status: u16,
    /// The answer's JSON text.
    pub body: String,
}

/// A kept answer that does not read back (never replayed as `null`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("idempotency record {0}")]
pub struct UnreadableAnswer(String);

impl IdempotencyRecord {
    /// The kept answer's body: a JSON object or array, or `UnreadableAnswer`.
    pub fn body_json(&self) -> Result<Value, UnreadableAnswer> {
        match serde_json::from_str::<Value>(&self.body) {
            Ok(v) if v.is_object() || v.is_array() => Ok(v),
            Ok(_) => Err(UnreadableAnswer("holds no answer body".into())),
            Err(e) => Err(UnreadableAnswer(format!("body is not JSON: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(body: &str) -> IdempotencyRecord {
        IdempotencyRecord {
            fingerprint: "f".into(),
            status: 201,
            body: body.into(),
        }
    }

    #[test]
    fn only_an_object_or_an_array_reads_back() {
        assert_eq!(record(r#"{"a":1}"#).body_json().unwrap()["a"], 1);
        assert!(record("[1]").body_json().unwrap().is_array());
        for bad in ["null", "3", "", "{"] {
            assert!(record(bad).body_json().is_err(), "{bad:?} read back");
        }
    }
}
