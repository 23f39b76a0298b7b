//! Reading and validating a calendar file. The shape (`infra/data/calendars.json`):
//!
//! ```json
//! { "description": "optional text",
//!   "calendars": {
//!     "PL": {
//!       "time_zone": "Europe/Warsaw",
//!       "weekly_hours": [{ "days": ["monday", "friday"], "open": "09:00", "close": "17:00" }],
//!       "holidays": [
//!         { "name": "Christmas Day", "fixed": "12-25", "observed": "next_free_weekday" },
//!         { "name": "Easter Monday", "easter": 1 },
//!         { "name": "Memorial Day", "weekday": "monday", "month": 5, "nth": "last" },
//!         { "name": "Juneteenth", "fixed": "06-19", "from": 2021 },
//!         { "name": "State funeral", "date": "2022-09-19" } ] } } }
//! ```
//!
//! A holiday has a `name` and exactly one of `fixed` ("MM-DD"), `date` ("YYYY-MM-DD", one-off),
//! `easter` (days after Easter Sunday, negative before) or `weekday` with `month` and `nth`
//! (1..5 or "last"); optionally `observed` ("none", "nearest_weekday": Sat -> Fri, Sun -> Mon,
//! "next_free_weekday": substitute day) and `from`/`to` years (inclusive). Opening times are local
//! "HH:MM"; `close` may be "24:00". Every calendar id must be present once.
//!
//! The file is read with derived `Deserialize` structs that refuse unknown fields. Each level keeps
//! what it contains as its source text ([`RawValue`], borrowed from the file), so the next level is
//! read, and then checked by a plain validation pass, knowing the calendar and the entry it is in
//! and where in the file it stands. Errors carry serde_json's line and column in the whole file:
//! for a problem serde finds, where it finds it; for a refused value, just after it (for a holiday
//! or an opening interval: its closing brace).

use super::entries::{add_hours, holiday_rule, present, HolidayEntry, HoursEntry, Week};
use super::rules::{HolidayRule, HolidayRules};
use super::{BusinessCalendar, CalendarError, Calendars};
use crate::CalendarId;
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::value::RawValue;

/// The top level: `{"description"?, "calendars"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object with \"calendars\"")]
struct FileText<'a> {
    #[serde(rename = "description", default, deserialize_with = "present")]
    _description: Option<String>,
    #[serde(borrow)]
    calendars: &'a RawValue,
}

/// `"calendars": {"PL": {..}, "US": {..}, "UK": {..}}`; a missing one is refused afterwards.
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an object mapping calendar ids to calendars"
)]
struct CalendarsText<'a> {
    #[serde(rename = "PL", borrow, default, deserialize_with = "present")]
    pl: Option<&'a RawValue>,
    #[serde(rename = "US", borrow, default, deserialize_with = "present")]
    us: Option<&'a RawValue>,
    #[serde(rename = "UK", borrow, default, deserialize_with = "present")]
    uk: Option<&'a RawValue>,
}

/// One calendar object.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a calendar object")]
struct CalendarText<'a> {
    #[serde(borrow)]
    time_zone: &'a RawValue,
    #[serde(borrow)]
    weekly_hours: &'a RawValue,
    #[serde(borrow)]
    holidays: Vec<&'a RawValue>,
}

/// Just a holiday's name, read leniently, to name a holiday that is refused.
#[derive(Deserialize)]
struct Named {
    name: Option<String>,
}

pub(super) fn parse(text: &str) -> Result<Calendars, CalendarError> {
    let source = Source(text);
    let file: FileText = source.parse_text(text, String::new)?;
    let calendars: CalendarsText = source.parse(file.calendars, || "calendars".into())?;
    let mut given: Vec<(CalendarId, &RawValue)> = [
        (CalendarId::Pl, calendars.pl),
        (CalendarId::Us, calendars.us),
        (CalendarId::Uk, calendars.uk),
    ]
    .into_iter()
    .filter_map(|(id, value)| Some((id, value?)))
    .collect();
    given.sort_by_key(|(_, value)| source.offset(value.get())); // refuse in file order
    let (mut pl, mut us, mut uk) = (None, None, None);
    for (id, value) in given {
        let slot = match id {
            CalendarId::Pl => &mut pl,
            CalendarId::Us => &mut us,
            CalendarId::Uk => &mut uk,
        };
        *slot = Some(calendar(&source, id, value)?);
    }
    match (pl, us, uk) {
        (Some(pl), Some(us), Some(uk)) => Ok(Calendars { pl, us, uk }),
        (pl, us, uk) => {
            let present = [pl.is_some(), us.is_some(), uk.is_some()];
            let missing: Vec<&str> = CalendarId::ALL
                .iter()
                .zip(present)
                .filter(|(_, present)| !present)
                .map(|(id, _)| id.as_str())
                .collect();
            let message = format!("missing calendar(s): {}", missing.join(", "));
            Err(source.refuse(file.calendars, message))
        }
    }
}

