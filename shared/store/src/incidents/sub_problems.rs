//! Sub-problem proposals: each recorded with the parent's transition, in one transaction.

use super::{ApplyOutcome, StoredIncident};
use crate::items::{from_item, key_attrs, put, put_new, s, to_item, with, Cond};
use crate::keys;
use crate::{Store, StoreError};
use domain::incident::{SubProblemProposal, Transition};
use domain::time::Instant;

impl Store {
    /// Records a sub-problem proposal with the parent's `sub_problem_proposed` event.
    pub async fn propose_sub_problem(
        &self,
        parent: &StoredIncident,
        t: &Transition,
        proposal: &SubProblemProposal,
        now: Instant,
    ) -> Result<ApplyOutcome, StoreError> {
        let key = keys::proposal(&proposal.incident_id, &proposal.proposal_id);
        let item = put_new(&self.table, with(to_item(proposal)?, key_attrs(&key)))?;
        self.apply_with(parent, t, now, vec![item]).await
    }

    /// Records a declined proposal with the parent's event; the proposal must still be open.
    pub async fn decline_sub_problem(
        &self,
        parent: &StoredIncident,
        t: &Transition,
        proposal: &SubProblemProposal,
        now: Instant,
    ) -> Result<ApplyOutcome, StoreError> {
        let key = keys::proposal(&proposal.incident_id, &proposal.proposal_id);
        let item = put(
            &self.table,
            with(to_item(proposal)?, key_attrs(&key)),
            Cond::new("#status = :proposed")
                .name("#status", "status")
                .value(":proposed", s("proposed")),
        )?;
        self.apply_with(parent, t, now, vec![item]).await
    }

    pub async fn proposal(
        &self,
        incident_id: &str,
        proposal_id: &str,
    ) -> Result<Option<SubProblemProposal>, StoreError> {
        self.get(&keys::proposal(incident_id, proposal_id))
            .await?
            .map(from_item)
            .transpose()
    }
}
