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
//! Values are checked as they are read, inside their own visit, so serde_json attaches the line of
//! the offending value (for a holiday or an opening interval: the line its object ends on).

use super::entries::{add_hours, holiday_rule, Week};
use super::rules::{HolidayRule, HolidayRules};
use super::{BusinessCalendar, CalendarError, Calendars};
use crate::CalendarId;
use chrono_tz::Tz;
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

pub(super) fn parse(text: &str) -> Result<Calendars, CalendarError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let calendars = deserializer
        .deserialize_map(FileVisitor)
        .map_err(to_error)?;
    deserializer.end().map_err(to_error)?;
    Ok(calendars)
}

fn to_error(error: serde_json::Error) -> CalendarError {
    let full = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    let message = full.strip_suffix(&position).unwrap_or(&full).to_string();
    if error.line() == 0 {
        CalendarError::Invalid { message }
    } else {
        CalendarError::Parse {
            line: error.line(),
            column: error.column(),
            message,
        }
    }
}

/// The top level: `{"description"?, "calendars"}`.
struct FileVisitor;

impl<'de> Visitor<'de> for FileVisitor {
    type Value = Calendars;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with \"calendars\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Calendars, A::Error> {
        let mut calendars = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "description" => {
                    map.next_value::<String>()?;
                }
                "calendars" => calendars = Some(map.next_value_seed(CalendarsSeed)?),
                other => {
                    return Err(A::Error::custom(format!(
                        "unknown field \"{other}\" (expected \"description\" or \"calendars\")"
                    )))
                }
            }
        }
        calendars.ok_or_else(|| A::Error::custom("missing \"calendars\""))
    }
}

/// `"calendars": {"PL": {..}, "US": {..}, "UK": {..}}`.
struct CalendarsSeed;

impl<'de> DeserializeSeed<'de> for CalendarsSeed {
    type Value = Calendars;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Calendars, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CalendarsSeed {
    type Value = Calendars;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object mapping calendar ids to calendars")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Calendars, A::Error> {
        let (mut pl, mut us, mut uk) = (None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            let id: CalendarId = key
                .parse()
                .map_err(|e| A::Error::custom(format!("unknown calendar \"{key}\": {e}")))?;
            let slot = match id {
                CalendarId::Pl => &mut pl,
                CalendarId::Us => &mut us,
                CalendarId::Uk => &mut uk,
            };
            if slot.is_some() {
                return Err(A::Error::custom(format!("calendar {id} is defined twice")));
            }
            *slot = Some(map.next_value_seed(CalendarSeed(id))?);
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
                Err(A::Error::custom(format!(
                    "missing calendar(s): {}",
                    missing.join(", ")
                )))
            }
        }
    }
}

/// One calendar object; knows its id so every error can name it.
struct CalendarSeed(CalendarId);

impl<'de> DeserializeSeed<'de> for CalendarSeed {
    type Value = BusinessCalendar;
    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<BusinessCalendar, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CalendarSeed {
    type Value = BusinessCalendar;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "calendar {} as an object", self.0)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<BusinessCalendar, A::Error> {
        let id = self.0;
        let (mut zone, mut week, mut holidays) = (None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "time_zone" => zone = Some(map.next_value_seed(ZoneSeed(id))?),
                "weekly_hours" => week = Some(map.next_value_seed(HoursSeed(id))?),
                "holidays" => holidays = Some(map.next_value_seed(RulesSeed(id))?),
                other => {
                    return Err(A::Error::custom(format!(
                        "calendar {id}: unknown field \"{other}\" (expected \"time_zone\", \"weekly_hours\" or \"holidays\")"
                    )))
                }
            }
        }
        let missing = |field: &str| A::Error::custom(format!("calendar {id}: missing \"{field}\""));
        let zone = zone.ok_or_else(|| missing("time_zone"))?;
        let week = week.ok_or_else(|| missing("weekly_hours"))?;
        let holidays = holidays.ok_or_else(|| missing("holidays"))?;
        Ok(BusinessCalendar::new(
            id,
            zone,
            week,
            HolidayRules::new(holidays),
        ))
    }
}

/// A time zone name, checked inside the string's own visit so the error points at it.
struct ZoneSeed(CalendarId);

impl<'de> DeserializeSeed<'de> for ZoneSeed {
    type Value = Tz;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Tz, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for ZoneSeed {
    type Value = Tz;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "calendar {}: an IANA time zone name", self.0)
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Tz, E> {
        name.parse::<Tz>()
            .map_err(|_| E::custom(format!("calendar {}: unknown time zone \"{name}\"", self.0)))
    }
}

/// One JSON object, converted by `F` inside the object's own visit, so that an error carries the
/// position just after the object's closing brace (its line, however the file is laid out).
struct Object<F>(F);

impl<'de, T, F: FnOnce(Map<String, Value>) -> Result<T, String>> DeserializeSeed<'de>
    for Object<F>
{
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T, F: FnOnce(Map<String, Value>) -> Result<T, String>> Visitor<'de> for Object<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut entry = Map::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            entry.insert(key, value);
        }
        (self.0)(entry).map_err(A::Error::custom)
    }
}

/// `"weekly_hours": [{"days", "open", "close"}, ..]`.
struct HoursSeed(CalendarId);

impl<'de> DeserializeSeed<'de> for HoursSeed {
    type Value = Week;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Week, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for HoursSeed {
    type Value = Week;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "calendar {}: weekly_hours as an array", self.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Week, A::Error> {
        let id = self.0;
        let mut week = Week::default();
        let mut number = 0;
        loop {
            number += 1;
            let entry = Object(|entry: Map<String, Value>| {
                add_hours(&entry, &mut week).map_err(|problem| {
                    format!("calendar {id}, weekly_hours entry {number}: {problem}")
                })
            });
            if seq.next_element_seed(entry)?.is_none() {
                break;
            }
        }
        if week.iter().all(Vec::is_empty) {
            return Err(A::Error::custom(format!(
                "calendar {id}: weekly_hours opens on no day"
            )));
        }
        for intervals in &mut week {
            intervals.sort_unstable();
        }
        Ok(week)
    }
}

/// `"holidays": [rule, ..]`.
struct RulesSeed(CalendarId);

impl<'de> DeserializeSeed<'de> for RulesSeed {
    type Value = Vec<HolidayRule>;
    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Vec<HolidayRule>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RulesSeed {
    type Value = Vec<HolidayRule>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "calendar {}: holidays as an array", self.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<HolidayRule>, A::Error> {
        let id = self.0;
        let mut rules = Vec::new();
        loop {
            let number = rules.len() + 1;
            let entry = Object(|entry: Map<String, Value>| {
                holiday_rule(&entry).map_err(|problem| {
                    let label = match entry.get("name").and_then(Value::as_str) {
                        Some(name) => format!("\"{name}\""),
                        None => format!("#{number}"),
                    };
                    format!("calendar {id}, holiday {label}: {problem}")
                })
            });
            match seq.next_element_seed(entry)? {
                Some(rule) => rules.push(rule),
                None => break,
            }
        }
        Ok(rules)
    }
}
