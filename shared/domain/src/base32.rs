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

/// The `symbols` symbols of a code as a person may type it: any case, spaces or dashes
/// anywhere, O for 0 and I/L for 1. `None` for anything else, or another count of symbols.
pub fn typed(input: &str, symbols: usize) -> Option<String> {
    // Longer than any typed form of the codes people read (20 symbols and their dashes).
    if input.len() > 64 {
        return None;
    }
    let mut out = String::with_capacity(symbols);
    for c in input.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == symbols).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_code_is_read_as_people_type_it() {
        assert_eq!(typed("ab1-o ilz", 7).as_deref(), Some("AB1011Z"));
        assert_eq!(typed("AB10111", 7).as_deref(), Some("AB10111"));
        assert_eq!(typed("AB1011", 7), None, "too few");
        assert_eq!(typed("AB101111", 7), None, "too many");
        assert_eq!(typed("AB1011U", 7), None, "U is not a symbol");
        assert_eq!(typed("AB1011é", 7), None);
        assert_eq!(typed(&"-".repeat(65), 0), None, "too long to be typed");
    }

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
