//! Paying for a pack (SPEC "Paying for a pack"): what a verified notification from the payment
//! provider does to the order it names. Pure: the webhook adapter turns the provider's event into
//! a `PaymentNotice`, this module decides, the store writes the decision in one transaction.
//!
//! The outcome does not depend on the order notifications arrive in: a paid notification for the
//! right amount activates the order whether it is awaiting payment or was cancelled meanwhile (the
//! money was taken: the customer gets the units, the year counting from the payment), and a
//! failure or expiry only ever cancels an order still awaiting payment. Duplicates change nothing
//! (the store also writes each event id once).

use crate::pack::{Pack, PaymentMismatch};
use crate::time::Instant;
use crate::PackState;

/// What a provider event means for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// Paid in full (a completed checkout with `payment_status: paid`, or an asynchronous payment
    /// that succeeded).
    Paid,
    /// The order will not be paid (the checkout expired, or an asynchronous payment failed).
    Unpaid,
    /// Anything else (e.g. a completed checkout whose payment is still processing).
    Other,
}

/// One verified notification, as far as the order is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentNotice {
    pub event_id: String,
    pub kind: NoticeKind,
    /// The pack the checkout was created for (`client_reference_id`).
    pub pack_id: Option<String>,
    /// Minor units and ISO currency (any case) the customer paid.
    pub amount_total: Option<i64>,
    pub currency: Option<String>,
    /// When the provider created the event: the payment instant (S10 counts from it).
    pub created: Instant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentDecision {
    /// The order is paid: the pack as it must be written (active, units, expiry).
    Activate(Pack),
    /// The order will not be paid: the pack, cancelled.
    Cancel(Pack),
    /// Paid, but not what the order says: nothing activates, staff see this.
    Mismatch(PaymentMismatch),
    /// Nothing changes; the reason is for the log.
    Ignore(&'static str),
}

/// Whether the paid amount and currency are exactly the order's gross price.
pub fn pays_for(pack: &Pack, amount_total: Option<i64>, currency: Option<&str>) -> bool {
    amount_total == Some(pack.price.gross)
        && currency.is_some_and(|c| c.eq_ignore_ascii_case(&pack.price.currency))
}

pub fn decide(pack: &Pack, notice: &PaymentNotice) -> PaymentDecision {
    match notice.kind {
        NoticeKind::Other => PaymentDecision::Ignore("event type changes no order"),
        NoticeKind::Unpaid => match pack.state {
            PackState::AwaitingPayment => PaymentDecision::Cancel(pack.cancelled()),
            PackState::Active => PaymentDecision::Ignore("a paid pack is never cancelled"),
            PackState::Cancelled => PaymentDecision::Ignore("already cancelled"),
        },
        NoticeKind::Paid => {
            if pack.state == PackState::Active {
                return PaymentDecision::Ignore("already active");
            }
            if !pays_for(pack, notice.amount_total, notice.currency.as_deref()) {
                return PaymentDecision::Mismatch(PaymentMismatch {
                    event_id: notice.event_id.clone(),
                    paid_amount: notice.amount_total,
                    paid_currency: notice.currency.clone(),
                    expected_amount: pack.price.gross,
                    expected_currency: pack.price.currency.clone(),
                    at: notice.created,
                });
            }
            PaymentDecision::Activate(pack.paid(notice.created))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_instant;
    use crate::{Money, Offer, PackStatus};

    fn at(s: &str) -> Instant {
        parse_instant(s).expect("instant")
    }

    fn order() -> Pack {
        Pack::order(
            "pck_1".into(),
            Offer::FivePack,
            "buyer",
            at("2026-03-01T10:00:00Z"),
            "N".into(),
            Money {
                currency: "PLN".into(),
                net: 899_500,
                tax: 206_885,
                gross: 1_106_385,
            },
            false,
        )
    }

    fn notice(kind: NoticeKind, amount: i64, currency: &str) -> PaymentNotice {
        PaymentNotice {
            event_id: "evt_1".into(),
            kind,
            pack_id: Some("pck_1".into()),
            amount_total: Some(amount),
            currency: Some(currency.into()),
            created: at("2028-02-29T08:30:00Z"),
        }
    }

    #[test]
    fn a_paid_notice_for_the_gross_price_activates_from_the_event_instant() {
        let PaymentDecision::Activate(p) =
            decide(&order(), &notice(NoticeKind::Paid, 1_106_385, "pln"))
        else {
            panic!("not activated")
        };
        assert_eq!(p.status(at("2028-03-01T00:00:00Z")), PackStatus::Active);
        assert_eq!(p.purchased_at, Some(at("2028-02-29T08:30:00Z")));
        assert_eq!(p.expires_at, Some(at("2029-02-28T08:30:00Z")));
        assert_eq!(p.incidents_remaining, 5);
    }

    #[test]
    fn another_amount_or_currency_is_a_mismatch_and_activates_nothing() {
        for n in [
            notice(NoticeKind::Paid, 1_106_384, "pln"),
            notice(NoticeKind::Paid, 1_106_385, "eur"),
            PaymentNotice {
                amount_total: None,
                ..notice(NoticeKind::Paid, 0, "pln")
            },
        ] {
            match decide(&order(), &n) {
                PaymentDecision::Mismatch(m) => {
                    assert_eq!(
                        (m.expected_amount, m.expected_currency.as_str()),
                        (1_106_385, "PLN")
                    );
                    assert_eq!(m.paid_amount, n.amount_total);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn an_unpaid_notice_cancels_only_an_order_awaiting_payment() {
        let o = order();
        let unpaid = notice(NoticeKind::Unpaid, 0, "pln");
        assert!(
            matches!(decide(&o, &unpaid), PaymentDecision::Cancel(c) if c.state == PackState::Cancelled)
        );
        let active = o.paid(at("2026-03-01T10:10:00Z"));
        assert_eq!(
            decide(&active, &unpaid),
            PaymentDecision::Ignore("a paid pack is never cancelled")
        );
        assert!(matches!(
            decide(&o.cancelled(), &unpaid),
            PaymentDecision::Ignore(_)
        ));
    }

    #[test]
    fn a_paid_notice_after_a_cancellation_still_activates_and_a_second_one_changes_nothing() {
        let cancelled = order().cancelled();
        let paid = notice(NoticeKind::Paid, 1_106_385, "PLN");
        let PaymentDecision::Activate(p) = decide(&cancelled, &paid) else {
            panic!("a paid order is activated")
        };
        assert_eq!(decide(&p, &paid), PaymentDecision::Ignore("already active"));
    }

    #[test]
    fn the_end_state_does_not_depend_on_the_order_of_notices() {
        let paid = notice(NoticeKind::Paid, 1_106_385, "pln");
        let unpaid = notice(NoticeKind::Unpaid, 0, "pln");
        let apply = |pack: Pack, n: &PaymentNotice| match decide(&pack, n) {
            PaymentDecision::Activate(p) | PaymentDecision::Cancel(p) => p,
            _ => pack,
        };
        let a = apply(apply(order(), &paid), &unpaid);
        let b = apply(apply(order(), &unpaid), &paid);
        assert_eq!(a, b);
        assert_eq!(a.state, PackState::Active);
    }

    #[test]
    fn other_events_change_nothing() {
        assert!(matches!(
            decide(&order(), &notice(NoticeKind::Other, 1_106_385, "pln")),
            PaymentDecision::Ignore(_)
        ));
    }
}
