//! What the "working an incident" requests must say (responses, customer messages, scope and
//! sub-problems), read with `Fields` so every bad field is named at once, and the proposal's
//! decision (its submission as an incident of its own is intake's: `intake::sub_problem_submission`).

use super::actions::{Action, ActionError};
use super::model::{ProposalStatus, SubProblemProposal, MAX_DESCRIPTION, MAX_TITLE};
use crate::time::Instant;
use crate::validation::{FieldError, Fields};
use crate::Channel;
use serde_json::Value;

/// A response, a customer message, a problem statement or resolution criteria.
pub const MAX_MESSAGE: usize = 20_000;
/// A comment on a scope decision.
pub const MAX_COMMENT: usize = 5_000;

/// `POST /incidents/{id}/responses`: `{"message","channel"}`.
pub fn parse_response(body: &Value) -> Result<Action, Vec<FieldError>> {
    let mut f = Fields::of(body);
    let message = f.required_str("message", MAX_MESSAGE);
    let channel = f.required_enum::<Channel>("channel");
    let action = (|| {
        Some(Action::Respond {
            message: message?,
            channel: channel?,
        })
    })();
    f.finish(action)
}

/// `POST /incidents/{id}/messages`: `{"message"}`.
pub fn parse_customer_message(body: &Value) -> Result<Action, Vec<FieldError>> {
    let mut f = Fields::of(body);
    let message = f.required_str("message", MAX_MESSAGE);
    f.finish(message.map(|message| Action::CustomerMessage { message }))
}

/// `POST /incidents/{id}/scope`: `{"problem_statement","resolution_criteria"}`.
pub fn parse_scope_proposal(body: &Value) -> Result<Action, Vec<FieldError>> {
    let mut f = Fields::of(body);
    let problem_statement = f.required_str("problem_statement", MAX_MESSAGE);
    let resolution_criteria = f.required_str("resolution_criteria", MAX_MESSAGE);
    let action = (|| {
        Some(Action::ProposeScope {
            problem_statement: problem_statement?,
            resolution_criteria: resolution_criteria?,
        })
    })();
    f.finish(action)
}

/// `POST /incidents/{id}/scope/decision`: `{"accept":bool,"comment"}`; the comment is optional.
pub fn parse_scope_decision(body: &Value) -> Result<Action, Vec<FieldError>> {
    let mut f = Fields::of(body);
    let accept = f.required_bool("accept");
    let comment = f.optional_str("comment", MAX_COMMENT);
    f.finish(accept.map(|accept| Action::DecideScope { accept, comment }))
}

/// `POST /incidents/{id}/sub-problems`: what the new incident would be about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubProblemRequest {
    pub title: String,
    pub description: String,
}

impl SubProblemRequest {
    /// Title and description become the child incident's, so intake's limits apply.
    pub fn parse(body: &Value) -> Result<SubProblemRequest, Vec<FieldError>> {
        let mut f = Fields::of(body);
        let title = f.required_str("title", MAX_TITLE);
        let description = f.required_str("description", MAX_DESCRIPTION);
        let request = (|| {
            Some(SubProblemRequest {
                title: title?,
                description: description?,
            })
        })();
        f.finish(request)
    }

    /// The proposal as recorded under its parent, open for the owner's decision.
    pub fn into_proposal(
        self,
        parent_incident_id: &str,
        proposal_id: &crate::ProposalId,
        proposed_by: &str,
        now: Instant,
    ) -> SubProblemProposal {
        SubProblemProposal {
            proposal_id: proposal_id.clone(),
            incident_id: parent_incident_id.into(),
            title: self.title,
            description: self.description,
            status: ProposalStatus::Proposed,
            proposed_by: proposed_by.into(),
            proposed_at: now,
            child_incident_id: None,
        }
    }
}

/// `POST /incidents/{id}/sub-problems/{proposal_id}/decision`: `{"accept":bool}`.
pub fn parse_sub_problem_decision(body: &Value) -> Result<bool, Vec<FieldError>> {
    let mut f = Fields::of(body);
    let accept = f.required_bool("accept");
    f.finish(accept)
}

/// A proposal is decided once; a second decision does not fit its state.
pub fn ensure_undecided(proposal: &SubProblemProposal) -> Result<(), ActionError> {
    match (proposal.status, &proposal.child_incident_id) {
        (ProposalStatus::Proposed, _) => Ok(()),
        (ProposalStatus::Accepted, Some(child)) => Err(ActionError::InvalidState(format!(
            "the sub-problem proposal was already accepted: it became incident {child}"
        ))),
        (ProposalStatus::Accepted, None) => Err(ActionError::InvalidState(
            "the sub-problem proposal was already accepted".into(),
        )),
        (ProposalStatus::Declined, _) => Err(ActionError::InvalidState(
            "the sub-problem proposal was already declined".into(),
        )),
        (ProposalStatus::Withdrawn, _) => Err(ActionError::InvalidState(
            "the sub-problem proposal was withdrawn when the incident closed".into(),
        )),
    }
}

