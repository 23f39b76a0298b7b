use super::assignment::{auto_assign, decide_assignment, Assignee};
use super::event::{Erasable, Event, EventDetails, MessageChannel};
use super::model::*;
use crate::time::Instant;
use crate::{Actor, Channel, Charge, IncidentStatus, SlaOutcome};

/// The incident an accepted sub-problem becomes: its id and its number, drawn before the
/// decision is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildIncident {
    pub incident_id: crate::IncidentId,
    pub number: String,
}

/// Everything that can happen to an incident after intake.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Respond {
        message: String,
        channel: Channel,
    },
    CustomerMessage {
        message: String,
    },
    /// A reply to an incident e-mail whose token verified and whose sender is the contact
    /// (`customer_message` with `"channel":"email"`, by the incident's account).
    EmailedMessage {
        message: String,
    },
    /// The contact's address bounced or complained (SES feedback; by the system).
    ContactBounced {
        kind_of_failure: String,
    },
    ProposeScope {
        problem_statement: String,
        resolution_criteria: String,
    },
    DecideScope {
        accept: bool,
        comment: Option<String>,
    },
    ProposeSubProblem {
        proposal_id: crate::ProposalId,
        title: String,
        description: String,
    },
    DecideSubProblem {
        proposal_id: crate::ProposalId,
        /// The proposal's title (the event says which sub-problem was decided).
        title: String,
        /// The new incident when accepted; `None` declines.
        accepted_as: Option<ChildIncident>,
    },
    Resolve {
        solutions: Vec<String>,
    },
    CloseUnresolved {
        explanation: String,
        charge: Charge,
    },
    RequestClosure {
        reason: String,
    },
    DecideCharge {
        charge: Charge,
    },
    Breach,
    /// Take, hand off or release (`assignment::decide_assignment`).
    Assign {
        assignee: Assignee,
        note: Option<String>,
    },
    /// An engineer's internal note (staff only; allowed on closed incidents too).
    AddNote {
        note: String,
    },
}

/// Who may take an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Engineer,
    Owner,
    Staff,
    System,
}

impl Action {
    pub fn party(&self) -> Party {
        match self {
            Action::Respond { .. }
            | Action::ProposeScope { .. }
            | Action::ProposeSubProblem { .. }
            | Action::Resolve { .. }
            | Action::CloseUnresolved { .. }
            | Action::AddNote { .. } => Party::Engineer,
            Action::CustomerMessage { .. }
            | Action::EmailedMessage { .. }
            | Action::DecideScope { .. }
            | Action::DecideSubProblem { .. }
            | Action::RequestClosure { .. } => Party::Owner,
            Action::DecideCharge { .. } | Action::Assign { .. } => Party::Staff,
            Action::Breach | Action::ContactBounced { .. } => Party::System,
        }
    }

    /// A closed incident accepts nothing but the charge decision that follows its closure, and
    /// staff's internal notes.
    pub fn accepted_when_closed(&self) -> bool {
        matches!(self, Action::DecideCharge { .. } | Action::AddNote { .. })
    }

    /// Closes the incident: proposals that await the customer are withdrawn with it.
    pub fn closes(&self) -> bool {
        matches!(
            self,
            Action::Resolve { .. } | Action::CloseUnresolved { .. } | Action::RequestClosure { .. }
        )
    }
}

/// The result of an action: the incident's next state and what to append to its timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub incident: Incident,
    pub events: Vec<Event>,
    /// One unit goes back to the incident's pack (ledger credit keyed by the incident).
    pub refund: bool,
    /// Nothing changes (a repeated identical charge decision).
    pub no_op: bool,
    /// Sub-problem proposals withdrawn by a closure (`withdraw_proposals`), written with it.
    pub withdrawn: Vec<SubProblemProposal>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: only {0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    InvalidState(String),
    /// An assignment names an account that is not a known support engineer.
    #[error("not a support engineer")]
    NotAnEngineer,
}