fn calendar(
    source: &Source,
    id: CalendarId,
    value: &RawValue,
) -> Result<BusinessCalendar, CalendarError> {
    let context = || format!("calendar {id}");
    let text: CalendarText = source.parse(value, context)?;
    let zone: String = source.parse(text.time_zone, context)?;
    let zone = zone.parse::<Tz>().map_err(|_| {
        let message = format!("calendar {id}: unknown time zone \"{zone}\"");
        source.refuse(text.time_zone, message)
    })?;
    let week = weekly_hours(source, id, text.weekly_hours)?;
    let holidays = text
        .holidays
        .iter()
        .enumerate()
        .map(|(index, entry)| holiday(source, id, index + 1, entry))
        .collect::<Result<_, _>>()?;
    Ok(BusinessCalendar::new(
        id,
        zone,
        week,
        HolidayRules::new(holidays),
    ))
}

/// `"weekly_hours": [{"days", "open", "close"}, ..]`.
fn weekly_hours(source: &Source, id: CalendarId, value: &RawValue) -> Result<Week, CalendarError> {
    let entries: Vec<&RawValue> = source.parse(value, || format!("calendar {id}: weekly_hours"))?;
    let mut week = Week::default();
    for (index, entry) in entries.into_iter().enumerate() {
        let context = || format!("calendar {id}, weekly_hours entry {}", index + 1);
        let hours: HoursEntry = source.parse(entry, context)?;
        add_hours(&hours, &mut week)
            .map_err(|problem| source.refuse(entry, format!("{}: {problem}", context())))?;
    }
    if week.iter().all(Vec::is_empty) {
        let message = format!("calendar {id}: weekly_hours opens on no day");
        return Err(source.refuse(value, message));
    }
    for intervals in &mut week {
        intervals.sort_unstable();
    }
    Ok(week)
}

/// One entry of `"holidays"`, named by its `name` if it has one, else by its number.
fn holiday(
    source: &Source,
    id: CalendarId,
    number: usize,
    entry: &RawValue,
) -> Result<HolidayRule, CalendarError> {
    let context = || {
        let label = match serde_json::from_str(entry.get()) {
            Ok(Named { name: Some(name) }) => format!("\"{name}\""),
            _ => format!("#{number}"),
        };
        format!("calendar {id}, holiday {label}")
    };
    let rule: HolidayEntry = source.parse(entry, context)?;
    holiday_rule(&rule).map_err(|problem| source.refuse(entry, format!("{}: {problem}", context())))
}

/// The whole file's text, to place errors in it.
struct Source<'a>(&'a str);

impl<'a> Source<'a> {
    /// Reads a value found in the file; an error is prefixed with `context` and placed in the file.
    fn parse<T: Deserialize<'a>>(
        &self,
        value: &'a RawValue,
        context: impl FnOnce() -> String,
    ) -> Result<T, CalendarError> {
        self.parse_text(value.get(), context)
    }

    /// Reads `text`, a slice of the file.
    fn parse_text<T: Deserialize<'a>>(
        &self,
        text: &'a str,
        context: impl FnOnce() -> String,
    ) -> Result<T, CalendarError> {
        serde_json::from_str(text).map_err(|error| {
            let full = error.to_string();
            let position = format!(" at line {} column {}", error.line(), error.column());
            let message = full.strip_suffix(&position).unwrap_or(&full);
            let context = context();
            let message = match context.as_str() {
                "" => message.to_string(),
                context => format!("{context}: {message}"),
            };
            if error.line() == 0 {
                return CalendarError::Invalid { message };
            }
            // serde_json counts from the start of `text`: move that to `text`'s place in the file.
            let (first_line, first_column) = self.position(self.offset(text));
            let (line, column) = match error.line() {
                1 => (first_line, first_column + error.column()),
                line => (first_line + line - 1, error.column()),
            };
            CalendarError::Parse {
                line,
                column,
                message,
            }
        })
    }

    /// A refused value: the error is placed just after it, as serde_json places its own errors.
    fn refuse(&self, value: &RawValue, message: String) -> CalendarError {
        let text = value.get();
        let (line, column) = self.position(self.offset(text) + text.len());
        CalendarError::Parse {
            line,
            column,
            message,
        }
    }

    /// Where `text`, a slice of the file (values are borrowed from it), starts in it.
    fn offset(&self, text: &str) -> usize {
        let offset = (text.as_ptr() as usize).wrapping_sub(self.0.as_ptr() as usize);
        debug_assert!(
            offset + text.len() <= self.0.len(),
            "not a slice of the file"
        );
        offset.min(self.0.len())
    }

    /// serde_json's position of a byte offset: the 1-based line, and the bytes before the offset
    /// on that line (so an error just after a character names that character's column).
    fn position(&self, offset: usize) -> (usize, usize) {
        let before = &self.0.as_bytes()[..offset];
        let start_of_line = before
            .iter()
            .rposition(|&byte| byte == b'\n')
            .map_or(0, |newline| newline + 1);
        let line = 1 + before[..start_of_line]
            .iter()
            .filter(|&&byte| byte == b'\n')
            .count();
        (line, offset - start_of_line)
    }
}
