//! Taking, handing off and releasing an incident (API.md "Ownership"): the new owner is looked
//! up among the registered engineers beside the read of the incident (one round trip for both),
//! the domain decides (`decide_assignment`), and the change is written on the incident's version
//! with its `assigned` event and the owners' open-incident counts in one transaction. Of several
//! engineers taking the same unowned incident at once, one write lands; the others decide again
//! on the new version and are refused (`409`).

use crate::act::act_answered;
use crate::read::IncidentPage;
use crate::Failure;
use domain::incident::{Action, Assignee, AssignmentRequest, Owner};
use domain::time::Instant;
use domain::Actor;
use store::Store;

pub async fn assign(
    store: &Store,
    actor: &Actor,
    incident_id: &domain::IncidentId,
    request: AssignmentRequest,
    now: Instant,
) -> Result<IncidentPage, Failure> {
    let lookup = async {
        Ok::<_, Failure>(match request.owner_account_id {
            None => Assignee::Nobody,
            // An engineer taking an incident is the engineer its token says it is.
            Some(id) if id == actor.account_id && actor.engineer => {
                Assignee::Engineer(Owner::of(actor))
            }
            Some(id) => match store.engineer(&id).await? {
                Some(e) => Assignee::Engineer(Owner {
                    account_id: e.account_id.into(),
                    display_name: e.display_name,
                }),
                None => Assignee::Unknown(id),
            },
        })
    };
    let (head, assignee) = tokio::join!(store.incident_head(incident_id), lookup);
    let head = head?.ok_or(Failure::NotFound)?;
    let action = Action::Assign {
        assignee: assignee?,
        note: request.note,
    };
    act_answered(store, actor, incident_id, Some(head), action, now, |_| {}).await
}
