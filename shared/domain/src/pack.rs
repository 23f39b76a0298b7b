//! Packs of incidents (S1, S9, S10, S11): who may draw from them, until when, and which one a
//! submission draws from.

use crate::time::{serde_instant, Instant};
use crate::{Money, Offer, PackStatus};
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pack {
    pub pack_id: String,
    pub offer: Offer,
    pub owner_account_id: String,
    pub incidents_total: u32,
    pub incidents_remaining: u32,
    #[serde(with = "serde_instant")]
    pub purchased_at: Instant,
    #[serde(with = "serde_instant")]
    pub expires_at: Instant,
    pub order_confirmation_number: String,
    pub price: Money,
    pub tax_exempt: bool,
}

/// A pack as the API shows it: the stored pack plus its status as of now.
#[derive(Debug, Clone, Serialize)]
pub struct PackView {
    #[serde(flatten)]
    pub pack: Pack,
    pub status: PackStatus,
}

impl Pack {
    pub fn new(
        pack_id: String,
        offer: Offer,
        owner: &str,
        purchased_at: Instant,
        order_confirmation_number: String,
        price: Money,
        tax_exempt: bool,
    ) -> Pack {
        Pack {
            pack_id,
            offer,
            owner_account_id: owner.to_string(),
            incidents_total: offer.incidents(),
            incidents_remaining: offer.incidents(),
            purchased_at,
            expires_at: expiry_for(purchased_at),
            order_confirmation_number,
            price,
            tax_exempt,
        }
    }

    /// Expiry wins over exhaustion: an expired pack is `expired` whatever is left.
    pub fn status(&self, now: Instant) -> PackStatus {
        if now >= self.expires_at {
            PackStatus::Expired
        } else if self.incidents_remaining == 0 {
            PackStatus::UsedUp
        } else {
            PackStatus::Active
        }
    }

    /// S9 and S10: only the current owner, only before expiry, only while units remain.
    pub fn usable_by(&self, account_id: &str, now: Instant) -> bool {
        self.owner_account_id == account_id && self.status(now) == PackStatus::Active
    }

    pub fn view(&self, now: Instant) -> PackView {
        PackView {
            pack: self.clone(),
            status: self.status(now),
        }
    }
}

/// S10: one calendar year after purchase, same wall-clock time (UTC); 29 February rolls to
/// 28 February.
pub fn expiry_for(purchased_at: Instant) -> Instant {
    let d = purchased_at.date_naive();
    let next = NaiveDate::from_ymd_opt(d.year() + 1, d.month(), d.day())
        .or_else(|| NaiveDate::from_ymd_opt(d.year() + 1, d.month(), d.day() - 1))
        .unwrap_or(d);
    Utc.from_utc_datetime(&next.and_time(purchased_at.time()))
}

/// Which packs a submission may draw from, in the order to try them: the named pack only, or
/// every usable pack of the caller, soonest expiry first (ties: older purchase first).
pub fn draw_candidates<'a>(
    packs: &'a [Pack],
    account_id: &str,
    named: Option<&str>,
    now: Instant,
) -> Vec<&'a Pack> {
    let mut usable: Vec<&Pack> = packs
        .iter()
        .filter(|p| named.is_none_or(|n| p.pack_id == n))
        .filter(|p| p.usable_by(account_id, now))
        .collect();
    usable.sort_by(|a, b| {
        (a.expires_at, a.purchased_at, &a.pack_id).cmp(&(b.expires_at, b.purchased_at, &b.pack_id))
    });
    usable
}

/// The alphabet of order confirmation numbers: Crockford's base32 (no I, L, O, U), so numbers
/// read aloud or retyped are not misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 20 symbols of 5 bits = 100 bits from the CSPRNG bytes given, as `XXXXX-XXXXX-XXXXX-XXXXX`.
pub fn order_confirmation_number(random: &[u8; 13]) -> String {
    let mut bits: u128 = 0;
    for b in random {
        bits = (bits << 8) | u128::from(*b);
    }
    let mut out = String::with_capacity(23);
    for i in 0..20 {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        let symbol = ((bits >> (5 * (19 - i))) & 0x1f) as usize;
        out.push(char::from(ALPHABET[symbol]));
    }
    out
}

