//! The interval walk against a deliberately naive reference: step UTC minute by minute; a minute
//! counts if its start instant, converted to local time, lies within an opening interval of a
//! non-holiday local date.

use super::loading::{calendar_json, file};
use super::{pl, uk, us};
use crate::calendar::{first_response_due, first_response_warn, BusinessCalendar, Calendars};
use crate::time::{format_instant, Instant};
use crate::{CalendarId, Severity};
use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;

const FIRST_YEAR: i32 = 2025;
const LAST_YEAR: i32 = 2030;
const SAMPLES_PER_CALENDAR: usize = 1000;

struct Reference {
    zone: Tz,
    /// Opening intervals per weekday (Monday first), minutes past local midnight.
    hours: Vec<Vec<(u32, u32)>>,
    holidays: HashSet<NaiveDate>,
}

fn minutes(hhmm: &str) -> u32 {
    let (h, m) = hhmm.split_once(':').expect("HH:MM");
    h.parse::<u32>().expect("hour") * 60 + m.parse::<u32>().expect("minute")
}

impl Reference {
    fn of(calendar: &BusinessCalendar) -> Self {
        let view = calendar.view(&[]);
        let days = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ];
        let hours = days
            .iter()
            .map(|day| {
                view.weekly_hours
                    .iter()
                    .filter(|h| h.day == *day)
                    .map(|h| (minutes(&h.open), minutes(&h.close)))
                    .collect()
            })
            .collect();
        let holidays = (FIRST_YEAR - 1..=LAST_YEAR + 2)
            .flat_map(|year| calendar.holidays(year))
            .map(|h| h.date)
            .collect();
        Reference {
            zone: calendar.time_zone_name().parse().expect("zone"),
            hours,
            holidays,
        }
    }

    fn counts(&self, minute_start: Instant) -> bool {
        let local = minute_start.with_timezone(&self.zone).naive_local();
        if self.holidays.contains(&local.date()) {
            return false;
        }
        let minute = local.hour() * 60 + local.minute();
        self.hours[local.weekday().num_days_from_monday() as usize]
            .iter()
            .any(|&(open, close)| open <= minute && minute < close)
    }

    /// The end of the `target`-th counted minute from `from`, for each of the ascending `targets`.
    fn deadlines(&self, from: Instant, targets: &[u32]) -> Vec<Instant> {
        let mut found = Vec::with_capacity(targets.len());
        let (mut counted, mut minute) = (0, from);
        while found.len() < targets.len() {
            if self.counts(minute) {
                counted += 1;
                while targets.get(found.len()) == Some(&counted) {
                    found.push(minute + TimeDelta::minutes(1));
                }
            }
            minute += TimeDelta::minutes(1);
        }
        found
    }
}

fn utc_midnight(date: NaiveDate) -> Instant {
    date.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

/// Local dates (2025-2030) on which the zone's offset changes, plus the calendar's holidays:
/// the days around which mistakes would hide.
fn interesting_days(calendar: &BusinessCalendar, zone: Tz) -> Vec<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1).expect("date");
    let last = NaiveDate::from_ymd_opt(LAST_YEAR, 12, 31).expect("date");
    let offset = |day: NaiveDate| {
        zone.offset_from_utc_datetime(&(utc_midnight(day).naive_utc()))
            .fix()
    };
    let mut days: Vec<NaiveDate> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| d.succ_opt().is_some_and(|next| offset(*d) != offset(next)))
        .collect();
    days.extend(
        (FIRST_YEAR..=LAST_YEAR)
            .flat_map(|year| calendar.holidays(year))
            .map(|h| h.date),
    );
    days
}

/// Minute-aligned instants: two thirds uniform over 2025-2030, one third within days of an
/// interesting day.
fn sample_instants(rng: &mut StdRng, calendar: &BusinessCalendar, count: usize) -> Vec<Instant> {
    let zone: Tz = calendar.time_zone_name().parse().expect("zone");
    let hot = interesting_days(calendar, zone);
    let start = utc_midnight(NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1).expect("date"));
    let end = utc_midnight(NaiveDate::from_ymd_opt(LAST_YEAR + 1, 1, 1).expect("date"));
    let span = (end - start).num_minutes();
    (0..count)
        .map(|i| {
            if i % 3 == 0 && !hot.is_empty() {
                let day = hot[rng.random_range(0..hot.len())];
                utc_midnight(day) + TimeDelta::minutes(rng.random_range(-4 * 1440..2 * 1440))
            } else {
                start + TimeDelta::minutes(rng.random_range(0..span))
            }
        })
        .collect()
}

