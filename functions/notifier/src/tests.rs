//! The notification table and the texts, without any I/O.

use crate::config::Config;
use crate::plan::{plan, Context, Delivery, Outgoing, Role, Staff};
use domain::calendar::Calendars;
use domain::incident::{Contact, EventKind, Incident};
use domain::time::parse_instant;
use domain::Language;
use serde_json::{json, Map, Value};
use usecases::notify::{ActivatedPack, Change, TimelineEntry};

fn config() -> Config {
    Config::from_lookup(|name| {
        Some(
            match name {
                "NOTIFY_FROM" => "desk@support.example",
                "SUPPORT_TEAM_EMAIL" => "team@support.example",
                "SUPPORT_ADMINS_EMAIL" => "admins@support.example",
                "PAGER_TOPIC_ARN" => "arn:aws:sns:us-east-1:123456789012:pager",
                "CONSOLE_URL" => "https://console.support.example/",
                "RATING_TOKEN_KEY" => "a rating token key of at least 32 characters",
                _ => return None,
            }
            .to_string(),
        )
    })
    .expect("config")
}

fn incident(severity: &str, calendar: &str, language: Option<&str>) -> Incident {
    let at = |s: &str| parse_instant(s).expect("instant");
    Incident {
        incident_id: "inc_1".into(),
        number: "K7M-4QX9".into(),
        account_id: "acct_customer".into(),
        pack_id: "pck_1".into(),
        parent_incident_id: None,
        product_id: "windows-server-2022".into(),
        category: domain::category::Category::Configuration,
        severity: severity.parse().expect("a severity"),
        handling: domain::Handling::TwentyFourSeven,
        calendar: calendar.parse().expect("a calendar"),
        title: "Klaster <nie> startuje".into(),
        description: "…".into(),
        contact: Contact {
            name: "Ada".into(),
            email: "ada@customer.example".into(),
            phone: Some("+48 22 123 45 67".into()),
            language: language.map(|l| l.parse().expect("a language")),
        },
        status: domain::IncidentStatus::AwaitingResponse,
        created_at: at("2026-12-22T09:00:00Z"),
        first_response_warn_at: at("2026-12-22T12:00:00Z"),
        first_response_due_at: at("2026-12-22T13:00:00Z"),
        first_responded_at: None,
        sla_warned_at: None,
        sla: domain::SlaOutcome::Pending,
        scope: None,
        charge: domain::Charge::Consumed,
        charge_decided: false,
        closed_at: None,
        contact_unreachable: false,
        owner: None,
        rating: None,
        attachments_deleted_at: None,
    }
}

/// What an event of `kind` carries when a test names none of it.
fn defaults(kind: &str) -> Value {
    match kind {
        "submitted" => json!({"pack_id": "pack_1", "parent_incident_id": null, "severity": "B"}),
        "response" => json!({"message": "Hi", "channel": "email"}),
        "customer_message" => json!({"message": "Still slow", "channel": "console"}),
        "scope_proposed" => json!({"problem_statement": "p", "resolution_criteria": "r"}),
        "scope_accepted" | "scope_rejected" => json!({"comment": null}),
        "sub_problem_proposed" => json!({"proposal_id": "sp_1", "title": "t", "description": "d"}),
        "sub_problem_declined" | "sub_problem_withdrawn" => {
            json!({"proposal_id": "sp_1", "title": "t"})
        }
        "resolved" => json!({"solutions": ["s"]}),
        "closed_unresolved" => json!({"explanation": "e"}),
        "closure_requested" => json!({"reason": "r"}),
        "charge_decided" => json!({"charge": "consumed"}),
        "sla_warning" => json!({"severity": "B", "first_response_warn_at": "2026-12-22T12:00:00Z",
                                "first_response_due_at": "2026-12-22T13:00:00Z"}),
        "sla_breached" => json!({"severity": "B", "first_response_due_at": "2026-12-22T13:00:00Z"}),
        "attachment_added" => json!({"attachment_id": "att_1", "file_name": "log.txt",
                                     "content_type": "text/plain", "size_bytes": 3}),
        "contact_bounced" => json!({"kind_of_failure": "bounce"}),
        "assigned" => {
            json!({"owner_account_id": null, "previous_owner_account_id": null, "note": null})
        }
        "internal_note" => json!({"note": "n"}),
        _ => json!({}),
    }
}

