use super::*;
use crate::incident::EventKind;
use crate::time::{parse_date, parse_instant};
use crate::validation::FieldError;
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

fn at(s: &str) -> Instant {
    parse_instant(s).expect("a valid RFC 3339 instant")
}

fn now() -> Instant {
    at("2026-11-25T10:00:00Z")
}

/// A complete, valid body; tests change one thing at a time.
fn body() -> Value {
    json!({
        "product_id": "sql-server-2019",
        "category": "error_or_crash",
        "severity": "B",
        "handling": "business_hours",
        "calendar": "US",
        "title": "Service crashes on start",
        "description": "Since the last cumulative update the service stops within a minute.",
        "contact": {"name": "Ops on call", "email": "ops@customer.example", "phone": "+48 22 123 45 67"},
        "pack_id": "pack-1"
    })
}

fn body_with(changes: Value) -> Value {
    let mut b = body();
    merge(&mut b, changes);
    b
}

/// Merges `changes` into `target`; `null` removes a key.
fn merge(target: &mut Value, changes: Value) {
    let (Some(t), Value::Object(c)) = (target.as_object_mut(), changes) else {
        panic!("objects only");
    };
    for (k, v) in c {
        match v {
            Value::Null => {
                t.remove(&k);
            }
            Value::Object(_) if t.get(&k).is_some_and(Value::is_object) => {
                merge(t.get_mut(&k).expect("present"), v)
            }
            v => {
                t.insert(k, v);
            }
        }
    }
}

fn parsed(b: &Value) -> Submission {
    Submission::parse(b).unwrap_or_else(|e| panic!("expected a valid submission, got {e:?}"))
}

fn field_names(errors: &[FieldError]) -> Vec<&str> {
    let mut names: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    names.sort_unstable();
    names
}

fn errors_of(b: &Value) -> Vec<FieldError> {
    Submission::parse(b).expect_err("expected field errors")
}

fn day(s: &str) -> chrono::NaiveDate {
    parse_date(s).expect("a valid date")
}

fn product(mainstream_end: &str, extended_end: Option<&str>) -> Product {
    Product {
        product_id: "sql-server-2019".into(),
        name: "SQL Server 2019".into(),
        mainstream_end: day(mainstream_end),
        extended_end: extended_end.map(day),
    }
}

/// In mainstream support on `now()`.
fn current_product() -> Product {
    product("2030-01-08", Some("2035-01-09"))
}

/// Past the end of extended support (10 October 2023) on `now()`.
fn ended_product() -> Product {
    product("2018-10-09", Some("2023-10-10"))
}

/// In extended support on `now()`.
fn extended_product() -> Product {
    product("2025-02-28", Some("2030-01-08"))
}

fn submission(severity: Severity, handling: Handling, phone: Option<&str>) -> Submission {
    let mut s = parsed(&body());
    s.severity = severity;
    s.handling = handling;
    s.contact.phone = phone.map(str::to_string);
    s
}

fn in_category(category: Category) -> Submission {
    Submission {
        category,
        ..parsed(&body())
    }
}

const EXCLUDED: [Category; 6] = [
    Category::FeatureRequest,
    Category::OnsiteSupport,
    Category::CustomCode,
    Category::DeveloperSupport,
    Category::SecurityIncidentResponse,
    Category::BillingQuestion,
];

// ---------------------------------------------------------------------------------------------
// Submission::parse
// ---------------------------------------------------------------------------------------------

#[test]
fn a_valid_body_parses_into_a_trimmed_submission() {
    let b = body_with(json!({"title": "  Service crashes on start \n"}));
    let s = parsed(&b);
    assert_eq!(s.product_id, "sql-server-2019");
    assert_eq!(s.category, Category::ErrorOrCrash);
    assert_eq!(s.severity, Severity::B);
    assert_eq!(s.handling, Handling::BusinessHours);
    assert_eq!(s.calendar, CalendarId::Us);
    assert_eq!(s.title, "Service crashes on start");
    assert_eq!(
        s.contact,
        Contact {
            name: "Ops on call".into(),
            email: "ops@customer.example".into(),
            phone: Some("+48 22 123 45 67".into()),
            // Calendar US, no language given: English.
            language: Some(Language::En),
        }
    );
    assert_eq!(s.pack_id.as_deref(), Some("pack-1"));
}

