//! Request bodies as JSON, strictly: a member name given twice in one object is ambiguous (which
//! one wins differs between parsers), so it is refused instead of letting the last one win.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// `path` names the repeated member (`offer`, `contact.email`, `items[2].name`).
    Duplicate {
        path: String,
    },
    Syntax {
        line: usize,
        column: usize,
    },
}

/// Parses one JSON document, refusing repeated member names at any depth.
pub fn parse_strict(bytes: &[u8]) -> Result<Value, BodyError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut duplicate = None;
    let parsed = Strict {
        path: String::new(),
        duplicate: &mut duplicate,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    match (parsed, duplicate) {
        (_, Some(path)) => Err(BodyError::Duplicate { path }),
        (Ok(v), None) => Ok(v),
        (Err(e), None) => Err(BodyError::Syntax {
            line: e.line(),
            column: e.column(),
        }),
    }
}

/// One value at `path`; records the first repeated member in `duplicate` and stops there.
struct Strict<'a> {
    path: String,
    duplicate: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let path = format!("{}[{}]", self.path, out.len());
            let next = seq.next_element_seed(Strict {
                path,
                duplicate: &mut *self.duplicate,
            })?;
            match next {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                name.clone()
            } else {
                format!("{}.{name}", self.path)
            };
            if out.contains_key(&name) {
                *self.duplicate = Some(path);
                return Err(de::Error::custom("duplicate member name"));
            }
            let value = map.next_value_seed(Strict {
                path,
                duplicate: &mut *self.duplicate,
            })?;
            if self.duplicate.is_some() {
                return Err(de::Error::custom("duplicate member name"));
            }
            out.insert(name, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_repeated_member_is_refused_and_named() {
        assert_eq!(
            parse_strict(br#"{"offer":"single","quantity":1,"offer":"five_pack"}"#),
            Err(BodyError::Duplicate {
                path: "offer".into()
            })
        );
    }

    #[test]
    fn a_repeated_member_deep_inside_is_named_by_its_path() {
        assert_eq!(
            parse_strict(br#"{"contact":{"name":"a","email":"x@y.z","email":"q@y.z"}}"#),
            Err(BodyError::Duplicate {
                path: "contact.email".into()
            })
        );
        assert_eq!(
            parse_strict(br#"{"items":[{"a":1},{"b":1,"b":2}]}"#),
            Err(BodyError::Duplicate {
                path: "items[1].b".into()
            })
        );
    }

    #[test]
    fn the_same_name_in_sibling_objects_is_fine() {
        assert_eq!(
            parse_strict(br#"{"a":{"x":1},"b":{"x":2},"c":[1.5,null,true,"s",-3]}"#),
            Ok(json!({"a":{"x":1},"b":{"x":2},"c":[1.5,null,true,"s",-3]}))
        );
    }

    #[test]
    fn malformed_json_is_a_syntax_error_with_its_place() {
        assert!(matches!(
            parse_strict(b"{\"a\":1,}"),
            Err(BodyError::Syntax { line: 1, .. })
        ));
        assert!(matches!(
            parse_strict(b"{\"a\":1} trailing"),
            Err(BodyError::Syntax { .. })
        ));
    }
}
