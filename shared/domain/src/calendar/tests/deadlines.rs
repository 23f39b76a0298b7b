//! Named first-response deadlines. Warsaw is UTC+1 (CET) / UTC+2 (CEST), London UTC+0 / UTC+1,
//! New York UTC-5 / UTC-4. EU DST 2026: 29 Mar and 25 Oct; US DST 2026: 8 Mar and 1 Nov; EU 2027:
//! 28 Mar and 31 Oct.

use super::{at, pl, uk, us};
use crate::calendar::{business_minutes, first_response_due};
use crate::Severity;

#[test]
fn severity_a_runs_on_wall_clock_time_and_b_and_c_on_four_and_eight_business_hours() {
    assert_eq!(business_minutes(Severity::A), None);
    assert_eq!(business_minutes(Severity::B), Some(240));
    assert_eq!(business_minutes(Severity::C), Some(480));
}

#[test]
fn a_submission_exactly_at_opening_is_counted_from_that_instant() {
    // Mon 15 Jun 2026 09:00 CEST.
    let opening = at("2026-06-15T07:00:00Z");
    assert!(pl().is_business_time(opening));
    assert_eq!(
        first_response_due(pl(), Severity::B, opening),
        at("2026-06-15T11:00:00Z")
    ); // 13:00 CEST
}

#[test]
fn a_count_ending_exactly_at_closing_time_is_due_at_closing_not_at_the_next_opening() {
    // C from Mon 09:00 CEST ends at Mon 17:00 CEST; B from 13:00 CEST too.
    assert_eq!(
        first_response_due(pl(), Severity::C, at("2026-06-15T07:00:00Z")),
        at("2026-06-15T15:00:00Z")
    );
    assert_eq!(
        first_response_due(pl(), Severity::B, at("2026-06-15T11:00:00Z")),
        at("2026-06-15T15:00:00Z")
    );
}

#[test]
fn a_submission_exactly_at_closing_is_counted_from_the_next_opening() {
    // Mon 15 Jun 2026 17:00 CEST: closed; the minute before is open.
    let closing = at("2026-06-15T15:00:00Z");
    assert!(!pl().is_business_time(closing));
    assert!(pl().is_business_time(at("2026-06-15T14:59:59Z")));
    // Tue 16 Jun 09:00 + 4 h = 13:00 CEST.
    assert_eq!(
        first_response_due(pl(), Severity::B, closing),
        at("2026-06-16T11:00:00Z")
    );
}

#[test]
fn a_submission_before_opening_is_counted_from_opening() {
    // Tue 16 Jun 2026 06:30 EDT -> 09:00 + 4 h = 13:00 EDT.
    assert_eq!(
        first_response_due(us(), Severity::B, at("2026-06-16T10:30:00Z")),
        at("2026-06-16T17:00:00Z")
    );
}

#[test]
fn a_submission_after_closing_is_counted_from_the_next_morning() {
    // Wed 17 Jun 2026 19:45 BST -> Thu 18 Jun 09:00-17:00 BST.
    assert_eq!(
        first_response_due(uk(), Severity::C, at("2026-06-17T18:45:00Z")),
        at("2026-06-18T16:00:00Z")
    );
}

#[test]
fn a_submission_on_a_weekend_is_counted_from_monday_opening() {
    // Sat 20 Jun 2026 11:00 EDT -> Mon 22 Jun 13:00 EDT.
    let saturday = at("2026-06-20T15:00:00Z");
    assert!(!us().is_business_time(saturday));
    assert_eq!(
        first_response_due(us(), Severity::B, saturday),
        at("2026-06-22T17:00:00Z")
    );
}

#[test]
fn a_submission_on_a_holiday_is_counted_from_the_next_business_day() {
    // Wed 11 Nov 2026 (Polish Independence Day) 10:00 CET -> Thu 12 Nov 13:00 CET.
    let holiday = at("2026-11-11T09:00:00Z");
    assert!(!pl().is_business_time(holiday));
    assert_eq!(
        first_response_due(pl(), Severity::B, holiday),
        at("2026-11-12T12:00:00Z")
    );
}

#[test]
fn warsaw_spring_forward_weekend_neither_shifts_nor_loses_business_time() {
    // Fri 27 Mar 2026 16:00 CET: 1 h on Friday, 7 h on Mon 30 Mar (CEST) -> 16:00 CEST.
    assert_eq!(
        first_response_due(pl(), Severity::C, at("2026-03-27T15:00:00Z")),
        at("2026-03-30T14:00:00Z")
    );
}

