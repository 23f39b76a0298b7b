//! Typed key constructors: the only place key strings are spelled.

use aws_sdk_dynamodb::types::AttributeValue;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub const PK: &str = "PK";
pub const SK: &str = "SK";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub(crate) fn new(pk: String, sk: impl Into<String>) -> Key {
        Key { pk, sk: sk.into() }
    }

    pub fn to_item(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PK.to_string(), AttributeValue::S(self.pk.clone())),
            (SK.to_string(), AttributeValue::S(self.sk.clone())),
        ])
    }
}

const PACK_PK_PREFIX: &str = "PACK#";
const PACK_SK: &str = "PACK";

pub fn pack(pack_id: &str) -> Key {
    Key::new(format!("{PACK_PK_PREFIX}{pack_id}"), PACK_SK)
}

pub const LEDGER_PREFIX: &str = "LEDGER#";

pub fn ledger(pack_id: &str, entry: &str) -> Key {
    Key::new(
        format!("{PACK_PK_PREFIX}{pack_id}"),
        format!("{LEDGER_PREFIX}{entry}"),
    )
}

pub fn order_confirmation(number: &str) -> Key {
    Key::new(format!("ORDER#{number}"), "ORDER")
}

const INCIDENT_PK_PREFIX: &str = "INCIDENT#";
const INCIDENT_SK: &str = "INCIDENT";

pub fn incident(incident_id: &str) -> Key {
    Key::new(format!("{INCIDENT_PK_PREFIX}{incident_id}"), INCIDENT_SK)
}

pub const EVENT_PREFIX: &str = "EVENT#";

pub fn event(incident_id: &str, seq: u64) -> Key {
    Key::new(
        format!("INCIDENT#{incident_id}"),
        format!("{EVENT_PREFIX}{seq:08}"),
    )
}

pub const NOTE_PREFIX: &str = "NOTE#";

/// An internal note, in its incident's partition but outside the `EVENT#` range every
/// customer read is confined to: after the incident's event `after` (its `event_count` when
/// the note was written), numbered by the incident's `note_count`. Staff timelines merge the
/// two ranges in the order (`after`, `seq`), events counting as (`seq`, 0).
pub fn note(incident_id: &str, after: u64, seq: u64) -> Key {
    Key::new(
        format!("INCIDENT#{incident_id}"),
        format!("{NOTE_PREFIX}{after:08}#{seq:08}"),
    )
}

/// An incident number's reservation: created (`attribute_not_exists`) in the incident's own
/// intake transaction, so no two incidents share a number; names the incident and its account.
pub fn incident_number(number: &str) -> Key {
    Key::new(format!("NUMBER#{number}"), "NUMBER")
}

pub const PROPOSAL_PREFIX: &str = "PROPOSAL#";

pub fn proposal(incident_id: &str, proposal_id: &str) -> Key {
    Key::new(
        format!("INCIDENT#{incident_id}"),
        format!("{PROPOSAL_PREFIX}{proposal_id}"),
    )
}

pub const ATTACHMENT_PREFIX: &str = "ATTACHMENT#";

/// An attachment, in its incident's partition (outside the `EVENT#` range the timeline reads).
pub fn attachment(incident_id: &str, attachment_id: &str) -> Key {
    Key::new(
        format!("INCIDENT#{incident_id}"),
        format!("{ATTACHMENT_PREFIX}{attachment_id}"),
    )
}

/// How many attachments an incident has; its condition enforces the per-incident limit.
pub fn attachment_count(incident_id: &str) -> Key {
    Key::new(format!("INCIDENT#{incident_id}"), "ATTACHMENT_COUNT")
}

const CLAIM_PK_PREFIX: &str = "CLAIM#";
const CLAIM_SK: &str = "CLAIM";

pub fn claim(claim_id: &str) -> Key {
    Key::new(format!("{CLAIM_PK_PREFIX}{claim_id}"), CLAIM_SK)
}

const TAX_EXEMPTION_SK: &str = "TAX_EXEMPTION";

pub fn tax_exemption(account_id: &str) -> Key {
    Key::new(account(account_id), TAX_EXEMPTION_SK)
}

/// The account's recent wrong order confirmation numbers: one versioned item.
pub fn claim_failures(account_id: &str) -> Key {
    Key::new(account(account_id), "CLAIM_FAILURES")
}

