//! Server-made identifiers: a readable prefix and 128 random bits from the OS CSPRNG.

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS generator failing is not recoverable; there is no safe fallback for ids.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes
}

/// `pck_…`, `inc_…`: prefix plus 26 lower-case Crockford base32 characters (128 bits).
pub fn new_id(prefix: &str) -> String {
    let value = u128::from_be_bytes(random_bytes::<16>());
    let mut out = String::with_capacity(prefix.len() + 27);
    out.push_str(prefix);
    out.push('_');
    out.extend(domain::base32::encode(value, 26).map(|c| c.to_ascii_lowercase()));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_prefixed_and_distinct() {
        let a = super::new_id("inc");
        assert!(a.starts_with("inc_") && a.len() == 30);
        assert_ne!(a, super::new_id("inc"));
        assert!(a[4..]
            .chars()
            .all(|c| "0123456789abcdefghjkmnpqrstvwxyz".contains(c)));
        // 128 bits in 26 symbols: the first carries the top three bits only.
        assert!("01234567".contains(&a[4..5]));
    }
}