#[test]
fn warsaw_fall_back_weekend_neither_shifts_nor_adds_business_time() {
    // Fri 23 Oct 2026 16:00 CEST -> Mon 26 Oct 16:00 CET.
    assert_eq!(
        first_response_due(pl(), Severity::C, at("2026-10-23T14:00:00Z")),
        at("2026-10-26T15:00:00Z")
    );
}

#[test]
fn london_spring_forward_weekend_neither_shifts_nor_loses_business_time() {
    // Fri 27 Mar 2026 16:00 GMT -> Mon 30 Mar 16:00 BST.
    assert_eq!(
        first_response_due(uk(), Severity::C, at("2026-03-27T16:00:00Z")),
        at("2026-03-30T15:00:00Z")
    );
}

#[test]
fn london_fall_back_weekend_neither_shifts_nor_adds_business_time() {
    // Fri 23 Oct 2026 16:00 BST -> Mon 26 Oct 16:00 GMT.
    assert_eq!(
        first_response_due(uk(), Severity::C, at("2026-10-23T15:00:00Z")),
        at("2026-10-26T16:00:00Z")
    );
}

#[test]
fn new_york_spring_forward_weekend_neither_shifts_nor_loses_business_time() {
    // Fri 6 Mar 2026 16:00 EST -> Mon 9 Mar 16:00 EDT.
    assert_eq!(
        first_response_due(us(), Severity::C, at("2026-03-06T21:00:00Z")),
        at("2026-03-09T20:00:00Z")
    );
}

#[test]
fn new_york_fall_back_weekend_neither_shifts_nor_adds_business_time() {
    // Fri 30 Oct 2026 16:00 EDT -> Mon 2 Nov 16:00 EST.
    assert_eq!(
        first_response_due(us(), Severity::C, at("2026-10-30T20:00:00Z")),
        at("2026-11-02T21:00:00Z")
    );
}

#[test]
fn easter_monday_2027_right_after_the_eu_dst_change_is_skipped_in_poland_and_the_uk() {
    // Easter Sunday 28 Mar 2027 is also the DST change. PL: Fri 26 Mar 16:00 CET, 1 h on Friday,
    // Easter Monday closed, 7 h on Tue 30 Mar -> 16:00 CEST.
    assert!(!pl().is_business_time(at("2027-03-29T10:00:00Z")));
    assert_eq!(
        first_response_due(pl(), Severity::C, at("2027-03-26T15:00:00Z")),
        at("2027-03-30T14:00:00Z")
    );
    // UK: Thu 25 Mar 16:00 GMT, 1 h; Good Friday and Easter Monday closed; Tue 30 Mar 16:00 BST.
    assert!(!uk().is_business_time(at("2027-03-26T10:00:00Z")));
    assert_eq!(
        first_response_due(uk(), Severity::C, at("2027-03-25T16:00:00Z")),
        at("2027-03-30T15:00:00Z")
    );
}

#[test]
fn independence_day_2026_on_a_saturday_closes_the_us_desk_on_friday_3_july() {
    // Fri 3 Jul 2026 12:00 EDT is the observed holiday.
    assert!(!us().is_business_time(at("2026-07-03T16:00:00Z")));
    // Thu 2 Jul 13:00 EDT: 4 h on Thursday, 4 h on Mon 6 Jul -> 13:00 EDT.
    assert_eq!(
        first_response_due(us(), Severity::C, at("2026-07-02T17:00:00Z")),
        at("2026-07-06T17:00:00Z")
    );
}

#[test]
fn uk_christmas_2027_substitute_days_close_monday_27_and_tuesday_28_december() {
    assert!(!uk().is_business_time(at("2027-12-27T12:00:00Z")));
    assert!(!uk().is_business_time(at("2027-12-28T12:00:00Z")));
    // Fri 24 Dec 12:00 GMT: 5 h on Friday, 3 h on Wed 29 Dec -> 12:00 GMT.
    assert_eq!(
        first_response_due(uk(), Severity::C, at("2027-12-24T12:00:00Z")),
        at("2027-12-29T12:00:00Z")
    );
}

#[test]
fn polish_christmas_week_2026_closes_24_25_and_26_december() {
    // Wed 23 Dec 16:00 CET: 1 h on Wednesday; Thu 24, Fri 25, Sat 26 and Sunday closed; 7 h on
    // Mon 28 Dec -> 16:00 CET.
    assert_eq!(
        first_response_due(pl(), Severity::C, at("2026-12-23T15:00:00Z")),
        at("2026-12-28T15:00:00Z")
    );
}

