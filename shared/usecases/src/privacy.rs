//! Privacy (API.md "Privacy"): the account's data export (started on request, one per 24
//! hours, audited; built off the request path by the scheduled privacy step into one tar archive
//! streamed to S3), erasure requests and the admin's decision (audited in the decision's
//! transaction), the erasure itself in bounded steps whose progress is kept on the request (a
//! crash leaves it `erasing`; a re-run — the scheduled step, or the admin's decision repeated —
//! finishes it, and every write is idempotent), and the retention of attachments.

use crate::Failure;
use domain::incident::Incident;
use domain::privacy::{
    self as rules, DataExport, ErasureRequest, ErasureStatus, ExportStatus, PrivacyRefusal,
};
use domain::time::{format_instant, Instant};
use domain::Actor;
use objects::{ObjectError, Objects};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};
use store::privacy::ExportStart;
use store::Store;

/// Incidents erased per step; the request's progress is written after each.
pub const ERASURE_STEP_INCIDENTS: i32 = 10;

impl From<PrivacyRefusal> for Failure {
    fn from(r: PrivacyRefusal) -> Self {
        match r {
            PrivacyRefusal::NotFound => Failure::NotFound,
            other => Failure::Conflict(other.message()),
        }
    }
}

impl From<ObjectError> for Failure {
    fn from(e: ObjectError) -> Self {
        match e {
            ObjectError::Unavailable(m) => Failure::Unavailable(m),
            ObjectError::Other(m) => Failure::Internal(m),
        }
    }
}

fn system_time(t: Instant) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(t.timestamp_millis()).unwrap_or(0))
}

// ---- exports --------------------------------------------------------------------------------

/// Starts an export of the caller's data: at most one per 24 hours (`TooManyAttempts` with the
/// wait), audited in the same transaction.
pub async fn request_export(
    store: &Store,
    actor: &Actor,
    now: Instant,
) -> Result<DataExport, Failure> {
    let export = DataExport::new(store::ids::new_id("exp").into(), &actor.account_id, now);
    let since = now - chrono::Duration::hours(rules::EXPORT_INTERVAL_HOURS);
    let entry = domain::audit::of_data_export(&export);
    match store.start_export(&export, since, &entry).await? {
        ExportStart::Started => Ok(export),
        ExportStart::TooSoon(at) => Err(Failure::TooManyAttempts {
            retry_after_secs: rules::may_export(Some(at), now).err().unwrap_or(1),
        }),
    }
}

/// An export as its account sees it: ready ones with a link valid 24 hours from now.
pub struct ExportView {
    pub export: DataExport,
    pub download_url: Option<String>,
    pub expires_at: Option<Instant>,
}

pub async fn export_view(
    store: &Store,
    objects: &Objects,
    actor: &Actor,
    export_id: &domain::ExportId,
    now: Instant,
) -> Result<ExportView, Failure> {
    let Some(export) = store.data_export(&actor.account_id, export_id).await? else {
        return Err(Failure::NotFound);
    };
    if export.status != ExportStatus::Ready {
        return Ok(ExportView {
            export,
            download_url: None,
            expires_at: None,
        });
    }
    let url = objects
        .presign_download(
            &objects::keys::export(&export.account_id, &export.export_id),
            "attachment; filename=\"incident-desk-data-export.tar\"",
            "application/x-tar",
            system_time(now),
            Duration::from_secs(3600 * rules::EXPORT_LINK_VALID_HOURS as u64),
        )
        .await?;
    Ok(ExportView {
        export,
        download_url: Some(url),
        expires_at: Some(DataExport::link_expires_at(now)),
    })
}

