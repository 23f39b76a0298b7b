//! Request-shape checking that names every bad field at once. Requests arrive as JSON values
//! (the api crate parses bytes); each use case's request type reads itself through a `Fields`
//! reader and either gets a typed value or the full list of field errors.

use serde::Serialize;
use serde_json::{Map, Value};
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Reads fields of one JSON object, collecting every problem instead of stopping at the first.
pub struct Fields<'a> {
    prefix: String,
    object: Option<&'a Map<String, Value>>,
    pub errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    /// The body must be an object; anything else is one error on the whole body.
    pub fn of(body: &'a Value) -> Self {
        let mut f = Fields {
            prefix: String::new(),
            object: body.as_object(),
            errors: Vec::new(),
        };
        if f.object.is_none() {
            f.errors
                .push(FieldError::new("body", "must be a JSON object"));
        }
        f
    }

    fn name(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn raw(&self, key: &str) -> Option<&'a Value> {
        self.object
            .and_then(|o| o.get(key))
            .filter(|v| !v.is_null())
    }

    pub fn error(&mut self, key: &str, message: impl Into<String>) {
        let field = self.name(key);
        self.errors.push(FieldError::new(field, message));
    }

    /// A member that must be present but may be `null`: `Some(None)` for `null`, `Some(Some(s))`
    /// for a non-blank string of at most `max` characters; missing or anything else is an error.
    pub fn required_nullable_str(&mut self, key: &str, max: usize) -> Option<Option<String>> {
        match self.object.and_then(|o| o.get(key)) {
            None => {
                self.error(key, "is required (a string, or null)");
                None
            }
            Some(Value::Null) => Some(None),
            Some(v) => self.check_str(key, v, max, true).map(Some),
        }
    }

    /// A string, trimmed; `max` counts characters. Missing, null or blank is an error.
    pub fn required_str(&mut self, key: &str, max: usize) -> Option<String> {
        match self.raw(key) {
            None => {
                if self.object.is_some() {
                    self.error(key, "is required");
                }
                None
            }
            Some(v) => self.check_str(key, v, max, true),
        }
    }

    /// An optional string: absent or null is `None`; present must be a non-blank string.
    pub fn optional_str(&mut self, key: &str, max: usize) -> Option<String> {
        let v = self.raw(key)?;
        self.check_str(key, v, max, true)
    }

    fn check_str(&mut self, key: &str, v: &Value, max: usize, non_blank: bool) -> Option<String> {
        let Some(s) = v.as_str() else {
            self.error(key, "must be a string");
            return None;
        };
        let s = s.trim();
        if non_blank && s.is_empty() {
            self.error(key, "must not be blank");
            return None;
        }
        if s.chars().count() > max {
            self.error(key, format!("must be at most {max} characters"));
            return None;
        }
        if s.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            self.error(key, "must not contain control characters");
            return None;
        }
        Some(s.to_string())
    }

    /// A value of a closed vocabulary (`Severity`, `Channel`, …).
    pub fn required_enum<T: FromStr<Err = String>>(&mut self, key: &str) -> Option<T> {
        let s = self.required_str(key, 64)?;
        self.parse_enum(key, &s)
    }

    pub fn optional_enum<T: FromStr<Err = String>>(&mut self, key: &str) -> Option<T> {
        let s = self.optional_str(key, 64)?;
        self.parse_enum(key, &s)
    }

    fn parse_enum<T: FromStr<Err = String>>(&mut self, key: &str, s: &str) -> Option<T> {
        match s.parse::<T>() {
            Ok(v) => Some(v),
            Err(msg) => {
                self.error(key, msg);
                None
            }
        }
    }

    pub fn required_bool(&mut self, key: &str) -> Option<bool> {
        match self.raw(key) {
            None => {
                if self.object.is_some() {
                    self.error(key, "is required");
                }
                None
            }
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.error(key, "must be true or false");
                None
            }
        }
    }

    /// A non-empty array of strings, each checked like `required_str`.
    pub fn required_str_list(
        &mut self,
        key: &str,
        max_items: usize,
        max_len: usize,
    ) -> Option<Vec<String>> {
        let Some(v) = self.raw(key) else {
            if self.object.is_some() {
                self.error(key, "is required");
            }
            return None;
        };
        let Some(items) = v.as_array() else {
            self.error(key, "must be an array of strings");
            return None;
        };
        if items.is_empty() {
            self.error(key, "must contain at least one item");
            return None;
        }
        if items.len() > max_items {
            self.error(key, format!("must contain at most {max_items} items"));
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.check_str(&format!("{key}[{i}]"), item, max_len, true) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// A nested object read with its own reader; its errors come back prefixed (`contact.phone`).
    pub fn nested<T>(
        &mut self,
        key: &str,
        read: impl FnOnce(&mut Fields<'a>) -> Option<T>,
    ) -> Option<T> {
        let Some(v) = self.raw(key) else {
            if self.object.is_some() {
                self.error(key, "is required");
            }
            return None;
        };
        let Some(obj) = v.as_object() else {
            self.error(key, "must be an object");
            return None;
        };
        let mut inner = Fields {
            prefix: format!("{}{}.", self.prefix, key),
            object: Some(obj),
            errors: Vec::new(),
        };
        let out = read(&mut inner);
        let failed = !inner.errors.is_empty();
        self.errors.append(&mut inner.errors);
        if failed {
            None
        } else {
            out
        }
    }

    /// Turns the collected errors into the result.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match (self.errors.is_empty(), value) {
            (true, Some(v)) => Ok(v),
            (true, None) => Err(vec![FieldError::new("body", "is invalid")]),
            (false, _) => Err(self.errors),
        }
    }
}

