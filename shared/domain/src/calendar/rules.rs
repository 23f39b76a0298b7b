//! Holiday rules, and how a year's observed public holidays are derived from them.
//!
//! A rule gives the holiday's actual date in a year (fixed month/day, Easter-relative, nth or last
//! weekday of a month, or one explicit date), optionally limited to a range of years. Weekend
//! holidays may then be observed on another day:
//! - `NearestWeekday` (US federal): Saturday -> the Friday before, Sunday -> the Monday after. The
//!   observed date may fall in the neighbouring year (New Year's Day 2028, a Saturday, is observed
//!   on Friday 31 December 2027).
//! - `NextFreeWeekday` (UK substitute days): the next weekday that is neither a holiday itself nor
//!   already taken by another substitute day, assigned in date order (Christmas on a Saturday ->
//!   Monday 27, Boxing Day on the Sunday -> Tuesday 28).

use super::Holiday;
use chrono::{Datelike, Days, NaiveDate, TimeDelta, Weekday};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// How a holiday that falls on a weekend is observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Observance {
    /// Kept on its date, weekend or not.
    None,
    /// Saturday -> preceding Friday, Sunday -> following Monday.
    NearestWeekday,
    /// A substitute day: the next weekday that is not a holiday and not already a substitute.
    NextFreeWeekday,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nth {
    /// 1-based: the first, second, ... such weekday of the month.
    Nth(u8),
    Last,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RuleDate {
    Fixed {
        month: u32,
        day: u32,
    },
    /// Days after (negative: before) Western Easter Sunday.
    Easter {
        offset: i64,
    },
    Weekday {
        month: u32,
        weekday: Weekday,
        nth: Nth,
    },
    Once(NaiveDate),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HolidayRule {
    pub name: String,
    pub date: RuleDate,
    pub observed: Observance,
    /// First and last year (inclusive) the rule applies in.
    pub from: Option<i32>,
    pub to: Option<i32>,
}

impl HolidayRule {
    /// The holiday's actual (not yet observed) date in `year`, if it has one that year.
    fn date_in(&self, year: i32) -> Option<NaiveDate> {
        if self.from.is_some_and(|from| year < from) || self.to.is_some_and(|to| year > to) {
            return None;
        }
        match self.date {
            RuleDate::Fixed { month, day } => NaiveDate::from_ymd_opt(year, month, day),
            RuleDate::Easter { offset } => {
                easter_sunday(year)?.checked_add_signed(TimeDelta::days(offset))
            }
            RuleDate::Weekday {
                month,
                weekday,
                nth: Nth::Nth(n),
            } => NaiveDate::from_weekday_of_month_opt(year, month, weekday, n),
            RuleDate::Weekday {
                month,
                weekday,
                nth: Nth::Last,
            } => last_weekday_of_month(year, month, weekday),
            RuleDate::Once(date) => (date.year() == year).then_some(date),
        }
    }
}

/// Western (Gregorian) Easter Sunday: the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
/// `None` before 1583, when the Gregorian computus did not apply.
pub(crate) fn easter_sunday(year: i32) -> Option<NaiveDate> {
    if year < 1583 {
        return None;
    }
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

fn last_weekday_of_month(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_of_next.pred_opt()?;
    let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    last.checked_sub_days(Days::new(u64::from(back)))
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// How an observed holiday relates to its rule's actual date (for its display name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shift {
    OnTheDay,
    Observed,
    Substitute,
}

/// One observed holiday, naming its rule by index (cheap to keep for many years).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    date: NaiveDate,
    rule: usize,
    shift: Shift,
}

/// Observed holidays dated in the years `first..=last`, sorted by date (rule order within a date).
fn observed_entries(rules: &[HolidayRule], first: i32, last: i32) -> Vec<Entry> {
    // Rules are evaluated one year either side: an observed date can cross a year boundary.
    let mut actual: Vec<(NaiveDate, usize)> = Vec::new();
    for year in first.saturating_sub(1)..=last.saturating_add(1) {
        for (index, rule) in rules.iter().enumerate() {
            if let Some(date) = rule.date_in(year) {
                actual.push((date, index));
            }
        }
    }
    actual.sort_unstable();

    let mut entries = Vec::with_capacity(actual.len());
    let mut substitutes_needed = Vec::new();
    for &(date, rule) in &actual {
        let on_the_day = Entry {
            date,
            rule,
            shift: Shift::OnTheDay,
        };
        let entry = match (rules[rule].observed, date.weekday()) {
            (Observance::NearestWeekday, Weekday::Sat) => date.pred_opt().map(|d| Entry {
                date: d,
                rule,
                shift: Shift::Observed,
            }),
            (Observance::NearestWeekday, Weekday::Sun) => date.succ_opt().map(|d| Entry {
                date: d,
                rule,
                shift: Shift::Observed,
            }),
            (Observance::NextFreeWeekday, Weekday::Sat | Weekday::Sun) => {
                substitutes_needed.push((date, rule));
                None
            }
            _ => Some(on_the_day),
        };
        entries.extend(entry);
    }

    // Substitute days, in date order, skip weekends, holidays and earlier substitutes.
    let mut taken: BTreeSet<NaiveDate> = entries.iter().map(|e| e.date).collect();
    for (date, rule) in substitutes_needed {
        let mut candidate = date.succ_opt();
        while let Some(day) = candidate.filter(|&d| is_weekend(d) || taken.contains(&d)) {
            candidate = day.succ_opt();
        }
        if let Some(day) = candidate {
            taken.insert(day);
            entries.push(Entry {
                date: day,
                rule,
                shift: Shift::Substitute,
            });
        }
    }

    entries.retain(|e| (first..=last).contains(&e.date.year()));
    entries.sort_by_key(|e| (e.date, e.rule));
    entries
}

/// Years whose observed holidays are kept once computed (each year the first time a walk or a
/// listing needs it, not when the calendar is loaded: a cold start computes none); other years
/// are computed on demand.
const CACHED_YEARS: (i32, i32) = (1970, 2199);

/// A calendar's holiday rules, with each year's observed dates computed lazily and kept for
/// [`CACHED_YEARS`].
#[derive(Debug, Clone)]
pub(crate) struct HolidayRules {
    rules: Vec<HolidayRule>,
    years: Box<[OnceLock<Vec<Entry>>]>,
}

impl HolidayRules {
    pub fn new(rules: Vec<HolidayRule>) -> Self {
        let count = (CACHED_YEARS.1 - CACHED_YEARS.0 + 1) as usize;
        HolidayRules {
            rules,
            years: (0..count).map(|_| OnceLock::new()).collect(),
        }
    }

    /// `year`'s entries from the cache, computing them the first time; `None` outside it.
    fn cached(&self, year: i32) -> Option<&[Entry]> {
        let slot = usize::try_from(year.checked_sub(CACHED_YEARS.0)?).ok()?;
        let cell = self.years.get(slot)?;
        Some(cell.get_or_init(|| observed_entries(&self.rules, year, year)))
    }

    fn entries_in(&self, year: i32) -> std::borrow::Cow<'_, [Entry]> {
        match self.cached(year) {
            Some(entries) => std::borrow::Cow::Borrowed(entries),
            None => std::borrow::Cow::Owned(observed_entries(&self.rules, year, year)),
        }
    }

    /// The observed holidays dated in `year`, sorted by date.
    pub fn in_year(&self, year: i32) -> Vec<Holiday> {
        self.entries_in(year)
            .iter()
            .map(|e| {
                let name = &self.rules[e.rule].name;
                let name = match e.shift {
                    Shift::OnTheDay => name.clone(),
                    Shift::Observed => format!("{name} (observed)"),
                    Shift::Substitute => format!("{name} (substitute day)"),
                };
                Holiday { date: e.date, name }
            })
            .collect()
    }

    /// Whether `date` is an observed holiday (no business is done on it). Years outside the
    /// cached range are computed once per `memo`.
    pub fn contains(&self, date: NaiveDate, memo: &mut HolidayMemo) -> bool {
        let year = date.year();
        if let Some(entries) = self.cached(year) {
            return entries.binary_search_by_key(&date, |e| e.date).is_ok();
        }
        let dates = match memo.take() {
            Some((memo_year, dates)) if memo_year == year => dates,
            _ => self.entries_in(year).iter().map(|e| e.date).collect(),
        };
        let found = dates.contains(&date);
        *memo = Some((year, dates));
        found
    }
}

/// The observed holiday dates of one uncached year, kept across the days of one walk.
pub(crate) type HolidayMemo = Option<(i32, Vec<NaiveDate>)>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Computing each year on its own, when first needed, gives every shipped calendar exactly
    /// the observed holidays of computing the whole cached range at once (substitute and
    /// observed days that cross a year boundary included).
    #[test]
    fn each_year_computed_lazily_equals_the_whole_range_computed_at_once() {
        let calendars = super::super::Calendars::shipped().expect("shipped calendars");
        for calendar in calendars.all() {
            let rules = &calendar.holidays;
            let whole = observed_entries(&rules.rules, CACHED_YEARS.0, CACHED_YEARS.1);
            let lazy: Vec<Entry> = (CACHED_YEARS.0..=CACHED_YEARS.1)
                .flat_map(|year| rules.entries_in(year).into_owned())
                .collect();
            assert_eq!(lazy, whole, "calendar {:?}", calendar.id);
            assert!(!whole.is_empty());
        }
    }

    #[test]
    fn nothing_is_computed_until_a_year_is_asked_for() {
        let calendars = super::super::Calendars::from_json(super::super::SHIPPED_JSON)
            .expect("shipped calendars");
        let rules = &calendars.all().next().expect("a calendar").holidays;
        assert!(rules.years.iter().all(|y| y.get().is_none()));
        let _ = rules.in_year(2026);
        let computed: Vec<usize> = (0..rules.years.len())
            .filter(|&i| rules.years[i].get().is_some())
            .collect();
        assert_eq!(computed, [(2026 - CACHED_YEARS.0) as usize]);
    }
}
