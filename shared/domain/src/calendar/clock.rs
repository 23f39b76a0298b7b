//! The business clock: walking real elapsed time through a calendar's opening intervals.
//!
//! The walk advances through UTC in spans over which the zone's UTC offset is constant: from the
//! cursor to the next local midnight, or to the next offset change if one comes first. Within a
//! span local time is UTC plus a fixed offset, so each opening interval of the span's local date
//! maps to one UTC interval, clipped to the span. Whole intervals are consumed at a time, so a
//! deadline costs a handful of steps per calendar day, and an hour that a DST change removes or
//! repeats is counted exactly as often as it really elapses.

use super::rules::HolidayMemo;
use super::BusinessCalendar;
use crate::time::Instant;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Offset, TimeDelta, TimeZone, Utc};

/// How far ahead of its start the walk looks (ten years).
const WALK_LIMIT: TimeDelta = TimeDelta::days(3653);

impl BusinessCalendar {
    /// The zone's UTC offset (local minus UTC) at `t`.
    pub(super) fn offset_at(&self, t: Instant) -> TimeDelta {
        let seconds = self
            .zone
            .offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc();
        TimeDelta::seconds(i64::from(seconds))
    }

    /// The first whole second after `before` whose offset differs from `offset`, knowing that the
    /// offset at `before` is `offset` and at `after` is not (offsets change on whole seconds).
    fn next_offset_change(
        &self,
        before: Instant,
        after: Instant,
        offset: TimeDelta,
    ) -> Option<Instant> {
        let (mut low, mut high) = (before.timestamp(), after.timestamp());
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            let at = DateTime::from_timestamp(middle, 0)?;
            if self.offset_at(at) == offset {
                low = middle;
            } else {
                high = middle;
            }
        }
        DateTime::from_timestamp(high, 0)
    }

    /// Whether `date` (local) has opening hours and is not a holiday.
    pub(super) fn is_business_date(&self, date: NaiveDate, memo: &mut HolidayMemo) -> bool {
        !self.hours_on(date.weekday()).is_empty() && !self.holidays.contains(date, memo)
    }

    /// Adds `minutes` of business time to `from`. `Err` carries the instant the walk stopped at:
    /// [`WALK_LIMIT`] after `from`, or the end of the representable calendar.
    pub(super) fn walk(&self, from: Instant, minutes: u32) -> Result<Instant, Instant> {
        let mut remaining = TimeDelta::minutes(i64::from(minutes));
        let limit = from
            .checked_add_signed(WALK_LIMIT)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let mut cursor = from;
        let mut memo = HolidayMemo::default();
        loop {
            let offset = self.offset_at(cursor);
            let span = self.span_from(cursor, offset).ok_or(cursor)?;
            if self.is_business_date(span.date, &mut memo) {
                for &(open, close) in self.hours_on(span.date.weekday()) {
                    let opens = local_to_utc(span.date, open, offset)
                        .ok_or(cursor)?
                        .max(cursor);
                    let closes = local_to_utc(span.date, close, offset)
                        .ok_or(cursor)?
                        .min(span.end);
                    if closes <= opens {
                        continue;
                    }
                    let available = closes - opens;
                    if remaining <= available {
                        return opens.checked_add_signed(remaining).ok_or(cursor);
                    }
                    remaining -= available;
                }
            }
            cursor = span.end;
            if cursor >= limit {
                return Err(limit);
            }
        }
    }

    /// The span starting at `cursor` (where the offset is `offset`) over which the offset stays
    /// constant and local time stays on one date.
    fn span_from(&self, cursor: Instant, offset: TimeDelta) -> Option<Span> {
        let date = cursor.naive_utc().checked_add_signed(offset)?.date();
        let next_midnight = date.succ_opt()?.and_time(NaiveTime::MIN);
        let mut end = next_midnight.checked_sub_signed(offset)?.and_utc();
        // Offsets change at most once a day in every real zone: probing one second before the
        // span's end tells whether the offset changes inside it.
        let probe = end
            .checked_sub_signed(TimeDelta::seconds(1))
            .unwrap_or(cursor)
            .max(cursor);
        if self.offset_at(probe) != offset {
            end = self.next_offset_change(cursor, probe, offset)?;
        }
        Some(Span { date, end })
    }
}

/// Local time from `cursor` (exclusive of `end`) lies on `date` at one constant offset.
struct Span {
    date: NaiveDate,
    end: Instant,
}

/// The UTC instant of `minute` (0..=1440) past local midnight on `date`, at a constant `offset`.
fn local_to_utc(date: NaiveDate, minute: u32, offset: TimeDelta) -> Option<Instant> {
    let local = date
        .and_time(NaiveTime::MIN)
        .checked_add_signed(TimeDelta::minutes(i64::from(minute)))?;
    Some(local.checked_sub_signed(offset)?.and_utc())
}