/// A committed event of `kind` by `eng-1`, its fields `details` over the kind's defaults; a
/// kind this build does not know is an entry without its event, as the store decodes it.
fn event(kind: &str, details: Value) -> Change {
    let mut wire = json!({"at": "2026-12-22T10:00:00Z", "kind": kind, "actor_account_id": "eng-1"});
    for extra in [defaults(kind), details] {
        let Value::Object(extra) = extra else {
            panic!("details are an object")
        };
        wire.as_object_mut().expect("a map").extend(extra);
    }
    let known = serde_json::from_value::<EventKind>(json!(kind)).is_ok();
    Change::Event(TimelineEntry {
        incident_id: "inc_1".into(),
        seq: 2,
        event: known.then(|| serde_json::from_value(wire).expect("an event of its kind")),
    })
}

fn planned(change: &Change, incident: Incident) -> Vec<Outgoing> {
    planned_with(change, incident, Staff::default())
}

fn planned_with(change: &Change, incident: Incident, staff: Staff) -> Vec<Outgoing> {
    plan(
        change,
        &Context::Incident(Box::new(incident), staff),
        &config(),
        Calendars::shipped().expect("calendars"),
    )
}

fn roles(out: &[Outgoing]) -> Vec<Role> {
    out.iter().map(|o| o.role).collect()
}

fn email(o: &Outgoing) -> (&str, &crate::templates::Message) {
    match &o.delivery {
        Delivery::Email { to, message } => (to, message),
        Delivery::Page { .. } => panic!("expected an e-mail, got a page"),
    }
}

#[test]
fn every_row_of_the_table_goes_to_its_recipients() {
    let c = incident("C", "PL", None);
    let a = incident("A", "PL", None);
    let none = json!({});
    assert_eq!(
        roles(&planned(&event("submitted", none.clone()), c.clone())),
        [Role::Contact, Role::SupportTeam]
    );
    assert_eq!(
        roles(&planned(&event("submitted", none.clone()), a.clone())),
        [Role::Contact, Role::SupportTeam, Role::Pager]
    );
    for kind in [
        "response",
        "scope_proposed",
        "sub_problem_proposed",
        "resolved",
        "closed_unresolved",
        "charge_decided",
    ] {
        assert_eq!(
            roles(&planned(&event(kind, none.clone()), a.clone())),
            [Role::Contact],
            "{kind}"
        );
    }
    assert_eq!(
        roles(&planned(
            &event("customer_message", none.clone()),
            a.clone()
        )),
        [Role::Handler],
    );
    // The customer's own closure is confirmed to the contact, and the handler decides the charge.
    assert_eq!(
        roles(&planned(
            &event("closure_requested", none.clone()),
            a.clone()
        )),
        [Role::Contact, Role::Handler],
    );
    // Internal notes are told to nobody (and never reach the stream: they are not `EVENT#`).
    assert!(planned(&event("internal_note", json!({"note": "x"})), a.clone()).is_empty());
    assert_eq!(
        roles(&planned(&event("sla_warning", none.clone()), c.clone())),
        [Role::SupportTeam],
    );
    assert_eq!(
        roles(&planned(&event("sla_warning", none.clone()), a.clone())),
        [Role::SupportTeam, Role::Pager],
    );
    assert_eq!(
        roles(&planned(&event("sla_breached", none.clone()), c.clone())),
        [Role::SupportTeam, Role::SupportAdmins],
    );
    assert_eq!(
        roles(&planned(&event("sla_breached", none.clone()), a.clone())),
        [Role::SupportTeam, Role::SupportAdmins, Role::Pager],
    );
    for kind in [
        "scope_accepted",
        "sub_problem_declined",
        "attachment_added",
        "new_kind",
    ] {
        assert!(
            planned(&event(kind, none.clone()), a.clone()).is_empty(),
            "{kind}"
        );
    }
}

#[test]
fn the_polish_confirmation_names_the_incident_and_the_deadline_in_warsaw_time() {
    let out = planned(&event("submitted", json!({})), incident("B", "PL", None));
    let (to, m) = email(&out[0]);
    assert_eq!(to, "ada@customer.example");
    assert_eq!(
        m.subject,
        "[K7M-4QX9] Przyjęliśmy Twoje zgłoszenie: Klaster <nie> startuje"
    );
    // 13:00 UTC is 14:00 in Warsaw in December.
    assert!(
        m.text
            .contains("najpóźniej 22.12.2026, 14:00 CET (Europe/Warsaw)"),
        "{}",
        m.text
    );
    assert!(m
        .text
        .contains("https://console.support.example/incidents/inc_1"));
    assert!(
        m.html.contains("„Klaster &lt;nie&gt; startuje”"),
        "{}",
        m.html
    );
    assert!(!m.html.contains("<nie>"));
    assert!(!m.text.contains("acct_customer"), "no account ids in mail");
}

