//! Who is told what (API.md, "Notifications"): from one change on the stream to the messages it
//! owes, each with its recipient role. The table, as code:
//!
//! | change | to |
//! |---|---|
//! | `submitted` | the contact (confirmation), the support team; severity A also the pager |
//! | `response`, `scope_proposed`, `sub_problem_proposed`, `resolved`, `closed_unresolved`, `charge_decided` | the contact |
//! | `customer_message`, `closure_requested` | the owner; the support team when nobody owns it (or the owner's address is unknown) |
//! | `sla_warning` | the support team and the owner; severity A also the pager |
//! | `sla_breached` | the support team, the owner and the support admins; severity A also the pager |
//! | `assigned` | the new owner (who assigned it, the note); nobody when released or when the engineer took it itself |
//! | a pack becoming active | the buying account |
//! | a claim or tax-exemption decision | the account concerned (the claimant; the exemption's account) |
//! | a data export becoming ready | its account (a link to the console's Account page, not the archive's) |

use crate::config::Config;
use crate::templates::{
    account_draft, incident_draft, layout, page_text, AccountNews, ContactFacts, IncidentFacts,
    IncidentNews, Message, PackFacts, RatingLinks,
};
use domain::calendar::Calendars;
use domain::incident::{Event, EventDetails, EventKind, Incident};
use domain::time::format_date;
use domain::{Language, ReviewStatus, Severity};
use usecases::notify::Change;

/// Who a message is for; also the second half of its "sent" record's key, so a role gets one
/// message per source even if its address changes between deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Contact,
    SupportTeam,
    Pager,
    Account,
    /// Whoever handles the incident: its owner, or the team when nobody owns it. One role, so
    /// one message per event even if the owner changes between deliveries of the record.
    Handler,
    /// The incident's owner, beside the team (SLA warning and breach); nobody when unowned.
    Owner,
    /// The support admins (`SUPPORT_ADMINS_EMAIL`).
    SupportAdmins,
    /// The engineer an `assigned` event names.
    NewOwner,
}

impl Role {
    pub fn key(self) -> &'static str {
        match self {
            Role::Contact => "contact",
            Role::SupportTeam => "support_team",
            Role::Pager => "pager",
            Role::Account => "account",
            Role::Handler => "handler",
            Role::Owner => "owner",
            Role::SupportAdmins => "support_admins",
            Role::NewOwner => "new_owner",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Email { to: String, message: Message },
    Page { subject: String, text: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub role: Role,
    pub delivery: Delivery,
}

/// The engineers an incident's message may go to, from the engineers registry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Staff {
    /// The incident's owner's address (`None`: unowned, or no address known).
    pub owner_email: Option<String>,
    /// The engineer an `assigned` event names, when it is told: its address.
    pub new_owner_email: Option<String>,
}

/// What the planner needs to read besides the change itself.
pub enum Context {
    None,
    Incident(Box<Incident>, Staff),
    /// The account's last known address and billing country (`None`: never seen an address).
    Account {
        email: Option<String>,
        billing_country: Option<String>,
    },
}

/// The incident a change is about, or the account whose profile it needs.
pub enum Needs {
    Nothing,
    Incident(domain::IncidentId),
    Account(domain::AccountId),
}

pub fn needs(change: &Change) -> Needs {
    match change {
        Change::Event(e)
            if e.event
                .as_ref()
                .is_some_and(|e| recipients(e.kind()).is_some()) =>
        {
            Needs::Incident(e.incident_id.clone())
        }
        Change::PackActivated(p) => Needs::Account(p.owner_account_id.clone()),
        Change::ClaimDecided(c) => Needs::Account(c.claimant_account_id.clone()),
        Change::ExemptionDecided { exemption, .. } => Needs::Account(exemption.account_id.clone()),
        Change::ExportReady(e) => Needs::Account(e.account_id.clone()),
        _ => Needs::Nothing,
    }
}

/// The recipients of an event kind (`None`: nobody is told of this kind).
fn recipients(kind: EventKind) -> Option<&'static [Role]> {
    use EventKind as K;
    Some(match kind {
        K::Submitted => &[Role::Contact, Role::SupportTeam, Role::Pager],
        K::Response
        | K::ScopeProposed
        | K::SubProblemProposed
        | K::Resolved
        | K::ClosedUnresolved
        | K::ChargeDecided => &[Role::Contact],
        K::CustomerMessage => &[Role::Handler],
        // The customer's own closure is confirmed to the contact (once, like every message).
        K::ClosureRequested => &[Role::Contact, Role::Handler],
        K::ContactBounced => &[Role::SupportTeam],
        K::SlaWarning => &[Role::SupportTeam, Role::Owner, Role::Pager],
        K::SlaBreached => &[
            Role::SupportTeam,
            Role::Owner,
            Role::SupportAdmins,
            Role::Pager,
        ],
        K::Assigned => &[Role::NewOwner],
        // Internal notes never leave the staff (they are not even on the stream: `NOTE#`).
        K::InternalNote
        | K::ScopeAccepted
        | K::ScopeRejected
        | K::SubProblemAccepted
        | K::SubProblemDeclined
        | K::AttachmentAdded
        | K::Rated
        | K::ScopeWithdrawn
        | K::SubProblemWithdrawn => return None,
    })
}

