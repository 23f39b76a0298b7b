//! Configuration, read once at cold start; a missing variable fails initialisation naming it.

use mailbox::ReplyKey;

pub struct Config {
    /// `REPLY_DOMAIN`: the domain of reply addresses.
    pub reply_domain: String,
    /// `REPLY_TOKEN_KEY`: the key reply tokens are signed with.
    pub key: ReplyKey,
    /// `NOTIFY_FROM`: automatic answers are sent from it.
    pub notify_from: String,
    /// `CONSOLE_URL`: the console's origin (the New incident page is linked).
    pub console_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error(transparent)]
    Key(#[from] mailbox::token::KeyError),
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        let required = |name: &'static str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        Ok(Config {
            reply_domain: required("REPLY_DOMAIN")?.to_lowercase(),
            key: ReplyKey::from_env()?,
            notify_from: required("NOTIFY_FROM")?,
            console_url: required("CONSOLE_URL")?.trim_end_matches('/').to_string(),
        })
    }
}
