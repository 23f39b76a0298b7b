//! Who is calling. In AWS the API Gateway JWT authorizer has verified the token and hands its
//! claims over as strings; locally (only in a build with the `local-auth` feature, and only when
//! `LOCAL_AUTH_SECRET` is set) the function verifies an HS256 token itself. With neither, nobody
//! is authenticated.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::Actor;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::HashMap;

pub const ENGINEERS_GROUP: &str = "support-engineers";
pub const ADMINS_GROUP: &str = "support-admins";

/// Read once at cold start.
#[derive(Clone, Default)]
pub struct AuthConfig {
    local_secret: Option<Vec<u8>>,
}

impl AuthConfig {
    /// `LOCAL_AUTH_SECRET` counts only in a build with the `local-auth` feature; any other build
    /// ignores it (and says so in the log, once).
    pub fn from_env() -> Self {
        let local_secret = std::env::var("LOCAL_AUTH_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .map(String::into_bytes);
        if cfg!(not(feature = "local-auth")) && local_secret.is_some() {
            tracing::warn!(
                "LOCAL_AUTH_SECRET is set but this build has no local token verifier; ignored"
            );
        }
        AuthConfig { local_secret }
    }

    pub fn with_local_secret(secret: &str) -> Self {
        AuthConfig {
            local_secret: Some(secret.as_bytes().to_vec()),
        }
    }

    pub fn local_secret(&self) -> Option<&[u8]> {
        self.local_secret.as_deref()
    }

    pub fn local_verification_enabled(&self) -> bool {
        self.local_secret.is_some()
    }
}

pub type Identity = Actor;

#[derive(Debug, PartialEq, Eq)]
pub enum AuthFailure {
    Missing,
    Malformed,
    BadSignature,
    Expired,
    /// `nbf` lies in the future.
    NotYetValid,
}

/// Identity from the authorizer's claims (strings, as API Gateway HTTP APIs deliver them).
pub fn from_authorizer_claims(claims: &HashMap<String, String>) -> Option<Actor> {
    let sub = claims
        .get("sub")
        .map(|s| s.trim())
        .filter(|s| is_account_id(s))?;
    let groups = claims
        .get("cognito:groups")
        .map(|g| parse_groups_claim(g))
        .unwrap_or_default();
    Some(actor(sub, claims.get("email").cloned(), &groups))
}

/// `cognito:groups` arrives as a JSON array, as the HTTP API's bracketed space-separated string
/// (`[a b]`), or as a single value. All three mean the same list.
pub fn parse_groups_claim(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Vec::new();
    }
    if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(raw) {
        return items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
    }
    let inner = raw
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(raw);
    inner
        .split([' ', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// An account id from a token: non-blank, at most 128 characters, and never the sweep's own
/// system identity.
fn is_account_id(sub: &str) -> bool {
    !sub.is_empty() && sub.len() <= 128 && sub != domain::SYSTEM_ACCOUNT
}

fn actor(sub: &str, email: Option<String>, groups: &[String]) -> Actor {
    Actor {
        account_id: sub.to_string(),
        email,
        engineer: groups.iter().any(|g| g == ENGINEERS_GROUP),
        admin: groups.iter().any(|g| g == ADMINS_GROUP),
    }
}

/// Verifies a locally issued HS256 token: header, signature (constant time), `sub`, `exp`, and
/// `nbf` when present. Compiled only into local builds (feature `local-auth`).
#[cfg(feature = "local-auth")]
pub fn verify_local_token(
    secret: &[u8],
    token: &str,
    now_epoch: i64,
) -> Result<Actor, AuthFailure> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthFailure::Malformed);
    };
    let header: Value = decode_json(h)?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(AuthFailure::Malformed);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| AuthFailure::Malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| AuthFailure::Malformed)?;
    mac.update(h.as_bytes());
    mac.update(b".");
    mac.update(p.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| AuthFailure::BadSignature)?;
    let claims: Value = decode_json(p)?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(AuthFailure::Malformed)?;
    if exp <= now_epoch {
        return Err(AuthFailure::Expired);
    }
    match claims.get("nbf") {
        None | Some(Value::Null) => {}
        Some(nbf) => match nbf.as_i64() {
            Some(nbf) if nbf <= now_epoch => {}
            Some(_) => return Err(AuthFailure::NotYetValid),
            None => return Err(AuthFailure::Malformed),
        },
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| is_account_id(s))
        .ok_or(AuthFailure::Malformed)?;
    let groups = match claims.get("cognito:groups") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => parse_groups_claim(s),
        _ => Vec::new(),
    };
    let email = claims
        .get("email")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(actor(sub, email, &groups))
}

#[cfg(feature = "local-auth")]
fn decode_json(segment: &str) -> Result<Value, AuthFailure> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| AuthFailure::Malformed)?;
    // A claim given twice is ambiguous: refused like a duplicated body member.
    crate::json::parse_strict(&bytes).map_err(|_| AuthFailure::Malformed)
}

