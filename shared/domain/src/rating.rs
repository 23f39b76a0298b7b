//! Satisfaction (API.md "Satisfaction", SPEC "Satisfaction and accountability"): the contact
//! rates a closed incident good or bad, with an optional comment, from a link in the closing
//! e-mail, without signing in. The link's token is the authority: it names the incident, is
//! authenticated (HMAC-SHA256 with a key from configuration) and expires 30 days after the
//! e-mail. A later rating replaces the earlier one; the satisfaction counters move with it, in
//! the same write (the store's `satisfaction` counters, by month of the rating, severity and
//! owner).

use crate::incident::{Event, EventDetails, Incident, Transition};
pub use crate::incident::{Rating, Score};
use crate::report::Month;
use crate::time::Instant;
use crate::validation::{FieldError, Fields};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

/// A rating's comment, at most (characters).
pub const MAX_COMMENT: usize = 2_000;
/// How long a rating link works after its e-mail.
pub const TOKEN_VALID_DAYS: i64 = 30;
/// The key material's minimum length (characters).
pub const MIN_KEY_CHARS: usize = 32;
/// The environment variable holding the key material.
pub const RATING_TOKEN_KEY_VAR: &str = "RATING_TOKEN_KEY";

/// `POST /ratings/{token}`'s body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingRequest {
    pub score: Score,
    pub comment: Option<String>,
}

impl RatingRequest {
    pub fn parse(body: &Value) -> Result<RatingRequest, Vec<FieldError>> {
        let mut f = Fields::of(body);
        let score = f.required_enum::<Score>("score");
        let comment = f
            .optional_str("comment", MAX_COMMENT)
            .filter(|c| !c.trim().is_empty());
        let value = score.map(|score| RatingRequest { score, comment });
        f.finish(value)
    }
}

/// One satisfaction counter: the month of the rating (UTC), the incident's severity and owner.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SatisfactionBucket {
    pub month: Month,
    pub severity: crate::Severity,
    pub owner_account_id: Option<String>,
}

impl SatisfactionBucket {
    /// Where `incident`'s rating counts.
    pub fn of(incident: &Incident) -> Option<(SatisfactionBucket, Score)> {
        let rating = incident.rating.as_ref()?;
        Some((
            SatisfactionBucket {
                month: Month::of(rating.at),
                severity: incident.severity,
                owner_account_id: incident.owner_id().map(str::to_string),
            },
            rating.score,
        ))
    }
}

/// How one rating moves the counters: each bucket's change of `good` and `bad` (a replaced
/// rating leaves its old bucket, the new one enters; nothing moves twice, no zero moves).
pub fn counter_moves(before: &Incident, after: &Incident) -> Vec<(SatisfactionBucket, i64, i64)> {
    let mut moves: Vec<(SatisfactionBucket, i64, i64)> = Vec::new();
    let mut add = |bucket: SatisfactionBucket, score: Score, by: i64| {
        let (good, bad) = match score {
            Score::Good => (by, 0),
            Score::Bad => (0, by),
        };
        match moves.iter_mut().find(|(b, _, _)| *b == bucket) {
            Some(m) => {
                m.1 += good;
                m.2 += bad;
            }
            None => moves.push((bucket, good, bad)),
        }
    };
    if let Some((bucket, score)) = SatisfactionBucket::of(before) {
        add(bucket, score, -1);
    }
    if let Some((bucket, score)) = SatisfactionBucket::of(after) {
        add(bucket, score, 1);
    }
    moves.retain(|(_, good, bad)| *good != 0 || *bad != 0);
    moves
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingRefusal {
    #[error("only a closed incident can be rated")]
    NotClosed,
}

/// The rating of a closed incident (a later one replaces the earlier): the incident with its
/// rating and one `rated` event. The event's actor is the incident's account (the token is the
/// contact's, handed out on its behalf).
pub fn rate(
    incident: &Incident,
    request: &RatingRequest,
    now: Instant,
) -> Result<Transition, RatingRefusal> {
    if !incident.status.is_closed() {
        return Err(RatingRefusal::NotClosed);
    }
    let mut next = incident.clone();
    next.rating = Some(Rating {
        score: request.score,
        comment: request.comment.clone(),
        at: now,
    });
    let mut event = Event::new(
        now,
        &incident.account_id,
        EventDetails::Rated {
            score: request.score,
            comment: request.comment.clone().into(),
        },
    );
    // The rating link is the contact's: it is named as the contact.
    event.actor_display_name = Some(incident.contact.name.clone());
    Ok(Transition {
        incident: next,
        events: vec![event],
        refund: false,
        no_op: false,
        withdrawn: Vec::new(),
    })
}

// ---- tokens -------------------------------------------------------------------------------

const TOKEN_VERSION: u8 = 1;
/// The tag's length in bytes (truncated HMAC-SHA256: 128 bits).
const TAG_BYTES: usize = 16;
/// An incident id longer than this is not one the server made.
const MAX_ID_BYTES: usize = 64;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RatingKeyError {
    #[error("environment variable {RATING_TOKEN_KEY_VAR} is not set (the key that authenticates rating links)")]
    Missing,
    #[error(
        "environment variable {RATING_TOKEN_KEY_VAR} must be at least {MIN_KEY_CHARS} characters"
    )]
    TooShort,
}

