//! The reply address: `reply+<token>@<REPLY_DOMAIN>`. The token names the incident and the
//! recipient and is authenticated: 16 bytes of the incident id (its 128 random bits), 4 bytes of
//! a hash of the recipient's address (lower case), and the first 10 bytes (80 bits) of an
//! HMAC-SHA256 over both with the key from configuration (`REPLY_TOKEN_KEY`). 30 bytes in
//! lower-case Crockford base32 are 48 characters: `reply+` and the token are 54, within RFC
//! 5321's 64 for a local part. The key is key material, not the key: a 256-bit key is derived
//! from it, as the cursor key is.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The configuration variable naming the key material.
pub const REPLY_TOKEN_KEY_VAR: &str = "REPLY_TOKEN_KEY";
/// The local part's tag before the token.
pub const LOCAL_PREFIX: &str = "reply+";
/// Characters of a token.
pub const TOKEN_CHARS: usize = 48;
const INCIDENT_BYTES: usize = 16;
const RECIPIENT_BYTES: usize = 4;
const MAC_BYTES: usize = 10;
const TOKEN_BYTES: usize = INCIDENT_BYTES + RECIPIENT_BYTES + MAC_BYTES;
const MIN_KEY_CHARS: usize = 32;
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("environment variable {REPLY_TOKEN_KEY_VAR} is not set (the key of reply addresses)")]
    Missing,
    #[error(
        "environment variable {REPLY_TOKEN_KEY_VAR} must be at least {MIN_KEY_CHARS} characters"
    )]
    TooShort,
}

/// The key reply tokens are signed with, derived once from the configured secret.
#[derive(Clone)]
pub struct ReplyKey {
    key: [u8; 32],
}

impl std::fmt::Debug for ReplyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReplyKey(…)")
    }
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub incident_id: String,
    recipient: [u8; RECIPIENT_BYTES],
}

impl Verified {
    /// Whether `address` is the one the token was issued to (case-insensitive).
    pub fn issued_to(&self, address: &str) -> bool {
        recipient_hash(address) == self.recipient
    }
}

fn recipient_hash(address: &str) -> [u8; RECIPIENT_BYTES] {
    let digest = Sha256::new()
        .chain_update(b"incident-desk reply recipient v1\0")
        .chain_update(address.trim().to_lowercase().as_bytes())
        .finalize();
    let mut out = [0u8; RECIPIENT_BYTES];
    out.copy_from_slice(&digest[..RECIPIENT_BYTES]);
    out
}

impl ReplyKey {
    pub fn from_env() -> Result<ReplyKey, KeyError> {
        match std::env::var(REPLY_TOKEN_KEY_VAR) {
            Ok(v) if !v.is_empty() => ReplyKey::from_secret(&v),
            _ => Err(KeyError::Missing),
        }
    }

    pub fn from_secret(secret: &str) -> Result<ReplyKey, KeyError> {
        if secret.chars().count() < MIN_KEY_CHARS {
            return Err(KeyError::TooShort);
        }
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
            .map_err(|_| KeyError::TooShort)?;
        mac.update(b"incident-desk reply token key v1");
        Ok(ReplyKey {
            key: mac.finalize().into_bytes().into(),
        })
    }

    fn mac(&self, body: &[u8]) -> [u8; MAC_BYTES] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("any key length");
        mac.update(b"reply v1\0");
        mac.update(body);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_BYTES];
        out.copy_from_slice(&full[..MAC_BYTES]);
        out
    }

    /// The token for replies about `incident_id` from `recipient`; `None` if the id is not a
    /// server-made one (`inc_` and 26 base32 symbols).
    pub fn issue(&self, incident_id: &str, recipient: &str) -> Option<String> {
        let id = incident_bits(incident_id)?;
        let mut bytes = [0u8; TOKEN_BYTES];
        bytes[..INCIDENT_BYTES].copy_from_slice(&id.to_be_bytes());
        bytes[INCIDENT_BYTES..INCIDENT_BYTES + RECIPIENT_BYTES]
            .copy_from_slice(&recipient_hash(recipient));
        let mac = self.mac(&bytes[..INCIDENT_BYTES + RECIPIENT_BYTES]);
        bytes[INCIDENT_BYTES + RECIPIENT_BYTES..].copy_from_slice(&mac);
        Some(encode(&bytes))
    }

    /// `reply+<token>@<domain>`.
    pub fn reply_address(
        &self,
        incident_id: &str,
        recipient: &str,
        domain: &str,
    ) -> Option<String> {
        Some(format!(
            "{LOCAL_PREFIX}{}@{domain}",
            self.issue(incident_id, recipient)?
        ))
    }

    /// The token's incident and recipient if its MAC verifies (compared in constant time).
    pub fn verify(&self, token: &str) -> Option<Verified> {
        let bytes = decode(token)?;
        let expected = self.mac(&bytes[..INCIDENT_BYTES + RECIPIENT_BYTES]);
        let given = &bytes[INCIDENT_BYTES + RECIPIENT_BYTES..];
        let diff = expected
            .iter()
            .zip(given)
            .fold(0u8, |d, (a, b)| d | (a ^ b));
        if diff != 0 {
            return None;
        }
        let mut id = [0u8; INCIDENT_BYTES];
        id.copy_from_slice(&bytes[..INCIDENT_BYTES]);
        let mut recipient = [0u8; RECIPIENT_BYTES];
        recipient.copy_from_slice(&bytes[INCIDENT_BYTES..INCIDENT_BYTES + RECIPIENT_BYTES]);
        Some(Verified {
            incident_id: incident_id(u128::from_be_bytes(id)),
            recipient,
        })
    }
}