/// Staff see every incident; a customer sees only its own.
pub fn can_view(incident: &Incident, actor: &Actor) -> bool {
    actor.is_staff() || actor.is_system() || incident.account_id == actor.account_id
}

pub(super) fn authorize(
    incident: &Incident,
    actor: &Actor,
    party: Party,
) -> Result<(), ActionError> {
    if !can_view(incident, actor) {
        return Err(ActionError::NotFound);
    }
    let allowed = match party {
        Party::Engineer => actor.engineer,
        Party::Owner => incident.account_id == actor.account_id,
        Party::Staff => actor.is_staff(),
        Party::System => actor.is_system(),
    };
    if allowed {
        Ok(())
    } else {
        Err(ActionError::Forbidden(match party {
            Party::Engineer => "support engineers",
            Party::Owner => "the incident's owner",
            _ => "support staff",
        }))
    }
}

fn closed(incident: &Incident) -> ActionError {
    ActionError::InvalidState(format!("the incident is closed ({})", incident.status))
}

/// Applies `action` by `actor` at `now`. Pure: the caller persists the transition atomically.
pub fn apply(
    current: &Incident,
    actor: &Actor,
    action: Action,
    now: Instant,
) -> Result<Transition, ActionError> {
    authorize(current, actor, action.party())?;
    let action_closes = action.closes();
    if current.status.is_closed() && !action.accepted_when_closed() {
        return Err(closed(current));
    }
    let who = actor.account_id.as_str();
    let mut next = current.clone();
    let mut events = Vec::new();
    let mut refund = false;
    match action {
        Action::Respond { message, channel } => {
            events.push(Event::by(
                now,
                actor,
                EventDetails::Response {
                    message: message.into(),
                    channel,
                },
            ));
            first_response(&mut next, now, &mut events);
            // The first response to an unowned incident makes its author the owner.
            if let Some((owner, assigned)) = auto_assign(current, actor, now) {
                next.owner = Some(owner);
                events.push(assigned);
            }
        }
        Action::CustomerMessage { message } => {
            events.push(Event::by(
                now,
                actor,
                EventDetails::CustomerMessage {
                    message: message.into(),
                    channel: Some(MessageChannel::Console),
                },
            ));
        }
        Action::EmailedMessage { message } => {
            events.push(Event::by(
                now,
                actor,
                EventDetails::CustomerMessage {
                    message: message.into(),
                    channel: Some(MessageChannel::Email),
                },
            ));
        }
        Action::ContactBounced { kind_of_failure } => {
            if current.contact_unreachable {
                return Ok(Transition {
                    incident: next,
                    events,
                    refund: false,
                    no_op: true,
                    withdrawn: Vec::new(),
                });
            }
            next.contact_unreachable = true;
            events.push(Event::by(
                now,
                actor,
                EventDetails::ContactBounced { kind_of_failure },
            ));
        }
        Action::ProposeScope {
            problem_statement,
            resolution_criteria,
        } => {
            if current
                .scope
                .as_ref()
                .is_some_and(|s| s.status == ScopeStatus::Accepted)
            {
                return Err(ActionError::InvalidState(
                    "the scope is already agreed".into(),
                ));
            }
            events.push(Event::by(
                now,
                actor,
                EventDetails::ScopeProposed {
                    problem_statement: problem_statement.clone().into(),
                    resolution_criteria: resolution_criteria.clone().into(),
                },
            ));
            next.scope = Some(Scope {
                problem_statement,
                resolution_criteria,
                status: ScopeStatus::Proposed,
                proposed_by: who.into(),
                proposed_at: now,
                decided_at: None,
                comment: None,
            });
        }
        Action::DecideScope { accept, comment } => {
            let Some(scope) = next
                .scope
                .as_mut()
                .filter(|s| s.status == ScopeStatus::Proposed)
            else {
                return Err(ActionError::InvalidState(
                    "there is no scope proposal awaiting a decision".into(),
                ));
            };
            scope.status = if accept {
                ScopeStatus::Accepted
            } else {
                ScopeStatus::Rejected
            };
            scope.decided_at = Some(now);
            scope.comment = comment.clone();
            let comment = Erasable::Kept(comment);
            let details = if accept {
                EventDetails::ScopeAccepted { comment }
            } else {
                EventDetails::ScopeRejected { comment }
            };
            events.push(Event::by(now, actor, details));
        }
        Action::ProposeSubProblem {
            proposal_id,
            title,
            description,
        } => {
            events.push(Event::by(
                now,
                actor,
                EventDetails::SubProblemProposed {
                    proposal_id,
                    title: title.into(),
                    description: description.into(),
                },
            ));
        }
        Action::DecideSubProblem {
            proposal_id,
            title,
            accepted_as,
        } => {
            let title = Erasable::Kept(title);
            let details = match accepted_as {
                Some(child) => EventDetails::SubProblemAccepted {
                    proposal_id,
                    title,
                    child_incident_id: child.incident_id,
                    child_number: child.number.into(),
                },
                None => EventDetails::SubProblemDeclined { proposal_id, title },
            };
            events.push(Event::by(now, actor, details));
        }
        Action::Resolve { solutions } => {
            if solutions.is_empty() {
                return Err(ActionError::InvalidState(
                    "a resolution needs at least one solution".into(),
                ));
            }
            events.push(Event::by(
                now,
                actor,
                EventDetails::Resolved {
                    solutions: solutions.into(),
                },
            ));
            first_response(&mut next, now, &mut events);
            next.status = IncidentStatus::Resolved;
            next.charge = Charge::Consumed;
            next.charge_decided = true;
            next.closed_at = Some(now);
        }
        Action::CloseUnresolved {
            explanation,
            charge,
        } => {
            if charge == Charge::Pending {
                return Err(ActionError::InvalidState(
                    "an unresolved closure decides the charge: consumed or refunded".into(),
                ));
            }
            events.push(Event::by(
                now,
                actor,
                EventDetails::ClosedUnresolved {
                    explanation: explanation.into(),
                },
            ));
            first_response(&mut next, now, &mut events);
            next.status = IncidentStatus::Unresolved;
            next.closed_at = Some(now);
            decide_charge(&mut next, charge, actor, now, &mut events);
            refund = charge == Charge::Refunded;
        }
        Action::RequestClosure { reason } => {
            events.push(Event::by(
                now,
                actor,
                EventDetails::ClosureRequested {
                    reason: reason.into(),
                },
            ));
            // Withdrawn only while the promise could still be kept: a deadline already missed
            // is a breach, whether or not the sweep has recorded it yet.
            if next.first_responded_at.is_none() && next.sla == SlaOutcome::Pending {
                if now > next.first_response_due_at {
                    breach(&mut next, now, &mut events);
                } else {
                    next.sla = SlaOutcome::Withdrawn;
                }
            }
            next.status = IncidentStatus::ClosedByCustomer;
            next.charge = Charge::Pending;
            next.charge_decided = false;
            next.closed_at = Some(now);
        }
        Action::DecideCharge { charge } => {
            if !current.status.is_closed() {
                return Err(ActionError::InvalidState(
                    "the charge is decided once the incident is closed".into(),
                ));
            }
            if charge == Charge::Pending {
                return Err(ActionError::InvalidState(
                    "a charge decision is consumed or refunded".into(),
                ));
            }
            if current.charge == Charge::Pending {
                decide_charge(&mut next, charge, actor, now, &mut events);
                refund = charge == Charge::Refunded;
            } else if current.charge == charge {
                return Ok(Transition {
                    incident: next,
                    events,
                    refund: false,
                    no_op: true,
                    withdrawn: Vec::new(),
                });
            } else {
                return Err(ActionError::InvalidState(format!(
                    "the charge was already decided: {}",
                    current.charge
                )));
            }
        }
        Action::Assign { assignee, note } => {
            match decide_assignment(current, actor, &assignee, note.as_deref(), now)? {
                Some((owner, assigned)) => {
                    next.owner = owner;
                    events.push(assigned);
                }
                None => {
                    return Ok(Transition {
                        incident: next,
                        events,
                        refund: false,
                        no_op: true,
                        withdrawn: Vec::new(),
                    })
                }
            }
        }
        Action::AddNote { note } => {
            events.push(Event::by(
                now,
                actor,
                EventDetails::InternalNote { note: note.into() },
            ));
        }
        Action::Breach => {
            // A response exactly at the deadline is on time, so a breach needs `now` past it.
            if !current.sla_clock_running() || now <= current.first_response_due_at {
                return Err(ActionError::InvalidState(
                    "the incident is not due for a breach".into(),
                ));
            }
            breach(&mut next, now, &mut events);
        }
    }
    if action_closes {
        withdraw_scope(&mut next, actor, now, &mut events);
    }
    Ok(Transition {
        incident: next,
        events,
        refund,
        no_op: false,
        withdrawn: Vec::new(),
    })
}