/// The key that issues and verifies rating tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct RatingTokenKey {
    key: [u8; 32],
}

impl std::fmt::Debug for RatingTokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RatingTokenKey(..)")
    }
}

impl RatingTokenKey {
    /// From the configured key material (`RATING_TOKEN_KEY`), read by the caller.
    pub fn from_secret(secret: Option<&str>) -> Result<RatingTokenKey, RatingKeyError> {
        let secret = secret
            .filter(|s| !s.is_empty())
            .ok_or(RatingKeyError::Missing)?;
        if secret.chars().count() < MIN_KEY_CHARS {
            return Err(RatingKeyError::TooShort);
        }
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
            .map_err(|_| RatingKeyError::TooShort)?;
        mac.update(b"incident-desk rating token key v1");
        Ok(RatingTokenKey {
            key: mac.finalize().into_bytes().into(),
        })
    }

    fn tag(&self, payload: &[u8]) -> [u8; TAG_BYTES] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        mac.update(payload);
        let full: [u8; 32] = mac.finalize().into_bytes().into();
        let mut tag = [0u8; TAG_BYTES];
        tag.copy_from_slice(&full[..TAG_BYTES]);
        tag
    }

    /// A token for `incident_id`, valid `TOKEN_VALID_DAYS` after `issued_at` (the closing
    /// event's instant, so a redelivered e-mail carries the same link).
    pub fn issue(&self, incident_id: &str, issued_at: Instant) -> String {
        let expires = (issued_at + chrono::Duration::days(TOKEN_VALID_DAYS)).timestamp();
        let mut payload = vec![TOKEN_VERSION];
        payload.extend_from_slice(&expires.to_be_bytes());
        payload.extend_from_slice(incident_id.as_bytes());
        let tag = self.tag(&payload);
        payload.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(payload)
    }

    /// The incident a token names, if this key issued it and it has not expired at `now`.
    pub fn verify(&self, token: &str, now: Instant) -> Option<String> {
        if token.len() > 2 * (1 + 8 + MAX_ID_BYTES + TAG_BYTES) {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() < 1 + 8 + 1 + TAG_BYTES {
            return None;
        }
        let (payload, tag) = bytes.split_at(bytes.len() - TAG_BYTES);
        let expected = self.tag(payload);
        // Constant time: compare every byte.
        let differs = expected
            .iter()
            .zip(tag)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differs != 0 || payload[0] != TOKEN_VERSION {
            return None;
        }
        let expires = i64::from_be_bytes(payload[1..9].try_into().ok()?);
        if now.timestamp() > expires {
            return None;
        }
        String::from_utf8(payload[9..].to_vec()).ok()
    }
}

#[cfg(test)]
pub(crate) mod tests;