#[test]
fn the_contact_language_chooses_the_text_and_the_team_gets_english() {
    let out = planned(&event("submitted", json!({})), incident("B", "UK", None));
    assert!(email(&out[0])
        .1
        .subject
        .starts_with("[K7M-4QX9] We have received your incident"));
    assert!(email(&out[0])
        .1
        .text
        .contains("2026-12-22 13:00 GMT (Europe/London)"));
    let out = planned(
        &event("submitted", json!({})),
        incident("B", "UK", Some("pl")),
    );
    assert!(email(&out[0]).1.subject.contains("Przyjęliśmy"));
    let (to, team) = email(&out[1]);
    assert_eq!(to, "team@support.example");
    assert!(team
        .subject
        .starts_with("[K7M-4QX9] New severity B incident"));
    assert!(team
        .text
        .contains("Contact: Ada, ada@customer.example, +48 22 123 45 67"));
}

#[test]
fn a_customer_closure_is_confirmed_to_the_contact_by_number_in_its_language() {
    let out = planned(
        &event("closure_requested", json!({"reason": "Sami naprawiliśmy."})),
        incident("B", "PL", None),
    );
    let (to, m) = email(&out[0]);
    assert_eq!(to, "ada@customer.example");
    assert_eq!(
        m.subject,
        "[K7M-4QX9] Zgłoszenie zamknięte na Twoją prośbę: Klaster <nie> startuje"
    );
    assert!(m.text.contains("    Sami naprawiliśmy."), "{}", m.text);
    assert!(!m.subject.contains("inc_1"));
}

#[test]
fn a_response_quotes_the_engineer_and_a_page_is_short_ascii() {
    let out = planned(
        &event(
            "response",
            json!({"message": "Proszę zrestartować węzeł.", "channel": "phone"}),
        ),
        incident("A", "PL", None),
    );
    let m = email(&out[0]).1;
    assert!(
        m.text
            .contains("odpowiedział telefonicznie na Twoje zgłoszenie K7M-4QX9"),
        "{}",
        m.text
    );
    assert!(m.text.contains("    Proszę zrestartować węzeł."));
    let out = planned(&event("sla_breached", json!({})), incident("A", "PL", None));
    let Some(Delivery::Page { subject, text }) = out
        .iter()
        .map(|o| &o.delivery)
        .find(|d| matches!(d, Delivery::Page { .. }))
    else {
        panic!("pager")
    };
    assert_eq!(subject, "SEV A SLA breached: K7M-4QX9");
    assert!(
        text.contains("due 2026-12-22 14:00 CET (Europe/Warsaw)"),
        "{text}"
    );
}

#[test]
fn account_mail_follows_the_billing_country_and_needs_an_address() {
    let change = Change::PackActivated(ActivatedPack {
        pack_id: "pck_1".into(),
        owner_account_id: "acct_1".into(),
        order_confirmation_number: "ABCD-EFGH".into(),
        incidents_total: 5,
        expires_at: parse_instant("2027-12-01T10:00:00Z"),
    });
    let calendars = Calendars::shipped().expect("calendars");
    let for_country = |country: Option<&str>, email: Option<&str>| {
        plan(
            &change,
            &Context::Account {
                email: email.map(str::to_string),
                billing_country: country.map(str::to_string),
            },
            &config(),
            calendars,
        )
    };
    let pl = for_country(Some("PL"), Some("buyer@customer.example"));
    let (to, m) = email(&pl[0]);
    assert_eq!(to, "buyer@customer.example");
    assert!(m.text.contains("Numer potwierdzenia zamówienia: ABCD-EFGH"));
    assert!(m.text.contains("Ważny do: 2027-12-01 (UTC)"));
    let de = for_country(Some("DE"), Some("buyer@customer.example"));
    assert!(email(&de[0])
        .1
        .text
        .contains("Order confirmation number: ABCD-EFGH"));
    assert!(for_country(Some("PL"), None).is_empty());
    assert_eq!(Language::for_billing_country(None), Language::En);
}

