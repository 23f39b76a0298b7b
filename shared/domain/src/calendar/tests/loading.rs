//! Loading and validating calendar files.

use super::at;
use crate::calendar::{CalendarError, Calendars};
use crate::CalendarId;

/// One calendar object as it appears in a file; `hours` and `holidays` are array bodies.
pub(super) fn calendar_json(id: &str, zone: &str, hours: &[&str], holidays: &[&str]) -> String {
    let hours = hours
        .iter()
        .map(|h| format!("        {h}"))
        .collect::<Vec<_>>()
        .join(",\n");
    let holidays = holidays
        .iter()
        .map(|h| format!("        {h}"))
        .collect::<Vec<_>>()
        .join(",\n");
    format!(
        "    \"{id}\": {{\n      \"time_zone\": \"{zone}\",\n      \"weekly_hours\": [\n{hours}\n      ],\n      \"holidays\": [\n{holidays}\n      ]\n    }}"
    )
}

pub(super) fn file(calendars: &[String]) -> String {
    format!(
        "{{\n  \"calendars\": {{\n{}\n  }}\n}}\n",
        calendars.join(",\n")
    )
}

const WEEKDAYS_9_TO_5: &str = r#"{ "days": ["monday", "tuesday", "wednesday", "thursday", "friday"], "open": "09:00", "close": "17:00" }"#;

fn good_calendars() -> Vec<String> {
    vec![
        calendar_json(
            "PL",
            "Europe/Warsaw",
            &[WEEKDAYS_9_TO_5],
            &[r#"{ "name": "Christmas Day", "fixed": "12-25" }"#],
        ),
        calendar_json("US", "America/New_York", &[WEEKDAYS_9_TO_5], &[]),
        calendar_json("UK", "Europe/London", &[WEEKDAYS_9_TO_5], &[]),
    ]
}

/// The 1-based line of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .map(|index| index + 1)
        .expect("needle in text")
}

fn refused(text: &str) -> (CalendarError, String) {
    let error = Calendars::from_json(text).expect_err("the file is refused");
    let message = error.to_string();
    (error, message)
}

fn line(error: &CalendarError) -> usize {
    match error {
        CalendarError::Parse { line, .. } => *line,
        CalendarError::Invalid { message } => panic!("expected a line number, got {message}"),
    }
}

#[test]
fn a_minimal_well_formed_file_loads() {
    let calendars = Calendars::from_json(&file(&good_calendars())).expect("loads");
    assert_eq!(
        calendars.get(CalendarId::Us).time_zone_name(),
        "America/New_York"
    );
}

#[test]
fn malformed_json_is_refused_with_the_line_of_the_mistake() {
    let text = file(&good_calendars()).replace("\"Europe/Warsaw\",", "\"Europe/Warsaw\"");
    let (error, message) = refused(&text);
    let expected = line_of(&text, "\"weekly_hours\"");
    assert_eq!(line(&error), expected, "{message}");
    assert!(message.contains(&format!("line {expected}")), "{message}");
}

#[test]
fn a_file_missing_a_calendar_is_refused_naming_it() {
    let mut calendars = good_calendars();
    calendars.pop();
    let (_, message) = refused(&file(&calendars));
    assert!(message.contains("missing calendar(s): UK"), "{message}");
}

#[test]
fn a_calendar_defined_twice_or_unknown_is_refused() {
    let mut calendars = good_calendars();
    calendars.push(calendar_json(
        "PL",
        "Europe/Warsaw",
        &[WEEKDAYS_9_TO_5],
        &[],
    ));
    let text = file(&calendars);
    let (error, message) = refused(&text);
    let second_pl = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains("\"PL\": {"))
        .map(|(index, _)| index + 1)
        .last()
        .expect("a PL calendar");
    assert_eq!(line(&error), second_pl, "{message}");
    assert!(
        message.contains("calendars: duplicate field `PL`"),
        "{message}"
    );
    let mut calendars = good_calendars();
    calendars.push(calendar_json(
        "DE",
        "Europe/Berlin",
        &[WEEKDAYS_9_TO_5],
        &[],
    ));
    let text = file(&calendars);
    let (error, message) = refused(&text);
    assert_eq!(line(&error), line_of(&text, "\"DE\""), "{message}");
    assert!(
        message.contains("calendars: unknown field `DE`, expected one of `PL`, `US`, `UK`"),
        "{message}"
    );
}

#[test]
fn an_unknown_time_zone_is_refused_naming_the_calendar_and_the_line() {
    let mut calendars = good_calendars();
    calendars[1] = calendar_json("US", "Mars/Olympus_Mons", &[WEEKDAYS_9_TO_5], &[]);
    let text = file(&calendars);
    let (error, message) = refused(&text);
    assert_eq!(
        line(&error),
        line_of(&text, "Mars/Olympus_Mons"),
        "{message}"
    );
    assert!(
        message.contains("calendar US: unknown time zone \"Mars/Olympus_Mons\""),
        "{message}"
    );
}