/// Idempotency records are keyed by a digest of (account, operation, key), so no separator in a
/// client's key can make two records collide.
pub fn idempotency(account_id: &str, operation: &str, key: &str) -> Key {
    let mut h = Sha256::new();
    for part in [account_id, operation, key] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let digest: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Key::new(format!("IDEMPOTENCY#{digest}"), "IDEMPOTENCY")
}

/// A card order reserved under an `Idempotency-Key` before its Checkout Session exists: beside
/// the key's idempotency record (same partition), never a pack.
pub fn order_draft(idempotency: &Key) -> Key {
    Key::new(idempotency.pk.clone(), "ORDER_DRAFT")
}

/// A payment provider event already applied: each is written once.
pub fn payment_event(event_id: &str) -> Key {
    Key::new(format!("STRIPE_EVENT#{event_id}"), "STRIPE_EVENT")
}

/// A paid notification whose amount or currency did not match its order (for staff).
pub const PAYMENT_MISMATCH_PREFIX: &str = "PAYMENT_MISMATCH#";

pub fn payment_mismatch(pack_id: &str, event_id: &str) -> Key {
    Key::new(
        format!("{PACK_PK_PREFIX}{pack_id}"),
        format!("{PAYMENT_MISMATCH_PREFIX}{event_id}"),
    )
}

pub const CATALOGUE_PK: &str = "CATALOGUE";

pub const PRODUCT_PREFIX: &str = "PRODUCT#";

pub fn product(product_id: &str) -> Key {
    Key::new(
        CATALOGUE_PK.to_string(),
        format!("{PRODUCT_PREFIX}{product_id}"),
    )
}

/// The owner partition of the `by_owner` index (packs and incidents of one account).
const ACCOUNT_PK_PREFIX: &str = "ACCOUNT#";

pub fn account(account_id: &str) -> String {
    format!("{ACCOUNT_PK_PREFIX}{account_id}")
}

/// Under an account's `by_owner` partition: its incidents, newest first by creation
/// (`created` = `<created_at>#<incident_id>`).
pub const OWNER_INCIDENT_PREFIX: &str = "INCIDENT#";

pub fn owner_incident(created: &str) -> String {
    format!("{OWNER_INCIDENT_PREFIX}{created}")
}

/// Under an account's `by_owner` partition: its packs, by order time.
pub const OWNER_PACK_PREFIX: &str = "PACK#";

pub fn owner_pack(ordered_at: &str, pack_id: &str) -> String {
    format!("{OWNER_PACK_PREFIX}{ordered_at}#{pack_id}")
}

/// The `by_status` partition of the incidents in one status.
pub fn incident_status(status: &str) -> String {
    format!("INCIDENT_STATUS#{status}")
}

/// The one partition of the `all_incidents` index (staff lists, newest first).
pub const ALL_INCIDENTS_PK: &str = "INCIDENTS";

/// A ledger entry's name under `LEDGER#` (`OPENING`, or the kind and the reference it books).
pub const LEDGER_OPENING: &str = "OPENING";

pub fn ledger_entry(kind: &str, reference: &str) -> String {
    format!("{kind}#{reference}")
}

/// An inbound message's marker (`INBOUND#<hash of its Message-ID>`): written once, so a second
/// delivery of the same message is known.
pub fn inbound_message(message_key: &str) -> Key {
    Key::new(format!("INBOUND#{message_key}"), "INBOUND")
}

/// A suppressed address (bounced or complained), lower-cased.
pub fn suppressed(address: &str) -> Key {
    Key::new(
        format!("SUPPRESSED#{}", address.trim().to_lowercase()),
        "SUPPRESSED",
    )
}

/// Parses an incident's own partition key back to its id.
pub fn incident_id_of(pk: &str) -> Option<&str> {
    pk.strip_prefix(INCIDENT_PK_PREFIX)
}

/// Whether a table key is a pack's, a claim's or an account's tax exemption item.
pub fn is_pack(pk: &str, sk: &str) -> bool {
    pk.starts_with(PACK_PK_PREFIX) && sk == PACK_SK
}

pub fn is_claim(pk: &str, sk: &str) -> bool {
    pk.starts_with(CLAIM_PK_PREFIX) && sk == CLAIM_SK
}

pub fn is_tax_exemption(pk: &str, sk: &str) -> bool {
    pk.starts_with(ACCOUNT_PK_PREFIX) && sk == TAX_EXEMPTION_SK
}

