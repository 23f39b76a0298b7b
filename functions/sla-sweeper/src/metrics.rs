//! One CloudWatch Embedded Metric Format line per sweep, on stdout, where the Lambda log agent
//! turns it into metrics without an API call: counts per run, the duration, and whether work
//! was left behind or the run failed (the alarms' inputs).

use crate::report::SweepReport;
use serde_json::{json, Value};

pub const NAMESPACE: &str = "IncidentDesk";
const FUNCTION: &str = "sla-sweeper";

pub fn emf(report: &SweepReport, failed: bool, timestamp_ms: i64) -> Value {
    let metric = |name: &str, unit: &str| json!({"Name": name, "Unit": unit});
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Function"]],
                "Metrics": [
                    metric("Examined", "Count"),
                    metric("Breached", "Count"),
                    metric("Warned", "Count"),
                    metric("Skipped", "Count"),
                    metric("Remaining", "Count"),
                    metric("Failed", "Count"),
                    metric("DurationMs", "Milliseconds"),
                ],
            }],
        },
        "Function": FUNCTION,
        "Examined": report.examined,
        "Breached": report.breached,
        "Warned": report.warned,
        "Skipped": report.skipped,
        "Remaining": u8::from(report.remaining),
        "Failed": u8::from(failed),
        "DurationMs": report.duration_ms,
        "as_of": report.as_of,
        "pages": report.pages,
    })
}

/// Prints the line. `println!` writes it whole, so it never interleaves with a log line.
pub fn emit(report: &SweepReport, failed: bool) {
    println!(
        "{}",
        emf(report, failed, chrono::Utc::now().timestamp_millis())
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_metric_has_a_value_in_the_line() {
        let report = SweepReport {
            as_of: "2026-11-25T12:00:00Z".into(),
            examined: 3,
            breached: 2,
            warned: 1,
            skipped: 1,
            remaining: true,
            pages: 4,
            duration_ms: 17,
            privacy: None,
        };
        let line = emf(&report, false, 1_795_000_000_000);
        let declared = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], "IncidentDesk");
        for m in declared["Metrics"].as_array().unwrap() {
            let name = m["Name"].as_str().unwrap();
            assert!(line[name].is_number(), "{name} has no value");
        }
        assert_eq!(line["Breached"], 2);
        assert_eq!(line["Remaining"], 1);
        assert_eq!(line["Failed"], 0);
        assert_eq!(line["Function"], "sla-sweeper");
        assert!(!line.to_string().contains('\n'));
    }
}
