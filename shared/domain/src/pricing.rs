//! The price list (S1: flat per pack, whatever the incident takes) and tax (S12: a verified
//! exemption makes later purchases tax-free).

use crate::{Money, Offer};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
pub struct CountryPrices {
    pub currency: String,
    /// Tax rate in basis points (2300 = 23 %).
    pub tax_rate_bp: u32,
    pub single: i64,
    pub five_pack: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PriceList {
    pub countries: BTreeMap<String, CountryPrices>,
}

pub const SHIPPED_PRICES: &str = include_str!("../../../infra/data/prices.json");

impl PriceList {
    pub fn parse(text: &str) -> Result<PriceList, String> {
        let list: PriceList = serde_json::from_str(text)
            .map_err(|e| format!("price list, line {}: {e}", e.line()))?;
        for (country, p) in &list.countries {
            let valid_code = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
            let valid_currency =
                p.currency.len() == 3 && p.currency.bytes().all(|b| b.is_ascii_uppercase());
            if !valid_code
                || !valid_currency
                || p.single <= 0
                || p.five_pack <= 0
                || p.tax_rate_bp > 10_000
            {
                return Err(format!("price list entry {country} is invalid"));
            }
        }
        Ok(list)
    }

    pub fn shipped() -> Result<PriceList, String> {
        Self::parse(SHIPPED_PRICES)
    }

    /// The price of an offer for a billing country; `None` for a country not sold to.
    pub fn quote(&self, offer: Offer, billing_country: &str, tax_exempt: bool) -> Option<Money> {
        let p = self.countries.get(billing_country)?;
        let net = match offer {
            Offer::Single => p.single,
            Offer::FivePack => p.five_pack,
        };
        let tax = if tax_exempt {
            0
        } else {
            tax_on(net, p.tax_rate_bp)
        };
        Some(Money {
            currency: p.currency.clone(),
            net,
            tax,
            gross: net + tax,
        })
    }

    /// `GET /offers`: every offer at the price `quote` gives a purchase made now; `None` for a
    /// country not sold to.
    pub fn offers(&self, billing_country: &str, tax_exempt: bool) -> Option<Vec<OfferPrice>> {
        Offer::ALL
            .iter()
            .map(|&offer| {
                self.quote(offer, billing_country, tax_exempt)
                    .map(|price| OfferPrice {
                        offer,
                        incidents: offer.incidents(),
                        price,
                        tax_exempt,
                    })
            })
            .collect()
    }

    pub fn countries(&self) -> impl Iterator<Item = &str> {
        self.countries.keys().map(String::as_str)
    }
}

/// One line of `GET /offers`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OfferPrice {
    pub offer: Offer,
    pub incidents: u32,
    pub price: Money,
    pub tax_exempt: bool,
}

/// Tax in minor units, rounded half up.
pub fn tax_on(net: i64, rate_bp: u32) -> i64 {
    (net * i64::from(rate_bp) + 5_000) / 10_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polish_vat_on_a_single_incident_matches_the_contract_example() {
        let list = PriceList::shipped().expect("valid price list");
        let m = list
            .quote(Offer::Single, "PL", false)
            .expect("PL is sold to");
        assert_eq!(
            (m.currency.as_str(), m.net, m.tax, m.gross),
            ("PLN", 199_900, 45_977, 245_877)
        );
    }

    #[test]
    fn an_exempt_purchase_carries_no_tax() {
        let list = PriceList::shipped().expect("valid price list");
        let m = list
            .quote(Offer::FivePack, "PL", true)
            .expect("PL is sold to");
        assert_eq!(m.tax, 0);
        assert_eq!(m.gross, m.net);
    }

    #[test]
    fn tax_rounds_half_up() {
        assert_eq!(tax_on(1, 5_000), 1);
        assert_eq!(tax_on(3, 1_000), 0);
        assert_eq!(tax_on(199_900, 2_300), 45_977);
    }

    #[test]
    fn a_country_not_on_the_list_gets_no_price() {
        let list = PriceList::shipped().expect("valid price list");
        assert!(list.quote(Offer::Single, "XX", false).is_none());
    }

    #[test]
    fn offers_are_priced_exactly_as_a_purchase_would_be() {
        let list = PriceList::shipped().expect("valid price list");
        for exempt in [false, true] {
            let offers = list.offers("PL", exempt).expect("PL is sold to");
            assert_eq!(offers.len(), 2);
            for o in offers {
                assert_eq!(Some(o.price), list.quote(o.offer, "PL", exempt));
                assert_eq!(o.incidents, o.offer.incidents());
                assert_eq!(o.tax_exempt, exempt);
            }
        }
        assert!(list.offers("XX", false).is_none());
    }
}
