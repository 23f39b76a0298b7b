//! Reads the table's stream records (NEW_AND_OLD_IMAGES) as the changes people are told about:
//! a new timeline event, a pack becoming active, a decided claim, a decided tax exemption.
//! Everything else on the stream (incident rewrites, ledger entries, idempotency and "sent"
//! records…) is `Ignored`. The notifier hands the images over as they came; only this module
//! knows how items are laid out.

use crate::items::{from_item, Item};
use crate::keys::{self, EVENT_PREFIX};
use crate::StoreError;
use domain::account::{PackClaim, TaxExemption};
use domain::incident::EventKind;
use domain::time::parse_instant;
use domain::ReviewStatus;
use serde_json::Value;

pub use domain::change::{ActivatedPack, Change, TimelineEntry};

/// What a message is about, stable across redeliveries: the key of its "sent" records.
pub fn source(change: &Change) -> Option<String> {
    match change {
        Change::Event(e) => Some(keys::event_source(&e.incident_id, e.seq)),
        Change::PackActivated(p) => Some(keys::pack_activated_source(&p.pack_id)),
        Change::ClaimDecided(c) => Some(keys::claim_decided_source(&c.claim_id)),
        Change::ExemptionDecided { exemption, version } => Some(keys::exemption_decided_source(
            &exemption.account_id,
            *version,
        )),
        Change::ExportReady(e) => Some(keys::export_ready_source(&e.export_id)),
        Change::Ignored => None,
    }
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

fn number(item: &Item, name: &str) -> Option<u64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

/// Decodes one record's images (each empty when absent, as the stream event carries them).
pub fn decode(
    keys_image: serde_dynamo::Item,
    old_image: serde_dynamo::Item,
    new_image: serde_dynamo::Item,
) -> Result<Change, StoreError> {
    let key_item: Item = keys_image.into();
    let old: Item = old_image.into();
    let new: Item = new_image.into();
    let (Some(pk), Some(sk)) = (text(&key_item, keys::PK), text(&key_item, keys::SK)) else {
        return Ok(Change::Ignored);
    };
    if new.is_empty() {
        return Ok(Change::Ignored); // a removal
    }
    if let (Some(incident_id), Some(seq)) =
        (keys::incident_id_of(pk), sk.strip_prefix(EVENT_PREFIX))
    {
        // Events are written once; a rewrite of one (there is none today) is no new event.
        if !old.is_empty() {
            return Ok(Change::Ignored);
        }
        let seq = seq
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("event key {sk}")))?;
        return timeline_entry(incident_id, seq, new).map(Change::Event);
    }
    if keys::is_pack(pk, sk) {
        return Ok(activated_pack(&old, &new).map_or(Change::Ignored, Change::PackActivated));
    }
    if keys::is_claim(pk, sk) {
        let was_pending = text(&old, "status") == Some(ReviewStatus::Pending.as_str());
        let claim: PackClaim = from_item(without_keys(new))?;
        return Ok(if was_pending && claim.status != ReviewStatus::Pending {
            Change::ClaimDecided(claim)
        } else {
            Change::Ignored
        });
    }
    if keys::is_tax_exemption(pk, sk) {
        let was_pending = text(&old, "status") == Some("pending");
        let decided = matches!(text(&new, "status"), Some("verified" | "rejected"));
        if !(was_pending && decided) {
            return Ok(Change::Ignored);
        }
        let version = number(&new, "version").unwrap_or(0);
        let exemption: TaxExemption = from_item(without_keys(new))?;
        return Ok(Change::ExemptionDecided { exemption, version });
    }
    if pk.starts_with("ACCOUNT#") && sk.starts_with("DATA_EXPORT#") {
        let was_ready = text(&old, "status") == Some("ready");
        if was_ready || text(&new, "status") != Some("ready") {
            return Ok(Change::Ignored);
        }
        return Ok(Change::ExportReady(from_item(without_keys(new))?));
    }
    Ok(Change::Ignored)
}

fn without_keys(mut item: Item) -> Item {
    item.remove(keys::PK);
    item.remove(keys::SK);
    item
}

/// A timeline event as committed. A kind this build does not know (a newer writer's) is an
/// entry without its event; a known kind that does not read is corrupt.
fn timeline_entry(incident_id: &str, seq: u64, item: Item) -> Result<TimelineEntry, StoreError> {
    let known = text(&item, "kind")
        .is_some_and(|k| serde_json::from_value::<EventKind>(Value::String(k.into())).is_ok());
    let event = if known {
        Some(from_item(without_keys(item))?)
    } else {
        None
    };
    Ok(TimelineEntry {
        incident_id: incident_id.into(),
        seq,
        event,
    })
}

