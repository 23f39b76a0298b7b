//! Attachments, in their incident's partition (`ATTACHMENT#<id>`, outside the timeline's
//! `EVENT#` range). Creating one is one transaction: the incident must still be in one of the
//! states the caller names, the incident's attachment counter must be below the limit (so the
//! limit holds under concurrent creates, with no count read first), and the attachment must be
//! new. Completing one is a versioned transition of the incident (its `attachment_added` event)
//! plus the attachment's `pending -> uploaded` change, conditional on it still being pending, so
//! concurrent completions write the event once.

use crate::incidents::{ApplyOutcome, StoredIncident};
use crate::items::{
    check, from_item, key_attrs, n, put, put_new, s, to_item, update, with, Cond, Item,
};
use crate::keys::{self, ATTACHMENT_PREFIX};
use crate::{Store, StoreError};
use domain::attachment::Attachment;
use domain::incident::Transition;
use domain::time::Instant;
use domain::IncidentStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachOutcome {
    Created,
    /// The incident is not (or no longer) in one of the states that take attachments.
    NotOpen,
    /// The incident already has the maximum number of attachments.
    LimitReached,
}

fn attachment_item(a: &Attachment) -> Result<Item, StoreError> {
    Ok(with(
        to_item(a)?,
        key_attrs(&keys::attachment(&a.incident_id, &a.attachment_id)),
    ))
}

fn attachment_from_item(mut item: Item) -> Result<Attachment, StoreError> {
    item.remove(keys::PK);
    item.remove(keys::SK);
    from_item(item)
}

impl Store {
    /// Records a new pending attachment if the incident's status is one of `open` and it has
    /// fewer than `limit` attachments.
    pub async fn create_attachment(
        &self,
        attachment: &Attachment,
        open: &[IncidentStatus],
        limit: u32,
    ) -> Result<AttachOutcome, StoreError> {
        let id = &attachment.incident_id;
        let placeholders: Vec<String> = (0..open.len()).map(|i| format!(":open{i}")).collect();
        let mut status_check = Cond::new(&format!(
            "attribute_exists(PK) AND #status IN ({})",
            placeholders.join(", ")
        ))
        .name("#status", "status");
        for (p, st) in placeholders.iter().zip(open) {
            status_check = status_check.value(p, s(st.as_str()));
        }
        let items = vec![
            check(&self.table, keys::incident(id).to_item(), status_check)?,
            update(
                &self.table,
                keys::attachment_count(id).to_item(),
                "SET #count = if_not_exists(#count, :zero) + :one",
                Cond::new("attribute_not_exists(#count) OR #count < :limit")
                    .name("#count", "count")
                    .value(":zero", n(0))
                    .value(":one", n(1))
                    .value(":limit", n(limit)),
            )?,
            put_new(&self.table, attachment_item(attachment)?)?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(AttachOutcome::Created),
            Err(e) if e.condition_failed_at(0) => Ok(AttachOutcome::NotOpen),
            Err(e) if e.condition_failed_at(1) => Ok(AttachOutcome::LimitReached),
            Err(e) => Err(e),
        }
    }

    pub async fn attachment(
        &self,
        incident_id: &str,
        attachment_id: &str,
    ) -> Result<Option<Attachment>, StoreError> {
        self.get(&keys::attachment(incident_id, attachment_id))
            .await?
            .map(attachment_from_item)
            .transpose()
    }

    /// An incident's attachments, oldest first (at most the per-incident limit: one Query).
    pub async fn attachments(&self, incident_id: &str) -> Result<Vec<Attachment>, StoreError> {
        let mut all: Vec<Attachment> = self
            .query_prefix(&keys::incident(incident_id).pk, ATTACHMENT_PREFIX)
            .await?
            .into_iter()
            .map(attachment_from_item)
            .collect::<Result<_, _>>()?;
        all.sort_by(|a, b| (a.created_at, &a.attachment_id).cmp(&(b.created_at, &b.attachment_id)));
        Ok(all)
    }

    /// Writes the completion: the incident's transition (its event) on the version it was
    /// decided on, and the attachment as uploaded if it is still pending. `Conflict` when either
    /// moved: re-read and decide again (a completion that lost finds the attachment uploaded).
    pub async fn complete_attachment(
        &self,
        stored: &StoredIncident,
        t: &Transition,
        uploaded: &Attachment,
        now: Instant,
    ) -> Result<ApplyOutcome, StoreError> {
        let item = put(
            &self.table,
            attachment_item(uploaded)?,
            Cond::new("#status = :pending")
                .name("#status", "status")
                .value(":pending", s("pending")),
        )?;
        match self.apply_with(stored, t, now, vec![item]).await {
            Err(e) if e.is_condition_failure() => Ok(ApplyOutcome::Conflict),
            other => other,
        }
    }
}