#[test]
fn every_bad_field_is_named_at_once() {
    let b = json!({
        "category": 7,
        "severity": "D",
        "handling": "weekends",
        "calendar": "DE",
        "title": "x".repeat(MAX_TITLE + 1),
        "contact": {"email": "not-an-email", "phone": "call me"},
        "pack_id": 12
    });
    let errors = errors_of(&b);
    assert_eq!(
        field_names(&errors),
        [
            "calendar",
            "category",
            "contact.email",
            "contact.name",
            "contact.phone",
            "description",
            "handling",
            "pack_id",
            "product_id",
            "severity",
            "title",
        ],
        "{errors:#?}"
    );
    assert!(errors.iter().all(|e| !e.message.is_empty()));
}

#[test]
fn missing_fields_are_each_required() {
    let errors = errors_of(&json!({}));
    assert_eq!(
        field_names(&errors),
        [
            "category",
            "contact",
            "description",
            "handling",
            "product_id",
            "severity",
            "title"
        ],
        "{errors:#?}"
    );
    assert!(
        errors.iter().all(|e| e.message == "is required"),
        "{errors:#?}"
    );
}

#[test]
fn wrong_types_are_named_by_field() {
    let b = body_with(
        json!({"severity": 1, "handling": true, "title": ["a"], "contact": "ops@customer.example"}),
    );
    let errors = errors_of(&b);
    assert_eq!(
        field_names(&errors),
        ["contact", "handling", "severity", "title"],
        "{errors:#?}"
    );
}

#[test]
fn a_body_that_is_not_an_object_is_one_error_on_the_body() {
    let errors = errors_of(&json!(["product_id"]));
    assert_eq!(field_names(&errors), ["body"]);
}

#[test]
fn unknown_vocabulary_values_list_the_accepted_ones() {
    let cases = [
        ("severity", json!({"severity": "a"}), "A, B, C"),
        (
            "handling",
            json!({"handling": "24/7"}),
            "24x7, business_hours",
        ),
        ("calendar", json!({"calendar": "DE"}), "PL, US, UK"),
        ("category", json!({"category": "gardening"}), "installation"),
    ];
    for (field, change, listed) in cases {
        let errors = errors_of(&body_with(change));
        assert_eq!(field_names(&errors), [field], "{errors:#?}");
        assert!(
            errors[0].message.contains(listed),
            "{field}: {}",
            errors[0].message
        );
    }
}

#[test]
fn a_bad_email_and_a_bad_phone_are_named_inside_the_contact() {
    let errors = errors_of(&body_with(
        json!({"contact": {"email": "ops.customer.example", "phone": "ask reception"}}),
    ));
    assert_eq!(
        field_names(&errors),
        ["contact.email", "contact.phone"],
        "{errors:#?}"
    );
}

#[test]
fn a_title_is_limited_to_its_maximum_length_in_characters() {
    let longest = "ż".repeat(MAX_TITLE);
    assert_eq!(
        parsed(&body_with(json!({"title": longest})))
            .title
            .chars()
            .count(),
        MAX_TITLE
    );
    let errors = errors_of(&body_with(json!({"title": "ż".repeat(MAX_TITLE + 1)})));
    assert_eq!(field_names(&errors), ["title"]);
}

#[test]
fn blank_strings_are_refused() {
    let errors = errors_of(&body_with(json!({"title": "   ", "description": ""})));
    assert_eq!(
        field_names(&errors),
        ["description", "title"],
        "{errors:#?}"
    );
}

#[test]
fn the_calendar_defaults_to_pl() {
    assert_eq!(
        parsed(&body_with(json!({"calendar": null}))).calendar,
        CalendarId::Pl
    );
    let mut b = body();
    b["calendar"] = Value::Null;
    assert_eq!(parsed(&b).calendar, CalendarId::Pl);
    assert_eq!(
        parsed(&body_with(json!({"calendar": "UK"}))).calendar,
        CalendarId::Uk
    );
}

#[test]
fn the_pack_is_optional() {
    assert_eq!(parsed(&body_with(json!({"pack_id": null}))).pack_id, None);
}

#[test]
fn business_hours_handling_needs_no_phone() {
    let s = parsed(&body_with(json!({"contact": {"phone": null}})));
    assert_eq!(s.contact.phone, None);
}

