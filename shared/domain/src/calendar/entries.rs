//! The entries of a calendar file as written (derived `Deserialize`, unknown fields refused), and
//! the validation pass turning them into opening intervals and holiday rules. Problems are plain
//! messages; the caller adds the calendar, the entry and the position.

use super::rules::{HolidayRule, Nth, Observance, RuleDate};
use super::DAY_NAMES;
use crate::time::parse_date;
use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Deserializer};

/// Opening intervals per weekday (Monday first), minutes past local midnight.
pub(super) type Week = [Vec<(u32, u32)>; 7];

/// For an optional field (with `#[serde(default)]`): `Some` when it is given. Unlike a plain
/// `Option`, an explicit `null` is refused rather than read as absent.
pub(super) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// One entry of `"weekly_hours"`: `{"days": [..], "open": "HH:MM", "close": "HH:MM"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an opening interval object")]
pub(super) struct HoursEntry {
    days: Vec<String>,
    open: String,
    close: String,
}

/// One entry of `"holidays"`; exactly one of `fixed`, `date`, `easter` and `weekday` must be given
/// (checked by [`holiday_rule`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a holiday object")]
pub(super) struct HolidayEntry {
    name: String,
    #[serde(default, deserialize_with = "present")]
    fixed: Option<String>,
    #[serde(default, deserialize_with = "present")]
    date: Option<String>,
    #[serde(default, deserialize_with = "present")]
    easter: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    weekday: Option<String>,
    #[serde(default, deserialize_with = "present")]
    month: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    nth: Option<NthEntry>,
    #[serde(default, deserialize_with = "present")]
    observed: Option<String>,
    #[serde(default, deserialize_with = "present")]
    from: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    to: Option<i64>,
}

/// `"nth"`: a number (1 to 5, checked by [`holiday_rule`]) or `"last"`.
#[derive(Deserialize)]
#[serde(untagged, expecting = "\"nth\" must be 1 to 5 or \"last\"")]
enum NthEntry {
    Number(i64),
    Word(String),
}

pub(super) fn add_hours(entry: &HoursEntry, week: &mut Week) -> Result<(), String> {
    if entry.days.is_empty() {
        return Err("\"days\" is empty".into());
    }
    let open = clock_time(&entry.open, false)?;
    let close = clock_time(&entry.close, true)?;
    if open >= close {
        return Err(format!(
            "opens at {} but closes at {}: open must be before close",
            hhmm(open),
            hhmm(close)
        ));
    }
    for name in &entry.days {
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

pub(super) fn holiday_rule(entry: &HolidayEntry) -> Result<HolidayRule, String> {
    let name = entry.name.trim();
    if name.is_empty() {
        return Err("\"name\" is empty".into());
    }
    let date = rule_date(entry)?;
    let observed = match entry.observed.as_deref() {
        None | Some("none") => Observance::None,
        Some("nearest_weekday") => Observance::NearestWeekday,
        Some("next_free_weekday") => Observance::NextFreeWeekday,
        Some(other) => {
            return Err(format!("\"observed\" \"{other}\" is unknown (expected \"none\", \"nearest_weekday\" or \"next_free_weekday\")"))
        }
    };
    let year = |key: &str, value: Option<i64>| -> Result<Option<i32>, String> {
        value
            .map(|y| i32::try_from(y).map_err(|_| format!("\"{key}\" is not a year")))
            .transpose()
    };
    let (from, to) = (year("from", entry.from)?, year("to", entry.to)?);
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

fn rule_date(entry: &HolidayEntry) -> Result<RuleDate, String> {
    let kinds = [
        entry.fixed.is_some(),
        entry.date.is_some(),
        entry.easter.is_some(),
        entry.weekday.is_some(),
    ];
    if kinds.into_iter().filter(|&given| given).count() != 1 {
        return Err("give exactly one of \"fixed\", \"date\", \"easter\" or \"weekday\"".into());
    }
    if entry.weekday.is_none() && (entry.month.is_some() || entry.nth.is_some()) {
        return Err("\"month\" and \"nth\" go only with \"weekday\"".into());
    }
    if let Some(text) = &entry.fixed {
        return fixed_date(text);
    }
    if let Some(text) = &entry.date {
        return parse_date(text)
            .map(RuleDate::Once)
            .ok_or_else(|| format!("\"date\" \"{text}\" is not a YYYY-MM-DD date"));
    }
    if let Some(offset) = entry.easter {
        return match offset {
            -366..=366 => Ok(RuleDate::Easter { offset }),
            _ => Err("\"easter\" must be a day offset from -366 to 366".into()),
        };
    }
    let weekday = weekday(entry.weekday.as_deref().unwrap_or_default())?;
    let month = match entry.month {
        Some(month @ 1..=12) => month as u32,
        Some(_) => return Err("\"month\" must be 1 to 12".into()),
        None => return Err("missing \"month\"".into()),
    };
    let nth = match &entry.nth {
        Some(NthEntry::Word(last)) if last == "last" => Nth::Last,
        Some(NthEntry::Number(n @ 1..=5)) => Nth::Nth(*n as u8),
        Some(_) => return Err("\"nth\" must be 1 to 5 or \"last\"".into()),
        None => return Err("missing \"nth\"".into()),
    };
    Ok(RuleDate::Weekday {
        month,
        weekday,
        nth,
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
