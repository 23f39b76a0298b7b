//! Creating requests are idempotent: the answer is kept under the caller's `Idempotency-Key`
//! in the creating transaction itself (`IdempotencyWrite`), and a repeat is answered from it.

use crate::Failure;
use store::Store;

pub use domain::idempotency::IdempotencyRecord;
pub use domain::idempotency::IdempotencyWrite;

/// The answer an earlier request under this key gave, if one did.
pub async fn earlier(
    store: &Store,
    idempotency: &IdempotencyWrite,
) -> Result<Option<IdempotencyRecord>, Failure> {
    Ok(store.idempotency_record(idempotency).await?)
}
