//! Holiday lists, hand-checked against the official lists (gov.pl, opm.gov, gov.uk).

use super::{at, date, pl, uk, us};
use crate::calendar::rules::easter_sunday;
use crate::calendar::{BusinessCalendar, Holiday};
use crate::time::format_date;

fn listed(calendar: &BusinessCalendar, year: i32) -> Vec<(String, String)> {
    calendar
        .holidays(year)
        .into_iter()
        .map(|Holiday { date, name }| (format_date(date), name))
        .collect()
}

fn expected(rows: &[(&str, &str)]) -> Vec<(String, String)> {
    rows.iter()
        .map(|&(date, name)| (date.to_string(), name.to_string()))
        .collect()
}

#[test]
fn easter_sunday_follows_the_gregorian_computus() {
    for (year, easter) in [
        (1818, "1818-03-22"),
        (1943, "1943-04-25"),
        (2000, "2000-04-23"),
        (2024, "2024-03-31"),
        (2025, "2025-04-20"),
        (2026, "2026-04-05"),
        (2027, "2027-03-28"),
        (2028, "2028-04-16"),
        (2029, "2029-04-01"),
        (2030, "2030-04-21"),
        (2038, "2038-04-25"),
        (2285, "2285-03-22"),
    ] {
        assert_eq!(easter_sunday(year), Some(date(easter)), "Easter {year}");
    }
    assert_eq!(easter_sunday(1500), None);
}

#[test]
fn polish_holidays_2026_are_the_fourteen_statutory_days_off() {
    assert_eq!(
        listed(pl(), 2026),
        expected(&[
            ("2026-01-01", "New Year's Day"),
            ("2026-01-06", "Epiphany"),
            ("2026-04-05", "Easter Sunday"),
            ("2026-04-06", "Easter Monday"),
            ("2026-05-01", "Labour Day"),
            ("2026-05-03", "Constitution Day"),
            ("2026-05-24", "Pentecost Sunday"),
            ("2026-06-04", "Corpus Christi"),
            ("2026-08-15", "Assumption of Mary"),
            ("2026-11-01", "All Saints' Day"),
            ("2026-11-11", "National Independence Day"),
            ("2026-12-24", "Christmas Eve"),
            ("2026-12-25", "Christmas Day"),
            ("2026-12-26", "Second Day of Christmas"),
        ])
    );
}

#[test]
fn polish_christmas_eve_is_a_holiday_only_from_2025_and_nothing_is_shifted_off_weekends() {
    let dates_2024: Vec<String> = listed(pl(), 2024).into_iter().map(|(d, _)| d).collect();
    assert!(!dates_2024.contains(&"2024-12-24".to_string()));
    assert_eq!(dates_2024.len(), 13);
    // 2027: 1 May and 25/26 Dec fall on Saturday/Sunday and stay there.
    let dates_2027: Vec<String> = listed(pl(), 2027).into_iter().map(|(d, _)| d).collect();
    for day in ["2027-05-01", "2027-12-24", "2027-12-25", "2027-12-26"] {
        assert!(dates_2027.contains(&day.to_string()), "{day}");
    }
    assert!(!dates_2027.contains(&"2027-12-27".to_string()));
}

#[test]
fn us_federal_holidays_2026_move_independence_day_to_friday_3_july() {
    assert_eq!(
        listed(us(), 2026),
        expected(&[
            ("2026-01-01", "New Year's Day"),
            ("2026-01-19", "Birthday of Martin Luther King, Jr."),
            ("2026-02-16", "Washington's Birthday"),
            ("2026-05-25", "Memorial Day"),
            ("2026-06-19", "Juneteenth National Independence Day"),
            ("2026-07-03", "Independence Day (observed)"),
            ("2026-09-07", "Labor Day"),
            ("2026-10-12", "Columbus Day"),
            ("2026-11-11", "Veterans Day"),
            ("2026-11-26", "Thanksgiving Day"),
            ("2026-12-25", "Christmas Day"),
        ])
    );
}

#[test]
fn us_federal_holidays_2021_include_the_observed_new_year_of_2022_and_the_first_juneteenth() {
    assert_eq!(
        listed(us(), 2021),
        expected(&[
            ("2021-01-01", "New Year's Day"),
            ("2021-01-18", "Birthday of Martin Luther King, Jr."),
            ("2021-02-15", "Washington's Birthday"),
            ("2021-05-31", "Memorial Day"),
            (
                "2021-06-18",
                "Juneteenth National Independence Day (observed)"
            ),
            ("2021-07-05", "Independence Day (observed)"),
            ("2021-09-06", "Labor Day"),
            ("2021-10-11", "Columbus Day"),
            ("2021-11-11", "Veterans Day"),
            ("2021-11-25", "Thanksgiving Day"),
            ("2021-12-24", "Christmas Day (observed)"),
            ("2021-12-31", "New Year's Day (observed)"),
        ])
    );
    assert!(!listed(us(), 2020)
        .iter()
        .any(|(_, name)| name.starts_with("Juneteenth")));
}

