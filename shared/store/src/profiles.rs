//! Account profiles (`ACCOUNT#{id}` / `PROFILE`): the last e-mail address a token of the account
//! presented (API.md, Identity) and the billing country of its last order. Account mail (pack
//! activation, claim and exemption decisions) goes to that address, in that country's language.
//!
//! A write happens only when the value changes: the update is conditional on the stored value
//! being different (a failed condition writes nothing and puts nothing on the stream), and each
//! process remembers for a while what it last found stored, so a warm function makes no store
//! call at all for an account whose address has not changed.

use crate::items::{from_item, s};
use crate::{keys, Store, StoreError};
use domain::time::{format_instant, Instant};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct AccountProfile {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub billing_country: Option<String>,
}

/// How long a process trusts its memory of a stored address: another process may have stored
/// a newer one meanwhile (the same account signing in with two addresses), so the memory is
/// short; at most one conditional write per account and address per process and period.
const REMEMBERED_FOR: Duration = Duration::from_secs(600);
const REMEMBERED_MAX: usize = 10_000;

/// What this process last found stored, per account.
#[derive(Default)]
pub struct KnownEmails {
    seen: Mutex<HashMap<String, (String, std::time::Instant)>>,
}

impl KnownEmails {
    pub(crate) fn known(&self, account_id: &str, email: &str) -> bool {
        let Ok(seen) = self.seen.lock() else {
            return false;
        };
        seen.get(account_id)
            .is_some_and(|(e, at)| e == email && at.elapsed() < REMEMBERED_FOR)
    }

    pub(crate) fn remember(&self, account_id: &str, email: &str) {
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() >= REMEMBERED_MAX {
                seen.clear();
            }
            seen.insert(
                account_id.to_string(),
                (email.to_string(), std::time::Instant::now()),
            );
        }
    }
}

impl Store {
    pub async fn account_profile(&self, account_id: &str) -> Result<AccountProfile, StoreError> {
        Ok(self
            .get(&keys::account_profile(account_id))
            .await?
            .map(from_item)
            .transpose()?
            .unwrap_or_default())
    }

    /// Keeps `email` as the account's address unless it is already the stored one.
    /// `true` when it was written.
    pub async fn remember_email(
        &self,
        known: &KnownEmails,
        account_id: &str,
        email: &str,
        now: Instant,
    ) -> Result<bool, StoreError> {
        if known.known(account_id, email) {
            return Ok(false);
        }
        let written = self
            .set_profile_attribute(account_id, "email", email, now)
            .await?;
        known.remember(account_id, email);
        Ok(written)
    }

    /// Keeps the billing country of the account's latest order (its mail's language).
    pub async fn remember_billing_country(
        &self,
        account_id: &str,
        country: &str,
        now: Instant,
    ) -> Result<bool, StoreError> {
        self.set_profile_attribute(account_id, "billing_country", country, now)
            .await
    }

    async fn set_profile_attribute(
        &self,
        account_id: &str,
        attribute: &'static str,
        value: &str,
        now: Instant,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::account_profile(account_id).to_item()))
            .update_expression("SET #a = :v, account_id = :account, #at = :now")
            .condition_expression("attribute_not_exists(#a) OR #a <> :v")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_names("#at", format!("{attribute}_changed_at"))
            .expression_attribute_values(":v", s(value))
            .expression_attribute_values(":account", s(account_id))
            .expression_attribute_values(":now", s(format_instant(now)))
            .send()
            .await
            .map_err(|e| crate::error::classify("UpdateItem", e));
        match result {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
