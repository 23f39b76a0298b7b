//! Intake (S1–S6): what a submission must say, what is turned away and why, in the order the
//! contract fixes: request shape, exclusions, lifecycle, severity A's 24x7 rule, then the pack.

use crate::catalogue::{Phase, Product};
pub use crate::category::Category;
use crate::incident::{Contact, Event, EventDetails, Incident, SubProblemProposal};
use crate::time::{format_date, Instant};
use crate::validation::{looks_like_email, looks_like_phone, FieldError, Fields};
use crate::{
    AccountId, CalendarId, Charge, Handling, IncidentId, IncidentStatus, Language, PackId,
    Severity, SlaOutcome,
};
use serde_json::Value;

pub use crate::incident::{MAX_DESCRIPTION, MAX_TITLE};

/// A well-formed submission (`POST /incidents`), before any business check.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub product_id: String,
    pub category: Category,
    pub severity: Severity,
    pub handling: Handling,
    pub calendar: CalendarId,
    pub title: String,
    pub description: String,
    pub contact: Contact,
    pub pack_id: Option<String>,
}

impl Submission {
    /// Checks the request's shape and names every bad field. A 24x7 request without a phone is a
    /// shape error, except for severity A, where the stronger `severity_a_requires_24x7` answers.
    pub fn parse(body: &Value) -> Result<Submission, Vec<FieldError>> {
        let mut f = Fields::of(body);
        let product_id = f.required_str("product_id", 100);
        let category = f.required_enum::<Category>("category");
        let severity = f.required_enum::<Severity>("severity");
        let handling = f.required_enum::<Handling>("handling");
        let calendar = f.optional_enum::<CalendarId>("calendar");
        let calendar_given = body.get("calendar").is_some_and(|c| !c.is_null());
        let title = f.required_str("title", MAX_TITLE);
        let description = f.required_str("description", MAX_DESCRIPTION);
        let contact = f.nested("contact", |c| {
            let name = c.required_str("name", 200);
            let email = c.required_str("email", 254);
            if email.as_deref().is_some_and(|e| !looks_like_email(e)) {
                c.error("email", "must be an e-mail address");
            }
            let phone = c.optional_str("phone", 40);
            if phone.as_deref().is_some_and(|p| !looks_like_phone(p)) {
                c.error(
                    "phone",
                    "must be a phone number (digits, optionally +, spaces, dashes)",
                );
            }
            let language = c.optional_enum::<Language>("language");
            Some(Contact {
                name: name?,
                email: email?,
                phone,
                language,
            })
        });
        if handling == Some(Handling::TwentyFourSeven)
            && severity != Some(Severity::A)
            && body
                .get("contact")
                .and_then(|c| c.get("phone"))
                .is_none_or(Value::is_null)
            && body.get("contact").is_some_and(Value::is_object)
        {
            f.error(
                "contact.phone",
                "is required for 24x7 handling: someone must be reachable around the clock",
            );
        }
        let pack_id = f.optional_str("pack_id", 100);
        if calendar_given && calendar.is_none() && f.errors.iter().all(|e| e.field != "calendar") {
            f.error(
                "calendar",
                format!("must be one of: {}", CalendarId::expected()),
            );
        }
        let calendar = calendar.unwrap_or(CalendarId::Pl);
        let contact = contact.map(|mut c| {
            c.language = Some(
                c.language
                    .unwrap_or(Language::default_for_calendar(calendar)),
            );
            c
        });
        let value = (|| {
            Some(Submission {
                product_id: product_id?,
                category: category?,
                severity: severity?,
                handling: handling?,
                calendar,
                title: title?,
                description: description?,
                contact: contact?,
                pack_id,
            })
        })();
        f.finish(value)
    }
}

/// An accepted sub-problem is submitted like any incident (S1): what it is about comes from the
/// proposal; product, category, severity, hours, calendar and contact from its parent. No pack
/// is named, so the owner's usable pack that expires soonest is drawn.
pub fn sub_problem_submission(parent: &Incident, proposal: &SubProblemProposal) -> Submission {
    Submission {
        product_id: parent.product_id.clone(),
        category: parent.category,
        severity: parent.severity,
        handling: parent.handling,
        calendar: parent.calendar,
        title: proposal.title.clone(),
        description: proposal.description.clone(),
        contact: parent.contact.clone(),
        pack_id: None,
    }
}

/// Why a well-formed submission is turned away (nothing is consumed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnknownProduct,
    OutOfScope {
        exclusion: Category,
        redirect: &'static str,
    },
    ProductOutOfLifecycle {
        support_ended_on: String,
    },
    SeverityARequires24x7,
}

/// The business checks before the entitlement, in the contract's order.
pub fn check(
    submission: &Submission,
    product: Option<&Product>,
    now: Instant,
) -> Result<(), Refusal> {
    if let Some(redirect) = submission.category.redirect() {
        return Err(Refusal::OutOfScope {
            exclusion: submission.category,
            redirect,
        });
    }
    let product = product.ok_or(Refusal::UnknownProduct)?;
    if product.phase(now.date_naive()) == Phase::Ended {
        return Err(Refusal::ProductOutOfLifecycle {
            support_ended_on: format_date(product.support_ends_on()),
        });
    }
    if submission.severity == Severity::A
        && (submission.handling != Handling::TwentyFourSeven || submission.contact.phone.is_none())
    {
        return Err(Refusal::SeverityARequires24x7);
    }
    Ok(())
}

/// Where a new incident comes from: a customer's submission or an accepted sub-problem.
pub struct NewIncident<'a> {
    pub incident_id: IncidentId,
    pub account_id: &'a AccountId,
    pub pack_id: &'a PackId,
    pub parent_incident_id: Option<IncidentId>,
    /// The warning and the deadline, from [`crate::calendar::first_response_clock`].
    pub first_response_warn_at: Instant,
    pub first_response_due_at: Instant,
    pub now: Instant,
    /// The incident's number (`incident::incident_number`), reserved by the creating write.
    pub number: String,
    /// How the `submitted` event names its author (the submitting account's display name).
    pub actor_display_name: Option<String>,
}

/// The incident as created by a successful draw, with its `submitted` event.
pub fn new_incident(s: &Submission, n: NewIncident<'_>) -> (Incident, Event) {
    let incident = Incident {
        incident_id: n.incident_id,
        number: n.number,
        account_id: n.account_id.clone(),
        pack_id: n.pack_id.clone(),
        parent_incident_id: n.parent_incident_id.clone(),
        product_id: s.product_id.clone(),
        category: s.category,
        severity: s.severity,
        handling: s.handling,
        calendar: s.calendar,
        title: s.title.clone(),
        description: s.description.clone(),
        contact: s.contact.clone(),
        status: IncidentStatus::AwaitingResponse,
        created_at: n.now,
        first_response_warn_at: n.first_response_warn_at,
        first_response_due_at: n.first_response_due_at,
        first_responded_at: None,
        sla_warned_at: None,
        sla: SlaOutcome::Pending,
        scope: None,
        charge: Charge::Consumed,
        charge_decided: false,
        closed_at: None,
        contact_unreachable: false,
        owner: None,
        rating: None,
        attachments_deleted_at: None,
    };
    let mut event = Event::new(
        n.now,
        n.account_id,
        EventDetails::Submitted {
            pack_id: n.pack_id.clone(),
            parent_incident_id: n.parent_incident_id,
            severity: s.severity,
        },
    );
    event.actor_display_name = n.actor_display_name;
    (incident, event)
}

#[cfg(test)]
mod tests;
