use crate::App;
use api::{ApiError, Ctx, Reply};
use chrono::Datelike;
use domain::calendar::{business_minutes, first_response_clock};
use domain::time::{format_instant, parse_client_instant, CLIENT_INSTANT_RULE};
use domain::validation::FieldError;
use domain::{CalendarId, Severity};
use serde_json::json;

/// `GET /sla/quote`: when the warning and the first response would be due for a submission at `at` (default now).
pub async fn quote(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let mut errors = Vec::new();
    let mut read = |name: &str| -> Option<String> {
        let v = ctx.query(name).map(str::to_string);
        if v.is_none() {
            errors.push(FieldError::new(name, "is required"));
        }
        v
    };
    let severity = read("severity");
    let calendar = read("calendar");
    let severity = severity.and_then(|s| {
        s.parse::<Severity>()
            .map_err(|m| errors.push(FieldError::new("severity", m)))
            .ok()
    });
    let calendar = calendar.and_then(|s| {
        s.parse::<CalendarId>()
            .map_err(|m| errors.push(FieldError::new("calendar", m)))
            .ok()
    });
    let from = match ctx.query("at") {
        None => Some(ctx.now),
        Some(at) => parse_client_instant(at).or_else(|| {
            errors.push(FieldError::new("at", CLIENT_INSTANT_RULE));
            None
        }),
    };
    let (Some(severity), Some(calendar), Some(from), true) =
        (severity, calendar, from, errors.is_empty())
    else {
        return Err(ApiError::invalid(errors));
    };
    let clock = first_response_clock(app.calendars.get(calendar), severity, from);
    Reply::ok(json!({
        "severity": severity,
        "calendar": calendar,
        "from": format_instant(from),
        "first_response_warn_at": format_instant(clock.warn_at),
        "first_response_due_at": format_instant(clock.due_at),
        "business_minutes": business_minutes(severity),
    }))
}

/// `GET /calendars`: each support calendar with its hours and holidays this year and next.
pub async fn calendars(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let year = ctx.now.year();
    let items: Vec<_> = app
        .calendars
        .all()
        .map(|c| c.view(&[year, year + 1]))
        .collect();
    Reply::ok(json!({ "items": items }))
}