/// Reads a number as a person may type it: any case, spaces or dashes anywhere, O for 0 and
/// I/L for 1. `None` when it cannot be a number at all.
pub fn normalise_order_confirmation_number(input: &str) -> Option<String> {
    let mut symbols = String::with_capacity(20);
    for c in input.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
            return None;
        }
        symbols.push(c);
    }
    if symbols.len() != 20 {
        return None;
    }
    let groups: Vec<&str> = (0..4).map(|i| &symbols[i * 5..i * 5 + 5]).collect();
    Some(groups.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_instant;

    fn at(s: &str) -> Instant {
        parse_instant(s).expect("instant")
    }

    fn pack(id: &str, owner: &str, remaining: u32, purchased: &str) -> Pack {
        let money = Money {
            currency: "PLN".into(),
            net: 1,
            tax: 0,
            gross: 1,
        };
        let mut p = Pack::new(
            id.into(),
            Offer::FivePack,
            owner,
            at(purchased),
            "N".into(),
            money,
            false,
        );
        p.incidents_remaining = remaining;
        p
    }

    #[test]
    fn a_pack_expires_one_calendar_year_after_purchase() {
        assert_eq!(
            expiry_for(at("2026-11-25T12:41:04Z")),
            at("2027-11-25T12:41:04Z")
        );
    }

    #[test]
    fn a_29_february_purchase_expires_on_28_february() {
        assert_eq!(
            expiry_for(at("2028-02-29T10:00:00Z")),
            at("2029-02-28T10:00:00Z")
        );
    }

    #[test]
    fn status_is_expired_from_the_expiry_instant_on_even_with_units_left() {
        let p = pack("p", "a", 3, "2025-01-01T00:00:00Z");
        assert_eq!(p.status(at("2025-12-31T23:59:59Z")), PackStatus::Active);
        assert_eq!(p.status(at("2026-01-01T00:00:00Z")), PackStatus::Expired);
        let empty = pack("q", "a", 0, "2025-01-01T00:00:00Z");
        assert_eq!(empty.status(at("2025-06-01T00:00:00Z")), PackStatus::UsedUp);
    }

    #[test]
    fn only_the_owner_may_draw() {
        let p = pack("p", "buyer", 5, "2026-01-01T00:00:00Z");
        let now = at("2026-02-01T00:00:00Z");
        assert!(p.usable_by("buyer", now));
        assert!(!p.usable_by("colleague", now));
    }

    #[test]
    fn candidates_are_the_usable_packs_soonest_expiry_first() {
        let now = at("2026-06-01T00:00:00Z");
        let packs = vec![
            pack("late", "a", 5, "2026-05-01T00:00:00Z"),
            pack("soon", "a", 1, "2025-07-01T00:00:00Z"),
            pack("expired", "a", 5, "2025-01-01T00:00:00Z"),
            pack("empty", "a", 0, "2025-08-01T00:00:00Z"),
            pack("theirs", "b", 5, "2025-07-01T00:00:00Z"),
        ];
        let ids: Vec<_> = draw_candidates(&packs, "a", None, now)
            .iter()
            .map(|p| p.pack_id.as_str())
            .collect();
        assert_eq!(ids, ["soon", "late"]);
        let named: Vec<_> = draw_candidates(&packs, "a", Some("late"), now)
            .iter()
            .map(|p| p.pack_id.as_str())
            .collect();
        assert_eq!(named, ["late"]);
        assert!(draw_candidates(&packs, "a", Some("expired"), now).is_empty());
    }

    #[test]
    fn order_numbers_carry_100_bits_in_readable_groups() {
        let n = order_confirmation_number(&[0xff; 13]);
        assert_eq!(n.len(), 23);
        assert_eq!(n.matches('-').count(), 3);
        assert_ne!(
            order_confirmation_number(&[0; 13]),
            order_confirmation_number(&[1; 13])
        );
        assert!(!n.contains(['I', 'L', 'O', 'U']));
    }

    #[test]
    fn a_number_typed_loosely_is_read_back_exactly() {
        let n = order_confirmation_number(&[7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        let typed = n.to_lowercase().replace('-', " ").replace('0', "o");
        assert_eq!(
            normalise_order_confirmation_number(&typed).as_deref(),
            Some(n.as_str())
        );
        assert_eq!(normalise_order_confirmation_number("too-short"), None);
        assert_eq!(
            normalise_order_confirmation_number("UUUUU-UUUUU-UUUUU-UUUUU"),
            None
        );
    }

    #[test]
    fn a_pack_bought_on_29_february_expires_on_28_february_next_year() {
        let p = pack("p", "a", 5, "2028-02-29T23:30:00Z");
        assert_eq!(p.expires_at, at("2029-02-28T23:30:00Z"));
        assert_eq!(p.incidents_total, 5);
        assert_eq!(p.status(at("2029-02-28T23:29:59Z")), PackStatus::Active);
        assert_eq!(p.status(at("2029-02-28T23:30:00Z")), PackStatus::Expired);
    }
}