/// The JSON document of an account's data and the attachments to put beside it
/// (`(archive path, object key)`).
pub async fn export_document(
    store: &Store,
    account_id: &domain::AccountId,
    now: Instant,
) -> Result<(Value, Vec<(String, String)>), Failure> {
    let profile = store.account_profile(account_id).await?;
    let exemption = store.tax_exemption(account_id).await?.map(|e| e.exemption);
    let mut packs = Vec::new();
    for pack in store.all_packs_of(account_id).await? {
        let ledger = store.ledger(&pack.pack_id).await?;
        let mut p = serde_json::to_value(&pack).map_err(|e| Failure::Internal(e.to_string()))?;
        p["ledger"] = serde_json::to_value(ledger).map_err(|e| Failure::Internal(e.to_string()))?;
        packs.push(p);
    }
    let claims = store.claims_by(account_id).await?;
    let mut incidents = Vec::new();
    let mut files = Vec::new();
    for incident in store.all_incidents_of(account_id).await? {
        let id = incident.incident_id.clone();
        let events = rules::exportable_events(store.incident_events_raw(&id).await?);
        let proposals = store.proposals(&id).await?;
        let mut attachments = Vec::new();
        for a in store.attachments(&id).await? {
            let uploaded = a.status == domain::attachment::AttachmentStatus::Uploaded
                && incident.attachments_deleted_at.is_none();
            let path = format!("attachments/{}/{}", id, a.attachment_id);
            let mut v = serde_json::to_value(&a).map_err(|e| Failure::Internal(e.to_string()))?;
            v["archive_path"] = if uploaded { json!(path) } else { Value::Null };
            if uploaded {
                files.push((path, objects::keys::uploaded(&id, &a.attachment_id)));
            }
            attachments.push(v);
        }
        // The incident as the API shows it, with its whole timeline beside it.
        let mut v = serde_json::to_value(incident.view(None))
            .map_err(|e| Failure::Internal(e.to_string()))?;
        v["events"] = Value::Array(events);
        v["sub_problem_proposals"] =
            serde_json::to_value(proposals).map_err(|e| Failure::Internal(e.to_string()))?;
        v["attachments"] = Value::Array(attachments);
        incidents.push(v);
    }
    let document = json!({
        "exported_at": format_instant(now),
        "account": {
            "account_id": account_id,
            "email": profile.email,
            "billing_country": profile.billing_country,
        },
        "packs": packs,
        "claims": claims,
        "tax_exemption": exemption,
        "incidents": incidents,
    });
    Ok((document, files))
}

