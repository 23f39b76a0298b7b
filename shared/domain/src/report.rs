//! SLA reports: settled first-response outcomes counted per (deadline month in UTC, calendar,
//! severity), the months a report may span, and the achievement rate. The counts themselves are
//! kept by the store in the transaction that settles each outcome.

use crate::time::Instant;
use crate::validation::FieldError;
use crate::{CalendarId, Severity, SlaOutcome};
use chrono::Datelike;
use serde::Serialize;

/// The longest range one report covers, and the default when none is asked for.
pub const MAX_MONTHS: u32 = 24;
pub const DEFAULT_MONTHS: u32 = 12;

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// The UTC month an instant falls in (a deadline's report month).
    pub fn of(t: Instant) -> Month {
        Month {
            year: t.year(),
            month: t.month(),
        }
    }

    /// `YYYY-MM` with a four-digit year from 2000 to 2099 (the instants the API accepts).
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let month: u32 = m.parse().ok()?;
        ((2000..=2099).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    fn index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    fn from_index(i: i64) -> Month {
        Month {
            year: i.div_euclid(12) as i32,
            month: (i.rem_euclid(12) + 1) as u32,
        }
    }

    pub fn plus(self, months: i64) -> Month {
        Month::from_index(self.index() + months)
    }

    /// Months from `self` to `to`, both included (0 when `to` is earlier).
    pub fn count_to(self, to: Month) -> u32 {
        u32::try_from(to.index() - self.index() + 1).unwrap_or(0)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The months one report covers, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthRange {
    pub from: Month,
    pub to: Month,
}

impl MonthRange {
    /// `?from=&to=`: each `YYYY-MM`; by default the last 12 months up to the current one (a
    /// missing `from` is 11 months before `to`, a missing `to` 11 after `from`, never past
    /// the current month); `from` not after `to`; at most 24 months. Every bad field is named.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        now: Instant,
    ) -> Result<MonthRange, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut month = |name: &str, raw: Option<&str>| {
            raw.and_then(|raw| {
                let m = Month::parse(raw);
                if m.is_none() {
                    errors.push(FieldError::new(
                        name,
                        "must be a month YYYY-MM from 2000-01 to 2099-12",
                    ));
                }
                m
            })
        };
        let from_month = month("from", from);
        let to_month = month("to", to);
        if !errors.is_empty() {
            return Err(errors);
        }
        let span = i64::from(DEFAULT_MONTHS) - 1;
        let current = Month::of(now);
        let (from, to) = match (from_month, to_month) {
            (Some(f), Some(t)) => (f, t),
            (Some(f), None) => (f, f.plus(span).min(current.max(f))),
            (None, Some(t)) => (t.plus(-span), t),
            (None, None) => (current.plus(-span), current),
        };
        if from > to {
            return Err(vec![FieldError::new("from", "must not be after `to`")]);
        }
        if from.count_to(to) > MAX_MONTHS {
            return Err(vec![FieldError::new(
                "to",
                format!("a report covers at most {MAX_MONTHS} months from `from`"),
            )]);
        }
        Ok(MonthRange { from, to })
    }

    pub fn months(self) -> impl Iterator<Item = Month> {
        (0..i64::from(self.from.count_to(self.to))).map(move |i| self.from.plus(i))
    }
}

/// Settled outcomes of one (month, calendar, severity).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SlaCounts {
    pub met: u64,
    pub breached: u64,
    pub withdrawn: u64,
}

impl SlaCounts {
    pub fn count(&mut self, outcome: SlaOutcome) {
        match outcome {
            SlaOutcome::Met => self.met += 1,
            SlaOutcome::Breached => self.breached += 1,
            SlaOutcome::Withdrawn => self.withdrawn += 1,
            SlaOutcome::Pending => {}
        }
    }

    pub fn add(&mut self, other: SlaCounts) {
        self.met += other.met;
        self.breached += other.breached;
        self.withdrawn += other.withdrawn;
    }

    /// met ÷ (met + breached); `None` when no outcome counts (withdrawn ones do not).
    pub fn achievement(self) -> Option<f64> {
        let decided = self.met + self.breached;
        (decided > 0).then(|| self.met as f64 / decided as f64)
    }
}

/// One line of `GET /reports/sla`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportLine {
    pub month: Month,
    pub calendar: CalendarId,
    pub severity: Severity,
    pub met: u64,
    pub breached: u64,
    pub withdrawn: u64,
    pub achievement: Option<f64>,
}

