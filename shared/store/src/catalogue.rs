//! The product catalogue: one partition, seeded from `infra/data/products.json`.

use crate::error::classify;
use crate::items::{from_item, key_attrs, to_item, with};
use crate::keys::{self, CATALOGUE_PK};
use crate::{Store, StoreError};
use domain::catalogue::Product;

impl Store {
    pub async fn put_product(&self, product: &Product) -> Result<(), StoreError> {
        let item = with(
            to_item(product)?,
            key_attrs(&keys::product(&product.product_id)),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| classify("PutItem", e))?;
        Ok(())
    }

    pub async fn product(&self, product_id: &str) -> Result<Option<Product>, StoreError> {
        self.get(&keys::product(product_id))
            .await?
            .map(from_item)
            .transpose()
    }

    pub async fn products(&self) -> Result<Vec<Product>, StoreError> {
        self.query_prefix(CATALOGUE_PK, "PRODUCT#")
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }
}