#[test]
fn polish_christmas_eve_was_a_working_day_before_2025() {
    // Mon 23 Dec 2024 16:00 CET: 1 h on Monday, 7 h on Tue 24 Dec -> 16:00 CET.
    assert!(pl().is_business_time(at("2024-12-24T09:00:00Z")));
    assert_eq!(
        first_response_due(pl(), Severity::C, at("2024-12-23T15:00:00Z")),
        at("2024-12-24T15:00:00Z")
    );
}

#[test]
fn new_year_2028_on_a_saturday_closes_the_us_desk_on_friday_31_december_2027() {
    assert!(!us().is_business_time(at("2027-12-31T17:00:00Z")));
    // Thu 30 Dec 2027 12:00 EST: 5 h on Thursday, Fri 31 Dec closed, 3 h on Mon 3 Jan 2028.
    assert_eq!(
        first_response_due(us(), Severity::C, at("2027-12-30T17:00:00Z")),
        at("2028-01-03T17:00:00Z")
    );
}

#[test]
fn severity_a_is_two_real_hours_even_at_night_on_a_weekend_across_a_dst_change() {
    // Sun 8 Mar 2026 01:30 EST; two real hours later the New York clock reads 04:30 EDT.
    assert_eq!(
        first_response_due(us(), Severity::A, at("2026-03-08T06:30:00Z")),
        at("2026-03-08T08:30:00Z")
    );
    // Sat 26 Dec 2026 23:10 CET, a Polish holiday and a weekend night.
    assert_eq!(
        first_response_due(pl(), Severity::A, at("2026-12-26T22:10:00Z")),
        at("2026-12-27T00:10:00Z")
    );
}

#[test]
fn seconds_within_a_minute_are_kept_and_zero_minutes_lands_on_the_next_opening() {
    // Mon 15 Jun 2026 10:00:30 CEST + 4 h = 14:00:30 CEST.
    assert_eq!(
        pl().add_business_minutes(at("2026-06-15T08:00:30Z"), 240),
        at("2026-06-15T12:00:30Z")
    );
    assert_eq!(
        pl().add_business_minutes(at("2026-06-15T08:00:30Z"), 0),
        at("2026-06-15T08:00:30Z")
    );
    // Sat 13 Jun 2026 -> Mon 15 Jun 09:00 CEST.
    assert_eq!(
        pl().add_business_minutes(at("2026-06-13T08:00:00Z"), 0),
        at("2026-06-15T07:00:00Z")
    );
}

#[test]
fn a_count_beyond_the_ten_year_walk_stops_ten_years_on_without_panicking() {
    let from = at("2026-06-15T07:00:00Z");
    assert_eq!(
        pl().add_business_minutes(from, u32::MAX),
        from + chrono::TimeDelta::days(3653)
    );
}

#[test]
fn counting_at_the_end_of_representable_time_does_not_panic() {
    let last = chrono::DateTime::<chrono::Utc>::MAX_UTC;
    let near_the_end = last - chrono::TimeDelta::days(2);
    for calendar in [pl(), us(), uk()] {
        assert!(calendar.add_business_minutes(near_the_end, 480) >= near_the_end);
        assert_eq!(first_response_due(calendar, Severity::A, last), last);
        let _ = calendar.is_business_time(last);
    }
}

#[test]
fn the_warning_comes_at_three_quarters_of_the_window_on_the_same_calendar_walk() {
    use crate::calendar::{first_response_clock, first_response_warn};
    // Mon 15 Jun 2026 09:00 CEST: B warns at 12:00, is due at 13:00.
    let monday_nine = at("2026-06-15T07:00:00Z");
    let b = first_response_clock(pl(), Severity::B, monday_nine);
    assert_eq!(b.warn_at, at("2026-06-15T10:00:00Z"));
    assert_eq!(b.due_at, at("2026-06-15T11:00:00Z"));
    // Mon 14:00 CEST: C counts 3 hours to closing, then 3 more on Tuesday for the warning
    // (Tue 12:00) and 5 for the deadline (Tue 14:00).
    let c = first_response_clock(pl(), Severity::C, at("2026-06-15T12:00:00Z"));
    assert_eq!(c.warn_at, at("2026-06-16T10:00:00Z"));
    assert_eq!(c.due_at, at("2026-06-16T12:00:00Z"));
    // A is wall clock: 90 minutes, on a Polish holiday night too.
    assert_eq!(
        first_response_warn(pl(), Severity::A, at("2026-12-26T22:10:00Z")),
        at("2026-12-26T23:40:00Z")
    );
}
