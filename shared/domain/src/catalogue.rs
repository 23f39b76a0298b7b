//! Products and their support lifecycle (S4): eligible through mainstream and extended support,
//! not after.

use crate::time::serde_date;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub product_id: String,
    pub name: String,
    #[serde(with = "serde_date")]
    pub mainstream_end: NaiveDate,
    #[serde(with = "serde_date::option", default)]
    pub extended_end: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Mainstream,
    Extended,
    Ended,
}

/// A product as the catalogue route shows it, with its phase as of a day.
#[derive(Debug, Clone, Serialize)]
pub struct ProductView {
    #[serde(flatten)]
    pub product: Product,
    pub phase: Phase,
}

impl Product {
    /// The last day of support: the end of extended support, or of mainstream where there is none.
    pub fn support_ends_on(&self) -> NaiveDate {
        self.extended_end.unwrap_or(self.mainstream_end)
    }

    /// Both end dates are the last supported day.
    pub fn phase(&self, today: NaiveDate) -> Phase {
        if today <= self.mainstream_end {
            Phase::Mainstream
        } else if self.extended_end.is_some_and(|e| today <= e) {
            Phase::Extended
        } else {
            Phase::Ended
        }
    }

    pub fn view(&self, today: NaiveDate) -> ProductView {
        ProductView {
            product: self.clone(),
            phase: self.phase(today),
        }
    }
}

#[derive(Deserialize)]
struct CatalogueFile {
    products: Vec<Product>,
}

/// Parses and validates the catalogue file (`infra/data/products.json`).
pub fn parse_catalogue(text: &str) -> Result<Vec<Product>, String> {
    let file: CatalogueFile =
        serde_json::from_str(text).map_err(|e| format!("products file, line {}: {e}", e.line()))?;
    let mut seen = std::collections::HashSet::new();
    for p in &file.products {
        if p.product_id.is_empty()
            || !p
                .product_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(format!(
                "product id {:?} must be letters, digits and dashes",
                p.product_id
            ));
        }
        if !seen.insert(p.product_id.clone()) {
            return Err(format!("product id {} appears twice", p.product_id));
        }
        if p.extended_end.is_some_and(|e| e < p.mainstream_end) {
            return Err(format!(
                "product {}: extended support ends before mainstream",
                p.product_id
            ));
        }
    }
    Ok(file.products)
}

pub const SHIPPED_CATALOGUE: &str = include_str!("../../../infra/data/products.json");

#[cfg(test)]
mod tests {
    use super::*;

    fn product(mainstream: &str, extended: Option<&str>) -> Product {
        Product {
            product_id: "p".into(),
            name: "P".into(),
            mainstream_end: crate::time::parse_date(mainstream).expect("date"),
            extended_end: extended.map(|e| crate::time::parse_date(e).expect("date")),
        }
    }

    fn day(s: &str) -> NaiveDate {
        crate::time::parse_date(s).expect("date")
    }

    #[test]
    fn the_last_day_of_each_phase_still_belongs_to_it() {
        let p = product("2024-01-09", Some("2029-01-09"));
        assert_eq!(p.phase(day("2024-01-09")), Phase::Mainstream);
        assert_eq!(p.phase(day("2024-01-10")), Phase::Extended);
        assert_eq!(p.phase(day("2029-01-09")), Phase::Extended);
        assert_eq!(p.phase(day("2029-01-10")), Phase::Ended);
    }

    #[test]
    fn a_product_without_extended_support_ends_with_mainstream() {
        let p = product("2027-10-12", None);
        assert_eq!(p.support_ends_on(), day("2027-10-12"));
        assert_eq!(p.phase(day("2027-10-13")), Phase::Ended);
    }

    #[test]
    fn the_shipped_catalogue_has_ended_and_extended_products_today() {
        let products = parse_catalogue(SHIPPED_CATALOGUE).expect("valid catalogue");
        assert!(products.len() >= 12);
        let today = day("2026-11-25");
        let count = |phase| products.iter().filter(|p| p.phase(today) == phase).count();
        assert!(
            count(Phase::Ended) >= 2
                && count(Phase::Extended) >= 2
                && count(Phase::Mainstream) >= 2
        );
    }

    #[test]
    fn a_catalogue_with_a_duplicate_id_is_refused() {
        let text = r#"{"products":[{"product_id":"a","name":"A","mainstream_end":"2030-01-01"},{"product_id":"a","name":"B","mainstream_end":"2030-01-01"}]}"#;
        assert!(parse_catalogue(text).unwrap_err().contains("twice"));
    }
}