#[test]
fn an_opening_interval_that_does_not_open_before_it_closes_is_refused() {
    for hours in [
        r#"{ "days": ["monday"], "open": "17:00", "close": "09:00" }"#,
        r#"{ "days": ["monday"], "open": "09:00", "close": "09:00" }"#,
    ] {
        let mut calendars = good_calendars();
        calendars[2] = calendar_json("UK", "Europe/London", &[WEEKDAYS_9_TO_5, hours], &[]);
        let text = file(&calendars);
        let (error, message) = refused(&text);
        assert_eq!(line(&error), line_of(&text, hours), "{message}");
        assert!(
            message.contains("calendar UK, weekly_hours entry 2"),
            "{message}"
        );
        assert!(message.contains("open must be before close"), "{message}");
    }
}

#[test]
fn overlapping_bad_or_missing_opening_hours_are_refused() {
    for (hours, complaint) in [
        (
            r#"{ "days": ["friday"], "open": "16:00", "close": "18:00" }"#,
            "overlaps friday 09:00-17:00",
        ),
        (
            r#"{ "days": ["friday"], "open": "9:00", "close": "18:00" }"#,
            "is not a time of day",
        ),
        (
            r#"{ "days": ["friday"], "open": "24:00", "close": "24:00" }"#,
            "is not a time of day",
        ),
        (
            r#"{ "days": ["fryday"], "open": "18:00", "close": "19:00" }"#,
            "\"fryday\" is not a day",
        ),
        (
            r#"{ "days": ["friday"], "open": "18:00" }"#,
            "calendar PL, weekly_hours entry 2: missing field `close`",
        ),
    ] {
        let mut calendars = good_calendars();
        calendars[0] = calendar_json("PL", "Europe/Warsaw", &[WEEKDAYS_9_TO_5, hours], &[]);
        let (_, message) = refused(&file(&calendars));
        assert!(message.contains(complaint), "{complaint}: {message}");
    }
    let mut calendars = good_calendars();
    calendars[0] = calendar_json("PL", "Europe/Warsaw", &[], &[]);
    assert!(refused(&file(&calendars))
        .1
        .contains("calendar PL: weekly_hours opens on no day"));
}