/// The `by_assignee` partition of an owner's incidents, or of the unowned ones (a fixed word
/// no `ASSIGNEE#…` partition can equal).
pub fn assignee(owner_account_id: Option<&str>) -> String {
    match owner_account_id {
        Some(id) => format!("ASSIGNEE#{id}"),
        None => "UNASSIGNED".to_string(),
    }
}

/// The `owned_open` partition of an engineer's open incidents.
pub fn owned_open(owner_account_id: &str) -> String {
    format!("OWNED#{owner_account_id}")
}

/// The partition of the engineers registry: one item per engineer who has used the API, read
/// whole by `GET /engineers` (a team, not a customer base).
pub const ENGINEERS_PK: &str = "ENGINEERS";
pub const ENGINEER_PREFIX: &str = "ENGINEER#";

/// An engineer's registry item: display name, e-mail and open-incident count.
pub fn engineer(account_id: &str) -> Key {
    Key::new(
        ENGINEERS_PK.to_string(),
        format!("{ENGINEER_PREFIX}{account_id}"),
    )
}

/// Every audit entry's partition starts with this: the functions' roles may create items there
/// (PutItem, a transaction's Put) and nothing else; `infra/template.yaml` denies UpdateItem,
/// DeleteItem and BatchWriteItem on partitions matching `AUDIT#*` (`dynamodb:LeadingKeys`).
pub const AUDIT_PREFIX: &str = "AUDIT#";

/// An audit entry, in the audit partition of its subject (an incident, a claim, an account),
/// sorted by `position` (its instant, then a random part): `GET /audit?subject=` reads the
/// partition, newest first.
pub fn audit_entry(subject_id: &str, position: &str) -> Key {
    Key::new(format!("{AUDIT_PREFIX}{subject_id}"), position)
}

/// The `audit_log` index's one partition: every entry, by time.
pub const AUDIT_LOG_PK: &str = "AUDIT_LOG";

/// The `audit_by_actor` partition of one actor's entries.
pub fn audit_actor(actor_account_id: &str) -> String {
    format!("AUDIT_ACTOR#{actor_account_id}")
}

/// The partition of the satisfaction counters (one small item per month, severity and owner).
pub const SATISFACTION_PK: &str = "SATISFACTION";

/// One satisfaction counter (`good`, `bad`): month of the rating (UTC), severity, owner (`-`
/// for an unowned incident, which no account id equals).
pub fn satisfaction_counter(month: &str, severity: &str, owner: Option<&str>) -> Key {
    Key::new(
        SATISFACTION_PK.to_string(),
        format!("{month}#{severity}#{}", owner.unwrap_or("-")),
    )
}

/// The `queue` index's partition of incidents awaiting a first response (the engineers' queue).
pub const QUEUE_PK: &str = "QUEUE";

/// The `queue` index's partition of closed incidents whose charge awaits a decision, by closure
/// (staff's `GET /incidents?charge=pending`): a second work list in the same sparse index.
pub const CHARGE_PENDING_PK: &str = "CHARGE_PENDING";

pub const AWAIT_SHARDS: u32 = 4;

/// Shard number (0..AWAIT_SHARDS) of an incident, from its id.
pub fn shard_of(incident_id: &str) -> u32 {
    let h = incident_id
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    h % AWAIT_SHARDS
}

/// Shard of the awaiting-response index for an incident: spreads writes so no partition is hot.
pub fn await_shard(incident_id: &str) -> String {
    await_partition(shard_of(incident_id))
}

pub fn await_partition(shard: u32) -> String {
    format!("AWAIT#{shard}")
}

/// The partition of SLA report counters (one small item per month, calendar, severity, shard).
pub const SLA_REPORT_PK: &str = "SLA_REPORT";

/// One SLA report counter. Sharded like the awaiting index (by the incident's shard), so the
/// sweep's concurrent shards never contend for one counter.
pub fn sla_counter(month: &str, calendar: &str, severity: &str, shard: u32) -> Key {
    Key::new(
        SLA_REPORT_PK.to_string(),
        format!("{month}#{calendar}#{severity}#{shard}"),
    )
}

/// The `breaches` index partition of the incidents breached with a deadline in `month`.
pub fn breach_partition(month: &str) -> String {
    format!("BREACHED#{month}")
}

/// Marks one account's open claim on one pack (in the pack's partition): a second claim by the
/// same account while the first is pending is refused.
pub fn open_claim(pack_id: &str, claimant_account_id: &str) -> Key {
    Key::new(
        format!("PACK#{pack_id}"),
        format!("OPEN_CLAIM#{claimant_account_id}"),
    )
}