/// Builds one export's archive (`data.json` and the attachments' bytes, streamed) and marks it
/// ready; the stream's record of that change is what the notifier mails. `false` if it was
/// ready already.
pub async fn build_export(
    store: &Store,
    objects: &Objects,
    export: &DataExport,
    now: Instant,
) -> Result<bool, Failure> {
    let (document, files) = export_document(store, &export.account_id, now).await?;
    let key = objects::keys::export(&export.account_id, &export.export_id);
    let mtime = u64::try_from(now.timestamp()).unwrap_or(0);
    let mut archive = objects.archive_begin(&key).await?;
    let written: Result<(), ObjectError> = async {
        let bytes =
            serde_json::to_vec_pretty(&document).map_err(|e| ObjectError::Other(e.to_string()))?;
        objects
            .archive_add_bytes(&mut archive, "data.json", &bytes, mtime)
            .await?;
        for (path, from) in &files {
            objects
                .archive_add_object(&mut archive, path, from, mtime)
                .await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = written {
        objects.archive_discard(archive).await;
        return Err(e.into());
    }
    let size = objects.archive_complete(archive).await?;
    tracing::info!(export_id = %export.export_id, size, files = files.len(), "export archive written");
    let mut ready = export.clone();
    ready.status = ExportStatus::Ready;
    ready.ready_at = Some(now);
    Ok(store.export_ready(&ready).await?)
}

// ---- erasure ----------------------------------------------------------------------------------

/// The caller asks for erasure: one pending request however often it asks; refused while an
/// incident is open or a charge pending.
pub async fn request_erasure(
    store: &Store,
    actor: &Actor,
    reason: &str,
    now: Instant,
) -> Result<ErasureRequest, Failure> {
    let account = &actor.account_id;
    let mut rounds = store.rounds();
    while rounds.start().await {
        let current = store.erasure_request(account).await?;
        let incidents = store.all_incidents_of(account).await?;
        let current_request = current.as_ref().map(|c| &c.request);
        match rules::request_erasure(current_request, &incidents, account, reason, now)? {
            None => {
                return current
                    .map(|c| c.request)
                    .ok_or_else(|| Failure::Internal("no request".into()))
            }
            Some(new) => {
                let expected = current_request.map(|c| c.status);
                if store
                    .save_erasure_request(&new, expected, None, None)
                    .await?
                {
                    return Ok(new);
                }
            }
        }
    }
    Err(Failure::Busy("erasure request changing too fast".into()))
}

/// The admin's decision. An approval is recorded (with its audit entry) and then carried out;
/// repeating an approval of a request still `erasing` (a crash midway) finishes it, and
/// repeating a decision already carried out answers it again.
pub async fn decide_erasure(
    store: &Store,
    objects: &Objects,
    actor: &Actor,
    account_id: &domain::AccountId,
    approve: bool,
    note: Option<String>,
    now: Instant,
) -> Result<ErasureRequest, Failure> {
    let Some(current) = store.erasure_request(account_id).await? else {
        return Err(Failure::NotFound);
    };
    match (current.request.status, approve) {
        (ErasureStatus::Erasing, true) => {
            return erase(
                store,
                objects,
                &current.request,
                current.progress,
                now,
                None,
            )
            .await?
            .ok_or_else(|| Failure::Internal("erasure left unfinished".into()));
        }
        (ErasureStatus::Erased, true) | (ErasureStatus::Rejected, false) => {
            return Ok(current.request)
        }
        _ => {}
    }
    let incidents = store.all_incidents_of(account_id).await?;
    let decided = rules::decide_erasure(
        &current.request,
        approve,
        note,
        &incidents,
        &actor.account_id,
        now,
    )?;
    let entry = domain::audit::of_erasure_decision(&decided);
    if !store
        .save_erasure_request(&decided, Some(ErasureStatus::Pending), None, Some(&entry))
        .await?
    {
        return Err(Failure::Conflict(
            "The erasure request changed while it was being decided; review it again.".into(),
        ));
    }
    if !approve {
        return Ok(decided);
    }
    erase(store, objects, &decided, None, now, None)
        .await?
        .ok_or_else(|| Failure::Internal("erasure left unfinished".into()))
}

/// Carries out an approved erasure from `progress`: the account's incidents a step of
/// `ERASURE_STEP_INCIDENTS` at a time (progress written after each), then its exports, profile
/// address, registry entry and claim reasons, then the request becomes `erased`. `max_steps`
/// stops it early (as a crash would): `Ok(None)`, still `erasing`.
pub async fn erase(
    store: &Store,
    objects: &Objects,
    request: &ErasureRequest,
    progress: Option<String>,
    now: Instant,
    max_steps: Option<usize>,
) -> Result<Option<ErasureRequest>, Failure> {
    erase_in_steps(
        store,
        objects,
        request,
        progress,
        now,
        ERASURE_STEP_INCIDENTS,
        max_steps,
    )
    .await
}

pub async fn erase_in_steps(
    store: &Store,
    objects: &Objects,
    request: &ErasureRequest,
    mut progress: Option<String>,
    now: Instant,
    step_incidents: i32,
    max_steps: Option<usize>,
) -> Result<Option<ErasureRequest>, Failure> {
    let account = &request.account_id;
    let mut steps = 0usize;
    loop {
        if max_steps.is_some_and(|m| steps >= m) {
            return Ok(None);
        }
        let (incidents, next) = store
            .incidents_for_erasure(account, progress.as_deref(), step_incidents)
            .await?;
        for incident in &incidents {
            erase_incident_data(store, objects, incident).await?;
        }
        steps += 1;
        match next {
            Some(p) => {
                if !store.erasure_progress(request, &p).await? {
                    return Err(Failure::Conflict("the erasure request changed".into()));
                }
                progress = Some(p);
            }
            None => break,
        }
    }
    for export in store.exports_of(account).await? {
        objects
            .delete_key(&objects::keys::export(account, &export.export_id))
            .await?;
        store.delete_export(&export).await?;
    }
    store.delete_export_marker(account).await?;
    store.forget_profile_email(account).await?;
    store.erase_engineer(account).await?;
    store.erase_claim_reasons(account).await?;
    let finished = rules::erasure_finished(request, now);
    if !store
        .save_erasure_request(&finished, Some(ErasureStatus::Erasing), None, None)
        .await?
    {
        // Another run finished it first.
        if let Some(c) = store.erasure_request(account).await? {
            if c.request.status == ErasureStatus::Erased {
                return Ok(Some(c.request));
            }
        }
        return Err(Failure::Conflict("the erasure request changed".into()));
    }
    Ok(Some(finished))
}

/// Erases one incident's items: attachments (bytes deleted, name erased), events, proposals, the
/// contact's suppression entry, and last the incident item (so a re-run still sees the address
/// it must remove from the suppression list). Every write is idempotent.
async fn erase_incident_data(
    store: &Store,
    objects: &Objects,
    incident: &Incident,
) -> Result<(), Failure> {
    let id = &incident.incident_id;
    for a in store.attachments(id).await? {
        objects
            .delete_key(&objects::keys::uploaded(id, &a.attachment_id))
            .await?;
        objects
            .delete_key(&objects::keys::pending(id, &a.attachment_id))
            .await?;
        let erased = rules::erase_attachment(&a);
        if erased != a {
            store.rewrite_attachment(&erased).await?;
        }
    }
    store.rewrite_events(id, rules::erase_event_json).await?;
    for p in store.proposals(id).await? {
        let erased = rules::erase_proposal(&p);
        if erased != p {
            store.rewrite_proposal(&erased).await?;
        }
    }
    let mut rounds = store.rounds();
    while rounds.start().await {
        let Some(stored) = store.incident(id).await? else {
            return Ok(());
        };
        if rules::incident_is_erased(&stored.incident) {
            return Ok(());
        }
        if stored.incident.contact.email != rules::ERASED {
            store
                .forget_suppressed(&stored.incident.contact.email)
                .await?;
        }
        let erased = rules::erase_incident(&stored.incident);
        if store.rewrite_incident(&stored, &erased).await? {
            return Ok(());
        }
    }
    Err(Failure::Busy("incident changing too fast".into()))
}

// ---- the scheduled privacy step ----------------------------------------------------------------

/// What one run of the scheduled privacy step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PrivacyTally {
    pub exports_built: u32,
    pub erasures_finished: u32,
    pub retention_examined: u32,
    pub attachments_deleted: u32,
}

/// Builds waiting exports, finishes erasures left `erasing`, and deletes the attachments of
/// incidents closed longer than `retention_days`. A failure of one item is logged and left for
/// the next run.
pub async fn privacy_step(
    store: &Store,
    objects: &Objects,
    retention_days: u32,
    now: Instant,
) -> Result<PrivacyTally, Failure> {
    let mut tally = PrivacyTally::default();
    for export in store.exports_preparing(10).await? {
        match build_export(store, objects, &export, now).await {
            Ok(true) => tally.exports_built += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::error!(export_id = %export.export_id, error = %e, "export not built")
            }
        }
    }
    let page = store::Page {
        limit: 10,
        cursor: None,
    };
    let (erasing, _) = store
        .erasure_requests_with_status(ErasureStatus::Erasing, &page)
        .await?;
    for request in erasing {
        let progress = store
            .erasure_request(&request.account_id)
            .await?
            .and_then(|c| c.progress);
        match erase(store, objects, &request, progress, now, None).await {
            Ok(Some(_)) => tally.erasures_finished += 1,
            Ok(None) => {}
            Err(e) => {
                tracing::error!(account_id = %request.account_id, error = %e, "erasure not finished")
            }
        }
    }
    let (examined, deleted) = retention_step(store, objects, retention_days, now, 100).await?;
    tally.retention_examined = examined;
    tally.attachments_deleted = deleted;
    Ok(tally)
}

