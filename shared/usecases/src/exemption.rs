//! A tax exemption (S12): the account submits (or, while pending or after a rejection,
//! resubmits) its proof and review starts again; an admin verifies or rejects the pending proof
//! they read. Each write is guarded by the version read.

use crate::Failure;
use domain::account::{
    decide_exemption, submit_exemption, Decision, ExemptionRequest, TaxExemption,
};
use domain::time::Instant;
use domain::Actor;
use store::accounts::SaveOutcome;
use store::Store;

/// Submits or replaces the caller's proof; a verified exemption is not replaced (`Conflict`).
pub async fn submit(
    store: &Store,
    actor: &Actor,
    request: &ExemptionRequest,
    now: Instant,
) -> Result<TaxExemption, Failure> {
    let account = &actor.account_id;
    let mut rounds = store.rounds();
    while rounds.start().await {
        let current = store.tax_exemption(account).await?;
        let next = submit_exemption(
            current.as_ref().map(|c| &c.exemption),
            account,
            request.clone(),
            now,
        )?;
        let read_version = current.map(|c| c.version);
        if store.save_tax_exemption(&next, read_version).await? == SaveOutcome::Saved {
            return Ok(next);
        }
    }
    Err(Failure::Busy("tax exemption changing too fast".into()))
}

/// Decides the pending proof of `account_id`; if it changed meanwhile, the admin must look again.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    account_id: &domain::AccountId,
    decision: Decision,
    now: Instant,
) -> Result<TaxExemption, Failure> {
    let Some(current) = store.tax_exemption(account_id).await? else {
        return Err(Failure::NotFound);
    };
    let decided = decide_exemption(&current.exemption, decision, &actor.account_id, now)?;
    let entry = domain::audit::of_exemption_decision(&decided);
    match store
        .save_tax_exemption_audited(&decided, Some(current.version), Some(&entry))
        .await?
    {
        SaveOutcome::Saved => Ok(decided),
        SaveOutcome::Conflict => Err(Failure::Conflict(
            "The tax exemption changed while it was being decided (decided by someone else or resubmitted); review it again.".into(),
        )),
    }
}
