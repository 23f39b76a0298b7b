//! `Stripe-Signature` verification, by hand: `t=<unix>,v1=<hex>[,v1=<hex>…]` (other schemes such as
//! `v0` are ignored), HMAC-SHA256 with the endpoint's signing secret over `"<t>.<raw body>"`, any
//! `v1` may match (several appear while a secret is rolled), compared in constant time, and the
//! timestamp within `TOLERANCE_SECS` of now in either direction. Checked before anything of the
//! body is read.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Stripe's default tolerance: five minutes.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    #[error("the Stripe-Signature header has no v1 signature")]
    NoSignature,
    #[error("the signed timestamp is more than {TOLERANCE_SECS} s away from now")]
    OutsideTolerance,
    #[error("no v1 signature matches the payload")]
    Mismatch,
    #[error("no webhook signing secret is configured")]
    NoSecret,
}

struct Parsed<'a> {
    timestamp: i64,
    signatures: Vec<&'a str>,
}

fn parse(header: &str) -> Result<Parsed<'_>, SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for element in header.split(',') {
        let Some((key, value)) = element.trim().split_once('=') else {
            return Err(SignatureError::Malformed);
        };
        match key {
            "t" => {
                let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
                let t = value
                    .parse::<i64>()
                    .ok()
                    .filter(|_| digits)
                    .ok_or(SignatureError::Malformed)?;
                if timestamp.replace(t).is_some() {
                    return Err(SignatureError::Malformed);
                }
            }
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::NoSignature);
    }
    Ok(Parsed {
        timestamp,
        signatures,
    })
}

fn hex_digest(value: &str) -> Option<[u8; 32]> {
    if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in value.as_bytes().chunks(2).enumerate() {
        let text = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(text, 16).ok()?;
    }
    Some(out)
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Verifies `header` for the raw `body` at `now` (Unix seconds). `Ok(t)`: the signed timestamp.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: &[u8],
    now: i64,
) -> Result<i64, SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = header.ok_or(SignatureError::Missing)?;
    let parsed = parse(header)?;
    if (now - parsed.timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::OutsideTolerance);
    }
    let expected = mac(secret, parsed.timestamp, body);
    // Every candidate is compared (constant time each); the loop does not stop at a match.
    let mut matched = false;
    for candidate in &parsed.signatures {
        if let Some(digest) = hex_digest(candidate) {
            matched |= expected.clone().verify_slice(&digest).is_ok();
        }
    }
    if matched {
        Ok(parsed.timestamp)
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The `v1` signature Stripe would send (for tests and fixtures).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    mac(secret, timestamp, body)
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A whole `Stripe-Signature` header value as Stripe sends it.
pub fn header(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_signature_stripe_made_verifies() {
        let h = header(SECRET, NOW, BODY);
        assert_eq!(verify(Some(&h), BODY, SECRET, NOW), Ok(NOW));
    }

    #[test]
    fn the_signature_matches_an_independent_hmac_of_timestamp_dot_body() {
        // HMAC-SHA256(key, "1800000000.{...}") computed by the RFC 2104 construction by hand.
        use sha2::Digest;
        let mut key = [0u8; 64];
        key[..SECRET.len()].copy_from_slice(SECRET);
        let inner_pad: Vec<u8> = key.iter().map(|b| b ^ 0x36).collect();
        let outer_pad: Vec<u8> = key.iter().map(|b| b ^ 0x5c).collect();
        let mut message = format!("{NOW}.").into_bytes();
        message.extend_from_slice(BODY);
        let inner = Sha256::new()
            .chain_update(&inner_pad)
            .chain_update(&message)
            .finalize();
        let outer = Sha256::new()
            .chain_update(&outer_pad)
            .chain_update(inner)
            .finalize();
        let hex: String = outer.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(sign(SECRET, NOW, BODY), hex);
    }

    #[test]
    fn a_tampered_body_does_not_verify() {
        let h = header(SECRET, NOW, BODY);
        let tampered = br#"{"id":"evt_1","type":"checkout.session.expired"}"#;
        assert_eq!(
            verify(Some(&h), tampered, SECRET, NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_made_with_another_secret_does_not_verify() {
        let h = header(b"whsec_other", NOW, BODY);
        assert_eq!(
            verify(Some(&h), BODY, SECRET, NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_timestamp_older_or_newer_than_five_minutes_is_refused_even_when_signed() {
        for t in [NOW - 301, NOW + 301, NOW - 86_400] {
            let h = header(SECRET, t, BODY);
            assert_eq!(
                verify(Some(&h), BODY, SECRET, NOW),
                Err(SignatureError::OutsideTolerance),
                "t = {t}"
            );
        }
        for t in [NOW - 300, NOW + 300] {
            let h = header(SECRET, t, BODY);
            assert_eq!(verify(Some(&h), BODY, SECRET, NOW), Ok(t), "t = {t}");
        }
    }

    #[test]
    fn a_changed_timestamp_breaks_the_signature() {
        let sig = sign(SECRET, NOW, BODY);
        let h = format!("t={},v1={sig}", NOW - 1);
        assert_eq!(
            verify(Some(&h), BODY, SECRET, NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn any_of_several_v1_signatures_may_match_and_v0_is_ignored() {
        let good = sign(SECRET, NOW, BODY);
        let old = sign(b"whsec_rolled_away", NOW, BODY);
        for h in [
            format!("t={NOW},v1={old},v1={good}"),
            format!("t={NOW},v1={good},v1={old}"),
            format!("t={NOW},v0={old},v1={good}"),
            format!("v1={good}, t={NOW}"),
        ] {
            assert_eq!(verify(Some(&h), BODY, SECRET, NOW), Ok(NOW), "{h}");
        }
        let only_v0 = format!("t={NOW},v0={good}");
        assert_eq!(
            verify(Some(&only_v0), BODY, SECRET, NOW),
            Err(SignatureError::NoSignature)
        );
        let all_wrong = format!("t={NOW},v1={old},v1={}", "0".repeat(64));
        assert_eq!(
            verify(Some(&all_wrong), BODY, SECRET, NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        let good = sign(SECRET, NOW, BODY);
        for h in [
            String::new(),
            "garbage".to_string(),
            format!("v1={good}"),
            format!("t=,v1={good}"),
            format!("t=-{NOW},v1={good}"),
            format!("t=12ab,v1={good}"),
            format!("t={NOW},t={NOW},v1={good}"),
            format!("t={NOW};v1={good}"),
            format!("t={NOW},v1"),
        ] {
            assert!(
                matches!(
                    verify(Some(&h), BODY, SECRET, NOW),
                    Err(SignatureError::Malformed | SignatureError::NoSignature)
                ),
                "{h:?} was not refused as malformed"
            );
        }
        assert_eq!(
            verify(None, BODY, SECRET, NOW),
            Err(SignatureError::Missing)
        );
        let short = format!("t={NOW},v1={}", &good[..63]);
        assert_eq!(
            verify(Some(&short), BODY, SECRET, NOW),
            Err(SignatureError::Mismatch)
        );
        let upper = format!("t={NOW},v1={}", good.to_uppercase());
        assert_eq!(verify(Some(&upper), BODY, SECRET, NOW), Ok(NOW));
    }

    #[test]
    fn without_a_configured_secret_nothing_verifies() {
        let h = header(b"", NOW, BODY);
        assert_eq!(
            verify(Some(&h), BODY, b"", NOW),
            Err(SignatureError::NoSecret)
        );
    }
}
