//! One spelling of instants everywhere: RFC 3339, UTC, whole seconds, `Z`. Fixed width, so the
//! stored strings also sort and compare correctly inside DynamoDB conditions and keys.

use chrono::{DateTime, NaiveDate, SecondsFormat, SubsecRound, Utc};

pub type Instant = DateTime<Utc>;

pub fn format_instant(t: Instant) -> String {
    t.trunc_subsecs(0)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses an RFC 3339 instant with any offset; the result is UTC.
pub fn parse_instant(s: &str) -> Option<Instant> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The earliest and latest instants a client may send (both included): anything outside is a
/// `400`, so every instant computed from one (deadlines, expiries) keeps a four-digit year.
pub const CLIENT_INSTANT_RANGE: (&str, &str) = ("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z");

/// What a client may be told about an instant it sent that is refused.
pub const CLIENT_INSTANT_RULE: &str = "must be an RFC 3339 instant from 2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z, e.g. 2026-12-23T13:00:00Z";

/// An instant from a client: RFC 3339 and within `CLIENT_INSTANT_RANGE`.
pub fn parse_client_instant(s: &str) -> Option<Instant> {
    let t = parse_instant(s)?;
    let (first, last) = CLIENT_INSTANT_RANGE;
    let in_range =
        parse_instant(first).is_some_and(|f| t >= f) && parse_instant(last).is_some_and(|l| t <= l);
    in_range.then_some(t)
}

pub fn format_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Serde adapter for instants in the project's one spelling.
pub mod serde_instant {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Instant, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_instant(*t))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Instant, D::Error> {
        let s = String::deserialize(d)?;
        parse_instant(&s).ok_or_else(|| serde::de::Error::custom("not an RFC 3339 instant"))
    }

    pub mod option {
        use super::*;
        pub fn serialize<S: Serializer>(t: &Option<Instant>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&format_instant(*t)),
                None => s.serialize_none(),
            }
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Instant>, D::Error> {
            match Option::<String>::deserialize(d)? {
                None => Ok(None),
                Some(s) => parse_instant(&s)
                    .map(Some)
                    .ok_or_else(|| serde::de::Error::custom("not an RFC 3339 instant")),
            }
        }
    }
}

/// Serde adapter for `YYYY-MM-DD` dates.
pub mod serde_date {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_date(*d))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let s = String::deserialize(d)?;
        parse_date(&s).ok_or_else(|| serde::de::Error::custom("not a YYYY-MM-DD date"))
    }

    pub mod option {
        use super::*;
        pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => s.serialize_str(&format_date(*d)),
                None => s.serialize_none(),
            }
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
            match Option::<String>::deserialize(d)? {
                None => Ok(None),
                Some(s) => parse_date(&s)
                    .map(Some)
                    .ok_or_else(|| serde::de::Error::custom("not a YYYY-MM-DD date")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_formatted_in_whole_seconds_with_z() {
        let t = parse_instant("2026-12-23T14:00:00.987+01:00").expect("valid");
        assert_eq!(format_instant(t), "2026-12-23T13:00:00Z");
    }

    #[test]
    fn client_instants_are_bounded_to_2000_through_2100() {
        assert!(parse_client_instant("9999-12-31T23:00:00Z").is_none());
        assert!(parse_client_instant("1999-12-31T23:59:59Z").is_none());
        assert!(parse_client_instant("2100-01-01T00:00:01Z").is_none());
        assert!(parse_client_instant("2100-01-01T00:00:00Z").is_some());
        assert!(parse_client_instant("2000-01-01T00:00:00Z").is_some());
        assert!(parse_client_instant("2000-01-01T00:30:00+01:00").is_none());
        let t = parse_client_instant("2026-12-23T14:00:00+01:00").expect("in range");
        assert_eq!(format_instant(t), "2026-12-23T13:00:00Z");
    }

    #[test]
    fn dates_must_have_the_full_form() {
        assert!(parse_date("2026-2-3").is_none());
        assert_eq!(
            parse_date("2028-02-29").map(format_date).as_deref(),
            Some("2028-02-29")
        );
    }
}
