//! The lists people read, each from the one index or partition that answers it: whose items a
//! caller may see is decided here (a customer's own, staff every one), the HTTP side only parses
//! filters and shapes the page. Each list answers its items and the store's position after the
//! page (`None` at the end), which `shared/api` seals into the client's cursor.

use crate::Failure;
use domain::account::{may_view_pack, TaxExemption};
use domain::audit::{AuditEntry, AuditQuery};
use domain::catalogue::Product;
use domain::incident::Incident;
use domain::pack::Pack;
use domain::paging::Page;
use domain::report::{Month, SlaCounts};
use domain::{Actor, ExemptionStatus, IncidentStatus};
use std::collections::HashMap;
use store::Store;

pub use domain::incident::{Engineer, IncidentFilter, OwnerFilter};
pub use domain::report::{CountsKey, SatisfactionCount};

/// A page of a list and the position after it.
pub type Listed<T> = (Vec<T>, Option<String>);

/// `GET /products`: every product, by name.
pub async fn products(store: &Store) -> Result<Vec<Product>, Failure> {
    let mut products = store.products().await?;
    products.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(products)
}

/// A customer's own incidents, newest first, of one status or all (its own partition, filtered
/// in the query: pages stay full).
pub async fn own_incidents(
    store: &Store,
    actor: &Actor,
    status: Option<IncidentStatus>,
    page: &Page,
) -> Result<Listed<Incident>, Failure> {
    let account = &actor.account_id;
    Ok(match status {
        Some(status) => {
            store
                .incidents_of_with_status(account, status, page)
                .await?
        }
        None => store.incidents_of(account, page).await?,
    })
}

/// Every incident, as staff filter them (one Query of one index, see `Store::staff_incidents`).
pub async fn staff_incidents(
    store: &Store,
    actor: &Actor,
    filter: &IncidentFilter<'_>,
    page: &Page,
) -> Result<Listed<Incident>, Failure> {
    if !actor.is_staff() {
        return Err(Failure::Forbidden("support staff"));
    }
    Ok(store.staff_incidents(filter, page).await?)
}

/// The support engineers registered (by using the API), with their open-incident counts.
pub async fn engineers(store: &Store) -> Result<Vec<Engineer>, Failure> {
    Ok(store.engineers().await?)
}

/// The engineers' queue: incidents awaiting a first response, earliest deadline first.
pub async fn queue(
    store: &Store,
    owner: OwnerFilter<'_>,
    page: &Page,
) -> Result<Listed<Incident>, Failure> {
    Ok(store.queue(owner, page).await?)
}

/// The caller's packs, newest first.
pub async fn own_packs(store: &Store, actor: &Actor, page: &Page) -> Result<Listed<Pack>, Failure> {
    Ok(store.packs_of(&actor.account_id, page).await?)
}

/// One pack the caller may see (`NotFound` for another account's, never a hint it exists).
pub async fn pack(store: &Store, actor: &Actor, pack_id: &domain::PackId) -> Result<Pack, Failure> {
    match store.pack(pack_id).await? {
        Some(pack) if may_view_pack(&pack, actor) => Ok(pack),
        _ => Err(Failure::NotFound),
    }
}

/// Tax exemptions in one review state, oldest submission first.
pub async fn exemptions(
    store: &Store,
    status: ExemptionStatus,
    page: &Page,
) -> Result<Listed<TaxExemption>, Failure> {
    Ok(store.exemptions_with_status(status, page).await?)
}

/// The caller's account: its tax exemption, if any, and the address its mail goes to — the one
/// this request's token presents, else the last one kept (the identity hook beside the request
/// may still be keeping a new one, so reading it back could see the one before).
pub async fn account(
    store: &Store,
    actor: &Actor,
) -> Result<(Option<TaxExemption>, Option<String>), Failure> {
    let exemption = store.tax_exemption(&actor.account_id).await?;
    let email = match crate::profile::address(actor) {
        Some(presented) => Some(presented.to_string()),
        None => store.account_profile(&actor.account_id).await?.email,
    };
    Ok((exemption.map(|e| e.exemption), email))
}

/// The SLA counters of the months `from..=to`.
pub async fn sla_counts(
    store: &Store,
    from: Month,
    to: Month,
) -> Result<HashMap<CountsKey, SlaCounts>, Failure> {
    Ok(store.sla_counts(from, to).await?)
}

/// The incidents breached with a deadline in `month`, earliest deadline first.
pub async fn breaches(
    store: &Store,
    month: Month,
    page: &Page,
) -> Result<Listed<Incident>, Failure> {
    Ok(store.breaches(month, page).await?)
}

/// The rating counters of the months `from..=to`, by month, severity and owner.
pub async fn satisfaction(
    store: &Store,
    from: Month,
    to: Month,
) -> Result<Vec<SatisfactionCount>, Failure> {
    let mut lines = store.satisfaction_counts(from, to).await?;
    lines.sort_by(|a, b| {
        (a.month, a.severity, &a.owner_account_id).cmp(&(b.month, b.severity, &b.owner_account_id))
    });
    Ok(lines)
}

/// The audit log, newest first, as filtered.
pub async fn audit(
    store: &Store,
    query: &AuditQuery,
    page: &Page,
) -> Result<Listed<AuditEntry>, Failure> {
    Ok(store.audit_entries(query, page).await?)
}