/// The `by_status` partition of claims in one review state.
pub fn claim_status(status: &str) -> String {
    format!("CLAIM_STATUS#{status}")
}

/// The `by_status` partition of tax exemptions in one review state.
pub fn exemption_status(status: &str) -> String {
    format!("EXEMPTION_STATUS#{status}")
}

/// What the notifier knows about an account: the last e-mail its token presented and the
/// billing country of its last order (the language of its mail).
pub fn account_profile(account_id: &str) -> Key {
    Key::new(account(account_id), "PROFILE")
}

/// What a notification is about, stable across redeliveries (the middle of its `NOTIFICATION#`
/// key): an event, a pack's activation, a claim's or an exemption's decision.
pub fn event_source(incident_id: &str, seq: u64) -> String {
    format!("EVENT#{incident_id}#{seq:08}")
}

pub fn pack_activated_source(pack_id: &str) -> String {
    format!("PACK_ACTIVE#{pack_id}")
}

pub fn claim_decided_source(claim_id: &str) -> String {
    format!("CLAIM_DECIDED#{claim_id}")
}

pub fn exemption_decided_source(account_id: &str, version: u64) -> String {
    format!("EXEMPTION_DECIDED#{account_id}#{version}")
}

pub fn export_ready_source(export_id: &str) -> String {
    format!("EXPORT_READY#{export_id}")
}

/// The account's pack generation: moved by every write that may give the account a usable pack
/// (a purchase, an activation, an approved claim, a refund), so a draw that relies on an earlier
/// choice of the pack expiring soonest can insist nothing changed since (`packs::PackMemory`).
pub fn pack_generation(account_id: &str) -> Key {
    Key::new(account(account_id), "PACK_GENERATION")
}

pub const NOTIFICATION_PREFIX: &str = "NOTIFICATION#";

/// The "sent" record of one message: per source (a timeline event, a pack activation, a
/// decision) and recipient role, so each is sent once however often the stream delivers it.
pub fn notification(source: &str, recipient: &str) -> Key {
    Key::new(
        format!("{NOTIFICATION_PREFIX}{source}"),
        format!("TO#{recipient}"),
    )
}

/// One data export of an account (in the account's partition).
pub fn data_export(account_id: &str, export_id: &str) -> Key {
    Key::new(account(account_id), format!("DATA_EXPORT#{export_id}"))
}

/// The account's latest export request: its condition keeps one export per 24 hours.
pub fn data_export_latest(account_id: &str) -> Key {
    Key::new(account(account_id), "DATA_EXPORT_LATEST")
}

/// The account's erasure request and, while erasing, its progress.
pub fn erasure_request(account_id: &str) -> Key {
    Key::new(account(account_id), "ERASURE")
}

/// The `by_status` partition of exports being prepared and of erasure requests in one state.
pub fn export_status(status: &str) -> String {
    format!("EXPORT_STATUS#{status}")
}

pub fn erasure_status(status: &str) -> String {
    format!("ERASURE_STATUS#{status}")
}

/// Where the attachment retention step has got to in one closed status's incidents.
pub fn retention_cursor(status: &str) -> Key {
    Key::new("RETENTION".to_string(), format!("CURSOR#{status}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_do_not_collide_across_separators() {
        assert_ne!(idempotency("a#b", "c", "d"), idempotency("a", "b#c", "d"));
        assert_eq!(idempotency("a", "b", "c"), idempotency("a", "b", "c"));
    }

    #[test]
    fn events_sort_in_sequence_order() {
        assert!(event("i", 9).sk < event("i", 10).sk);
    }

    #[test]
    fn notes_sort_after_their_event_then_in_their_own_order_and_outside_the_event_range() {
        assert!(note("i", 3, 9).sk < note("i", 3, 10).sk);
        assert!(note("i", 3, 10).sk < note("i", 4, 11).sk);
        assert!(!note("i", 3, 9).sk.starts_with(EVENT_PREFIX));
        // Nothing between the events and the incident item: the head read stays as it was.
        assert!(note("i", 0, 1).sk > incident("i").sk);
    }

    #[test]
    fn every_incident_lands_in_one_of_the_shards() {
        for id in ["a", "inc_01", "zzzz"] {
            let s = await_shard(id);
            assert!((0..AWAIT_SHARDS).any(|n| s == await_partition(n)));
        }
    }
}