/// The proposal after the owner's decision: accepted as `accepted_as`, or declined.
pub fn decided_proposal(
    proposal: &SubProblemProposal,
    accepted_as: Option<&super::ChildIncident>,
) -> SubProblemProposal {
    SubProblemProposal {
        status: match accepted_as {
            Some(_) => ProposalStatus::Accepted,
            None => ProposalStatus::Declined,
        },
        child_incident_id: accepted_as.map(|c| c.incident_id.clone()),
        ..proposal.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::Category;
    use crate::incident::Contact;
    use crate::incident::Incident;
    use crate::intake::sub_problem_submission;
    use crate::time::parse_instant;
    use crate::{CalendarId, Handling, IncidentStatus, Severity, SlaOutcome};
    use serde_json::json;

    fn fields(r: Result<impl std::fmt::Debug, Vec<FieldError>>) -> Vec<String> {
        r.expect_err("invalid")
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    fn now() -> Instant {
        parse_instant("2026-03-02T10:00:00Z").expect("instant")
    }

    #[test]
    fn a_response_is_read_with_its_channel() {
        let a = parse_response(&json!({"message": " Called back ", "channel": "remote_session"}));
        assert_eq!(
            a,
            Ok(Action::Respond {
                message: "Called back".into(),
                channel: Channel::RemoteSession
            })
        );
    }

    #[test]
    fn a_response_names_every_bad_field() {
        assert_eq!(
            fields(parse_response(&json!({"message": "", "channel": "fax"}))),
            ["message", "channel"]
        );
        assert_eq!(fields(parse_response(&json!({}))), ["message", "channel"]);
        assert_eq!(fields(parse_response(&json!("hello"))), ["body"]);
    }

    #[test]
    fn messages_longer_than_the_limit_are_refused() {
        let long = "x".repeat(MAX_MESSAGE + 1);
        assert_eq!(
            fields(parse_customer_message(&json!({ "message": long }))),
            ["message"]
        );
        let just = "x".repeat(MAX_MESSAGE);
        assert!(parse_customer_message(&json!({ "message": just })).is_ok());
    }

    #[test]
    fn a_scope_proposal_needs_both_statement_and_criteria() {
        assert_eq!(
            fields(parse_scope_proposal(
                &json!({"problem_statement": "Slow logons"})
            )),
            ["resolution_criteria"]
        );
        assert!(matches!(
            parse_scope_proposal(&json!({"problem_statement": "a", "resolution_criteria": "b"})),
            Ok(Action::ProposeScope { .. })
        ));
    }

    #[test]
    fn a_scope_decision_needs_a_boolean_and_may_carry_a_comment() {
        assert_eq!(
            parse_scope_decision(&json!({"accept": false, "comment": "Too narrow"})),
            Ok(Action::DecideScope {
                accept: false,
                comment: Some("Too narrow".into())
            })
        );
        assert_eq!(
            parse_scope_decision(&json!({"accept": true})),
            Ok(Action::DecideScope {
                accept: true,
                comment: None
            })
        );
        assert_eq!(
            fields(parse_scope_decision(
                &json!({"accept": "yes", "comment": 3})
            )),
            ["accept", "comment"]
        );
    }

    #[test]
    fn a_sub_problem_takes_intake_limits_for_title_and_description() {
        let long_title = "t".repeat(MAX_TITLE + 1);
        assert_eq!(
            fields(SubProblemRequest::parse(
                &json!({"title": long_title, "description": ""})
            )),
            ["title", "description"]
        );
        assert_eq!(
            fields(parse_sub_problem_decision(&json!({"accept": null}))),
            ["accept"]
        );
    }

    fn parent() -> Incident {
        Incident {
            incident_id: "inc_parent".into(),
            pack_id: "pck_1".into(),
            product_id: "sql-server-2022".into(),
            category: Category::Performance,
            severity: Severity::A,
            handling: Handling::TwentyFourSeven,
            calendar: CalendarId::Uk,
            title: "Everything is slow".into(),
            description: "Since the upgrade".into(),
            contact: Contact {
                name: "Ada".into(),
                email: "ada@example.com".into(),
                phone: Some("+44 20 7946 0000".into()),
                language: None,
            },
            status: IncidentStatus::InProgress,
            created_at: now(),
            first_response_warn_at: now(),
            first_response_due_at: now(),
            first_responded_at: Some(now()),
            sla: SlaOutcome::Met,
            ..crate::incident::sample_incident()
        }
    }

    #[test]
    fn an_accepted_sub_problem_inherits_everything_but_what_it_is_about() {
        let proposal = SubProblemRequest {
            title: "Tempdb contention".into(),
            description: "Separate from the index issue".into(),
        }
        .into_proposal(
            "inc_parent",
            &crate::ProposalId::from("prop_1"),
            "eng-1",
            now(),
        );
        let s = sub_problem_submission(&parent(), &proposal);
        let p = parent();
        assert_eq!(
            (s.product_id.as_str(), s.category, s.severity, s.handling),
            (p.product_id.as_str(), p.category, p.severity, p.handling)
        );
        assert_eq!((s.calendar, &s.contact), (p.calendar, &p.contact));
        assert_eq!(
            (s.title.as_str(), s.description.as_str()),
            ("Tempdb contention", "Separate from the index issue")
        );
        assert_eq!(s.pack_id, None);
    }

    #[test]
    fn a_proposal_is_decided_once() {
        let open = SubProblemRequest {
            title: "t".into(),
            description: "d".into(),
        }
        .into_proposal(
            "inc_parent",
            &crate::ProposalId::from("prop_1"),
            "eng-1",
            now(),
        );
        assert_eq!(ensure_undecided(&open), Ok(()));
        let child = crate::incident::ChildIncident {
            incident_id: "inc_child".into(),
            number: "K7M-4QX9".into(),
        };
        let accepted = decided_proposal(&open, Some(&child));
        assert_eq!(accepted.status, ProposalStatus::Accepted);
        assert_eq!(accepted.child_incident_id.as_deref(), Some("inc_child"));
        assert!(
            matches!(ensure_undecided(&accepted), Err(ActionError::InvalidState(m)) if m.contains("inc_child"))
        );
        let declined = decided_proposal(&open, None);
        assert_eq!(declined.status, ProposalStatus::Declined);
        assert!(ensure_undecided(&declined).is_err());
    }
}