#[test]
fn round_the_clock_handling_without_a_phone_names_the_contact_phone_for_severities_b_and_c() {
    for severity in ["B", "C"] {
        let mut absent = body_with(json!({"severity": severity, "handling": "24x7"}));
        absent["contact"]
            .as_object_mut()
            .expect("a contact")
            .remove("phone");
        let mut null = body_with(json!({"severity": severity, "handling": "24x7"}));
        null["contact"]["phone"] = Value::Null;
        for b in [absent, null] {
            let errors = errors_of(&b);
            assert_eq!(
                field_names(&errors),
                ["contact.phone"],
                "{severity}: {errors:#?}"
            );
        }
    }
}

#[test]
fn round_the_clock_handling_with_a_blank_phone_is_one_error_on_the_contact_phone() {
    let errors = errors_of(&body_with(
        json!({"handling": "24x7", "contact": {"phone": "  "}}),
    ));
    assert_eq!(field_names(&errors), ["contact.phone"], "{errors:#?}");
}

#[test]
fn round_the_clock_handling_with_a_phone_is_accepted() {
    let s = parsed(&body_with(json!({"handling": "24x7"})));
    assert_eq!(s.handling, Handling::TwentyFourSeven);
    assert!(s.contact.phone.is_some());
    assert_eq!(check(&s, Some(&current_product()), now()), Ok(()));
}

#[test]
fn severity_a_without_a_phone_parses_but_is_refused_by_the_check() {
    let b = body_with(json!({"severity": "A", "handling": "24x7", "contact": {"phone": null}}));
    let s =
        Submission::parse(&b).expect("not a 400: the stronger severity_a_requires_24x7 answers");
    assert_eq!(s.contact.phone, None);
    assert_eq!(
        check(&s, Some(&current_product()), now()),
        Err(Refusal::SeverityARequires24x7)
    );
}

// ---------------------------------------------------------------------------------------------
// check: severity A
// ---------------------------------------------------------------------------------------------

#[test]
fn severity_a_with_business_hours_handling_requires_24x7() {
    let with_phone = submission(
        Severity::A,
        Handling::BusinessHours,
        Some("+48 22 123 45 67"),
    );
    assert_eq!(
        check(&with_phone, Some(&current_product()), now()),
        Err(Refusal::SeverityARequires24x7)
    );
    let without_phone = submission(Severity::A, Handling::BusinessHours, None);
    assert_eq!(
        check(&without_phone, Some(&current_product()), now()),
        Err(Refusal::SeverityARequires24x7)
    );
}

#[test]
fn severity_a_with_24x7_handling_and_a_phone_is_accepted() {
    let s = submission(
        Severity::A,
        Handling::TwentyFourSeven,
        Some("+48 22 123 45 67"),
    );
    assert_eq!(check(&s, Some(&current_product()), now()), Ok(()));
}

