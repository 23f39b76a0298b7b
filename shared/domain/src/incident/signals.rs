//! The sweep's SLA signals: the warning at 75 % of the response window and the breach at the
//! deadline, each recorded at most once while the incident still awaits its first response.

use super::actions::{authorize, breach, ActionError, Party, Transition};
use super::event::{Event, EventDetails};
use super::model::Incident;
use crate::time::Instant;
use crate::Actor;

/// What the sweep records for `current` at `as_of`, as the system actor: an `sla_warning` once
/// the warning instant has passed (once), and the breach once the deadline has passed (once;
/// the warning first when both are due). `None` when nothing is due: answered, closed, settled,
/// already warned and not yet late, or not yet at the warning instant. Instants are strict: at
/// the warning instant itself nothing is due yet, as a response at the deadline is on time.
///
/// What is due is decided at `as_of`; the events are stamped at `at`, the instant the write
/// commits at (never before `as_of`, nor before the incident's latest event), so `at` never
/// decreases along a timeline even when a message lands between the sweep's read and its write.
pub fn sweep_signals(
    current: &Incident,
    actor: &Actor,
    as_of: Instant,
    at: Instant,
) -> Result<Option<Transition>, ActionError> {
    authorize(current, actor, Party::System)?;
    let stamp = at.max(as_of);
    if !current.sla_clock_running() {
        return Ok(None);
    }
    let mut next = current.clone();
    let mut events = Vec::new();
    if current.sla_warned_at.is_none() && current.first_response_warn_at < as_of {
        next.sla_warned_at = Some(stamp);
        events.push(Event::system(
            stamp,
            EventDetails::SlaWarning {
                severity: current.severity,
                first_response_warn_at: current.first_response_warn_at,
                first_response_due_at: current.first_response_due_at,
            },
        ));
    }
    if as_of > current.first_response_due_at {
        breach(&mut next, stamp, &mut events);
    }
    if events.is_empty() {
        return Ok(None);
    }
    Ok(Some(Transition {
        incident: next,
        events,
        refund: false,
        no_op: false,
        withdrawn: Vec::new(),
    }))
}

/// The SLA outcome a transition settles: `Some` exactly when `before` was still pending and
/// `after` is not (met, breached or withdrawn), which happens once in an incident's life.
pub fn settled_outcome(before: &Incident, after: &Incident) -> Option<crate::SlaOutcome> {
    (before.sla == crate::SlaOutcome::Pending && after.sla != crate::SlaOutcome::Pending)
        .then_some(after.sla)
}

#[cfg(test)]
mod tests;
