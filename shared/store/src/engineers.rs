//! The engineers registry (`ENGINEERS` / `ENGINEER#<account>`): every support engineer who has
//! used the API, registered as an account's e-mail address is (`profiles`), with the display
//! name and e-mail its token presented, and the number of open incidents it owns.
//!
//! `open_incidents` is a counter moved in the transaction that changes an incident's open owner
//! (an assignment, a first response that assigns, a closure or charge decision of an owned
//! incident: `owner_count_items`, written by every incident transition), so it always equals the
//! engineer's entries in the `owned_open` index. Registration never touches it but to start it
//! at 0, and writes only when the name or address changed.

use crate::items::{from_item, n, s, update, Cond, Item};
use crate::keys::{self, ENGINEERS_PK, ENGINEER_PREFIX};
use crate::profiles::KnownEmails;
use crate::{Store, StoreError};
use aws_sdk_dynamodb::types::TransactWriteItem;
use domain::incident::Incident;
use domain::time::{format_instant, Instant};

pub use domain::incident::Engineer;

fn engineer_from_item(mut item: Item) -> Result<Engineer, StoreError> {
    // An item made by a counter before its registration (it cannot normally happen: an owner
    // has used the API) still reads, named by its account.
    let account = item
        .get(keys::SK)
        .and_then(|v| v.as_s().ok())
        .and_then(|sk| sk.strip_prefix(ENGINEER_PREFIX))
        .map(str::to_string)
        .unwrap_or_default();
    item.entry("account_id".into())
        .or_insert_with(|| s(&account));
    item.entry("display_name".into())
        .or_insert_with(|| s(&account));
    item.remove(keys::PK);
    item.remove(keys::SK);
    from_item(item)
}

/// The counter moves of one incident change: the open owner before loses it, the one after
/// gains it (nothing when they are the same). The gaining engineer's item is made if missing,
/// named by the incident's owner record.
pub(crate) fn owner_count_items(
    table: &str,
    before: &Incident,
    after: &Incident,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let (old, new) = (before.open_owner(), after.open_owner());
    if old == new {
        return Ok(Vec::new());
    }
    let mut items = Vec::new();
    if let Some(old) = old {
        items.push(update(
            table,
            keys::engineer(old).to_item(),
            "ADD open_incidents :minus_one",
            Cond::default().value(":minus_one", n(-1)),
        )?);
    }
    if let (Some(new), Some(owner)) = (new, after.owner.as_ref()) {
        items.push(update(
            table,
            keys::engineer(new).to_item(),
            "SET account_id = if_not_exists(account_id, :id), display_name = if_not_exists(display_name, :name) ADD open_incidents :one",
            Cond::default()
                .value(":id", s(new))
                .value(":name", s(&owner.display_name))
                .value(":one", n(1)),
        )?);
    }
    Ok(items)
}

impl Store {
    /// Registers (or updates) an engineer's display name and e-mail; writes only when either
    /// changed (a conditional update: an unchanged one writes nothing and puts nothing on the
    /// stream), and a process remembers for a while what it found. `true` when written.
    pub async fn remember_engineer(
        &self,
        known: &KnownEmails,
        account_id: &str,
        display_name: &str,
        email: Option<&str>,
        now: Instant,
    ) -> Result<bool, StoreError> {
        let memo = format!("{display_name}\u{0}{}", email.unwrap_or_default());
        if known.known(account_id, &memo) {
            return Ok(false);
        }
        let mut set = String::from(
            "SET account_id = :id, display_name = :name, open_incidents = if_not_exists(open_incidents, :zero), registered_at = if_not_exists(registered_at, :now)",
        );
        let mut condition =
            String::from("attribute_not_exists(display_name) OR display_name <> :name");
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::engineer(account_id).to_item()))
            .expression_attribute_values(":id", s(account_id))
            .expression_attribute_values(":name", s(display_name))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":now", s(format_instant(now)));
        if let Some(email) = email {
            set.push_str(", email = :email");
            condition.push_str(" OR attribute_not_exists(email) OR email <> :email");
            request = request.expression_attribute_values(":email", s(email));
        }
        let result = request
            .update_expression(set)
            .condition_expression(condition)
            .send()
            .await
            .map_err(|e| crate::error::classify("UpdateItem", e));
        let written = match result {
            Ok(_) => true,
            Err(StoreError::ConditionFailed) => false,
            Err(e) => return Err(e),
        };
        known.remember(account_id, &memo);
        Ok(written)
    }

    /// A registered engineer, or `None`.
    pub async fn engineer(&self, account_id: &str) -> Result<Option<Engineer>, StoreError> {
        self.get(&keys::engineer(account_id))
            .await?
            .map(engineer_from_item)
            .transpose()
    }

    /// Every registered engineer, by account id: one Query of the registry's partition.
    pub async fn engineers(&self) -> Result<Vec<Engineer>, StoreError> {
        self.query_prefix(ENGINEERS_PK, ENGINEER_PREFIX)
            .await?
            .into_iter()
            .map(engineer_from_item)
            .collect()
    }
}
