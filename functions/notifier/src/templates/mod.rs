//! Every text the notifier sends, in Polish and English: the one place to read and review them
//! (`incident.rs`: about an incident, and the on-call page; `account.rs`: to an account;
//! `layout.rs`: the plain text and HTML around every e-mail, with the footer).
//! Each message names what it is about, what happened and what happens next, and links into the
//! console. Only the recipient's own data goes in (the customer's incident, the buyer's pack);
//! never account ids, storage names or anything of another customer.
//!
//! A template fills a `Draft`; `layout` turns it into plain text and HTML (every value escaped).

mod account;
mod incident;
mod layout;

pub use account::account_draft;
pub use incident::{incident_draft, page_text};
pub use layout::layout;

use domain::Charge;

/// One rendered e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a template says, before layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub subject: String,
    /// What happened, one paragraph.
    pub lead: String,
    /// Quoted content (a message, solutions, the proposed scope), each line as given.
    pub quote: Vec<String>,
    /// What happens next (deadlines in the calendar's zone).
    pub next: String,
    pub link: String,
    /// The incident's severity in the FAQ's words, with its label (`Severity: A – critical
    /// business impact`); every message about an incident carries it, none to an account.
    pub severity: Option<String>,
    /// The one-click rating links of a closing e-mail to the contact (API.md "Satisfaction").
    pub rating: Option<RatingLinks>,
}

/// `{CONSOLE_URL}/rate/<token>?score=good` and `…=bad`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingLinks {
    pub good: String,
    pub bad: String,
}

/// The facts of an incident a message may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFacts {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub product: String,
    pub calendar: String,
    pub handling_24x7: bool,
    /// The first-response deadline on the calendar's wall clock, e.g. `2026-12-23 14:00 CET`.
    pub due: String,
    /// When the SLA warning falls due (75 % of the window), same clock.
    pub warn: String,
    /// The calendar's IANA zone, e.g. `Europe/Warsaw`.
    pub zone: String,
    pub link: String,
}

/// The contact of an incident, for the support team's notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactFacts {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

/// Why a message is sent about an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentNews {
    /// To the contact: the confirmation.
    Received,
    /// To the support team: a new incident.
    NewIncident(ContactFacts),
    Response {
        channel: domain::Channel,
        message: String,
    },
    ScopeProposed {
        problem_statement: String,
        resolution_criteria: String,
    },
    SubProblemProposed {
        title: String,
    },
    Resolved {
        solutions: Vec<String>,
    },
    ClosedUnresolved {
        explanation: String,
    },
    ChargeDecided(Charge),
    CustomerMessage {
        message: String,
    },
    ClosureRequested {
        reason: String,
    },
    /// To the contact: its own closure request, confirmed (the charge is decided next).
    ClosureConfirmed {
        reason: String,
    },
    SlaWarning,
    SlaBreached,
    /// To the support team: the contact's address bounced or complained (issue 27).
    ContactBounced {
        kind_of_failure: String,
    },
    /// To the new owner: who assigned it, and the note.
    Assigned {
        by: String,
        note: Option<String>,
    },
}

/// A pack that became active, for its buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackFacts {
    pub order_confirmation_number: String,
    pub incidents: u64,
    /// The expiry date (UTC), `YYYY-MM-DD`; `None` if the item carries none.
    pub expires_on: Option<String>,
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountNews {
    PackActive(PackFacts),
    ClaimDecided {
        approved: bool,
        note: Option<String>,
        link: String,
    },
    ExemptionDecided {
        verified: bool,
        jurisdiction: String,
        certificate_reference: String,
        note: Option<String>,
        link: String,
    },
    ExportReady {
        link: String,
    },
}
