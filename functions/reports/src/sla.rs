use crate::App;
use api::{ApiError, Ctx, Reply};
use domain::incident::Incident;
use domain::report::{report_lines, Month, MonthRange};
use domain::time::format_instant;
use serde_json::{json, Value};

/// `GET /reports/sla?from=YYYY-MM&to=YYYY-MM` (support-admins): one line per month, calendar
/// and severity (zeros included), from the counters only.
pub async fn report(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let range = MonthRange::parse(ctx.query("from"), ctx.query("to"), ctx.now)
        .map_err(ApiError::invalid)?;
    let counts = usecases::lists::sla_counts(&app.store, range.from, range.to).await?;
    let items = report_lines(range, |month, calendar, severity| {
        counts
            .get(&(month, calendar, severity))
            .copied()
            .unwrap_or_default()
    });
    Reply::ok(json!({ "items": items }))
}

/// `GET /reports/sla/breaches?month=YYYY-MM` (support-admins): the incidents breached with a
/// deadline in that month, earliest deadline first, paged.
pub async fn breaches(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let month = match ctx.query("month") {
        None => return Err(ApiError::invalid_field("month", "is required (YYYY-MM)")),
        Some(raw) => Month::parse(raw).ok_or_else(|| {
            ApiError::invalid_field("month", "must be a month YYYY-MM from 2000-01 to 2099-12")
        })?,
    };
    let page = ctx.page()?;
    let (incidents, next) = usecases::lists::breaches(&app.store, month, &page).await?;
    Reply::page(&ctx, incidents.iter().map(breach_line).collect(), next)
}

fn breach_line(i: &Incident) -> Value {
    json!({
        "incident_id": i.incident_id,
        "number": i.number,
        "account_id": i.account_id,
        "severity": i.severity,
        "calendar": i.calendar,
        "first_response_due_at": format_instant(i.first_response_due_at),
        "first_responded_at": i.first_responded_at.map(format_instant),
    })
}

/// `GET /reports/satisfaction?from=YYYY-MM&to=YYYY-MM` (support-admins): good and bad ratings
/// per month of the rating, severity and owner, from the counters the ratings' own transactions
/// keep; `score` = good ÷ (good + bad). Lines with no rating are left out.
pub async fn satisfaction(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let range = MonthRange::parse(ctx.query("from"), ctx.query("to"), ctx.now)
        .map_err(ApiError::invalid)?;
    let lines = usecases::lists::satisfaction(&app.store, range.from, range.to).await?;
    let items: Vec<Value> = lines
        .iter()
        .map(|l| {
            let total = l.good + l.bad;
            json!({
                "month": l.month.to_string(),
                "severity": l.severity,
                "owner_account_id": l.owner_account_id,
                "good": l.good,
                "bad": l.bad,
                "score": (total > 0).then(|| l.good as f64 / total as f64),
            })
        })
        .collect();
    Reply::ok(json!({ "items": items }))
}