/// A pack becomes active when its `status` turns `active` (INTERFACES.md). A pack item written
/// before statuses existed has none and was active from its creation, so its insert counts too.
fn activated_pack(old: &Item, new: &Item) -> Option<ActivatedPack> {
    let now_active = match text(new, "status") {
        Some(status) => status == "active",
        None => old.is_empty(),
    };
    let was_active = !old.is_empty() && text(old, "status").is_none_or(|status| status == "active");
    if !now_active || was_active {
        return None;
    }
    Some(ActivatedPack {
        pack_id: text(new, "pack_id")?.into(),
        owner_account_id: text(new, "owner_account_id")?.into(),
        order_confirmation_number: text(new, "order_confirmation_number")?.to_string(),
        incidents_total: number(new, "incidents_total").unwrap_or(0),
        expires_at: text(new, "expires_at").and_then(parse_instant),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(value: Value) -> serde_dynamo::Item {
        serde_dynamo::to_item(value).expect("an item")
    }

    fn pack(status: Option<&str>) -> Value {
        let mut v = json!({"PK": "PACK#p1", "SK": "PACK", "pack_id": "p1", "owner_account_id": "a1",
            "order_confirmation_number": "N-1", "incidents_total": 5, "expires_at": "2027-12-01T10:00:00Z"});
        if let Some(s) = status {
            v["status"] = json!(s);
        }
        v
    }

    fn decoded(old: Option<Value>, new: Value) -> Change {
        decode(
            item(json!({"PK": new["PK"], "SK": new["SK"]})),
            old.map(item).unwrap_or_default(),
            item(new),
        )
        .expect("decodes")
    }

    #[test]
    fn a_pack_is_activated_once_when_its_status_turns_active() {
        let activated = |old: Option<Value>, new: Value| matches!(decoded(old, new), Change::PackActivated(p) if p.order_confirmation_number == "N-1");
        assert!(
            activated(None, pack(Some("active"))),
            "created active (payments off)"
        );
        assert!(activated(
            Some(pack(Some("awaiting_payment"))),
            pack(Some("active"))
        ));
        assert!(
            !activated(Some(pack(Some("active"))), pack(Some("active"))),
            "a draw"
        );
        assert!(!activated(None, pack(Some("awaiting_payment"))));
        assert!(!activated(
            Some(pack(Some("active"))),
            pack(Some("cancelled"))
        ));
        assert!(
            activated(None, pack(None)),
            "a pack from before statuses, created"
        );
        assert!(!activated(Some(pack(None)), pack(None)), "…and drawn from");
    }

    #[test]
    fn timeline_events_are_read_typed_and_only_when_inserted() {
        let event = json!({"PK": "INCIDENT#i1", "SK": "EVENT#00000007", "at": "2026-12-01T10:00:00Z",
            "kind": "sla_warning", "actor_account_id": "system", "severity": "B",
            "first_response_warn_at": "2026-12-01T09:00:00Z",
            "first_response_due_at": "2026-12-01T10:00:00Z"});
        let Change::Event(e) = decoded(None, event.clone()) else {
            panic!("an event")
        };
        let read = e.event.clone().expect("a known kind");
        assert_eq!((e.incident_id.as_str(), e.seq), ("i1", 7));
        assert!(matches!(
            read.details,
            domain::incident::EventDetails::SlaWarning {
                severity: domain::Severity::B,
                ..
            }
        ));
        assert_eq!(read.actor_account_id, "system");
        assert_eq!(
            source(&Change::Event(e)).as_deref(),
            Some("EVENT#i1#00000007")
        );
        assert_eq!(decoded(Some(event.clone()), event), Change::Ignored);
    }

    #[test]
    fn a_kind_this_build_does_not_know_is_an_entry_without_its_event() {
        let newer = json!({"PK": "INCIDENT#i1", "SK": "EVENT#00000008", "at": "2026-12-01T10:00:00Z",
            "kind": "escalated", "actor_account_id": "eng-1", "level": 2});
        let Change::Event(e) = decoded(None, newer) else {
            panic!("an event")
        };
        assert_eq!((e.seq, e.event), (8, None));
        // A known kind missing its fields is corrupt, not unknown.
        let broken = json!({"PK": "INCIDENT#i1", "SK": "EVENT#00000009", "at": "2026-12-01T10:00:00Z",
            "kind": "sla_warning", "actor_account_id": "system"});
        let keys = item(json!({"PK": broken["PK"], "SK": broken["SK"]}));
        assert!(decode(keys, Default::default(), item(broken)).is_err());
    }

    #[test]
    fn a_claim_or_exemption_counts_when_it_leaves_pending() {
        let claim = |status: &str| {
            json!({"PK": "CLAIM#c1", "SK": "CLAIM", "claim_id": "c1", "pack_id": "p1",
                "claimant_account_id": "a2", "owner_account_id": "a1", "reason": "left",
                "status": status, "submitted_at": "2026-12-01T10:00:00Z"})
        };
        assert!(matches!(
            decoded(Some(claim("pending")), claim("approved")),
            Change::ClaimDecided(c) if c.claimant_account_id == "a2"
        ));
        assert_eq!(decoded(None, claim("pending")), Change::Ignored);
        let exemption = |status: &str, version: u64| {
            json!({"PK": "ACCOUNT#a1", "SK": "TAX_EXEMPTION", "account_id": "a1", "jurisdiction": "PL",
                "certificate_reference": "Z-1", "status": status, "version": version,
                "submitted_at": "2026-12-01T10:00:00Z"})
        };
        let decided = decoded(Some(exemption("pending", 1)), exemption("verified", 2));
        assert_eq!(source(&decided).as_deref(), Some("EXEMPTION_DECIDED#a1#2"));
        assert_eq!(
            decoded(Some(exemption("rejected", 2)), exemption("pending", 3)),
            Change::Ignored
        );
    }
}
