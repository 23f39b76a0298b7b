//! Who is calling. The API Gateway JWT authorizer has verified the token and hands its claims over
//! as strings (locally the gateway in front of the functions does the same,
//! infra/local/api_gateway.py). The functions verify no token themselves: one identity path.

use domain::Actor;
use serde_json::Value;
use std::collections::HashMap;

pub const ENGINEERS_GROUP: &str = "support-engineers";
pub const ADMINS_GROUP: &str = "support-admins";

pub type Identity = Actor;

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
    let claim = |name: &str| {
        claims
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Some(actor(sub, claim("email"), claim("name"), &groups))
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

fn actor(sub: &str, email: Option<String>, name: Option<String>, groups: &[String]) -> Actor {
    Actor {
        account_id: sub.into(),
        email,
        // A display name, not a document: at most 200 characters, control characters dropped.
        name: name.map(|n| n.chars().filter(|c| !c.is_control()).take(200).collect()),
        engineer: groups.iter().any(|g| g == ENGINEERS_GROUP),
        admin: groups.iter().any(|g| g == ADMINS_GROUP),
    }
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
    fn the_name_claim_is_the_display_name_else_the_mail_before_the_at() {
        let named = from_authorizer_claims(&claims(&[
            ("sub", "u1"),
            ("email", "ada@example.com"),
            ("name", " Ada Lovelace "),
        ]))
        .expect("actor");
        assert_eq!(named.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(named.display_name(), "Ada Lovelace");
        let unnamed =
            from_authorizer_claims(&claims(&[("sub", "u2"), ("email", "grace@example.com")]))
                .expect("actor");
        assert_eq!(unnamed.name, None);
        assert_eq!(unnamed.display_name(), "grace");
        let bare = from_authorizer_claims(&claims(&[("sub", "u3")])).expect("actor");
        assert_eq!(bare.display_name(), "u3");
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
