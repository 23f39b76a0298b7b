//! Support calendars and the first-response deadline (S2, S3).
//!
//! A support calendar is an IANA time zone, weekly opening intervals in local wall-clock time and
//! public-holiday rules. The shipped calendars live in `infra/data/calendars.json` (its shape is
//! documented in `load.rs`) and are compiled in. Business time is real elapsed time inside opening
//! intervals, so DST changes neither shift nor lose any of it.

mod clock;
mod entries;
mod load;
mod rules;

use crate::time::Instant;
use crate::{CalendarId, Severity};
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use rules::HolidayRules;
use std::sync::OnceLock;

/// A support calendar: time zone, weekly opening hours and public holidays.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    id: CalendarId,
    zone: Tz,
    /// Opening intervals per weekday (Monday first), in minutes past local midnight
    /// (`close` may be 1440), sorted and non-overlapping.
    week: [Vec<(u32, u32)>; 7],
    holidays: HolidayRules,
}

/// A public holiday on the date it is observed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Holiday {
    #[serde(with = "crate::time::serde_date")]
    pub date: NaiveDate,
    pub name: String,
}

/// A calendar as served by `GET /calendars`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CalendarView {
    pub calendar: CalendarId,
    pub time_zone: String,
    pub weekly_hours: Vec<WeeklyHours>,
    pub holidays: Vec<Holiday>,
}

/// One opening interval: `day` is "monday".."sunday", `open`/`close` are local "HH:MM".
#[derive(Debug, Clone, serde::Serialize)]
pub struct WeeklyHours {
    pub day: String,
    pub open: String,
    pub close: String,
}

const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

impl BusinessCalendar {
    fn new(id: CalendarId, zone: Tz, week: [Vec<(u32, u32)>; 7], holidays: HolidayRules) -> Self {
        BusinessCalendar {
            id,
            zone,
            week,
            holidays,
        }
    }

    pub fn id(&self) -> CalendarId {
        self.id
    }

    /// The IANA zone name, e.g. "Europe/Warsaw".
    pub fn time_zone_name(&self) -> &str {
        self.zone.name()
    }

    /// An instant as the calendar's wall clock reads it, e.g. `2026-12-23 14:00 CET`, so people
    /// read deadlines in the zone the promise is kept in.
    pub fn wall_clock(&self, at: Instant, pattern: &str) -> String {
        at.with_timezone(&self.zone).format(pattern).to_string()
    }

    fn hours_on(&self, weekday: Weekday) -> &[(u32, u32)] {
        &self.week[weekday.num_days_from_monday() as usize]
    }

    /// Adds `minutes` of business time to `from`; returns the instant the last minute ends.
    /// If the count ends exactly at closing time, the answer is that closing instant (not next
    /// opening). Outside business time counting starts at the next opening.
    ///
    /// The walk looks at most ten years ahead: a count that does not end within ten years of
    /// `from` (far beyond any SLA, or a calendar whose holidays cover every opening day) answers
    /// `from` plus ten years.
    pub fn add_business_minutes(&self, from: Instant, minutes: u32) -> Instant {
        self.walk(from, minutes)
            .unwrap_or_else(|stopped_at| stopped_at)
    }

    /// Whether `at` lies inside an opening interval of a non-holiday local date.
    pub fn is_business_time(&self, at: Instant) -> bool {
        let Some(local) = at.naive_utc().checked_add_signed(self.offset_at(at)) else {
            return false; // beyond the representable calendar
        };
        let date = local.date();
        if !self.is_business_date(date, &mut rules::HolidayMemo::default()) {
            return false;
        }
        let time = local.time();
        let minute = time.hour() * 60 + time.minute();
        self.hours_on(date.weekday())
            .iter()
            .any(|&(open, close)| open <= minute && minute < close)
    }

    /// Public holidays falling in `year`, as observed (substitute/observed dates), sorted by date.
    pub fn holidays(&self, year: i32) -> Vec<Holiday> {
        self.holidays.in_year(year)
    }

    /// The JSON shape served by GET /calendars for the given years.
    pub fn view(&self, years: &[i32]) -> CalendarView {
        let weekly_hours = DAY_NAMES
            .iter()
            .zip(&self.week)
            .flat_map(|(day, intervals)| {
                intervals.iter().map(move |&(open, close)| WeeklyHours {
                    day: (*day).to_string(),
                    open: format_minute(open),
                    close: format_minute(close),
                })
            })
            .collect();
        CalendarView {
            calendar: self.id,
            time_zone: self.time_zone_name().to_string(),
            weekly_hours,
            holidays: years.iter().flat_map(|&year| self.holidays(year)).collect(),
        }
    }
}