#[test]
fn severities_b_and_c_may_use_business_hours() {
    for severity in [Severity::B, Severity::C] {
        let s = submission(severity, Handling::BusinessHours, None);
        assert_eq!(
            check(&s, Some(&current_product()), now()),
            Ok(()),
            "{severity}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// check: exclusions (S5, S6)
// ---------------------------------------------------------------------------------------------

#[test]
fn each_excluded_category_is_out_of_scope_with_its_redirect() {
    for category in EXCLUDED {
        let redirect = category
            .redirect()
            .unwrap_or_else(|| panic!("{category} must redirect"));
        assert!(redirect.trim().len() > 20, "{category}: {redirect:?}");
        assert_eq!(
            check(&in_category(category), Some(&current_product()), now()),
            Err(Refusal::OutOfScope {
                exclusion: category,
                redirect
            }),
            "{category}"
        );
    }
}

#[test]
fn each_excluded_category_has_its_own_redirect() {
    let mut redirects: Vec<&str> = EXCLUDED.iter().filter_map(|c| c.redirect()).collect();
    redirects.sort_unstable();
    redirects.dedup();
    assert_eq!(redirects.len(), EXCLUDED.len());
}

#[test]
fn a_billing_question_is_sent_to_the_account_site() {
    let redirect = Category::BillingQuestion.redirect().expect("a redirect");
    assert!(redirect.contains("account site"), "{redirect}");
}

#[test]
fn developer_support_mentions_microsoft_graph() {
    let redirect = Category::DeveloperSupport.redirect().expect("a redirect");
    assert!(redirect.contains("Microsoft Graph"), "{redirect}");
}

#[test]
fn only_the_six_excluded_categories_redirect_and_every_other_one_is_accepted() {
    let redirecting: Vec<Category> = Category::ALL
        .iter()
        .copied()
        .filter(|c| c.redirect().is_some())
        .collect();
    assert_eq!(redirecting, EXCLUDED);
    for category in Category::ALL
        .iter()
        .copied()
        .filter(|c| !EXCLUDED.contains(c))
    {
        assert_eq!(
            check(&in_category(category), Some(&current_product()), now()),
            Ok(()),
            "{category}"
        );
    }
    assert_eq!(Category::ALL.len(), 14);
}

#[test]
fn an_excluded_category_parses_and_is_refused_by_the_check_not_as_a_bad_request() {
    let s = parsed(&body_with(json!({"category": "billing_question"})));
    assert!(matches!(
        check(&s, Some(&current_product()), now()),
        Err(Refusal::OutOfScope {
            exclusion: Category::BillingQuestion,
            ..
        })
    ));
}

// ---------------------------------------------------------------------------------------------
// check: lifecycle (S4)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_product_past_extended_support_is_out_of_lifecycle_naming_the_end_date() {
    let s = parsed(&body());
    assert_eq!(
        check(&s, Some(&ended_product()), now()),
        Err(Refusal::ProductOutOfLifecycle {
            support_ended_on: "2023-10-10".into()
        })
    );
}

#[test]
fn a_product_without_extended_support_names_the_end_of_mainstream() {
    let s = parsed(&body());
    assert_eq!(
        check(&s, Some(&product("2024-01-09", None)), now()),
        Err(Refusal::ProductOutOfLifecycle {
            support_ended_on: "2024-01-09".into()
        })
    );
}

#[test]
fn a_product_in_extended_support_is_accepted() {
    let s = parsed(&body());
    assert_eq!(
        extended_product().phase(now().date_naive()),
        Phase::Extended
    );
    assert_eq!(check(&s, Some(&extended_product()), now()), Ok(()));
}

#[test]
fn the_last_day_of_extended_support_is_still_eligible_and_the_next_is_not() {
    let s = parsed(&body());
    let p = ended_product();
    assert_eq!(check(&s, Some(&p), at("2023-10-10T23:59:59Z")), Ok(()));
    assert_eq!(
        check(&s, Some(&p), at("2023-10-11T00:00:00Z")),
        Err(Refusal::ProductOutOfLifecycle {
            support_ended_on: "2023-10-10".into()
        })
    );
}

#[test]
fn an_unknown_product_is_refused() {
    assert_eq!(
        check(&parsed(&body()), None, now()),
        Err(Refusal::UnknownProduct)
    );
}

// ---------------------------------------------------------------------------------------------
// check: order
// ---------------------------------------------------------------------------------------------

#[test]
fn exclusion_is_checked_before_lifecycle() {
    let s = in_category(Category::CustomCode);
    assert!(matches!(
        check(&s, Some(&ended_product()), now()),
        Err(Refusal::OutOfScope {
            exclusion: Category::CustomCode,
            ..
        })
    ));
}

#[test]
fn exclusion_is_checked_before_the_product_is_looked_up() {
    let s = in_category(Category::FeatureRequest);
    assert!(matches!(
        check(&s, None, now()),
        Err(Refusal::OutOfScope {
            exclusion: Category::FeatureRequest,
            ..
        })
    ));
}

#[test]
fn lifecycle_is_checked_before_severity_a() {
    let s = submission(Severity::A, Handling::BusinessHours, None);
    assert!(matches!(
        check(&s, Some(&ended_product()), now()),
        Err(Refusal::ProductOutOfLifecycle { .. })
    ));
}

#[test]
fn exclusion_is_checked_before_severity_a() {
    let s = Submission {
        category: Category::OnsiteSupport,
        ..submission(Severity::A, Handling::BusinessHours, None)
    };
    assert!(matches!(
        check(&s, Some(&current_product()), now()),
        Err(Refusal::OutOfScope { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// new_incident
// ---------------------------------------------------------------------------------------------

fn creation<'a>(parent: Option<&str>) -> NewIncident<'a> {
    NewIncident {
        incident_id: "inc-7".into(),
        account_id: Box::leak(Box::new("acct-owner".into())),
        pack_id: Box::leak(Box::new("pack-1".into())),
        parent_incident_id: parent.map(Into::into),
        first_response_warn_at: at("2026-11-25T13:00:00Z"),
        first_response_due_at: at("2026-11-25T14:00:00Z"),
        now: now(),
        number: "K7M-4QX9".into(),
        actor_display_name: Some("Ada".into()),
    }
}

#[test]
fn a_new_incident_awaits_a_response_with_the_clock_running_and_the_unit_consumed() {
    let s = parsed(&body());
    let (incident, event) = new_incident(&s, creation(None));
    assert_eq!(incident.incident_id, "inc-7");
    assert_eq!(incident.account_id, "acct-owner");
    assert_eq!(incident.pack_id, "pack-1");
    assert_eq!(incident.parent_incident_id, None);
    assert_eq!(incident.status, IncidentStatus::AwaitingResponse);
    assert_eq!(incident.sla, SlaOutcome::Pending);
    assert_eq!(incident.charge, Charge::Consumed);
    assert!(!incident.charge_decided);
    assert_eq!(incident.created_at, now());
    assert_eq!(incident.first_response_warn_at, at("2026-11-25T13:00:00Z"));
    assert_eq!(incident.first_response_due_at, at("2026-11-25T14:00:00Z"));
    assert_eq!(incident.sla_warned_at, None);
    assert_eq!(incident.first_responded_at, None);
    assert_eq!(incident.closed_at, None);
    assert_eq!(incident.scope, None);
    assert!(incident.awaiting_response() && incident.sla_clock_running());
    // The submission's own fields are carried over unchanged.
    assert_eq!(incident.product_id, s.product_id);
    assert_eq!(incident.category, s.category);
    assert_eq!(incident.severity, s.severity);
    assert_eq!(incident.handling, s.handling);
    assert_eq!(incident.calendar, s.calendar);
    assert_eq!(incident.title, s.title);
    assert_eq!(incident.description, s.description);
    assert_eq!(incident.contact, s.contact);

    assert_eq!(event.kind(), EventKind::Submitted);
    assert_eq!(event.at, now());
    assert_eq!(event.actor_account_id, "acct-owner");
    assert_eq!(event.wire().get("pack_id"), Some(&json!("pack-1")));
    assert_eq!(event.wire().get("severity"), Some(&json!("B")));
    assert_eq!(event.wire().get("parent_incident_id"), Some(&Value::Null));
}

#[test]
fn a_sub_problem_incident_names_its_parent() {
    let (incident, event) = new_incident(&parsed(&body()), creation(Some("inc-1")));
    assert_eq!(incident.parent_incident_id.as_deref(), Some("inc-1"));
    assert_eq!(
        event.wire().get("parent_incident_id"),
        Some(&json!("inc-1"))
    );
}

#[test]
fn the_contact_language_defaults_by_calendar_and_is_kept_when_given() {
    let language = |overrides: Value| parsed(&body_with(overrides)).contact.language;
    assert_eq!(language(json!({"calendar": "PL"})), Some(Language::Pl));
    assert_eq!(language(json!({"calendar": "UK"})), Some(Language::En));
    assert_eq!(language(json!({"calendar": null})), Some(Language::Pl));
    let mut b = body_with(json!({"calendar": "PL"}));
    b["contact"]["language"] = json!("en");
    assert_eq!(parsed(&b).contact.language, Some(Language::En));
    b["calendar"] = json!("US");
    b["contact"]["language"] = json!("pl");
    assert_eq!(parsed(&b).contact.language, Some(Language::Pl));
}

#[test]
fn an_unknown_contact_language_is_named() {
    let mut b = body_with(json!({}));
    b["contact"]["language"] = json!("de");
    let errors = Submission::parse(&b).expect_err("refused");
    assert!(
        errors
            .iter()
            .any(|e| e.field == "contact.language" && e.message.contains("pl, en")),
        "{errors:?}"
    );
}
