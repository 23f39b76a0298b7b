//! Tests of the support calendars and the first-response deadline. Expected instants are
//! hand-computed and written in UTC, with the local wall-clock time alongside.

mod deadlines;
mod holidays;
mod loading;
mod property;

use super::{BusinessCalendar, Calendars};
use crate::time::{parse_instant, Instant};
use crate::CalendarId;
use chrono::NaiveDate;

fn calendar(id: CalendarId) -> &'static BusinessCalendar {
    Calendars::shipped()
        .expect("the shipped calendars load")
        .get(id)
}

fn pl() -> &'static BusinessCalendar {
    calendar(CalendarId::Pl)
}

fn us() -> &'static BusinessCalendar {
    calendar(CalendarId::Us)
}

fn uk() -> &'static BusinessCalendar {
    calendar(CalendarId::Uk)
}

/// An RFC 3339 instant, e.g. "2026-03-27T15:00:00Z".
fn at(text: &str) -> Instant {
    parse_instant(text).unwrap_or_else(|| panic!("test instant {text:?} is not RFC 3339"))
}

fn date(text: &str) -> NaiveDate {
    crate::time::parse_date(text).unwrap_or_else(|| panic!("test date {text:?} is not YYYY-MM-DD"))
}
