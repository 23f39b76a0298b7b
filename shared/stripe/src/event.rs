//! Stripe events, read into the domain's `PaymentNotice` after the signature verified. Only the
//! fields the order needs are read; unknown fields and types are fine (Stripe adds them).

use chrono::{TimeZone, Utc};
use domain::payment::{NoticeKind, PaymentNotice};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Debug, Deserialize)]
struct Data {
    #[serde(default)]
    object: Value,
}

/// Event types that name a Checkout Session whose outcome matters to an order.
pub const SUBSCRIBED_EVENTS: [&str; 4] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.expired",
    "checkout.session.async_payment_failed",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the event is not a Stripe event object: {0}")]
    NotAnEvent(String),
}

/// Reads a verified event body. An event of another type is `NoticeKind::Other`.
pub fn read_notice(body: &[u8]) -> Result<PaymentNotice, EventError> {
    let event: Event =
        serde_json::from_slice(body).map_err(|e| EventError::NotAnEvent(e.to_string()))?;
    let created = Utc
        .timestamp_opt(event.created, 0)
        .single()
        .ok_or_else(|| EventError::NotAnEvent("created is not a timestamp".into()))?;
    let session = event.data.map(|d| d.object).unwrap_or(Value::Null);
    let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let pack_id =
        text(&session["client_reference_id"]).or_else(|| text(&session["metadata"]["pack_id"]));
    let kind = match event.kind.as_str() {
        "checkout.session.completed" if session["payment_status"] == "paid" => NoticeKind::Paid,
        "checkout.session.async_payment_succeeded" => NoticeKind::Paid,
        "checkout.session.expired" | "checkout.session.async_payment_failed" => NoticeKind::Unpaid,
        _ => NoticeKind::Other,
    };
    Ok(PaymentNotice {
        event_id: event.id,
        kind,
        pack_id,
        amount_total: session["amount_total"].as_i64(),
        currency: text(&session["currency"]),
        created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, session: Value) -> Vec<u8> {
        json!({"id": "evt_1", "object": "event", "type": kind, "created": 1_800_000_000,
               "livemode": false, "data": {"object": session}})
        .to_string()
        .into_bytes()
    }

    fn session(payment_status: &str) -> Value {
        json!({"id": "cs_1", "object": "checkout.session", "client_reference_id": "pck_1",
               "metadata": {"pack_id": "pck_1"}, "amount_total": 245_877, "currency": "pln",
               "payment_status": payment_status, "mode": "payment"})
    }

    #[test]
    fn a_completed_paid_session_is_a_paid_notice_with_its_amount_and_instant() {
        let n = read_notice(&event("checkout.session.completed", session("paid"))).expect("event");
        assert_eq!(n.kind, NoticeKind::Paid);
        assert_eq!(n.pack_id.as_deref(), Some("pck_1"));
        assert_eq!(
            (n.amount_total, n.currency.as_deref()),
            (Some(245_877), Some("pln"))
        );
        assert_eq!(
            domain::time::format_instant(n.created),
            "2027-01-15T08:00:00Z"
        );
        assert_eq!(n.event_id, "evt_1");
    }

    #[test]
    fn a_completed_session_still_processing_its_payment_changes_nothing_yet() {
        let n =
            read_notice(&event("checkout.session.completed", session("unpaid"))).expect("event");
        assert_eq!(n.kind, NoticeKind::Other);
    }

    #[test]
    fn event_types_map_to_what_they_mean_for_the_order() {
        for (kind, expected) in [
            ("checkout.session.async_payment_succeeded", NoticeKind::Paid),
            ("checkout.session.expired", NoticeKind::Unpaid),
            ("checkout.session.async_payment_failed", NoticeKind::Unpaid),
            ("payment_intent.succeeded", NoticeKind::Other),
            ("charge.refunded", NoticeKind::Other),
        ] {
            let n = read_notice(&event(kind, session("unpaid"))).expect("event");
            assert_eq!(n.kind, expected, "{kind}");
        }
    }

    #[test]
    fn the_pack_falls_back_to_the_metadata_when_the_reference_is_absent() {
        let mut s = session("paid");
        s["client_reference_id"] = Value::Null;
        let n = read_notice(&event("checkout.session.completed", s)).expect("event");
        assert_eq!(n.pack_id.as_deref(), Some("pck_1"));
    }

    #[test]
    fn a_body_that_is_not_an_event_is_an_error() {
        assert!(read_notice(b"not json").is_err());
        assert!(read_notice(br#"{"id":"evt_1"}"#).is_err());
    }
}
