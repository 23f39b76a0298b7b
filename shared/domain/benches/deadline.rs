//! First-response deadline timings: `cargo bench -p domain --bench deadline`.
//! std only; prints a Markdown table (mean and p99 over batches of calls).

use chrono::{DateTime, Utc};
use domain::calendar::{first_response_due, Calendars};
use domain::{CalendarId, Severity};
use std::hint::black_box;
use std::time::Instant;

const BATCHES: usize = 2_000;
const CALLS_PER_BATCH: usize = 100;

struct Case {
    name: &'static str,
    calendar: CalendarId,
    severity: Severity,
    /// Submission instant (UTC); the local time is in `name`.
    from: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "PL C, Wed 23 Dec 2026 16:00 CET (Christmas stretch)",
        calendar: CalendarId::Pl,
        severity: Severity::C,
        from: "2026-12-23T15:00:00Z",
    },
    Case {
        name: "PL B, Tue 16 Jun 2026 10:00 CEST (same day)",
        calendar: CalendarId::Pl,
        severity: Severity::B,
        from: "2026-06-16T08:00:00Z",
    },
    Case {
        name: "PL C, Fri 26 Mar 2027 16:00 CET (Easter + DST)",
        calendar: CalendarId::Pl,
        severity: Severity::C,
        from: "2027-03-26T15:00:00Z",
    },
    Case {
        name: "US C, Thu 30 Dec 2027 12:00 EST (New Year observed)",
        calendar: CalendarId::Us,
        severity: Severity::C,
        from: "2027-12-30T17:00:00Z",
    },
    Case {
        name: "UK C, Fri 24 Dec 2027 12:00 GMT (substitute days)",
        calendar: CalendarId::Uk,
        severity: Severity::C,
        from: "2027-12-24T12:00:00Z",
    },
    Case {
        name: "UK A, Sat 26 Dec 2026 23:00 GMT (wall clock)",
        calendar: CalendarId::Uk,
        severity: Severity::A,
        from: "2026-12-26T23:00:00Z",
    },
];

fn main() {
    let calendars = match Calendars::shipped() {
        Ok(calendars) => calendars,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    println!("| case | iterations | mean ns/op | p99 ns/op | due (UTC) |");
    println!("|---|---:|---:|---:|---|");
    for case in CASES {
        let Ok(from) = DateTime::parse_from_rfc3339(case.from).map(|t| t.with_timezone(&Utc))
        else {
            eprintln!("bad instant in case {}", case.name);
            std::process::exit(1);
        };
        let calendar = calendars.get(case.calendar);
        // Warm up.
        for _ in 0..CALLS_PER_BATCH * 10 {
            black_box(first_response_due(
                black_box(calendar),
                black_box(case.severity),
                black_box(from),
            ));
        }
        let mut per_op: Vec<f64> = Vec::with_capacity(BATCHES);
        for _ in 0..BATCHES {
            let started = Instant::now();
            for _ in 0..CALLS_PER_BATCH {
                black_box(first_response_due(
                    black_box(calendar),
                    black_box(case.severity),
                    black_box(from),
                ));
            }
            per_op.push(started.elapsed().as_nanos() as f64 / CALLS_PER_BATCH as f64);
        }
        let mean = per_op.iter().sum::<f64>() / per_op.len() as f64;
        per_op.sort_by(f64::total_cmp);
        let p99 = per_op[(per_op.len() * 99 / 100).min(per_op.len() - 1)];
        let due = first_response_due(calendar, case.severity, from);
        println!(
            "| {} | {} | {:.0} | {:.0} | {} |",
            case.name,
            BATCHES * CALLS_PER_BATCH,
            mean,
            p99,
            domain::time::format_instant(due)
        );
    }
}
