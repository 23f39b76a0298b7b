//! Closing an incident (resolved, unresolved, the customer's early closure) and deciding its
//! charge: a refund's transition carries whether the returned unit can still be used, so the
//! incident's pack is read first (its expiry is the only fact needed; a decision does not
//! change it). The refund itself is part of the one transaction the store writes.

use crate::act::{act_then, visible};
use crate::Failure;
use domain::incident::{may_refund, note_refunded_unit, Action, Transition};
use domain::pack::Pack;
use domain::time::Instant;
use domain::Actor;
use store::incidents::StoredIncident;
use store::Store;

/// Lets the domain decide `action` and writes it on the version it was decided on.
pub async fn close(
    store: &Store,
    actor: &Actor,
    incident_id: &str,
    action: Action,
    now: Instant,
) -> Result<(StoredIncident, Transition), Failure> {
    let pack = if may_refund(&action) {
        Some(incident_pack(store, actor, incident_id).await?)
    } else {
        None
    };
    act_then(store, actor, incident_id, action, now, |transition| {
        if let Some(pack) = &pack {
            note_refunded_unit(transition, pack, now);
        }
    })
    .await
}

async fn incident_pack(store: &Store, actor: &Actor, incident_id: &str) -> Result<Pack, Failure> {
    let stored = visible(store, actor, incident_id).await?;
    let pack_id = &stored.incident.pack_id;
    store.pack(pack_id).await?.ok_or_else(|| {
        Failure::Internal(format!(
            "pack {pack_id} of incident {incident_id} is missing"
        ))
    })
}