/// The token of a reply address `reply+<token>@<domain>` (domain compared case-insensitively).
pub fn token_of<'a>(address: &'a str, domain: &str) -> Option<&'a str> {
    let (local, host) = address.trim().rsplit_once('@')?;
    if !host.eq_ignore_ascii_case(domain) {
        return None;
    }
    local
        .get(..LOCAL_PREFIX.len())
        .filter(|p| p.eq_ignore_ascii_case(LOCAL_PREFIX))?;
    local.get(LOCAL_PREFIX.len()..)
}

fn incident_bits(incident_id: &str) -> Option<u128> {
    let symbols = incident_id.strip_prefix("inc_")?;
    if symbols.len() != 26 {
        return None;
    }
    let mut value: u128 = 0;
    for (i, c) in symbols.bytes().enumerate() {
        let v = symbol(c)? as u128;
        if i == 0 && v > 7 {
            return None;
        }
        value = (value << 5) | v;
    }
    Some(value)
}

fn incident_id(value: u128) -> String {
    let mut out = String::from("inc_");
    out.extend(domain::base32::encode(value, 26).map(|c| c.to_ascii_lowercase()));
    out
}

fn symbol(c: u8) -> Option<u8> {
    ALPHABET
        .iter()
        .position(|a| *a == c.to_ascii_lowercase())
        .map(|p| p as u8)
}

fn encode(bytes: &[u8; TOKEN_BYTES]) -> String {
    let mut out = String::with_capacity(TOKEN_CHARS);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 0x1f) as usize] as char);
        }
        acc &= (1 << bits) - 1;
    }
    out
}

fn decode(token: &str) -> Option<[u8; TOKEN_BYTES]> {
    if token.len() != TOKEN_CHARS {
        return None;
    }
    let mut out = [0u8; TOKEN_BYTES];
    let (mut acc, mut bits, mut n) = (0u32, 0u32, 0usize);
    for c in token.bytes() {
        acc = (acc << 5) | symbol(c)? as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out[n] = (acc >> bits) as u8;
            n += 1;
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "inc_7zzzzzzzzzzzzzzzzzzzzzzzzz";

    fn key() -> ReplyKey {
        ReplyKey::from_secret(&"k".repeat(40)).unwrap()
    }

    #[test]
    fn a_token_names_its_incident_and_recipient_and_fits_a_local_part() {
        let address = key()
            .reply_address(
                "inc_0a1b2c3d4e5f6g7h8j9k0m1n2p",
                "Jan@Example.PL",
                "reply.example",
            )
            .unwrap();
        let (local, _) = address.split_once('@').unwrap();
        assert!(local.len() <= 64, "{local}");
        let token = token_of(&address, "REPLY.example").unwrap();
        assert_eq!(token.len(), TOKEN_CHARS);
        let v = key().verify(token).unwrap();
        assert_eq!(v.incident_id, "inc_0a1b2c3d4e5f6g7h8j9k0m1n2p");
        assert!(v.issued_to("jan@example.pl"));
        assert!(!v.issued_to("eve@example.pl"));
        // Upper case (a relay changing the local part's case) still verifies.
        assert!(key().verify(&token.to_uppercase()).is_some());
        assert_eq!(
            key()
                .verify(&key().issue(ID, "a@b").unwrap())
                .unwrap()
                .incident_id,
            ID
        );
    }

    #[test]
    fn a_token_altered_or_signed_with_another_key_does_not_verify() {
        let token = key().issue(ID, "a@b.c").unwrap();
        let other = ReplyKey::from_secret(&"x".repeat(40)).unwrap();
        assert!(other.verify(&token).is_none());
        for i in 0..token.len() {
            let mut t = token.clone().into_bytes();
            t[i] = if t[i] == b'0' { b'1' } else { b'0' };
            assert!(
                key().verify(std::str::from_utf8(&t).unwrap()).is_none(),
                "position {i}"
            );
        }
        assert!(key().verify(&token[1..]).is_none());
        assert!(key().verify("").is_none());
        assert!(
            key().verify(&"u".repeat(48)).is_none(),
            "not in the alphabet"
        );
        assert!(token_of("reply+abc@other.example", "reply.example").is_none());
        assert!(token_of("noreply@reply.example", "reply.example").is_none());
    }

    #[test]
    fn only_server_made_incident_ids_get_tokens_and_short_keys_are_refused() {
        assert!(key().issue("inc_short", "a@b").is_none());
        assert!(key()
            .issue("pck_0a1b2c3d4e5f6g7h8j9k0m1n2p", "a@b")
            .is_none());
        assert_eq!(
            ReplyKey::from_secret("short").unwrap_err(),
            KeyError::TooShort
        );
    }
}
