//! What the table's stream tells the notifier: a committed change people are told about (a new
//! timeline event, a pack becoming active, a decided claim, a decided tax exemption, a ready data
//! export), as plain values. The store decodes stream records into these
//! (`store::stream::decode`) and names each one's "sent" records (`store::stream::source`).

use crate::account::{PackClaim, TaxExemption};
use crate::incident::Event;
use crate::time::Instant;

/// One timeline event as committed, with its place on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub incident_id: crate::IncidentId,
    pub seq: u64,
    /// `None` for a kind this build does not know (added by a newer writer): it reaches the
    /// notifier, which tells nobody, instead of failing the batch.
    pub event: Option<Event>,
}

/// What the buyer is told when a pack becomes active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivatedPack {
    pub pack_id: crate::PackId,
    pub owner_account_id: crate::AccountId,
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
