//! Packs of incidents (S1, S9, S10, S11): who may draw from them, until when, and which one a
//! submission draws from.

use crate::time::{serde_instant, Instant};
use crate::{AccountId, Money, Offer, PackId, PackState, PackStatus};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pack {
    pub pack_id: PackId,
    pub offer: Offer,
    pub owner_account_id: AccountId,
    pub incidents_total: u32,
    /// Units that can still be drawn: 0 until the order is paid, `incidents_total` from then on
    /// minus draws plus refunds (the ledger's opening is written with the payment).
    pub incidents_remaining: u32,
    /// Stored as `status` (the attribute other functions, e.g. the notifier, read).
    #[serde(rename = "status")]
    pub state: PackState,
    #[serde(with = "serde_instant")]
    pub ordered_at: Instant,
    /// When it was paid (S10 counts the year from here); `None` until then.
    #[serde(with = "serde_instant::option", default)]
    pub purchased_at: Option<Instant>,
    #[serde(with = "serde_instant::option", default)]
    pub expires_at: Option<Instant>,
    pub order_confirmation_number: String,
    pub price: Money,
    pub tax_exempt: bool,
    /// The payment page of an order paid by card; `None` when payment is off.
    #[serde(default)]
    pub checkout: Option<Checkout>,
    /// The last paid notification whose amount or currency differed from the order (for staff).
    #[serde(default)]
    pub payment_mismatch: Option<PaymentMismatch>,
}

/// The payment provider's page for one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkout {
    pub session_id: String,
    pub url: String,
}

/// A notification that an order was paid with another amount or currency than it was priced at:
/// the pack is not activated, and staff settle it with the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentMismatch {
    pub event_id: String,
    pub paid_amount: Option<i64>,
    pub paid_currency: Option<String>,
    pub expected_amount: i64,
    pub expected_currency: String,
    #[serde(with = "serde_instant")]
    pub at: Instant,
}

/// A pack as the API shows it (API.md `Pack`): the stored pack with its status as of now.
#[derive(Debug, Clone, Serialize)]
pub struct PackView {
    pub pack_id: PackId,
    pub offer: Offer,
    pub owner_account_id: AccountId,
    pub incidents_total: u32,
    pub incidents_remaining: u32,
    pub status: PackStatus,
    #[serde(with = "serde_instant")]
    pub ordered_at: Instant,
    #[serde(with = "serde_instant::option")]
    pub purchased_at: Option<Instant>,
    #[serde(with = "serde_instant::option")]
    pub expires_at: Option<Instant>,
    pub order_confirmation_number: String,
    pub price: Money,
    pub tax_exempt: bool,
    /// Only while the order awaits its payment.
    pub checkout_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_mismatch: Option<PaymentMismatch>,
}

impl Pack {
    /// A pack bought with payment off: active from `purchased_at` on.
    pub fn new(
        pack_id: String,
        offer: Offer,
        owner: &str,
        purchased_at: Instant,
        order_confirmation_number: String,
        price: Money,
        tax_exempt: bool,
    ) -> Pack {
        let order = Pack::order(
            pack_id,
            offer,
            owner,
            purchased_at,
            order_confirmation_number,
            price,
            tax_exempt,
        );
        order.paid(purchased_at)
    }

    /// An order awaiting its payment: nothing can be drawn from it, and it has no expiry yet.
    pub fn order(
        pack_id: String,
        offer: Offer,
        owner: &str,
        ordered_at: Instant,
        order_confirmation_number: String,
        price: Money,
        tax_exempt: bool,
    ) -> Pack {
        Pack {
            pack_id: pack_id.into(),
            offer,
            owner_account_id: owner.into(),
            incidents_total: offer.incidents(),
            incidents_remaining: 0,
            state: PackState::AwaitingPayment,
            ordered_at,
            purchased_at: None,
            expires_at: None,
            order_confirmation_number,
            price,
            tax_exempt,
            checkout: None,
            payment_mismatch: None,
        }
    }

    /// The pack once paid at `paid_at`: active, every unit available, a year of validity (S10).
    pub fn paid(&self, paid_at: Instant) -> Pack {
        Pack {
            state: PackState::Active,
            incidents_remaining: self.incidents_total,
            purchased_at: Some(paid_at),
            expires_at: Some(expiry_for(paid_at)),
            ..self.clone()
        }
    }

