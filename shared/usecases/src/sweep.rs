//! One SLA sweep step: every incident due at the sweep's instant gets what the domain decides
//! there (its one warning, its one breach), each written on the incident's version and stamped
//! at the write's commit (`store::sweep`). An incident with nothing due (answered, closed,
//! already warned or breached, by an overlapping sweep too) is left alone.

use domain::incident::{sweep_signals, ActionError, Incident, Transition};
use domain::time::Instant;
use domain::Actor;
use store::sweep::{SweepPlan, Swept};
use store::{Store, StoreError};

/// The domain refused a signal for a reason other than the incident's state: the sweep itself
/// is wrong (a bug, never a client's doing).
#[derive(Debug, thiserror::Error)]
#[error("sla signal on incident {incident_id} refused: {reason}")]
pub struct UnexpectedRefusal {
    pub incident_id: String,
    pub reason: ActionError,
}

/// The domain's warning and breach rules as the system actor: what is due at `as_of`, stamped
/// at `at` (the write's commit instant).
pub fn decide(
    incident: &Incident,
    as_of: Instant,
    at: Instant,
) -> Result<Option<Transition>, UnexpectedRefusal> {
    match sweep_signals(incident, &Actor::system(), as_of, at) {
        Ok(t) => Ok(t),
        Err(ActionError::InvalidState(_)) => Ok(None),
        Err(reason) => Err(UnexpectedRefusal {
            incident_id: incident.incident_id.clone(),
            reason,
        }),
    }
}

/// Sweeps within the plan's page budget and time limit.
pub async fn sweep<E>(store: &Store, plan: &SweepPlan) -> Swept<E>
where
    E: From<StoreError> + From<UnexpectedRefusal>,
{
    store
        .sweep_due(plan, |incident, at| {
            decide(incident, plan.as_of, at).map_err(E::from)
        })
        .await
}
