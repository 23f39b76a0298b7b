//! Incident numbers (API.md `Incident.number`): short, unique, typable by people — seven
//! symbols of Crockford's base32 (no I, L, O, U) shown as `XXX-XXXX`, e.g. `K7M-4QX9`.
//!
//! A number is drawn from the CSPRNG bytes the caller hands in (no counter, so no hot item);
//! uniqueness is the store's: the intake transaction creates the number's own item under
//! `attribute_not_exists`, and a taken number is drawn again. 31 × 32⁶ ≈ 3.3 × 10¹⁰ numbers,
//! so a retry is rare even with millions of incidents.
//!
//! Incidents stored before numbers existed read with a number derived from their id: `0`
//! followed by six symbols of SHA-256(id). Drawn numbers never start with `0`, so the two never
//! meet. Derived numbers are not reserved (no item), so `GET /incidents/by-number/{number}`
//! does not find them (`404`); they are for people to read and quote.

use sha2::{Digest, Sha256};

/// Symbols of a number (without the dash).
pub const NUMBER_SYMBOLS: usize = 7;

/// A new incident number from 5 random bytes (40 bits; 35 are used).
pub fn incident_number(random: &[u8; 5]) -> String {
    let bits = random
        .iter()
        .fold(0u64, |bits, b| (bits << 8) | u64::from(*b));
    // The first symbol is never `0` (that space belongs to derived numbers).
    let first = crate::base32::ALPHABET[1 + (bits % 31) as usize] as char;
    let rest: String = crate::base32::encode(u128::from(bits / 31), 6).collect();
    format!("{first}{}-{}", &rest[..2], &rest[2..])
}

/// The number an incident stored before numbers existed reads with: derived from its id.
pub fn legacy_incident_number(incident_id: &str) -> String {
    let digest = Sha256::digest(incident_id.as_bytes());
    let bits = digest[..8]
        .iter()
        .fold(0u64, |bits, b| (bits << 8) | u64::from(*b));
    let rest: String = crate::base32::encode(u128::from(bits), 6).collect();
    format!("0{}-{}", &rest[..2], &rest[2..])
}

/// Reads a number as a person may type it: any case, spaces or dashes anywhere, O for 0 and
/// I/L for 1. `None` when it cannot be a number at all.
pub fn normalise_incident_number(input: &str) -> Option<String> {
    let symbols = crate::base32::typed(input, NUMBER_SYMBOLS)?;
    Some(format!("{}-{}", &symbols[..3], &symbols[3..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_seven_symbols_of_the_unambiguous_alphabet_never_starting_with_zero() {
        for bytes in [[0u8; 5], [0xff; 5], [1, 2, 3, 4, 5], [0x80, 0, 0, 0, 1]] {
            let n = incident_number(&bytes);
            assert_eq!(n.len(), 8, "{n}");
            assert_eq!(&n[3..4], "-");
            assert!(!n.starts_with('0'), "{n}");
            assert!(n
                .chars()
                .filter(|c| *c != '-')
                .all(|c| crate::base32::ALPHABET.contains(&(c as u8))));
            assert_eq!(normalise_incident_number(&n).as_deref(), Some(n.as_str()));
        }
        assert_ne!(
            incident_number(&[1, 2, 3, 4, 5]),
            incident_number(&[1, 2, 3, 4, 6])
        );
    }

    #[test]
    fn a_legacy_number_is_derived_from_the_id_and_starts_with_zero() {
        let a = legacy_incident_number("inc_a");
        assert_eq!(a, legacy_incident_number("inc_a"));
        assert_ne!(a, legacy_incident_number("inc_b"));
        assert!(a.starts_with('0'));
        assert_eq!(normalise_incident_number(&a).as_deref(), Some(a.as_str()));
    }

    #[test]
    fn typed_numbers_are_read_back_and_others_refused() {
        assert_eq!(
            normalise_incident_number(" k7m 4qx9 ").as_deref(),
            Some("K7M-4QX9")
        );
        assert_eq!(
            normalise_incident_number("K7M-4QXO").as_deref(),
            Some("K7M-4QX0")
        );
        assert_eq!(
            normalise_incident_number("l7M4QXI").as_deref(),
            Some("17M-4QX1")
        );
        assert_eq!(normalise_incident_number("K7M-4QX"), None);
        assert_eq!(normalise_incident_number("K7M-4QX99"), None);
        assert_eq!(normalise_incident_number("K7M-4QXU"), None);
        assert_eq!(normalise_incident_number("inc_0123"), None);
        assert_eq!(normalise_incident_number(&"1".repeat(40)), None);
    }
}
