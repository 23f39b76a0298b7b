//! Bulk loads of the awaiting index for benchmarks and test set-ups. The SLA sweep itself —
//! every shard of the index page by page, each due incident decided and written on its version
//! — is the use case `usecases::sweep`, over the store's single attempts
//! (`Store::due_for_breach`, `Store::apply_transition`, `Store::incident`).

use crate::incidents::incident_item;
use crate::{Store, StoreError};
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use domain::incident::Incident;
use futures::{stream, TryStreamExt};
use std::collections::HashMap;

impl Store {
    /// Benchmark and test set-up only: writes incidents exactly as intake stores them (same
    /// item, same index keys), without their timelines or pack draws, with BatchWriteItem (25 a
    /// request, `parallel` requests in flight). Never for real data: it skips every intake check.
    pub async fn load_awaiting_for_bench(
        &self,
        incidents: &[Incident],
        parallel: usize,
    ) -> Result<(), StoreError> {
        let batches = incidents
            .chunks(25)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|i| {
                        let put = PutRequest::builder()
                            .set_item(Some(incident_item(i, 1, 0)?))
                            .build()
                            .map_err(|e| StoreError::Other(e.to_string()))?;
                        Ok(WriteRequest::builder().put_request(put).build())
                    })
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        stream::iter(batches.into_iter().map(Ok))
            .try_for_each_concurrent(parallel.max(1), |batch| self.batch_write_all(batch))
            .await
    }

    /// One BatchWriteItem, resubmitting what the server left unprocessed.
    async fn batch_write_all(&self, mut requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        for attempt in 0..10u32 {
            if requests.is_empty() {
                return Ok(());
            }
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt.min(5))).await;
            }
            let out = self
                .client
                .batch_write_item()
                .set_request_items(Some(HashMap::from([(self.table.clone(), requests)])))
                .send()
                .await
                .map_err(|e| crate::error::classify("BatchWriteItem", e))?;
            requests = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&self.table))
                .unwrap_or_default();
        }
        Err(StoreError::Unavailable(
            "BatchWriteItem kept leaving items unprocessed".into(),
        ))
    }
}