/// Deletes the attachments of incidents closed more than `retention_days` before `now` (up to
/// `limit` incidents read per closed status per run, continuing where the last run stopped) and
/// records `attachments_deleted_at` on each. (examined, attachments deleted).
pub async fn retention_step(
    store: &Store,
    objects: &Objects,
    retention_days: u32,
    now: Instant,
    limit: i32,
) -> Result<(u32, u32), Failure> {
    let before = now - chrono::Duration::days(i64::from(retention_days));
    let (mut examined, mut deleted) = (0u32, 0u32);
    for status in [
        domain::IncidentStatus::Resolved,
        domain::IncidentStatus::Unresolved,
        domain::IncidentStatus::ClosedByCustomer,
    ] {
        let (candidates, _) = store.retention_candidates(status, before, limit).await?;
        for stored in candidates {
            examined += 1;
            let i = &stored.incident;
            if i.attachments_deleted_at.is_some() || !rules::past_retention(i, retention_days, now)
            {
                continue;
            }
            let attachments = store.attachments(&i.incident_id).await?;
            if attachments.is_empty() {
                continue;
            }
            for a in &attachments {
                objects
                    .delete_key(&objects::keys::uploaded(&i.incident_id, &a.attachment_id))
                    .await?;
                objects
                    .delete_key(&objects::keys::pending(&i.incident_id, &a.attachment_id))
                    .await?;
                deleted += 1;
            }
            let mut marked = i.clone();
            marked.attachments_deleted_at = Some(now);
            // A lost race (a rating landed meanwhile) is marked on the next run; the bytes are
            // gone either way.
            store.rewrite_incident(&stored, &marked).await?;
        }
    }
    Ok((examined, deleted))
}

/// The erasure requests in one state, oldest first.
pub async fn erasure_requests(
    store: &Store,
    status: ErasureStatus,
    page: &domain::paging::Page,
) -> Result<(Vec<ErasureRequest>, Option<String>), Failure> {
    Ok(store.erasure_requests_with_status(status, page).await?)
}
