//! Converting one JSON object of a calendar file into an opening interval or a holiday rule.
//! Problems are plain messages; the caller adds the calendar, the entry and the line.

use super::rules::{HolidayRule, Nth, Observance, RuleDate};
use super::DAY_NAMES;
use crate::time::parse_date;
use chrono::{NaiveDate, Weekday};
use serde_json::{Map, Value};

/// Opening intervals per weekday (Monday first), minutes past local midnight.
pub(super) type Week = [Vec<(u32, u32)>; 7];

pub(super) fn add_hours(entry: &Map<String, Value>, week: &mut Week) -> Result<(), String> {
    reject_unknown_fields(entry, &["days", "open", "close"])?;
    let days = entry
        .get("days")
        .ok_or("missing \"days\"")?
        .as_array()
        .ok_or("\"days\" must be an array of day names")?;
    if days.is_empty() {
        return Err("\"days\" is empty".into());
    }
    let open = clock_time(string(entry, "open")?.ok_or("missing \"open\"")?, false)?;
    let close = clock_time(string(entry, "close")?.ok_or("missing \"close\"")?, true)?;
    if open >= close {
        return Err(format!(
            "opens at {} but closes at {}: open must be before close",
            hhmm(open),
            hhmm(close)
        ));
    }
    for day in days {
        let name = day
            .as_str()
            .ok_or("\"days\" must be an array of day names")?;
        let weekday = weekday(name)?;
        let intervals = &mut week[weekday.num_days_from_monday() as usize];
        if let Some(&(o, c)) = intervals.iter().find(|&&(o, c)| open < c && o < close) {
            return Err(format!(
                "{name} {}-{} overlaps {name} {}-{}",
                hhmm(open),
                hhmm(close),
                hhmm(o),
                hhmm(c)
            ));
        }
        intervals.push((open, close));
    }
    Ok(())
}

/// `"HH:MM"` as minutes past midnight; "24:00" only as a closing time.
fn clock_time(text: &str, closing: bool) -> Result<u32, String> {
    let bad = || format!("\"{text}\" is not a time of day (\"HH:MM\")");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    match (h, m) {
        (24, 0) if closing => Ok(1440),
        (0..=23, 0..=59) => Ok(h * 60 + m),
        _ => Err(bad()),
    }
}

fn hhmm(minute: u32) -> String {
    super::format_minute(minute)
}

fn weekday(name: &str) -> Result<Weekday, String> {
    const WEEKDAYS: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    DAY_NAMES
        .iter()
        .position(|&day| day == name)
        .map(|index| WEEKDAYS[index])
        .ok_or_else(|| {
            format!(
                "\"{name}\" is not a day (expected one of {})",
                DAY_NAMES.join(", ")
            )
        })
}

const RULE_FIELDS: [&str; 10] = [
    "name", "fixed", "date", "easter", "weekday", "month", "nth", "observed", "from", "to",
];

pub(super) fn holiday_rule(entry: &Map<String, Value>) -> Result<HolidayRule, String> {
    reject_unknown_fields(entry, &RULE_FIELDS)?;
    let name = string(entry, "name")?.ok_or("missing \"name\"")?.trim();
    if name.is_empty() {
        return Err("\"name\" is empty".into());
    }
    let kinds: Vec<&str> = ["fixed", "date", "easter", "weekday"]
        .into_iter()
        .filter(|k| entry.contains_key(*k))
        .collect();
    if kinds.len() != 1 {
        return Err("give exactly one of \"fixed\", \"date\", \"easter\" or \"weekday\"".into());
    }
    if kinds[0] != "weekday" && (entry.contains_key("month") || entry.contains_key("nth")) {
        return Err("\"month\" and \"nth\" go only with \"weekday\"".into());
    }
    let date = match kinds[0] {
        "fixed" => fixed_date(string(entry, "fixed")?.unwrap_or_default())?,
        "date" => {
            let text = string(entry, "date")?.unwrap_or_default();
            RuleDate::Once(
                parse_date(text)
                    .ok_or_else(|| format!("\"date\" \"{text}\" is not a YYYY-MM-DD date"))?,
            )
        }
        "easter" => match integer(entry, "easter")? {
            Some(offset @ -366..=366) => RuleDate::Easter { offset },
            _ => return Err("\"easter\" must be a day offset from -366 to 366".into()),
        },
        _ => {
            let weekday = weekday(string(entry, "weekday")?.unwrap_or_default())?;
            let month = match integer(entry, "month")? {
                Some(month @ 1..=12) => month as u32,
                Some(_) => return Err("\"month\" must be 1 to 12".into()),
                None => return Err("missing \"month\"".into()),
            };
            let nth = match entry.get("nth") {
                Some(Value::String(last)) if last == "last" => Nth::Last,
                Some(value) => match value.as_u64() {
                    Some(n @ 1..=5) => Nth::Nth(n as u8),
                    _ => return Err("\"nth\" must be 1 to 5 or \"last\"".into()),
                },
                None => return Err("missing \"nth\"".into()),
            };
            RuleDate::Weekday {
                month,
                weekday,
                nth,
            }
        }
    };
    let observed = match string(entry, "observed")? {
        None | Some("none") => Observance::None,
        Some("nearest_weekday") => Observance::NearestWeekday,
        Some("next_free_weekday") => Observance::NextFreeWeekday,
        Some(other) => {
            return Err(format!("\"observed\" \"{other}\" is unknown (expected \"none\", \"nearest_weekday\" or \"next_free_weekday\")"))
        }
    };
    let year = |key: &str| -> Result<Option<i32>, String> {
        integer(entry, key)?
            .map(|y| i32::try_from(y).map_err(|_| format!("\"{key}\" is not a year")))
            .transpose()
    };
    let (from, to) = (year("from")?, year("to")?);
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(format!("\"from\" {from} is after \"to\" {to}"));
        }
    }
    Ok(HolidayRule {
        name: name.to_string(),
        date,
        observed,
        from,
        to,
    })
}

/// `"MM-DD"`; 29 February is allowed (it then occurs in leap years only).
fn fixed_date(text: &str) -> Result<RuleDate, String> {
    let bad = || format!("\"fixed\" \"{text}\" is not a month and day (\"MM-DD\")");
    let (m, d) = text.split_once('-').ok_or_else(bad)?;
    if m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (month, day): (u32, u32) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    NaiveDate::from_ymd_opt(2000, month, day).ok_or_else(bad)?;
    Ok(RuleDate::Fixed { month, day })
}

fn reject_unknown_fields(entry: &Map<String, Value>, known: &[&str]) -> Result<(), String> {
    match entry.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(format!(
            "unknown field \"{key}\" (expected one of {})",
            known.join(", ")
        )),
        None => Ok(()),
    }
}

fn string<'a>(entry: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match entry.get(key) {
        None => Ok(None),
        Some(value) => value
            .as_str()
            .map(Some)
            .ok_or_else(|| format!("\"{key}\" must be a string")),
    }
}

fn integer(entry: &Map<String, Value>, key: &str) -> Result<Option<i64>, String> {
    match entry.get(key) {
        None => Ok(None),
        Some(value) => value
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("\"{key}\" must be an integer")),
    }
}