    /// The order once given up unpaid.
    pub fn cancelled(&self) -> Pack {
        Pack {
            state: PackState::Cancelled,
            ..self.clone()
        }
    }

    /// Payment state first (an unpaid order is never `active`); for a paid pack, expiry wins
    /// over exhaustion: an expired pack is `expired` whatever is left.
    pub fn status(&self, now: Instant) -> PackStatus {
        match self.state {
            PackState::AwaitingPayment => PackStatus::AwaitingPayment,
            PackState::Cancelled => PackStatus::Cancelled,
            PackState::Active => match self.expires_at {
                Some(expires_at) if now < expires_at => {
                    if self.incidents_remaining == 0 {
                        PackStatus::UsedUp
                    } else {
                        PackStatus::Active
                    }
                }
                // A paid pack without an expiry cannot be trusted with a draw.
                _ => PackStatus::Expired,
            },
        }
    }

    /// The one rule of usability (S9, S10, payment): only a paid (`active`) pack, only its
    /// current owner, only before expiry, only while units remain. The store's draw condition
    /// (`store::packs::draw_unit`) states the same rule for the data store, and a store test
    /// checks the two agree pack by pack.
    pub fn usable_by(&self, account_id: &str, now: Instant) -> bool {
        self.owner_account_id == account_id && self.status(now) == PackStatus::Active
    }

    pub fn view(&self, now: Instant) -> PackView {
        let status = self.status(now);
        PackView {
            pack_id: self.pack_id.clone(),
            offer: self.offer,
            owner_account_id: self.owner_account_id.clone(),
            incidents_total: self.incidents_total,
            incidents_remaining: self.incidents_remaining,
            status,
            ordered_at: self.ordered_at,
            purchased_at: self.purchased_at,
            expires_at: self.expires_at,
            order_confirmation_number: self.order_confirmation_number.clone(),
            price: self.price.clone(),
            tax_exempt: self.tax_exempt,
            checkout_url: self
                .checkout
                .as_ref()
                .filter(|_| status == PackStatus::AwaitingPayment)
                .map(|c| c.url.clone()),
            payment_mismatch: self.payment_mismatch.clone(),
        }
    }
}

/// S10: one calendar year after purchase, same wall-clock time (UTC); 29 February rolls to
/// 28 February.
pub fn expiry_for(purchased_at: Instant) -> Instant {
    // `checked_add_months` keeps the wall-clock time and clamps to the month's last day; it
    // fails only past chrono's last representable year, which no purchase instant reaches.
    purchased_at
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(purchased_at)
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

/// 20 symbols of Crockford's base32 (no I, L, O, U, so numbers read aloud or retyped are not
/// misread) = 100 bits from the CSPRNG bytes given, as `XXXXX-XXXXX-XXXXX-XXXXX`.
pub fn order_confirmation_number(random: &[u8; 13]) -> String {
    let bits = random
        .iter()
        .fold(0u128, |bits, b| (bits << 8) | u128::from(*b));
    let mut out = String::with_capacity(23);
    for (i, symbol) in crate::base32::encode(bits, 20).enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        out.push(symbol);
    }
    out
}

