//! One invocation: read the as-of instant from the Scheduled Event, sweep within the page budget
//! and the invocation's remaining time, report and log the counts.

use crate::error::SweepError;
use crate::metrics;
use crate::report::SweepReport;
use chrono::SubsecRound;
use domain::time::{parse_instant, Instant};
use lambda_runtime::LambdaEvent;

use serde_json::Value;
use std::time::{Duration, SystemTime};
use store::Store;
use usecases::sweep::SweepPlan;

/// Read once at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepConfig {
    /// Items per Query page (`SWEEP_PAGE_SIZE`, 1–1000, default 100).
    pub page_size: i32,
    /// Pages per run over all shards (`SWEEP_PAGE_BUDGET`, default 50).
    pub page_budget: u32,
    /// Stop this long before the invocation's deadline (`SWEEP_TIME_MARGIN_MS`, default 5000).
    pub time_margin: Duration,
    /// The longest a run works (`SWEEP_MAX_RUN_MS`, default 25000): the schedule fires every
    /// minute, so a run never spills into the next; what is left is the next run's.
    pub max_run: Duration,
    /// Attachments of incidents closed longer than this many days are deleted by the privacy
    /// step (`ATTACHMENT_RETENTION_DAYS`, 1–36500, default 365).
    pub attachment_retention_days: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("environment variable {name} must be {expected}, not {value:?}")]
pub struct ConfigError {
    name: &'static str,
    expected: &'static str,
    value: String,
}

impl SweepConfig {
    pub fn from_env() -> Result<SweepConfig, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<SweepConfig, ConfigError> {
        let number = |name: &'static str,
                      expected: &'static str,
                      default: u64,
                      range: std::ops::RangeInclusive<u64>| {
            match get(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or(ConfigError {
                        name,
                        expected,
                        value: v,
                    }),
            }
        };
        Ok(SweepConfig {
            page_size: number(
                "SWEEP_PAGE_SIZE",
                "a whole number from 1 to 1000",
                100,
                1..=1000,
            )? as i32,
            page_budget: number(
                "SWEEP_PAGE_BUDGET",
                "a whole number from 1 to 100000",
                50,
                1..=100_000,
            )? as u32,
            time_margin: Duration::from_millis(number(
                "SWEEP_TIME_MARGIN_MS",
                "milliseconds from 0 to 600000",
                5_000,
                0..=600_000,
            )?),
            max_run: Duration::from_millis(number(
                "SWEEP_MAX_RUN_MS",
                "milliseconds from 1000 to 900000",
                25_000,
                1_000..=900_000,
            )?),
            attachment_retention_days: domain::privacy::retention_days_from(
                get("ATTACHMENT_RETENTION_DAYS").as_deref(),
            )
            .map_err(|_| ConfigError {
                name: "ATTACHMENT_RETENTION_DAYS",
                expected: "a whole number of days from 1 to 36500",
                value: get("ATTACHMENT_RETENTION_DAYS").unwrap_or_default(),
            })?,
        })
    }
}

pub struct Sweeper {
    pub store: Store,
    pub objects: objects::Objects,
    pub config: SweepConfig,
}

impl Sweeper {
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<SweepReport, SweepError> {
        let started = std::time::Instant::now();
        let as_of = as_of(&event.payload).inspect_err(|e| {
            tracing::error!(error = %e, retryable = e.is_retryable(), "sla sweep refused its event");
        })?;
        let plan = SweepPlan {
            as_of,
            page_size: self.config.page_size,
            page_budget: self.config.page_budget,
            stop_at: Some(stop_at(started, event.context.deadline, &self.config)),
        };
        let swept = usecases::sweep::sweep::<SweepError>(&self.store, &plan).await;
        // The privacy step (exports to build, erasures to finish, attachment retention) runs
        // after the sweep on the same schedule; its failure is logged and left for the next run,
        // never failing the sweep.
        let privacy = match usecases::privacy::privacy_step(
            &self.store,
            &self.objects,
            self.config.attachment_retention_days,
            as_of,
        )
        .await
        {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::error!(error = %e, "privacy step failed");
                None
            }
        };
        let mut report = SweepReport::new(as_of, &swept.tally, started.elapsed());
        report.privacy = privacy;
        metrics::emit(&report, swept.failure.is_some());
        // The report as one line, whatever happened; a failure gets its own line besides.
        tracing::info!(
            as_of = %report.as_of,
            examined = report.examined,
            breached = report.breached,
            warned = report.warned,
            skipped = report.skipped,
            remaining = report.remaining,
            pages = report.pages,
            duration_ms = report.duration_ms,
            failed = swept.failure.is_some(),
            "sla sweep"
        );
        match swept.failure {
            None => Ok(report),
            Some(e) => {
                tracing::error!(error = %e, retryable = e.is_retryable(), "sla sweep failed");
                Err(e)
            }
        }
    }
}