/// A plausible e-mail address: one `@`, something on both sides, a dot in the domain.
pub fn looks_like_email(s: &str) -> bool {
    let mut parts = s.splitn(2, '@');
    let (Some(local), Some(domain)) = (parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// A phone number someone can dial: digits with optional `+`, spaces, dashes, dots, parentheses;
/// 6 to 20 digits.
pub fn looks_like_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (6..=20).contains(&digits)
        && s.chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;
    use serde_json::json;

    #[test]
    fn every_bad_field_is_reported_at_once_with_nested_names() {
        let body = json!({"severity": "Z", "title": 5, "contact": {"email": ""}});
        let mut f = Fields::of(&body);
        let sev: Option<Severity> = f.required_enum("severity");
        let title = f.required_str("title", 10);
        let contact = f.nested("contact", |c| {
            let n = c.required_str("name", 10);
            let e = c.required_str("email", 10);
            Some((n?, e?))
        });
        let missing = f.required_str("description", 10);
        assert!(sev.is_none() && title.is_none() && contact.is_none() && missing.is_none());
        let names: Vec<_> = f.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            names,
            [
                "severity",
                "title",
                "contact.name",
                "contact.email",
                "description"
            ]
        );
    }

    #[test]
    fn a_non_object_body_is_one_error_on_the_body() {
        let body = json!([1, 2]);
        let mut f = Fields::of(&body);
        let t = f.required_str("title", 10);
        let r: Result<String, _> = f.finish(t);
        assert_eq!(
            r.unwrap_err(),
            vec![FieldError::new("body", "must be a JSON object")]
        );
    }

    #[test]
    fn strings_are_trimmed_and_limited_in_characters_not_bytes() {
        let body = json!({"a": "  żółć  ", "b": "ééééé"});
        let mut f = Fields::of(&body);
        assert_eq!(f.required_str("a", 4).as_deref(), Some("żółć"));
        assert_eq!(f.required_str("b", 4), None);
        assert_eq!(f.errors[0].field, "b");
    }

    #[test]
    fn emails_and_phones_are_checked_for_plausibility() {
        assert!(looks_like_email("ops@example.com"));
        assert!(!looks_like_email("ops@example"));
        assert!(!looks_like_email("a b@example.com"));
        assert!(looks_like_phone("+48 22 123 45 67"));
        assert!(!looks_like_phone("call me"));
        assert!(!looks_like_phone("12"));
    }
}