/// Reads a number as a person may type it: any case, spaces or dashes anywhere, O for 0 and
/// I/L for 1. `None` when it cannot be a number at all.
pub fn normalise_order_confirmation_number(input: &str) -> Option<String> {
    let symbols = crate::base32::typed(input, 20)?;
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
            order("unpaid", "a", "2025-06-01T00:00:00Z"),
            order("given_up", "a", "2025-06-01T00:00:00Z").cancelled(),
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
        assert!(draw_candidates(&packs, "a", Some("unpaid"), now).is_empty());
        assert!(draw_candidates(&packs, "a", Some("given_up"), now).is_empty());
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
        // The low 100 bits of the bytes, most significant first (a number issued before stays
        // the same number).
        assert_eq!(
            order_confirmation_number(&[7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
            "E0820-C20A1-G7104-GM2RC"
        );
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
        assert_eq!(p.expires_at, Some(at("2029-02-28T23:30:00Z")));
        assert_eq!(p.incidents_total, 5);
        assert_eq!(p.status(at("2029-02-28T23:29:59Z")), PackStatus::Active);
        assert_eq!(p.status(at("2029-02-28T23:30:00Z")), PackStatus::Expired);
    }

    fn order(id: &str, owner: &str, ordered: &str) -> Pack {
        let money = Money {
            currency: "PLN".into(),
            net: 1,
            tax: 0,
            gross: 1,
        };
        Pack::order(
            id.into(),
            Offer::FivePack,
            owner,
            at(ordered),
            "N".into(),
            money,
            false,
        )
    }

    #[test]
    fn an_order_awaiting_payment_has_no_units_no_expiry_and_cannot_be_drawn_from() {
        let o = order("o", "buyer", "2026-03-01T10:00:00Z");
        let now = at("2026-03-01T10:05:00Z");
        assert_eq!(o.status(now), PackStatus::AwaitingPayment);
        assert_eq!(
            (o.incidents_remaining, o.purchased_at, o.expires_at),
            (0, None, None)
        );
        assert!(!o.usable_by("buyer", now));
        let mut forged = o.clone();
        forged.incidents_remaining = 5;
        forged.expires_at = Some(at("2027-03-01T10:00:00Z"));
        assert!(
            !forged.usable_by("buyer", now),
            "units and an expiry do not make an unpaid order usable"
        );
    }

    #[test]
    fn a_cancelled_order_is_never_usable() {
        let mut c = order("c", "buyer", "2026-03-01T10:00:00Z").cancelled();
        c.incidents_remaining = 5;
        c.expires_at = Some(at("2027-03-01T10:00:00Z"));
        let now = at("2026-03-02T00:00:00Z");
        assert_eq!(c.status(now), PackStatus::Cancelled);
        assert!(!c.usable_by("buyer", now));
    }

    #[test]
    fn payment_activates_every_unit_for_a_year_from_the_payment() {
        let o = order("o", "buyer", "2028-02-27T09:00:00Z");
        let p = o.paid(at("2028-02-29T12:00:00Z"));
        assert_eq!(p.state, PackState::Active);
        assert_eq!(p.incidents_remaining, 5);
        assert_eq!(p.purchased_at, Some(at("2028-02-29T12:00:00Z")));
        assert_eq!(p.expires_at, Some(at("2029-02-28T12:00:00Z")));
        assert_eq!(p.ordered_at, o.ordered_at);
        assert!(p.usable_by("buyer", at("2028-03-01T00:00:00Z")));
    }

    #[test]
    fn a_paid_pack_without_an_expiry_is_treated_as_expired() {
        let mut p = pack("p", "a", 5, "2026-01-01T00:00:00Z");
        p.expires_at = None;
        assert_eq!(p.status(at("2026-02-01T00:00:00Z")), PackStatus::Expired);
    }

    #[test]
    fn the_view_has_the_contract_shape_and_shows_the_checkout_url_only_while_awaiting() {
        let mut o = order("o", "buyer", "2026-03-01T10:00:00Z");
        o.checkout = Some(Checkout {
            session_id: "cs_1".into(),
            url: "https://checkout.example/cs_1".into(),
        });
        let now = at("2026-03-01T10:00:00Z");
        let v = serde_json::to_value(o.view(now)).expect("json");
        let mut keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "checkout_url",
                "expires_at",
                "incidents_remaining",
                "incidents_total",
                "offer",
                "order_confirmation_number",
                "ordered_at",
                "owner_account_id",
                "pack_id",
                "price",
                "purchased_at",
                "status",
                "tax_exempt"
            ]
        );
        assert_eq!(v["status"], "awaiting_payment");
        assert_eq!(v["checkout_url"], "https://checkout.example/cs_1");
        assert!(v["purchased_at"].is_null() && v["expires_at"].is_null());
        let paid = serde_json::to_value(o.paid(now).view(now)).expect("json");
        assert_eq!(paid["status"], "active");
        assert!(paid["checkout_url"].is_null());
        assert_eq!(paid["purchased_at"], "2026-03-01T10:00:00Z");
    }

    #[test]
    fn the_stored_form_carries_the_state_as_status() {
        let o = order("o", "buyer", "2026-03-01T10:00:00Z");
        let stored = serde_json::to_value(&o).expect("json");
        assert_eq!(stored["status"], "awaiting_payment");
        let back: Pack = serde_json::from_value(stored).expect("read back");
        assert_eq!(back, o);
    }
}