/// Compares B, C (deadlines and warnings), A's warning, a random count and `is_business_time` with the reference; returns disagreements.
fn disagreements(calendar: &BusinessCalendar, seed: u64, count: usize) -> Vec<String> {
    let reference = Reference::of(calendar);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut problems = Vec::new();
    for from in sample_instants(&mut rng, calendar, count) {
        let k = rng.random_range(1..=480);
        let mut targets = vec![k, 180, 240, 360, 480];
        targets.sort_unstable();
        targets.dedup();
        let expected = reference.deadlines(from, &targets);
        let expected_at = |n: u32| expected[targets.iter().position(|&t| t == n).expect("target")];
        let id = calendar.id();
        let mut check = |what: String, got: Instant, want: Instant| {
            if got != want {
                problems.push(format!(
                    "{id} {what} from {}: got {}, reference {}",
                    format_instant(from),
                    format_instant(got),
                    format_instant(want)
                ));
            }
        };
        check(
            "B".into(),
            first_response_due(calendar, Severity::B, from),
            expected_at(240),
        );
        check(
            "C".into(),
            first_response_due(calendar, Severity::C, from),
            expected_at(480),
        );
        check(
            "B warning".into(),
            first_response_warn(calendar, Severity::B, from),
            expected_at(180),
        );
        check(
            "C warning".into(),
            first_response_warn(calendar, Severity::C, from),
            expected_at(360),
        );
        check(
            "A warning".into(),
            first_response_warn(calendar, Severity::A, from),
            from + TimeDelta::minutes(90),
        );
        check(
            format!("{k} minutes"),
            calendar.add_business_minutes(from, k),
            expected_at(k),
        );
        if calendar.is_business_time(from) != reference.counts(from) {
            problems.push(format!(
                "{id} is_business_time({}) disagrees",
                format_instant(from)
            ));
        }
    }
    problems
}

fn assert_no_disagreements(problems: Vec<String>, checked: usize) {
    assert!(
        problems.is_empty(),
        "{} disagreement(s) in {checked} instants; first ones:\n{}",
        problems.len(),
        problems
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn polish_deadlines_match_the_minute_by_minute_reference_on_a_thousand_random_instants() {
    assert_no_disagreements(
        disagreements(pl(), 0x504c, SAMPLES_PER_CALENDAR),
        SAMPLES_PER_CALENDAR,
    );
}

#[test]
fn us_deadlines_match_the_minute_by_minute_reference_on_a_thousand_random_instants() {
    assert_no_disagreements(
        disagreements(us(), 0x5553, SAMPLES_PER_CALENDAR),
        SAMPLES_PER_CALENDAR,
    );
}

#[test]
fn uk_deadlines_match_the_minute_by_minute_reference_on_a_thousand_random_instants() {
    assert_no_disagreements(
        disagreements(uk(), 0x554b, SAMPLES_PER_CALENDAR),
        SAMPLES_PER_CALENDAR,
    );
}

/// Opening hours that DST changes cut through: Beirut and Santiago change at local midnight,
/// Warsaw at 02:00/03:00, and every day has intervals around those hours.
#[test]
fn opening_hours_cut_by_dst_changes_count_exactly_the_real_elapsed_time() {
    let night = [
        r#"{ "days": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], "open": "00:00", "close": "01:30" }"#,
        r#"{ "days": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], "open": "02:00", "close": "03:30" }"#,
        r#"{ "days": ["saturday", "sunday"], "open": "22:30", "close": "24:00" }"#,
        r#"{ "days": ["wednesday"], "open": "09:00", "close": "17:00" }"#,
    ];
    let text = file(&[
        calendar_json(
            "PL",
            "Asia/Beirut",
            &night,
            &[r#"{ "name": "Odd day", "fixed": "03-30" }"#],
        ),
        calendar_json("US", "America/Santiago", &night, &[]),
        calendar_json(
            "UK",
            "Europe/Warsaw",
            &night,
            &[r#"{ "name": "Odd day", "easter": 0 }"#],
        ),
    ]);
    let calendars = Calendars::from_json(&text).expect("loads");
    let mut problems = Vec::new();
    for (seed, &id) in CalendarId::ALL.iter().enumerate() {
        problems.extend(disagreements(calendars.get(id), seed as u64, 300));
    }
    assert_no_disagreements(problems, 900);
    // The spring-forward Sunday in Warsaw (29 Mar 2026, 02:00 CET -> 03:00 CEST) keeps only
    // 03:00-03:30 of its 02:00-03:30 interval: 01:00Z-01:30Z.
    let warsaw = calendars.get(CalendarId::Uk);
    let sunday_0130 = DateTime::<Utc>::from_naive_utc_and_offset(
        NaiveDate::from_ymd_opt(2026, 3, 29)
            .and_then(|d| d.and_hms_opt(0, 30, 0))
            .expect("instant"),
        Utc,
    );
    assert_eq!(
        warsaw.add_business_minutes(sunday_0130, 30),
        sunday_0130 + TimeDelta::minutes(60)
    );
}
