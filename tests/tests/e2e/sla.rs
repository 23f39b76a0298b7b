//! `GET /sla/quote` and `GET /calendars`: the same computation that fixes deadlines at intake.

use e2e::*;

async fn quote(query: &str) -> Answer {
    get(&format!("/sla/quote?{query}"))
        .token(&User::customer())
        .send()
        .await
}

#[tokio::test]
async fn a_c_quote_before_polish_christmas_skips_the_holidays_and_the_weekend() {
    // Wed 23 Dec 2026 16:00 in Warsaw: one hour that day, then 24–27 Dec are closed.
    let a = quote("severity=C&calendar=PL&at=2026-12-23T15:00:00Z")
        .await
        .expect(200);
    assert_eq!(a.body["first_response_due_at"], "2026-12-28T15:00:00Z");
    assert_eq!(a.body["business_minutes"], 480);
    assert_eq!(a.body["from"], "2026-12-23T15:00:00Z");
    assert_eq!(
        (a.body["severity"].as_str(), a.body["calendar"].as_str()),
        (Some("C"), Some("PL"))
    );
}

#[tokio::test]
async fn a_b_quote_in_new_york_counts_four_business_hours() {
    // Fri 3 Jul 2026 is the observed Independence Day: Thursday 16:00 EDT → Monday 12:00 EDT.
    let a = quote("severity=B&calendar=US&at=2026-07-02T20:00:00Z")
        .await
        .expect(200);
    assert_eq!(a.body["first_response_due_at"], "2026-07-06T16:00:00Z");
    assert_eq!(a.body["business_minutes"], 240);
}

#[tokio::test]
async fn an_a_quote_is_two_wall_clock_hours_with_no_business_minutes() {
    let a = quote("severity=A&calendar=UK&at=2026-12-26T23:00:00Z")
        .await
        .expect(200);
    assert_eq!(a.body["first_response_due_at"], "2026-12-27T01:00:00Z");
    assert!(a.body["business_minutes"].is_null());
}

#[tokio::test]
async fn a_quote_without_at_starts_now() {
    let a = quote("severity=B&calendar=PL").await.expect(200);
    let from = chrono::DateTime::parse_from_rfc3339(a.body["from"].as_str().expect("from"))
        .expect("instant");
    assert!(
        (chrono::Utc::now() - from.with_timezone(&chrono::Utc))
            .num_seconds()
            .abs()
            < 60
    );
}

#[tokio::test]
async fn bad_quote_parameters_are_400_naming_each() {
    let a = quote("severity=D&calendar=DE&at=yesterday")
        .await
        .expect_problem(400, "invalid_request");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, ["at", "calendar", "severity"]);
    let a = quote("").await.expect_problem(400, "invalid_request");
    let mut fields = a.error_fields();
    fields.sort();
    assert_eq!(fields, ["calendar", "severity"]);
}

#[tokio::test]
async fn calendars_list_zone_hours_and_holidays_of_this_year_and_next() {
    let a = get("/calendars")
        .token(&User::customer())
        .send()
        .await
        .expect(200);
    let items = a.body["items"].as_array().expect("items");
    let ids: Vec<_> = items
        .iter()
        .map(|c| c["calendar"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["PL", "US", "UK"]);
    let pl = &items[0];
    assert_eq!(pl["time_zone"], "Europe/Warsaw");
    assert_eq!(pl["weekly_hours"].as_array().map(Vec::len), Some(5));
    let year = chrono::Datelike::year(&chrono::Utc::now());
    let holidays = pl["holidays"].as_array().expect("holidays");
    assert!(holidays
        .iter()
        .any(|h| h["date"] == format!("{year}-12-24")));
    assert!(holidays
        .iter()
        .any(|h| h["date"] == format!("{}-12-24", year + 1)));
    assert!(holidays
        .iter()
        .all(|h| h["name"].as_str().is_some_and(|n| !n.is_empty())));
}