#[test]
fn a_bad_holiday_rule_is_refused_naming_the_calendar_the_rule_and_the_line() {
    for (rule, complaint) in [
        (
            r#"{ "name": "Boxing Day", "fixed": "13-26" }"#,
            "is not a month and day",
        ),
        (
            r#"{ "name": "Boxing Day", "fixed": "12-26", "observed": "sometimes" }"#,
            "\"observed\" \"sometimes\" is unknown",
        ),
        (
            r#"{ "name": "Boxing Day", "fixed": "12-26", "easter": 1 }"#,
            "exactly one of",
        ),
        (
            r#"{ "name": "Boxing Day", "weekday": "monday", "month": 5, "nth": 6 }"#,
            "\"nth\" must be 1 to 5 or \"last\"",
        ),
        (
            r#"{ "name": "Boxing Day", "fixed": "12-26", "from": 2030, "to": 2020 }"#,
            "\"from\" 2030 is after \"to\" 2020",
        ),
        (
            r#"{ "name": "Boxing Day", "fixed": "12-26", "colour": "red" }"#,
            "unknown field `colour`",
        ),
    ] {
        let mut calendars = good_calendars();
        calendars[0] = calendar_json(
            "PL",
            "Europe/Warsaw",
            &[WEEKDAYS_9_TO_5],
            &[r#"{ "name": "Christmas Day", "fixed": "12-25" }"#, rule],
        );
        let text = file(&calendars);
        let (error, message) = refused(&text);
        assert_eq!(line(&error), line_of(&text, rule), "{message}");
        assert!(
            message.contains("calendar PL, holiday \"Boxing Day\""),
            "{message}"
        );
        assert!(message.contains(complaint), "{complaint}: {message}");
    }
}

#[test]
fn the_shipped_calendars_load_once_with_every_calendar_id() {
    let shipped = Calendars::shipped().expect("the shipped calendars load");
    assert!(std::ptr::eq(shipped, Calendars::shipped().expect("loads")));
    let ids: Vec<CalendarId> = shipped.all().map(|calendar| calendar.id()).collect();
    assert_eq!(ids, CalendarId::ALL);
    let zones: Vec<&str> = shipped
        .all()
        .map(|calendar| calendar.time_zone_name())
        .collect();
    assert_eq!(
        zones,
        ["Europe/Warsaw", "America/New_York", "Europe/London"]
    );
    for &id in CalendarId::ALL {
        assert_eq!(shipped.get(id).id(), id);
    }
}

#[test]
fn a_calendar_whose_holidays_cover_every_opening_day_gives_up_ten_years_on() {
    let mondays: Vec<String> = (1..=12)
        .flat_map(|month| {
            (1..=5).map(move |nth| format!(r#"{{ "name": "Monday {nth}/{month}", "weekday": "monday", "month": {month}, "nth": {nth} }}"#))
        })
        .collect();
    let mondays: Vec<&str> = mondays.iter().map(String::as_str).collect();
    let mut calendars = good_calendars();
    calendars[1] = calendar_json(
        "US",
        "America/New_York",
        &[r#"{ "days": ["monday"], "open": "09:00", "close": "17:00" }"#],
        &mondays,
    );
    let calendars = Calendars::from_json(&file(&calendars)).expect("loads");
    let from = at("2026-06-15T13:00:00Z");
    assert_eq!(
        calendars.get(CalendarId::Us).add_business_minutes(from, 1),
        from + chrono::TimeDelta::days(3653)
    );
}

/// The build keeps only some zones of the tz database (`.cargo/config.toml`; chrono-tz also keeps
/// their aliases and the fixed `Etc/*` zones): every zone a shipped calendar names must be among
/// them, and a zone nothing uses must not be.
#[test]
fn every_shipped_zone_is_compiled_in() {
    let calendars = Calendars::shipped().expect("the shipped calendars load");
    let compiled: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
    for name in calendars.all().map(|c| c.time_zone_name()) {
        assert!(
            compiled.contains(&name),
            "the build left out {name}: add it to CHRONO_TZ_TIMEZONE_FILTER in .cargo/config.toml"
        );
    }
    assert!(
        !compiled.contains(&"Asia/Tokyo"),
        "the zone filter is off: the whole tz database is compiled in"
    );
    assert!(compiled.len() < 100, "{} zones compiled in", compiled.len());
}

/// Entries are read on their own, but errors are placed in the whole file: serde_json's line and
/// column, counted from the start of the file.
#[test]
fn an_error_inside_an_entry_carries_its_line_and_column_in_the_file() {
    let rule = r#"{ "name": "Boxing Day", "fixed": "12-26", "colour": "red" }"#;
    let mut calendars = good_calendars();
    calendars[1] = calendar_json("US", "America/New_York", &[WEEKDAYS_9_TO_5], &[rule]);
    let text = file(&calendars);
    let (error, message) = refused(&text);
    let line_number = line_of(&text, rule);
    let key_end = text
        .lines()
        .nth(line_number - 1)
        .expect("line")
        .find("\"colour\"")
        .expect("key")
        + "\"colour\"".len();
    assert_eq!(
        error,
        CalendarError::Parse {
            line: line_number,
            column: key_end,
            message:
                "calendar US, holiday \"Boxing Day\": unknown field `colour`, expected one of \
                      `name`, `fixed`, `date`, `easter`, `weekday`, `month`, `nth`, `observed`, \
                      `from`, `to`"
                    .into(),
        },
        "{message}"
    );

    let rule = "{\n          \"name\": \"Boxing Day\",\n          \"easter\": \"one\"\n        }";
    let mut calendars = good_calendars();
    calendars[2] = calendar_json("UK", "Europe/London", &[WEEKDAYS_9_TO_5], &[rule]);
    let text = file(&calendars);
    let (error, message) = refused(&text);
    assert_eq!(line(&error), line_of(&text, "\"one\""), "{message}");
    assert!(
        message.contains("calendar UK, holiday \"Boxing Day\": invalid type: string \"one\""),
        "{message}"
    );
}

#[test]
fn null_is_not_an_absent_field() {
    let rule = r#"{ "name": "Boxing Day", "fixed": "12-26", "easter": null }"#;
    let mut calendars = good_calendars();
    calendars[0] = calendar_json(
        "PL",
        "Europe/Warsaw",
        &[WEEKDAYS_9_TO_5],
        &[r#"{ "name": "Christmas Day", "fixed": "12-25" }"#, rule],
    );
    let text = file(&calendars);
    let (error, message) = refused(&text);
    assert_eq!(line(&error), line_of(&text, rule), "{message}");
    assert!(
        message.contains("calendar PL, holiday \"Boxing Day\": invalid type: null"),
        "{message}"
    );
    let mut calendars = good_calendars();
    calendars[1] = calendars[1].replace("\"holidays\": [\n\n      ]", "\"holidays\": null");
    let (_, message) = refused(&file(&calendars));
    assert!(
        message.contains("calendar US: invalid type: null"),
        "{message}"
    );
}
