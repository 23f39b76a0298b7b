//! List cursors as clients see them: the store's position sealed with XChaCha20-Poly1305 under a
//! key from configuration (`CURSOR_KEY`), bound to the route and the caller. A client learns
//! nothing from a cursor (it is encrypted) and can make none (it is authenticated): anything the
//! server did not hand out for this route, this caller and these filters fails to open, and the
//! handler answers `400` naming `cursor` before the store is asked anything.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::KeyInit as _;
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The environment variable holding the key material (at least `MIN_KEY_CHARS` characters).
pub const CURSOR_KEY_VAR: &str = "CURSOR_KEY";
pub const MIN_KEY_CHARS: usize = 32;
/// A cursor longer than this is not one the server made (positions are a few hundred bytes).
const MAX_CURSOR_CHARS: usize = 2048;
const VERSION: u8 = 1;
const NONCE_BYTES: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CursorKeyError {
    #[error("environment variable {CURSOR_KEY_VAR} is not set (the key that seals list cursors)")]
    Missing,
    #[error("environment variable {CURSOR_KEY_VAR} must be at least {MIN_KEY_CHARS} characters")]
    TooShort,
}

/// What a cursor is bound to: the route it continues and who may continue it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding<'a> {
    pub method: &'a str,
    /// The concrete path, e.g. `/incidents/inc_1/timeline` (a trailing `/` is ignored).
    pub path: &'a str,
    pub caller: &'a str,
    /// The list's filters (`status=pending`), in any order; `cursor` and `limit` are not filters.
    pub filters: Vec<(&'a str, &'a str)>,
}

impl Binding<'_> {
    fn associated_data(&self) -> Vec<u8> {
        let path = self
            .path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(self.path);
        let mut filters: Vec<_> = self
            .filters
            .iter()
            .filter(|(k, _)| *k != "cursor" && *k != "limit")
            .collect();
        filters.sort();
        let mut out = Vec::new();
        // Length-prefixed parts: no choice of values can make two bindings read the same.
        let mut part = |p: &str| {
            out.extend_from_slice(&(p.len() as u64).to_be_bytes());
            out.extend_from_slice(p.as_bytes());
        };
        part("incident-desk cursor v1");
        part(&self.method.to_ascii_uppercase());
        part(path);
        part(self.caller);
        for (k, v) in filters {
            part(k);
            part(v);
        }
        out
    }
}

/// The sealing key, derived once from `CURSOR_KEY`.
#[derive(Clone)]
pub struct CursorKey {
    cipher: XChaCha20Poly1305,
}

impl CursorKey {
    /// Read once at cold start; a missing or short key fails initialisation naming the variable.
    pub fn from_env() -> Result<CursorKey, CursorKeyError> {
        match std::env::var(CURSOR_KEY_VAR) {
            Ok(v) if !v.is_empty() => CursorKey::from_secret(&v),
            _ => Err(CursorKeyError::Missing),
        }
    }

    pub fn from_secret(secret: &str) -> Result<CursorKey, CursorKeyError> {
        if secret.chars().count() < MIN_KEY_CHARS {
            return Err(CursorKeyError::TooShort);
        }
        // The configured text is key material, not the key: derive a 256-bit key from it.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
            .map_err(|_| CursorKeyError::TooShort)?;
        mac.update(b"incident-desk list cursor key v1");
        let key: [u8; 32] = mac.finalize().into_bytes().into();
        Ok(CursorKey {
            cipher: XChaCha20Poly1305::new(&key.into()),
        })
    }

