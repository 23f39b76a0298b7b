//! What the table's stream tells the notifier: a committed change people are told about (a new
//! timeline event, a pack becoming active, a decided claim, a decided tax exemption, a ready data
//! export), as plain values. The store decodes stream records into these
//! (`store::stream::decode`) and names each one's "sent" records (`store::stream::source`).

use crate::account::{PackClaim, TaxExemption};
use crate::time::Instant;
use serde_json::{Map, Value};

/// One timeline event as committed; the kind stays a string, so kinds this build does not know
/// (added by a newer writer) reach the notifier instead of failing the batch.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub incident_id: String,
    pub seq: u64,
    pub at: Instant,
    pub kind: String,
    /// Who acted (`system` for the sweep).
    pub actor_account_id: String,
    pub details: Map<String, Value>,
}

/// What the buyer is told when a pack becomes active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivatedPack {
    pub pack_id: String,
    pub owner_account_id: String,
    pub order_confirmation_number: String,
    pub incidents_total: u64,
    pub expires_at: Option<Instant>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Event(TimelineEntry),
    PackActivated(ActivatedPack),
    ClaimDecided(PackClaim),
    /// A decided exemption and the version that decision wrote (one decision per version).
    ExemptionDecided {
        exemption: TaxExemption,
        version: u64,
    },
    /// A data export became ready (its account is told once).
    ExportReady(crate::privacy::DataExport),
    Ignored,
}
