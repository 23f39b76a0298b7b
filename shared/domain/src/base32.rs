//! Crockford's base32 (no I, L, O, U), the one encoder of every identifier and number people
//! read: server-made ids (lower case) and order confirmation numbers (upper case).

/// The alphabet, upper case.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The low `5 × symbols` bits of `value` as `symbols` upper-case symbols, most significant first.
pub fn encode(value: u128, symbols: u32) -> impl Iterator<Item = char> {
    debug_assert!(symbols <= 26, "a u128 holds 26 symbols");
    (0..symbols)
        .rev()
        .map(move |i| char::from(ALPHABET[((value >> (5 * i)) & 0x1f) as usize]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_the_low_bits_most_significant_first() {
        assert_eq!(encode(0, 3).collect::<String>(), "000");
        assert_eq!(encode(31, 2).collect::<String>(), "0Z");
        assert_eq!(encode((1 << 5) | 10, 2).collect::<String>(), "1A");
        // Bits above the symbols asked for are not encoded.
        assert_eq!(encode(u128::MAX, 1).collect::<String>(), "Z");
        assert_eq!(
            encode(u128::MAX, 26).collect::<String>(),
            format!("7{}", "Z".repeat(25))
        );
    }
}
