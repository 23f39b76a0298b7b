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
use domain::incident::Incident;
use domain::time::format_date;
use domain::{Charge, Language, ReviewStatus, Severity};
use serde_json::{Map, Value};
use usecases::notify::{Change, TimelineEntry};

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
    Incident(String),
    Account(String),
}

pub fn needs(change: &Change) -> Needs {
    match change {
        Change::Event(e) if recipients(&e.kind).is_some() => Needs::Incident(e.incident_id.clone()),
        Change::PackActivated(p) => Needs::Account(p.owner_account_id.clone()),
        Change::ClaimDecided(c) => Needs::Account(c.claimant_account_id.clone()),
        Change::ExemptionDecided { exemption, .. } => Needs::Account(exemption.account_id.clone()),
        Change::ExportReady(e) => Needs::Account(e.account_id.clone()),
        _ => Needs::Nothing,
    }
}

/// The recipients of an event kind (`None`: nobody is told of this kind).
fn recipients(kind: &str) -> Option<&'static [Role]> {
    Some(match kind {
        "submitted" => &[Role::Contact, Role::SupportTeam, Role::Pager],
        "response"
        | "scope_proposed"
        | "sub_problem_proposed"
        | "resolved"
        | "closed_unresolved"
        | "charge_decided" => &[Role::Contact],
        "customer_message" => &[Role::Handler],
        // The customer's own closure is confirmed to the contact (once, like every message).
        "closure_requested" => &[Role::Contact, Role::Handler],
        // Internal notes never leave the staff (they are not even on the stream: `NOTE#`).
        "internal_note" => return None,
        "contact_bounced" => &[Role::SupportTeam],
        "sla_warning" => &[Role::SupportTeam, Role::Owner, Role::Pager],
        "sla_breached" => &[
            Role::SupportTeam,
            Role::Owner,
            Role::SupportAdmins,
            Role::Pager,
        ],
        "assigned" => &[Role::NewOwner],
        _ => return None,
    })
}

/// Whether the incident's owner is looked up for this kind of event.
pub fn needs_owner(kind: &str) -> bool {
    recipients(kind).is_some_and(|roles| {
        roles
            .iter()
            .any(|r| matches!(r, Role::Handler | Role::Owner))
    })
}

/// The engineer an `assigned` event tells: the new owner, unless released or the engineer took
/// it itself (a self-take and a first response's assignment need no mail to their author).
pub fn told_of_assignment(e: &TimelineEntry) -> Option<String> {
    if e.kind != "assigned" {
        return None;
    }
    let owner = e.details.get("owner_account_id")?.as_str()?;
    (e.actor_account_id != owner).then(|| owner.to_string())
}

fn detail(details: &Map<String, Value>, name: &str) -> String {
    details
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn news_for(e: &TimelineEntry, role: Role, incident: &Incident) -> Option<IncidentNews> {
    let d = &e.details;
    Some(match e.kind.as_str() {
        "submitted" if role == Role::Contact => IncidentNews::Received,
        "submitted" => IncidentNews::NewIncident(ContactFacts {
            name: incident.contact.name.clone(),
            email: incident.contact.email.clone(),
            phone: incident.contact.phone.clone(),
        }),
        "response" => IncidentNews::Response {
            channel: detail(d, "channel"),
            message: detail(d, "message"),
        },
        "scope_proposed" => IncidentNews::ScopeProposed {
            problem_statement: detail(d, "problem_statement"),
            resolution_criteria: detail(d, "resolution_criteria"),
        },
        "sub_problem_proposed" => IncidentNews::SubProblemProposed {
            title: detail(d, "title"),
        },
        "resolved" => IncidentNews::Resolved {
            solutions: d
                .get("solutions")
                .and_then(Value::as_array)
                .map(|s| {
                    s.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        },
        "closed_unresolved" => IncidentNews::ClosedUnresolved {
            explanation: detail(d, "explanation"),
        },
        "charge_decided" => {
            IncidentNews::ChargeDecided(detail(d, "charge").parse().unwrap_or(Charge::Consumed))
        }
        "customer_message" => IncidentNews::CustomerMessage {
            message: detail(d, "message"),
        },
        "closure_requested" if role == Role::Contact => IncidentNews::ClosureConfirmed {
            reason: detail(d, "reason"),
        },
        "closure_requested" => IncidentNews::ClosureRequested {
            reason: detail(d, "reason"),
        },
        "contact_bounced" => IncidentNews::ContactBounced {
            kind_of_failure: detail(d, "kind_of_failure"),
        },
        "sla_warning" => IncidentNews::SlaWarning,
        "sla_breached" => IncidentNews::SlaBreached,
        "assigned" => IncidentNews::Assigned {
            by: detail(d, "actor_display_name"),
            note: d
                .get("note")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .map(str::to_string),
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
    e: &TimelineEntry,
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
        (Change::Event(e), Context::Incident(incident, staff)) => {
            let Some(roles) = recipients(&e.kind) else {
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