/// A scope proposal still awaiting the customer when the incident closes is withdrawn.
fn withdraw_scope(next: &mut Incident, actor: &Actor, now: Instant, events: &mut Vec<Event>) {
    if let Some(scope) = next
        .scope
        .as_mut()
        .filter(|s| s.status == ScopeStatus::Proposed)
    {
        scope.status = ScopeStatus::Withdrawn;
        scope.decided_at = Some(now);
        events.push(Event::by(now, actor, EventDetails::ScopeWithdrawn));
    }
}

/// The sub-problem proposals of `open` that still await the customer, withdrawn by the closing
/// transition `t` (one `sub_problem_withdrawn` event each, stamped like the closure's own):
/// the store writes them in the closure's transaction, each on the condition that it is still
/// undecided. Anything but a closure is left alone.
pub fn withdraw_proposals(t: &mut Transition, open: &[SubProblemProposal], actor: &Actor) {
    if t.no_op || !t.incident.status.is_closed() {
        return;
    }
    let Some(now) = t.events.first().map(|e| e.at) else {
        return;
    };
    for proposal in open
        .iter()
        .filter(|p| p.status == ProposalStatus::Proposed && p.incident_id == t.incident.incident_id)
    {
        t.events.push(Event::by(
            now,
            actor,
            EventDetails::SubProblemWithdrawn {
                proposal_id: proposal.proposal_id.clone(),
                title: proposal.title.clone().into(),
            },
        ));
        t.withdrawn.push(SubProblemProposal {
            status: ProposalStatus::Withdrawn,
            ..proposal.clone()
        });
    }
}