/// Every month of the range × calendar × severity, in that order, zeros where nothing settled.
pub fn report_lines(
    range: MonthRange,
    counts: impl Fn(Month, CalendarId, Severity) -> SlaCounts,
) -> Vec<ReportLine> {
    let mut lines = Vec::new();
    for month in range.months() {
        for &calendar in CalendarId::ALL {
            for &severity in Severity::ALL {
                let c = counts(month, calendar, severity);
                lines.push(ReportLine {
                    month,
                    calendar,
                    severity,
                    met: c.met,
                    breached: c.breached,
                    withdrawn: c.withdrawn,
                    achievement: c.achievement(),
                });
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_instant;

    fn now() -> Instant {
        parse_instant("2026-12-01T18:00:00Z").unwrap()
    }

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn months_parse_only_in_the_full_form_and_format_back() {
        assert_eq!(m("2026-03").to_string(), "2026-03");
        for bad in [
            "2026-3",
            "2026-13",
            "2026-00",
            "26-03",
            "2026/03",
            "x",
            "",
            "2026-03-01",
            "1999-12",
            "2100-01",
            "+202-03",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        assert_eq!(
            Month::of(parse_instant("2026-12-31T23:59:59Z").unwrap()),
            m("2026-12")
        );
        assert_eq!(m("2026-12").plus(1), m("2027-01"));
        assert_eq!(m("2026-01").plus(-1), m("2025-12"));
    }

    #[test]
    fn the_default_range_is_the_last_twelve_months_up_to_the_current_one() {
        let r = MonthRange::parse(None, None, now()).unwrap();
        assert_eq!((r.from, r.to), (m("2026-01"), m("2026-12")));
        assert_eq!(r.months().count(), 12);
        let r = MonthRange::parse(None, Some("2026-06"), now()).unwrap();
        assert_eq!((r.from, r.to), (m("2025-07"), m("2026-06")));
        let r = MonthRange::parse(Some("2026-06"), None, now()).unwrap();
        assert_eq!((r.from, r.to), (m("2026-06"), m("2026-12")));
        let r = MonthRange::parse(Some("2024-01"), None, now()).unwrap();
        assert_eq!((r.from, r.to), (m("2024-01"), m("2024-12")));
    }

    #[test]
    fn a_range_is_at_most_twenty_four_months_and_never_backwards() {
        let ok = MonthRange::parse(Some("2025-01"), Some("2026-12"), now()).unwrap();
        assert_eq!(ok.months().count(), 24);
        let long = MonthRange::parse(Some("2024-12"), Some("2026-12"), now()).unwrap_err();
        assert_eq!(long[0].field, "to");
        let back = MonthRange::parse(Some("2026-05"), Some("2026-04"), now()).unwrap_err();
        assert_eq!(back[0].field, "from");
        let both = MonthRange::parse(Some("May"), Some("2026-13"), now()).unwrap_err();
        let fields: Vec<_> = both.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["from", "to"]);
    }

    #[test]
    fn achievement_is_met_over_met_and_breached_and_null_without_either() {
        let mut c = SlaCounts::default();
        assert_eq!(c.achievement(), None);
        c.count(SlaOutcome::Withdrawn);
        assert_eq!(c.achievement(), None);
        c.count(SlaOutcome::Met);
        c.count(SlaOutcome::Met);
        c.count(SlaOutcome::Met);
        c.count(SlaOutcome::Breached);
        assert_eq!(c.achievement(), Some(0.75));
        assert_eq!((c.met, c.breached, c.withdrawn), (3, 1, 1));
    }

    #[test]
    fn a_report_has_a_line_for_every_month_calendar_and_severity() {
        let range = MonthRange::parse(Some("2026-01"), Some("2026-02"), now()).unwrap();
        let lines = report_lines(range, |month, calendar, severity| {
            if month == m("2026-02") && calendar == CalendarId::Us && severity == Severity::B {
                SlaCounts {
                    met: 1,
                    breached: 1,
                    withdrawn: 0,
                }
            } else {
                SlaCounts::default()
            }
        });
        assert_eq!(lines.len(), 2 * 3 * 3);
        let hit: Vec<_> = lines.iter().filter(|l| l.met > 0).collect();
        assert_eq!(hit.len(), 1);
        assert_eq!(hit[0].achievement, Some(0.5));
        assert_eq!(serde_json::to_value(hit[0]).unwrap()["month"], "2026-02");
        assert!(lines
            .iter()
            .filter(|l| l.met == 0)
            .all(|l| l.achievement.is_none()));
    }
}

/// One (month, calendar, severity) of a report, summed over its shards.
pub type CountsKey = (Month, CalendarId, Severity);

/// One line of the satisfaction report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SatisfactionCount {
    pub month: Month,
    pub severity: Severity,
    pub owner_account_id: Option<String>,
    pub good: u64,
    pub bad: u64,
}