/// Whether the incident's owner is looked up for this kind of event.
pub fn needs_owner(kind: EventKind) -> bool {
    recipients(kind).is_some_and(|roles| {
        roles
            .iter()
            .any(|r| matches!(r, Role::Handler | Role::Owner))
    })
}

/// The engineer an `assigned` event tells: the new owner, unless released or the engineer took
/// it itself (a self-take and a first response's assignment need no mail to their author).
pub fn told_of_assignment(e: &Event) -> Option<domain::AccountId> {
    let EventDetails::Assigned {
        owner_account_id: Some(owner),
        ..
    } = &e.details
    else {
        return None;
    };
    (e.actor_account_id != *owner).then(|| owner.clone())
}

/// A personal text as written; empty once erased.
fn text(t: &domain::incident::Erasable<String>) -> String {
    t.kept().cloned().unwrap_or_default()
}

fn news_for(e: &Event, role: Role, incident: &Incident) -> Option<IncidentNews> {
    use EventDetails as D;
    Some(match &e.details {
        D::Submitted { .. } if role == Role::Contact => IncidentNews::Received,
        D::Submitted { .. } => IncidentNews::NewIncident(ContactFacts {
            name: incident.contact.name.clone(),
            email: incident.contact.email.clone(),
            phone: incident.contact.phone.clone(),
        }),
        D::Response { message, channel } => IncidentNews::Response {
            channel: *channel,
            message: text(message),
        },
        D::ScopeProposed {
            problem_statement,
            resolution_criteria,
        } => IncidentNews::ScopeProposed {
            problem_statement: text(problem_statement),
            resolution_criteria: text(resolution_criteria),
        },
        D::SubProblemProposed { title, .. } => {
            IncidentNews::SubProblemProposed { title: text(title) }
        }
        D::Resolved { solutions } => IncidentNews::Resolved {
            solutions: solutions.kept().cloned().unwrap_or_default(),
        },
        D::ClosedUnresolved { explanation } => IncidentNews::ClosedUnresolved {
            explanation: text(explanation),
        },
        D::ChargeDecided { charge, .. } => IncidentNews::ChargeDecided(*charge),
        D::CustomerMessage { message, .. } => IncidentNews::CustomerMessage {
            message: text(message),
        },
        D::ClosureRequested { reason } if role == Role::Contact => IncidentNews::ClosureConfirmed {
            reason: text(reason),
        },
        D::ClosureRequested { reason } => IncidentNews::ClosureRequested {
            reason: text(reason),
        },
        D::ContactBounced { kind_of_failure } => IncidentNews::ContactBounced {
            kind_of_failure: kind_of_failure.clone(),
        },
        D::SlaWarning { .. } => IncidentNews::SlaWarning,
        D::SlaBreached { .. } => IncidentNews::SlaBreached,
        D::Assigned { note, .. } => IncidentNews::Assigned {
            by: e.actor_display_name.clone().unwrap_or_default(),
            note: note.kept().cloned().flatten().filter(|n| !n.is_empty()),
        },
        _ => return None,
    })
}

fn incident_facts(
    incident: &Incident,
    config: &Config,
    calendars: &Calendars,
    lang: Language,
) -> IncidentFacts {
    let calendar = calendars.get(incident.calendar);
    let pattern = match lang {
        Language::Pl => "%d.%m.%Y, %H:%M %Z",
        Language::En => "%Y-%m-%d %H:%M %Z",
    };
    IncidentFacts {
        // People read the incident's number (subjects and text), never its id.
        id: incident.number.clone(),
        title: incident.title.clone(),
        severity: incident.severity.to_string(),
        product: incident.product_id.clone(),
        calendar: incident.calendar.to_string(),
        handling_24x7: incident.handling == domain::Handling::TwentyFourSeven,
        due: calendar.wall_clock(incident.first_response_due_at, pattern),
        warn: calendar.wall_clock(incident.first_response_warn_at, pattern),
        zone: calendar.time_zone_name().to_string(),
        link: config.console_link(&format!("/incidents/{}", incident.incident_id)),
    }
}