/// The Scheduled Event's `time`, in whole seconds like every stored instant.
fn as_of(event: &Value) -> Result<Instant, SweepError> {
    match event.get("time") {
        None | Some(Value::Null) => Err(SweepError::BadEvent("`time` is missing".into())),
        Some(Value::String(s)) => parse_instant(s)
            .map(|t| t.trunc_subsecs(0))
            .ok_or_else(|| SweepError::BadEvent(format!("{s:?} is not an RFC 3339 instant"))),
        Some(other) => Err(SweepError::BadEvent(format!(
            "{other} is not an RFC 3339 instant"
        ))),
    }
}

/// When to stop starting work: after the longest run, and before the invocation's deadline
/// (epoch milliseconds) less the margin. A deadline that has already passed when the invocation
/// starts is not one Lambda gives (local emulators send 0 or a duration): only the longest run
/// bounds the sweep then.
fn stop_at(
    started: std::time::Instant,
    deadline_ms: u64,
    config: &SweepConfig,
) -> std::time::Instant {
    let longest = started + config.max_run;
    let deadline = SystemTime::UNIX_EPOCH + Duration::from_millis(deadline_ms);
    match deadline.duration_since(SystemTime::now()) {
        Ok(left) if !left.is_zero() => {
            longest.min(started + left.saturating_sub(config.time_margin))
        }
        _ => {
            tracing::debug!(
                deadline_ms,
                "no usable invocation deadline; bounded by the longest run"
            );
            longest
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::incident::Incident;
    use domain::time::format_instant;
    use serde_json::json;
    use std::collections::HashMap;
    use usecases::sweep::decide;

    const SCHEDULED: &str = include_str!("../../../tests/events/scheduled.json");

    #[test]
    fn the_as_of_instant_is_the_scheduled_events_time() {
        let event: Value = serde_json::from_str(SCHEDULED).unwrap();
        let t = as_of(&event).unwrap();
        assert_eq!(format_instant(t), "2026-11-25T12:00:00Z");
    }

    #[test]
    fn an_event_without_a_valid_time_is_a_bad_event_that_no_retry_fixes() {
        for event in [
            json!({"detail-type": "Scheduled Event"}),
            json!({"time": null}),
            json!({"time": "yesterday"}),
            json!({"time": 1_795_000_000}),
        ] {
            let e = as_of(&event).unwrap_err();
            assert!(matches!(e, SweepError::BadEvent(_)), "{event}: {e}");
            assert!(!e.is_retryable());
        }
    }

    #[test]
    fn an_offset_time_is_read_as_the_same_instant_in_utc() {
        let t = as_of(&json!({"time": "2026-11-25T13:00:00.750+01:00"})).unwrap();
        assert_eq!(format_instant(t), "2026-11-25T12:00:00Z");
    }

    fn epoch_ms(t: SystemTime) -> u64 {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }

    #[test]
    fn the_sweep_stops_before_the_deadline_less_the_margin_and_never_after_the_longest_run() {
        let config = SweepConfig::from_lookup(|_| None).unwrap();
        let started = std::time::Instant::now();
        let in_a_minute = epoch_ms(SystemTime::now() + Duration::from_secs(60));
        assert_eq!(
            stop_at(started, in_a_minute, &config),
            started + config.max_run
        );
        let in_ten_seconds = epoch_ms(SystemTime::now() + Duration::from_secs(10));
        let stop = stop_at(started, in_ten_seconds, &config);
        assert!(stop <= started + Duration::from_secs(5));
        assert!(stop > started + Duration::from_secs(4));
    }

    #[test]
    fn a_deadline_no_lambda_would_give_leaves_only_the_longest_run() {
        let config = SweepConfig::from_lookup(|_| None).unwrap();
        let started = std::time::Instant::now();
        for bogus in [
            0,
            600_000,
            epoch_ms(SystemTime::now() - Duration::from_secs(1)),
        ] {
            assert_eq!(stop_at(started, bogus, &config), started + config.max_run);
        }
    }

    fn awaiting(due: &str) -> Incident {
        let body = json!({
            "product_id": "windows-server-2022", "category": "configuration", "severity": "C",
            "handling": "business_hours", "calendar": "PL", "title": "t", "description": "d",
            "contact": {"name": "Ada", "email": "ada@example.com"}
        });
        let submission = domain::intake::Submission::parse(&body).unwrap();
        let due = parse_instant(due).unwrap();
        let (incident, _) = domain::intake::new_incident(
            &submission,
            domain::intake::NewIncident {
                incident_id: "inc_1".into(),
                account_id: &domain::AccountId::from("acct_1"),
                pack_id: &domain::PackId::from("pack_1"),
                parent_incident_id: None,
                first_response_warn_at: due - chrono::Duration::hours(2),
                first_response_due_at: due,
                now: due - chrono::Duration::hours(8),
                number: "K7M-4QX9".into(),
                actor_display_name: None,
            },
        );
        incident
    }

    #[test]
    fn a_due_incident_is_warned_then_breached_and_one_not_due_or_already_breached_is_left_alone() {
        let incident = awaiting("2026-11-25T12:00:00Z");
        let before_warning = parse_instant("2026-11-25T09:59:59Z").unwrap();
        assert!(decide(&incident, before_warning, before_warning)
            .unwrap()
            .is_none());
        let warning = parse_instant("2026-11-25T10:00:01Z").unwrap();
        let warned = decide(&incident, warning, warning)
            .unwrap()
            .expect("a warning");
        assert_eq!(
            warned.events.iter().map(|e| e.kind()).collect::<Vec<_>>(),
            [domain::incident::EventKind::SlaWarning]
        );
        let before = parse_instant("2026-11-25T11:59:59Z").unwrap();
        assert!(decide(&warned.incident, before, before).unwrap().is_none());
        let after = parse_instant("2026-11-25T12:00:01Z").unwrap();
        let t = decide(&warned.incident, after, after)
            .unwrap()
            .expect("a breach");
        assert_eq!(t.incident.sla, domain::SlaOutcome::Breached);
        assert_eq!(t.events.len(), 1);
        assert!(decide(&t.incident, after, after).unwrap().is_none());
    }

    #[test]
    fn the_configuration_has_defaults_and_names_a_bad_variable() {
        let none = SweepConfig::from_lookup(|_| None).unwrap();
        assert_eq!(
            none,
            SweepConfig {
                page_size: 100,
                page_budget: 50,
                time_margin: Duration::from_secs(5),
                max_run: Duration::from_secs(25),
                attachment_retention_days: 365,
            }
        );
        for bad in ["0", "forever", "1.5"] {
            let env = HashMap::from([("ATTACHMENT_RETENTION_DAYS", bad)]);
            let e = SweepConfig::from_lookup(|n| env.get(n).map(|v| v.to_string())).unwrap_err();
            assert!(e.to_string().contains("ATTACHMENT_RETENTION_DAYS"), "{e}");
        }
        let env = HashMap::from([("ATTACHMENT_RETENTION_DAYS", "30")]);
        let c = SweepConfig::from_lookup(|n| env.get(n).map(|v| v.to_string())).unwrap();
        assert_eq!(c.attachment_retention_days, 30);
        let env = HashMap::from([("SWEEP_PAGE_BUDGET", "0")]);
        let e = SweepConfig::from_lookup(|n| env.get(n).map(|v| v.to_string())).unwrap_err();
        assert!(e.to_string().contains("SWEEP_PAGE_BUDGET"), "{e}");
        let env = HashMap::from([("SWEEP_PAGE_SIZE", "25"), ("SWEEP_TIME_MARGIN_MS", "750")]);
        let c = SweepConfig::from_lookup(|n| env.get(n).map(|v| v.to_string())).unwrap();
        assert_eq!(
            (c.page_size, c.time_margin),
            (25, Duration::from_millis(750))
        );
    }
}
