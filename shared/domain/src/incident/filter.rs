//! What the staff's incident lists may be narrowed to (`GET /incidents`, **My incidents**,
//! **Charges to decide**): plain values the use cases pass to the store's list reads.

use crate::{IncidentStatus, Severity, SlaOutcome};

/// Whose incidents a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerFilter<'a> {
    Any,
    /// Unowned incidents.
    Nobody,
    Account(&'a str),
}

/// Staff's `GET /incidents` filters, combinable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentFilter<'a> {
    pub owner: OwnerFilter<'a>,
    pub status: Option<IncidentStatus>,
    pub severity: Option<Severity>,
    pub sla: Option<SlaOutcome>,
    /// Only the owner's open incidents (awaiting, in progress, or charge pending), earliest
    /// deadline first; needs `owner` to be an account.
    pub open: bool,
    /// Only closed incidents whose charge awaits a decision, earliest closure first (combines
    /// with `owner` only).
    pub charge_pending: bool,
}
