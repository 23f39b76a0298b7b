//! The product catalogue: one partition, seeded from `infra/data/products.json`.
//!
//! Intake looks products up in a copy of the whole catalogue read at most once a minute per
//! process (`Store::catalogue_product`), not once per submission: a product's change (its
//! lifecycle dates, a new product) is seen by every function within `CATALOGUE_MAX_AGE` of the
//! write, without a redeploy. A product missing from the copy is read first-hand, so a product
//! added meanwhile is found at once.

use crate::error::classify;
use crate::items::{from_item, key_attrs, to_item, with};
use crate::keys::{self, CATALOGUE_PK};
use crate::{Store, StoreError};
use domain::catalogue::Product;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How old the catalogue copy intake decides on may be.
pub const CATALOGUE_MAX_AGE: Duration = Duration::from_secs(60);

type Products = Arc<HashMap<String, Product>>;

/// The catalogue as last read, and when.
#[derive(Default)]
pub struct CatalogueCache {
    copy: Mutex<Option<(Instant, Products)>>,
}

impl CatalogueCache {
    fn fresh(&self) -> Option<Products> {
        let copy = self.copy.lock().unwrap_or_else(|e| e.into_inner());
        copy.as_ref()
            .filter(|(read_at, _)| read_at.elapsed() < CATALOGUE_MAX_AGE)
            .map(|(_, products)| products.clone())
    }

    fn keep(&self, products: Vec<Product>) -> Products {
        let products: Products = Arc::new(
            products
                .into_iter()
                .map(|p| (p.product_id.clone(), p))
                .collect(),
        );
        *self.copy.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), products.clone()));
        products
    }
}

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

    /// A product as intake decides on it: from the catalogue copy when it is fresh and holds
    /// the product (no round trip), else read (the whole catalogue when the copy is stale, the
    /// one product when the copy does not know it).
    pub async fn catalogue_product(&self, product_id: &str) -> Result<Option<Product>, StoreError> {
        match self.catalogue.fresh() {
            Some(copy) => match copy.get(product_id) {
                Some(p) => Ok(Some(p.clone())),
                None => self.product(product_id).await,
            },
            None => {
                let copy = self.catalogue.keep(self.products().await?);
                Ok(copy.get(product_id).cloned())
            }
        }
    }

    pub async fn products(&self) -> Result<Vec<Product>, StoreError> {
        self.query_prefix(CATALOGUE_PK, keys::PRODUCT_PREFIX)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }
}