/// The rating links a message to the contact carries: those about a closure (resolved, closed
/// unresolved, the charge decision of the customer's own closure). The token is issued at the
/// event's instant, so a redelivered record renders the same links.
fn rating_links(
    e: &Event,
    news: &IncidentNews,
    incident: &Incident,
    config: &Config,
) -> Option<RatingLinks> {
    let closing = match news {
        IncidentNews::Resolved { .. } | IncidentNews::ClosedUnresolved { .. } => true,
        IncidentNews::ChargeDecided(_) => {
            incident.status == domain::IncidentStatus::ClosedByCustomer
        }
        _ => false,
    };
    if !closing {
        return None;
    }
    let token = config.rating_key.issue(&incident.incident_id, e.at);
    let link = |score: &str| config.console_link(&format!("/rate/{token}?score={score}"));
    Some(RatingLinks {
        good: link("good"),
        bad: link("bad"),
    })
}

/// The messages one change owes, in the order they go out.
pub fn plan(
    change: &Change,
    context: &Context,
    config: &Config,
    calendars: &Calendars,
) -> Vec<Outgoing> {
    match (change, context) {
        (Change::Event(entry), Context::Incident(incident, staff)) => {
            let Some(e) = &entry.event else {
                return vec![];
            };
            let Some(roles) = recipients(e.kind()) else {
                return vec![];
            };
            let mut out = Vec::new();
            for &role in roles {
                if role == Role::Pager && incident.severity != Severity::A {
                    continue;
                }
                let Some(news) = news_for(e, role, incident) else {
                    continue;
                };
                let delivery = match role {
                    Role::Contact => {
                        let lang = incident.language();
                        let facts = incident_facts(incident, config, calendars, lang);
                        let mut draft = incident_draft(&news, &facts, lang);
                        draft.rating = rating_links(e, &news, incident, config);
                        Delivery::Email {
                            to: incident.contact.email.clone(),
                            message: layout(&draft, lang),
                        }
                    }
                    Role::SupportTeam
                    | Role::Handler
                    | Role::Owner
                    | Role::SupportAdmins
                    | Role::NewOwner => {
                        let to = match role {
                            Role::SupportTeam => config.support_team_email.clone(),
                            Role::SupportAdmins => config.support_admins_email.clone(),
                            Role::Handler => staff
                                .owner_email
                                .clone()
                                .unwrap_or_else(|| config.support_team_email.clone()),
                            Role::Owner => match &staff.owner_email {
                                // The owner hears of it beside the team: never the team twice.
                                Some(to) if *to != config.support_team_email => to.clone(),
                                _ => continue,
                            },
                            _ => match (&staff.new_owner_email, told_of_assignment(e)) {
                                (Some(to), Some(_)) => to.clone(),
                                _ => continue,
                            },
                        };
                        let lang = config.team_language;
                        let facts = incident_facts(incident, config, calendars, lang);
                        Delivery::Email {
                            to,
                            message: layout(&incident_draft(&news, &facts, lang), lang),
                        }
                    }
                    Role::Pager => {
                        let facts = incident_facts(incident, config, calendars, Language::En);
                        let (subject, text) = page_text(&news, &facts);
                        Delivery::Page { subject, text }
                    }
                    Role::Account => continue,
                };
                out.push(Outgoing { role, delivery });
            }
            out
        }
        (
            change,
            Context::Account {
                email: Some(email),
                billing_country,
            },
        ) => {
            let lang = Language::for_billing_country(billing_country.as_deref());
            let news = match change {
                Change::PackActivated(p) => AccountNews::PackActive(PackFacts {
                    order_confirmation_number: p.order_confirmation_number.clone(),
                    incidents: p.incidents_total,
                    expires_on: p.expires_at.map(|t| format_date(t.date_naive())),
                    link: config.console_link("/packs"),
                }),
                Change::ClaimDecided(c) => AccountNews::ClaimDecided {
                    approved: c.status == ReviewStatus::Approved,
                    note: c.note.clone(),
                    link: config.console_link("/packs"),
                },
                Change::ExemptionDecided { exemption, .. } => AccountNews::ExemptionDecided {
                    verified: exemption.status == domain::ExemptionStatus::Verified,
                    jurisdiction: exemption.jurisdiction.clone(),
                    certificate_reference: exemption.certificate_reference.clone(),
                    note: exemption.note.clone(),
                    link: config.console_link("/account"),
                },
                Change::ExportReady(_) => AccountNews::ExportReady {
                    link: config.console_link("/account"),
                },
                _ => return vec![],
            };
            vec![Outgoing {
                role: Role::Account,
                delivery: Delivery::Email {
                    to: email.clone(),
                    message: layout(&account_draft(&news, lang), lang),
                },
            }]
        }
        _ => vec![],
    }
}