#[test]
fn us_new_year_2028_on_a_saturday_is_observed_in_2027_and_not_listed_in_2028() {
    let in_2027 = listed(us(), 2027);
    assert!(in_2027.contains(&("2027-12-24".into(), "Christmas Day (observed)".into())));
    assert_eq!(
        in_2027.last(),
        Some(&("2027-12-31".into(), "New Year's Day (observed)".into()))
    );
    let in_2028 = listed(us(), 2028);
    assert_eq!(
        in_2028.first(),
        Some(&(
            "2028-01-17".into(),
            "Birthday of Martin Luther King, Jr.".into()
        ))
    );
}

#[test]
fn uk_bank_holidays_2026_give_boxing_day_a_substitute_on_monday_28_december() {
    assert_eq!(
        listed(uk(), 2026),
        expected(&[
            ("2026-01-01", "New Year's Day"),
            ("2026-04-03", "Good Friday"),
            ("2026-04-06", "Easter Monday"),
            ("2026-05-04", "Early May bank holiday"),
            ("2026-05-25", "Spring bank holiday"),
            ("2026-08-31", "Summer bank holiday"),
            ("2026-12-25", "Christmas Day"),
            ("2026-12-28", "Boxing Day (substitute day)"),
        ])
    );
}

#[test]
fn uk_bank_holidays_2027_substitute_christmas_on_monday_27_and_boxing_day_on_tuesday_28() {
    assert_eq!(
        listed(uk(), 2027),
        expected(&[
            ("2027-01-01", "New Year's Day"),
            ("2027-03-26", "Good Friday"),
            ("2027-03-29", "Easter Monday"),
            ("2027-05-03", "Early May bank holiday"),
            ("2027-05-31", "Spring bank holiday"),
            ("2027-08-30", "Summer bank holiday"),
            ("2027-12-27", "Christmas Day (substitute day)"),
            ("2027-12-28", "Boxing Day (substitute day)"),
        ])
    );
    assert_eq!(
        listed(uk(), 2028).first(),
        Some(&(
            "2028-01-03".into(),
            "New Year's Day (substitute day)".into()
        ))
    );
}

#[test]
fn uk_bank_holidays_2022_substitute_a_sunday_christmas_on_tuesday_and_keep_the_one_off_days() {
    assert_eq!(
        listed(uk(), 2022),
        expected(&[
            ("2022-01-03", "New Year's Day (substitute day)"),
            ("2022-04-15", "Good Friday"),
            ("2022-04-18", "Easter Monday"),
            ("2022-05-02", "Early May bank holiday"),
            ("2022-06-02", "Spring bank holiday"),
            ("2022-06-03", "Platinum Jubilee bank holiday"),
            ("2022-08-29", "Summer bank holiday"),
            (
                "2022-09-19",
                "Bank Holiday for the State Funeral of Queen Elizabeth II"
            ),
            ("2022-12-26", "Boxing Day"),
            ("2022-12-27", "Christmas Day (substitute day)"),
        ])
    );
    let in_2020: Vec<String> = listed(uk(), 2020).into_iter().map(|(d, _)| d).collect();
    assert!(
        in_2020.contains(&"2020-05-08".to_string()) && !in_2020.contains(&"2020-05-04".to_string())
    );
}

#[test]
fn years_beyond_the_precomputed_range_follow_the_same_rules() {
    // 1 Jan 2203 is a Saturday: observed on Friday 31 Dec 2202.
    assert_eq!(
        listed(us(), 2202).last(),
        Some(&("2202-12-31".into(), "New Year's Day (observed)".into()))
    );
    assert!(!listed(us(), 2203).iter().any(|(d, _)| d == "2203-01-01"));
    // Thu 30 Dec 2202 12:00 EST: 5 h on Thursday, Friday observed, 3 h on Mon 3 Jan 2203.
    assert_eq!(
        us().add_business_minutes(at("2202-12-30T17:00:00Z"), 480),
        at("2203-01-03T17:00:00Z")
    );
    assert_eq!(listed(pl(), 2300).len(), 14);
    assert_eq!(
        listed(pl(), 2010).len(),
        12,
        "no Epiphany before 2011, no Christmas Eve before 2025"
    );
}

#[test]
fn the_calendar_view_lists_weekly_hours_and_the_requested_years_holidays() {
    let view = serde_json::to_value(pl().view(&[2026, 2027])).expect("serializes");
    assert_eq!(view["calendar"], "PL");
    assert_eq!(view["time_zone"], "Europe/Warsaw");
    let hours = view["weekly_hours"].as_array().expect("array");
    assert_eq!(hours.len(), 5);
    assert_eq!(
        hours[0],
        serde_json::json!({"day": "monday", "open": "09:00", "close": "17:00"})
    );
    assert_eq!(hours[4]["day"], "friday");
    let holidays = view["holidays"].as_array().expect("array");
    assert_eq!(holidays.len(), 28);
    assert_eq!(
        holidays[0],
        serde_json::json!({"date": "2026-01-01", "name": "New Year's Day"})
    );
    assert_eq!(holidays[27]["date"], "2027-12-26");
}
