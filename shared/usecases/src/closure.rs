//! Closing an incident (resolved, unresolved, the customer's early closure) and deciding its
//! charge: a refund's transition carries whether the returned unit can still be used, so the
//! incident's pack is read first (its expiry is the only fact needed; a decision does not
//! change it). The refund itself is part of the one transaction the store writes.
//!
//! Round trips: the incident with its timeline (one Query), the write; a decision that may
//! refund reads the pack between the two (three).

use crate::act::act_answered;
use crate::read::IncidentPage;
use crate::Failure;
use domain::incident::{can_view, may_refund, note_refunded_unit, Action};
use domain::pack::Pack;
use domain::time::Instant;
use domain::Actor;
use store::incidents::IncidentHead;
use store::Store;

/// Lets the domain decide `action`, writes it on the version it was decided on, and answers
/// with the incident as it then stands.
pub async fn close(
    store: &Store,
    actor: &Actor,
    incident_id: &domain::IncidentId,
    action: Action,
    now: Instant,
) -> Result<IncidentPage, Failure> {
    let (first, pack) = if may_refund(&action) {
        let head = visible_head(store, actor, incident_id).await?;
        let pack = incident_pack(store, &head).await?;
        (Some(head), Some(pack))
    } else {
        (None, None)
    };
    act_answered(
        store,
        actor,
        incident_id,
        first,
        action,
        now,
        |transition| {
            if let Some(pack) = &pack {
                note_refunded_unit(transition, pack, now);
            }
        },
    )
    .await
}

async fn visible_head(
    store: &Store,
    actor: &Actor,
    incident_id: &str,
) -> Result<IncidentHead, Failure> {
    match store.incident_head(incident_id).await? {
        Some(head) if can_view(&head.stored.incident, actor) => Ok(head),
        _ => Err(Failure::NotFound),
    }
}

async fn incident_pack(store: &Store, head: &IncidentHead) -> Result<Pack, Failure> {
    let incident = &head.stored.incident;
    let pack_id = &incident.pack_id;
    store.pack(pack_id).await?.ok_or_else(|| {
        Failure::Internal(format!(
            "pack {pack_id} of incident {} is missing",
            incident.incident_id
        ))
    })
}