#[test]
fn configuration_names_what_is_missing() {
    let err = Config::from_lookup(|_| None).expect_err("nothing set");
    assert!(err.to_string().contains("NOTIFY_FROM"));
    let mut vars = Map::new();
    for (k, v) in [
        ("NOTIFY_FROM", "a@b.c"),
        ("SUPPORT_TEAM_EMAIL", "t@b.c"),
        ("SUPPORT_ADMINS_EMAIL", "a@b.c"),
        ("PAGER_TOPIC_ARN", "arn"),
        ("CONSOLE_URL", "http://x"),
        (
            "RATING_TOKEN_KEY",
            "a rating token key of at least 32 characters",
        ),
        ("SUPPORT_TEAM_LANGUAGE", "de"),
    ] {
        vars.insert(k.into(), json!(v));
    }
    let err = Config::from_lookup(|n| vars.get(n).and_then(|v| v.as_str()).map(str::to_string))
        .expect_err("bad language");
    assert!(err.to_string().contains("SUPPORT_TEAM_LANGUAGE"));
}

fn owned(mut i: Incident) -> (Incident, Staff) {
    i.owner = Some(domain::incident::Owner {
        account_id: "eng-2".into(),
        display_name: "Grace Hopper".into(),
    });
    (
        i,
        Staff {
            owner_email: Some("grace@support.example".into()),
            new_owner_email: None,
        },
    )
}

fn recipients(out: &[Outgoing]) -> Vec<(Role, String)> {
    out.iter()
        .filter_map(|o| match &o.delivery {
            Delivery::Email { to, .. } => Some((o.role, to.clone())),
            Delivery::Page { .. } => None,
        })
        .collect()
}

#[test]
fn an_owned_incidents_mail_goes_to_its_owner_and_the_breach_to_the_admins_too() {
    let (i, staff) = owned(incident("B", "UK", None));
    for kind in ["customer_message", "closure_requested"] {
        // The contact hears of its own closure request (a confirmation), never of its message.
        let contact: Vec<(Role, String)> = (kind == "closure_requested")
            .then(|| (Role::Contact, "ada@customer.example".to_string()))
            .into_iter()
            .collect();
        let with = |handler: &str| {
            let mut all = contact.clone();
            all.push((Role::Handler, handler.to_string()));
            all
        };
        assert_eq!(
            recipients(&planned_with(
                &event(kind, json!({})),
                i.clone(),
                staff.clone()
            )),
            with("grace@support.example"),
            "{kind}"
        );
        // Unowned (or no address known): the team.
        assert_eq!(
            recipients(&planned(&event(kind, json!({})), incident("B", "UK", None))),
            with("team@support.example"),
            "{kind}"
        );
    }
    assert_eq!(
        recipients(&planned_with(
            &event("sla_warning", json!({})),
            i.clone(),
            staff.clone()
        )),
        [
            (Role::SupportTeam, "team@support.example".to_string()),
            (Role::Owner, "grace@support.example".to_string())
        ]
    );
    assert_eq!(
        recipients(&planned_with(
            &event("sla_breached", json!({})),
            i.clone(),
            staff.clone()
        )),
        [
            (Role::SupportTeam, "team@support.example".to_string()),
            (Role::Owner, "grace@support.example".to_string()),
            (Role::SupportAdmins, "admins@support.example".to_string())
        ]
    );
}

