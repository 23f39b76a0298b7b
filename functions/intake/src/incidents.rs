use crate::App;
use api::intake::{refused_unless_replayed, replay};
use api::{ApiError, Ctx, Reply};
use domain::incident::MAX_ACCOUNT_ID;
use domain::intake::Submission;
use domain::{IncidentStatus, Severity, SlaOutcome};
use lambda_http::http::StatusCode;
use usecases::draw::{Submit, Submitted};
use usecases::idempotency::IdempotencyWrite;
use usecases::lists::{IncidentFilter, OwnerFilter};

const OPERATION: &str = "POST /incidents";

/// `POST /incidents`: checks, draws one unit and creates the incident in one transaction.
pub async fn submit(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let key = ctx.idempotency_key()?;
    let body = ctx.json()?;
    let fingerprint = ctx.fingerprint(&body);
    let idempotency =
        IdempotencyWrite::new(&ctx.actor.account_id, OPERATION, &key, fingerprint, ctx.now);
    // The idempotency record is checked by the draw's own transaction (a retry's answer comes
    // back in its cancellation); only a refusal looks for it first-hand.
    match submit_once(app, &ctx, &body, &idempotency).await {
        Ok(reply) => Ok(reply),
        Err(refusal) => {
            let earlier = usecases::idempotency::earlier(&app.store, &idempotency);
            refused_unless_replayed(earlier, &idempotency.fingerprint, refusal).await
        }
    }
}

async fn submit_once(
    app: &'static App,
    ctx: &Ctx,
    body: &serde_json::Value,
    idempotency: &IdempotencyWrite,
) -> Result<Reply, ApiError> {
    let submission = Submission::parse(body).map_err(ApiError::invalid)?;
    // The account's address rides in the draw's transaction when this process has not seen it
    // stored; claimed before the first store call, so the identity hook beside this handler
    // finds it known and makes no call of its own.
    let email = usecases::profile::claim_email(&ctx.actor);
    let draw = Submit {
        actor: &ctx.actor,
        submission: &submission,
        now: ctx.now,
        incident_id: usecases::draw::new_incident_id(),
        idempotency: Some(idempotency.clone()),
        remember_email: email,
    };
    let drawn = usecases::draw::submit(&app.store, app.calendars, draw).await;
    if email.is_some() && !matches!(drawn, Ok(Submitted::Created { .. })) {
        // Nothing was written (a refusal, a replay): the address is kept the hook's way, off the
        // floor's path.
        usecases::profile::release_email(&ctx.actor);
        usecases::profile::remember_email(&app.store, &ctx.actor, ctx.now).await;
    }
    match drawn? {
        Submitted::Created {
            incident,
            submitted,
        } => Reply::created(incident.view(Some(vec![submitted]))),
        Submitted::Replayed(record) => replay(&record, &idempotency.fingerprint),
    }
}

/// `GET /incidents`: the caller's incidents, newest first; `?status=` filters. Staff see all,
/// filtered by `?owner=me|none|<account_id>`, `?status=`, `?severity=`, `?sla=`, combinable;
/// `?open=true` with an owner lists its open incidents, earliest deadline first. Each list is one
/// Query of one index (see `Store::staff_incidents`).
pub async fn list(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let status = parsed::<IncidentStatus>(&ctx, "status")?;
    let (incidents, next) = if ctx.actor.is_staff() {
        let filter = staff_filter(&ctx, status)?;
        let page = ctx.page()?;
        usecases::lists::staff_incidents(&app.store, &ctx.actor, &filter, &page).await?
    } else {
        let page = ctx.page()?;
        usecases::lists::own_incidents(&app.store, &ctx.actor, status, &page).await?
    };
    Reply::page(&ctx, incidents.iter().map(|i| i.view(None)).collect(), next)
}

/// A query parameter of a closed vocabulary; a bad value is a `400` naming it.
fn parsed<T: std::str::FromStr<Err = String>>(
    ctx: &Ctx,
    name: &str,
) -> Result<Option<T>, ApiError> {
    ctx.query(name)
        .map(|v| {
            v.parse::<T>()
                .map_err(|m| ApiError::invalid_field(name, &m))
        })
        .transpose()
}

/// Staff's filters, each checked (a bad value is a `400` naming its parameter).
fn staff_filter(ctx: &Ctx, status: Option<IncidentStatus>) -> Result<IncidentFilter<'_>, ApiError> {
    let owner = match ctx.query("owner") {
        None => OwnerFilter::Any,
        Some("me") => OwnerFilter::Account(&ctx.actor.account_id),
        Some("none") => OwnerFilter::Nobody,
        Some(id) if !id.trim().is_empty() && id.len() <= MAX_ACCOUNT_ID && id.trim() == id => {
            OwnerFilter::Account(id)
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "owner",
                "must be me, none or an account id",
            ))
        }
    };
    let open = match ctx.query("open") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::invalid_field("open", "must be true or false")),
    };
    let charge_pending = match ctx.query("charge") {
        None => false,
        Some("pending") => true,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "charge",
                "must be pending (incidents whose charge awaits a decision)",
            ))
        }
    };
    let (severity, sla) = (
        parsed::<Severity>(ctx, "severity")?,
        parsed::<SlaOutcome>(ctx, "sla")?,
    );
    if charge_pending && (open || status.is_some() || severity.is_some() || sla.is_some()) {
        return Err(ApiError::invalid_field(
            "charge",
            "charge=pending combines with owner only (every such incident is closed by its customer)",
        ));
    }
    if open && !matches!(owner, OwnerFilter::Account(_)) {
        return Err(ApiError::invalid_field(
            "open",
            "lists one engineer's open incidents: give owner=me or an account id",
        ));
    }
    Ok(IncidentFilter {
        owner,
        status,
        severity,
        sla,
        open,
        charge_pending,
    })
}

/// `GET /incidents/{incident_id}`: the incident with the first page of its timeline.
pub async fn get(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let found =
        usecases::read::incident_with_first_page(&app.store, &ctx.actor, &ctx.incident_id())
            .await?;
    api::timeline::incident_reply(&ctx, found, StatusCode::OK)
}

/// `GET /incidents/by-number/{number}` (the owner or staff): the incident a number names, as
/// `GET /incidents/{incident_id}` answers it. Not a number, a number nobody holds, or another
/// account's incident: `404`.
pub async fn get_by_number(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let id = usecases::read::incident_id_by_number(&app.store, ctx.param("number")).await?;
    let found = usecases::read::incident_with_first_page(&app.store, &ctx.actor, &id).await?;
    api::timeline::incident_reply(&ctx, found, StatusCode::OK)
}

/// `GET /incidents/{incident_id}/timeline`: the rest of it, a page at a time, oldest first.
pub async fn timeline(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let page = ctx.page()?;
    let (events, next) =
        usecases::read::timeline_page(&app.store, &ctx.actor, &ctx.incident_id(), &page).await?;
    Reply::page(&ctx, events, next)
}