fn decide_charge(
    next: &mut Incident,
    charge: Charge,
    actor: &Actor,
    now: Instant,
    events: &mut Vec<Event>,
) {
    next.charge = charge;
    next.charge_decided = true;
    events.push(Event::by(
        now,
        actor,
        EventDetails::ChargeDecided {
            charge,
            pack_id: None,
            unit_usable: None,
            note: None,
        },
    ));
}

/// The first engineer contact stops the clock: `met` if on time, otherwise `breached` (with
/// its one breach event, unless the sweep already recorded it).
fn first_response(next: &mut Incident, now: Instant, events: &mut Vec<Event>) {
    if next.first_responded_at.is_some() {
        return;
    }
    next.first_responded_at = Some(now);
    if next.status == IncidentStatus::AwaitingResponse {
        next.status = IncidentStatus::InProgress;
    }
    if next.sla == SlaOutcome::Pending {
        if now <= next.first_response_due_at {
            next.sla = SlaOutcome::Met;
        } else {
            breach(next, now, events);
        }
    }
}

pub(super) fn breach(next: &mut Incident, now: Instant, events: &mut Vec<Event>) {
    next.sla = SlaOutcome::Breached;
    events.push(Event::system(
        now,
        EventDetails::SlaBreached {
            severity: next.severity,
            first_response_due_at: next.first_response_due_at,
        },
    ));
}

#[cfg(test)]
mod tests;