#[test]
fn an_assignment_tells_the_new_owner_who_assigned_it_and_the_note_and_a_release_nobody() {
    let (i, _) = owned(incident("A", "UK", None));
    let staff = Staff {
        owner_email: None,
        new_owner_email: Some("grace@support.example".into()),
    };
    let handed = event(
        "assigned",
        json!({"owner_account_id": "eng-2", "previous_owner_account_id": "eng-1",
               "note": "Customer is in Sydney; call after 22:00 UTC", "actor_display_name": "Ada Lovelace"}),
    );
    let out = planned_with(&handed, i.clone(), staff.clone());
    assert_eq!(
        recipients(&out),
        [(Role::NewOwner, "grace@support.example".to_string())]
    );
    let (_, m) = email(&out[0]);
    assert!(
        m.subject.starts_with("[K7M-4QX9] Assigned to you"),
        "{}",
        m.subject
    );
    assert!(
        m.text.contains("Ada Lovelace assigned incident K7M-4QX9"),
        "{}",
        m.text
    );
    assert!(
        m.text
            .contains("Note: Customer is in Sydney; call after 22:00 UTC"),
        "{}",
        m.text
    );
    assert!(
        m.text.contains("Severity: A – critical business impact"),
        "{}",
        m.text
    );
    let released = event(
        "assigned",
        json!({"owner_account_id": null, "previous_owner_account_id": "eng-1", "note": null}),
    );
    assert!(planned_with(&released, i.clone(), staff.clone()).is_empty());
    // Taken by the engineer itself (the event's actor is eng-1 here): no mail to its author.
    let taken = event(
        "assigned",
        json!({"owner_account_id": "eng-1", "previous_owner_account_id": null, "note": null}),
    );
    assert!(planned_with(&taken, i, staff).is_empty());
}

#[test]
fn every_incident_mail_words_the_severity_as_the_faq_does_in_both_languages() {
    for (sev, lang, words) in [
        ("A", "en", "Severity: A – critical business impact"),
        ("B", "en", "Severity: B – moderate business impact"),
        ("C", "en", "Severity: C – minimal business impact"),
        ("A", "pl", "Ważność: A – krytyczne znaczenie biznesowe"),
        ("B", "pl", "Ważność: B – średnie znaczenie biznesowe"),
        ("C", "pl", "Ważność: C – minimalne znaczenie biznesowe"),
    ] {
        let out = planned(
            &event("submitted", json!({})),
            incident(sev, "UK", Some(lang)),
        );
        let (_, m) = email(&out[0]);
        assert!(m.text.contains(words), "{sev} {lang}: {}", m.text);
        assert!(m.html.contains(words), "{sev} {lang}: {}", m.html);
    }
}

fn closed_incident(status: &str, language: &str) -> Incident {
    let mut i = incident("B", "PL", Some(language));
    i.status = status.parse().expect("status");
    i
}

fn rating_token(text: &str) -> String {
    let start = text.find("/rate/").expect("a rating link") + "/rate/".len();
    text[start..].split('?').next().expect("token").to_string()
}

#[test]
fn closing_mail_to_the_contact_carries_both_rating_links_with_a_token_naming_the_incident() {
    let resolved = event("resolved", json!({"solutions": ["Restarted the service"]}));
    for (lang, good) in [("en", "Good: "), ("pl", "Dobrze: ")] {
        let out = planned(&resolved, closed_incident("resolved", lang));
        let Delivery::Email { message, .. } = &out[0].delivery else {
            panic!("mail")
        };
        let token = rating_token(&message.text);
        assert!(message.text.contains(&format!(
            "{good}https://console.support.example/rate/{token}?score=good"
        )));
        assert!(message.text.contains(&format!("/rate/{token}?score=bad")));
        assert!(message.html.contains(&format!("/rate/{token}?score=good")));
        let at = parse_instant("2026-12-22T10:00:00Z").expect("instant");
        assert_eq!(
            config().rating_key.verify(&token, at).as_deref(),
            Some("inc_1")
        );
    }
    let unresolved = event("closed_unresolved", json!({"explanation": "No fix"}));
    let out = planned(&unresolved, closed_incident("unresolved", "en"));
    let Delivery::Email { message, .. } = &out[0].delivery else {
        panic!("mail")
    };
    assert!(message.text.contains("/rate/"));
}

#[test]
fn only_the_charge_decision_of_a_customer_closure_carries_rating_links() {
    let decided = event("charge_decided", json!({"charge": "refunded"}));
    let text = |status: &str| {
        let out = planned(&decided, closed_incident(status, "en"));
        match &out[0].delivery {
            Delivery::Email { message, .. } => message.text.clone(),
            Delivery::Page { .. } => panic!("mail"),
        }
    };
    assert!(text("closed_by_customer").contains("/rate/"));
    // Closing unresolved decides the charge too; its own message already carried the links.
    assert!(!text("unresolved").contains("/rate/"));
    let response = event("response", json!({"channel": "email", "message": "Hi"}));
    let out = planned(&response, closed_incident("in_progress", "en"));
    let Delivery::Email { message, .. } = &out[0].delivery else {
        panic!("mail")
    };
    assert!(!message.text.contains("/rate/"));
}