    /// Seals a store position for one route and caller. `None` only if encryption failed
    /// (it cannot with a valid key): the list then ends there rather than hand out something
    /// unsealed.
    pub fn seal(&self, binding: &Binding<'_>, position: &str) -> Option<String> {
        let mut nonce_bytes = [0u8; NONCE_BYTES];
        // The OS generator failing is not recoverable; a nonce must never be guessed or repeated.
        getrandom::fill(&mut nonce_bytes)
            .expect("the operating system's random number generator failed");
        let aad = binding.associated_data();
        let sealed = self.cipher.encrypt(
            XNonce::from_slice(&nonce_bytes),
            Payload {
                msg: position.as_bytes(),
                aad: &aad,
            },
        );
        let sealed = sealed.ok()?;
        let mut out = Vec::with_capacity(1 + NONCE_BYTES + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Some(URL_SAFE_NO_PAD.encode(out))
    }

    /// The position inside a cursor this server sealed for exactly this binding, or `None`.
    pub fn open(&self, binding: &Binding<'_>, cursor: &str) -> Option<String> {
        if cursor.len() > MAX_CURSOR_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        let (&version, rest) = bytes.split_first()?;
        if version != VERSION || rest.len() < NONCE_BYTES + 16 {
            return None;
        }
        let (nonce, sealed) = rest.split_at(NONCE_BYTES);
        let aad = binding.associated_data();
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CursorKey {
        CursorKey::from_secret("a-test-key-that-is-long-enough-0123456789").expect("key")
    }

    fn binding<'a>(path: &'a str, caller: &'a str) -> Binding<'a> {
        Binding {
            method: "GET",
            path,
            caller,
            filters: vec![],
        }
    }

    #[test]
    fn a_sealed_position_opens_for_its_own_route_and_caller() {
        let k = key();
        let c = k
            .seal(&binding("/packs", "acct-a"), r#"{"PK":"PACK#1"}"#)
            .expect("sealed");
        assert_eq!(
            k.open(&binding("/packs", "acct-a"), &c).as_deref(),
            Some(r#"{"PK":"PACK#1"}"#)
        );
        assert_eq!(
            k.open(&binding("/packs/", "acct-a"), &c).as_deref(),
            Some(r#"{"PK":"PACK#1"}"#)
        );
    }

    #[test]
    fn a_cursor_reveals_no_storage_name() {
        let c = key()
            .seal(&binding("/packs", "acct-a"), r#"{"GSI1PK":"ACCOUNT#a"}"#)
            .expect("sealed");
        let decoded = URL_SAFE_NO_PAD.decode(&c).expect("base64url");
        let text = String::from_utf8_lossy(&decoded);
        assert!(
            !text.contains("GSI1PK") && !text.contains("ACCOUNT"),
            "{text}"
        );
        assert!(!c.contains("R1NJ"), "no base64 of the plain position: {c}");
    }

    #[test]
    fn another_route_caller_filter_or_key_does_not_open_it() {
        let k = key();
        let c = k.seal(&binding("/packs", "acct-a"), "pos").expect("sealed");
        assert_eq!(k.open(&binding("/incidents", "acct-a"), &c), None);
        assert_eq!(k.open(&binding("/packs", "acct-b"), &c), None);
        let filtered = Binding {
            filters: vec![("status", "resolved")],
            ..binding("/packs", "acct-a")
        };
        assert_eq!(k.open(&filtered, &c), None);
        let other = CursorKey::from_secret("another-key-that-is-long-enough-0123456789").unwrap();
        assert_eq!(other.open(&binding("/packs", "acct-a"), &c), None);
    }

    #[test]
    fn limit_and_cursor_are_not_part_of_the_binding() {
        let k = key();
        let with = Binding {
            filters: vec![("status", "pending"), ("limit", "5")],
            ..binding("/queue", "e")
        };
        let c = k.seal(&with, "pos").expect("sealed");
        let without = Binding {
            filters: vec![("status", "pending"), ("cursor", "x")],
            ..binding("/queue", "e")
        };
        assert_eq!(k.open(&without, &c).as_deref(), Some("pos"));
    }

    #[test]
    fn forged_truncated_and_altered_cursors_do_not_open() {
        let k = key();
        let b = binding("/packs", "acct-a");
        let c = k.seal(&b, "pos").expect("sealed");
        let forged = URL_SAFE_NO_PAD.encode(br#"{"GSI1PK":"ACCOUNT#acct-a"}"#);
        assert_eq!(k.open(&b, &forged), None);
        assert_eq!(k.open(&b, &c[..c.len() - 3]), None);
        assert_eq!(k.open(&b, ""), None);
        assert_eq!(k.open(&b, "%%%"), None);
        let mut bytes = URL_SAFE_NO_PAD.decode(&c).expect("base64url");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(k.open(&b, &URL_SAFE_NO_PAD.encode(&bytes)), None);
        assert_eq!(k.open(&b, &"A".repeat(5000)), None);
    }

    #[test]
    fn a_short_or_missing_key_is_refused() {
        assert!(matches!(
            CursorKey::from_secret("short"),
            Err(CursorKeyError::TooShort)
        ));
        assert!(CursorKeyError::Missing.to_string().contains("CURSOR_KEY"));
    }
}
