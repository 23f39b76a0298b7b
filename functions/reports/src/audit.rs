use crate::App;
use api::{ApiError, Ctx, Reply};
use domain::audit::AuditQuery;
use domain::time::{parse_client_instant, CLIENT_INSTANT_RULE};

/// The longest account or subject id a filter may name.
const MAX_ID_CHARS: usize = 128;

/// `GET /audit?from=&to=&actor=&subject=` (support-admins): the audit log, newest first, paged;
/// each filter is answered from the entries' own partitions and indexes (`usecases::lists::audit`).
pub async fn list(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let query = parse(&ctx)?;
    let page = ctx.page()?;
    let (entries, next) = usecases::lists::audit(&app.store, &query, &page).await?;
    Reply::page(&ctx, entries, next)
}

fn parse(ctx: &Ctx) -> Result<AuditQuery, ApiError> {
    let mut errors = Vec::new();
    let mut instant = |name: &str| {
        let raw = ctx.query(name).filter(|v| !v.is_empty())?;
        let t = parse_client_instant(raw);
        if t.is_none() {
            errors.push(domain::validation::FieldError::new(
                name,
                CLIENT_INSTANT_RULE,
            ));
        }
        t
    };
    let (from, to) = (instant("from"), instant("to"));
    let mut id = |name: &str| {
        let raw = ctx.query(name).filter(|v| !v.is_empty())?;
        if raw.chars().count() > MAX_ID_CHARS || raw.chars().any(char::is_control) {
            errors.push(domain::validation::FieldError::new(
                name,
                "must be an id of at most 128 characters",
            ));
            return None;
        }
        Some(raw.to_string())
    };
    let (actor, subject) = (id("actor"), id("subject"));
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            errors.push(domain::validation::FieldError::new(
                "from",
                "must not be after `to`",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    Ok(AuditQuery {
        from,
        to,
        actor,
        subject,
    })
}