/// Issues a token the local verifier accepts (for `make dev` and the tests).
pub fn mint_local_token(
    secret: &[u8],
    sub: &str,
    email: &str,
    groups: &[&str],
    exp_epoch: i64,
) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims =
        serde_json::json!({"sub": sub, "email": email, "cognito:groups": groups, "exp": exp_epoch});
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let signature = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(signing_input.as_bytes());
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    };
    format!("{signing_input}.{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn groups_claim_is_read_from_the_bracketed_string_form() {
        let a = from_authorizer_claims(&claims(&[
            ("sub", "u1"),
            ("cognito:groups", "[support-engineers support-admins]"),
        ]))
        .expect("actor");
        assert!(a.engineer && a.admin);
    }

    #[test]
    fn groups_claim_is_read_from_a_json_array() {
        let a = from_authorizer_claims(&claims(&[
            ("sub", "u1"),
            ("cognito:groups", r#"["support-admins"]"#),
        ]))
        .expect("actor");
        assert!(!a.engineer && a.admin);
    }

    #[test]
    fn groups_claim_is_read_from_a_single_value() {
        let a = from_authorizer_claims(&claims(&[
            ("sub", "u1"),
            ("cognito:groups", "support-engineers"),
        ]))
        .expect("actor");
        assert!(a.engineer && !a.admin);
    }

    #[test]
    fn a_token_naming_the_system_account_is_no_identity() {
        assert!(from_authorizer_claims(&claims(&[("sub", "system")])).is_none());
    }

    #[test]
    fn claims_without_sub_are_no_identity() {
        assert!(from_authorizer_claims(&claims(&[("email", "x@example.com")])).is_none());
    }
}

/// The local verifier's own tests: only where it is compiled in.
#[cfg(all(test, feature = "local-auth"))]
mod local_tests {
    use super::*;

    fn signed(secret: &[u8], claims: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("key");
        mac.update(format!("{header}.{payload}").as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{header}.{payload}.{sig}")
    }

    #[test]
    fn a_token_not_valid_before_a_later_instant_is_refused_until_then() {
        let t = signed(
            b"s3cret",
            &serde_json::json!({"sub": "acct-1", "exp": 5_000, "nbf": 2_000}),
        );
        assert_eq!(
            verify_local_token(b"s3cret", &t, 1_999),
            Err(AuthFailure::NotYetValid)
        );
        assert!(verify_local_token(b"s3cret", &t, 2_000).is_ok());
        let bad = signed(
            b"s3cret",
            &serde_json::json!({"sub": "acct-1", "exp": 5_000, "nbf": "soon"}),
        );
        assert_eq!(
            verify_local_token(b"s3cret", &bad, 1_000),
            Err(AuthFailure::Malformed)
        );
    }

    #[test]
    fn a_token_with_a_claim_given_twice_is_malformed() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"acct-1","exp":5000,"sub":"acct-2"}"#);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").expect("key");
        mac.update(format!("{header}.{payload}").as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(
            verify_local_token(b"s3cret", &format!("{header}.{payload}.{sig}"), 1_000),
            Err(AuthFailure::Malformed)
        );
    }

    #[test]
    fn a_token_naming_the_system_account_is_refused_locally() {
        let t = mint_local_token(b"s3cret", "system", "", &[], 2_000);
        assert_eq!(
            verify_local_token(b"s3cret", &t, 1_000),
            Err(AuthFailure::Malformed)
        );
    }

    #[test]
    fn a_minted_token_verifies_and_carries_its_groups() {
        let t = mint_local_token(
            b"s3cret",
            "acct-1",
            "a@example.com",
            &["support-engineers"],
            2_000,
        );
        let a = verify_local_token(b"s3cret", &t, 1_000).expect("valid");
        assert_eq!(a.account_id, "acct-1");
        assert!(a.engineer && !a.admin);
        assert_eq!(a.email.as_deref(), Some("a@example.com"));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let t = mint_local_token(b"other", "acct-1", "a@example.com", &[], 2_000);
        assert_eq!(
            verify_local_token(b"s3cret", &t, 1_000),
            Err(AuthFailure::BadSignature)
        );
    }

    #[test]
    fn an_expired_token_is_refused() {
        let t = mint_local_token(b"s3cret", "acct-1", "a@example.com", &[], 1_000);
        assert_eq!(
            verify_local_token(b"s3cret", &t, 1_000),
            Err(AuthFailure::Expired)
        );
    }

    #[test]
    fn a_token_with_alg_none_or_garbage_is_malformed() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"x","exp":99999999999}"#);
        assert_eq!(
            verify_local_token(b"s", &format!("{header}.{payload}."), 0),
            Err(AuthFailure::Malformed)
        );
        assert_eq!(
            verify_local_token(b"s", "not-a-token", 0),
            Err(AuthFailure::Malformed)
        );
    }
}