fn format_minute(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Why a calendar file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// Bad JSON or a refused value; `line`/`column` are 1-based and point at (or just after) it.
    #[error("calendar data, line {line} column {column}: {message}")]
    Parse {
        line: usize,
        column: usize,
        message: String,
    },
    /// A problem with no position in the text.
    #[error("calendar data: {message}")]
    Invalid { message: String },
}

/// Every shipped calendar, one per [`CalendarId`].
#[derive(Debug, Clone)]
pub struct Calendars {
    pl: BusinessCalendar,
    us: BusinessCalendar,
    uk: BusinessCalendar,
}

const SHIPPED_JSON: &str = include_str!("../../../../infra/data/calendars.json");

impl Calendars {
    /// Parses and validates a calendar file; errors name the line (and the calendar/rule) at fault.
    pub fn from_json(text: &str) -> Result<Calendars, CalendarError> {
        load::parse(text)
    }

    /// The shipped calendars (`infra/data/calendars.json`, compiled in), parsed once.
    pub fn shipped() -> Result<&'static Calendars, CalendarError> {
        static SHIPPED: OnceLock<Result<Calendars, CalendarError>> = OnceLock::new();
        SHIPPED
            .get_or_init(|| Calendars::from_json(SHIPPED_JSON))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn get(&self, id: CalendarId) -> &BusinessCalendar {
        match id {
            CalendarId::Pl => &self.pl,
            CalendarId::Us => &self.us,
            CalendarId::Uk => &self.uk,
        }
    }

    /// In [`CalendarId::ALL`] order.
    pub fn all(&self) -> impl Iterator<Item = &BusinessCalendar> {
        CalendarId::ALL.iter().map(|&id| self.get(id))
    }
}

/// Business minutes a severity is promised in: A -> None (2 wall-clock hours), B -> Some(240),
/// C -> Some(480).
pub fn business_minutes(severity: Severity) -> Option<u32> {
    match severity {
        Severity::A => None,
        Severity::B => Some(240),
        Severity::C => Some(480),
    }
}

/// Wall-clock time severity A is promised in.
const SEVERITY_A_WALL_CLOCK: TimeDelta = TimeDelta::hours(2);

/// Business minutes after which a severity's warning is due: 75 % of its response window.
/// A -> None (90 wall-clock minutes), B -> Some(180), C -> Some(360).
pub fn warning_business_minutes(severity: Severity) -> Option<u32> {
    business_minutes(severity).map(|minutes| minutes * 3 / 4)
}

/// Wall-clock time after which severity A's warning is due (75 % of two hours).
const SEVERITY_A_WARNING: TimeDelta = TimeDelta::minutes(90);

/// The first-response deadline (S2): A = from + 2 wall-clock hours; B/C = 4/8 business hours on
/// `calendar`.
pub fn first_response_due(
    calendar: &BusinessCalendar,
    severity: Severity,
    from: Instant,
) -> Instant {
    match business_minutes(severity) {
        Some(minutes) => calendar.add_business_minutes(from, minutes),
        None => from
            .checked_add_signed(SEVERITY_A_WALL_CLOCK)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    }
}

/// When the first-response warning is due: 75 % of the response window, by the same calendar
/// walk as [`first_response_due`] (A = from + 90 wall-clock minutes; B/C = 180/360 business
/// minutes on `calendar`). Never after the deadline.
pub fn first_response_warn(
    calendar: &BusinessCalendar,
    severity: Severity,
    from: Instant,
) -> Instant {
    match warning_business_minutes(severity) {
        Some(minutes) => calendar.add_business_minutes(from, minutes),
        None => from
            .checked_add_signed(SEVERITY_A_WARNING)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    }
}

/// The two instants intake fixes for a submission at `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstResponseClock {
    pub warn_at: Instant,
    pub due_at: Instant,
}

pub fn first_response_clock(
    calendar: &BusinessCalendar,
    severity: Severity,
    from: Instant,
) -> FirstResponseClock {
    FirstResponseClock {
        warn_at: first_response_warn(calendar, severity, from),
        due_at: first_response_due(calendar, severity, from),
    }
}

#[cfg(test)]
mod tests;
