//! Configuration, read once at cold start; a missing variable fails initialisation naming it.

use domain::rating::{RatingKeyError, RatingTokenKey, RATING_TOKEN_KEY_VAR};
use domain::Language;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `NOTIFY_FROM`: the SES identity mail is sent from.
    pub notify_from: String,
    /// `SUPPORT_TEAM_EMAIL`: the support team's address.
    pub support_team_email: String,
    /// `SUPPORT_ADMINS_EMAIL`: the support admins' (duty managers') address: SLA breaches.
    pub support_admins_email: String,
    /// `PAGER_TOPIC_ARN`: the on-call SNS topic.
    pub pager_topic_arn: String,
    /// `CONSOLE_URL`: the console's origin, links are built on it (no trailing slash).
    pub console_url: String,
    /// `SUPPORT_TEAM_LANGUAGE` (`en` default, or `pl`): the team's mail language.
    pub team_language: Language,
    /// `NOTIFY_LEASE_SECONDS` (default 180, at least the function's timeout): how long a claimed
    /// message is left to the invocation that claimed it before another may send it.
    pub lease: chrono::Duration,
    /// `RATING_TOKEN_KEY`: issues the closing e-mails' rating links (the `closure` function
    /// verifies them with the same key).
    pub rating_key: RatingTokenKey,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} must be {expected}, not {value:?}")]
    Invalid {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let required = |name: &'static str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        let team_language = match get("SUPPORT_TEAM_LANGUAGE").filter(|v| !v.trim().is_empty()) {
            None => Language::En,
            Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
                name: "SUPPORT_TEAM_LANGUAGE",
                expected: "pl or en",
                value: v,
            })?,
        };
        let lease = match get("NOTIFY_LEASE_SECONDS").filter(|v| !v.trim().is_empty()) {
            None => 180,
            Some(v) => v
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .ok_or(ConfigError::Invalid {
                    name: "NOTIFY_LEASE_SECONDS",
                    expected: "a number of seconds, 1-3600",
                    value: v,
                })?,
        };
        let rating_key = |get: &dyn Fn(&str) -> Option<String>| {
            RatingTokenKey::from_secret(get(RATING_TOKEN_KEY_VAR).as_deref()).map_err(|e| match e {
                RatingKeyError::Missing => ConfigError::Missing(RATING_TOKEN_KEY_VAR),
                RatingKeyError::TooShort => ConfigError::Invalid {
                    name: RATING_TOKEN_KEY_VAR,
                    expected: "key material of at least 32 characters",
                    value: "(not shown)".into(),
                },
            })
        };
        Ok(Config {
            notify_from: required("NOTIFY_FROM")?,
            support_team_email: required("SUPPORT_TEAM_EMAIL")?,
            support_admins_email: required("SUPPORT_ADMINS_EMAIL")?,
            pager_topic_arn: required("PAGER_TOPIC_ARN")?,
            console_url: required("CONSOLE_URL")?.trim_end_matches('/').to_string(),
            team_language,
            lease: chrono::Duration::seconds(lease),
            // Last: a missing address is named before the key.
            rating_key: rating_key(&get)?,
        })
    }

    pub fn console_link(&self, path: &str) -> String {
        format!("{}{path}", self.console_url)
    }
}
