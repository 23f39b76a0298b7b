//! List positions: the key of the last item a page returned, base64url JSON. This is the store's
//! own spelling and never leaves the server as it is: `api::cursor` seals it (encrypted and
//! authenticated, bound to route and caller) before a client sees it. A position is only accepted
//! by the query whose partition it came from, as a second line of defence.

use crate::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::collections::{BTreeMap, HashMap};

pub use domain::paging::Page;

pub fn encode(key: &HashMap<String, AttributeValue>) -> Option<String> {
    let mut plain = BTreeMap::new();
    for (k, v) in key {
        plain.insert(k.clone(), v.as_s().ok()?.clone());
    }
    serde_json::to_vec(&plain)
        .ok()
        .map(|b| URL_SAFE_NO_PAD.encode(b))
}

/// The position just after `item` in a query whose key attributes are `attributes` (the index's
/// keys and the table's), read from the item itself.
pub fn position_of(item: &HashMap<String, AttributeValue>, attributes: &[&str]) -> Option<String> {
    let mut key = HashMap::new();
    for a in attributes {
        key.insert(a.to_string(), item.get(*a)?.clone());
    }
    encode(&key)
}

/// Decodes a cursor; `partition` is the (attribute, value) the query is bound to.
pub fn decode(
    cursor: &str,
    partition: (&str, &str),
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::InvalidCursor)?;
    let plain: BTreeMap<String, String> =
        serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
    if plain.get(partition.0).map(String::as_str) != Some(partition.1) || plain.len() > 4 {
        return Err(StoreError::InvalidCursor);
    }
    Ok(plain
        .into_iter()
        .map(|(k, v)| (k, AttributeValue::S(v)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_within_its_partition_only() {
        let key = HashMap::from([
            ("GSI1PK".to_string(), AttributeValue::S("ACCOUNT#a".into())),
            ("PK".to_string(), AttributeValue::S("PACK#1".into())),
        ]);
        let c = encode(&key).expect("encodable");
        assert_eq!(
            decode(&c, ("GSI1PK", "ACCOUNT#a")).expect("same partition"),
            key
        );
        assert!(matches!(
            decode(&c, ("GSI1PK", "ACCOUNT#b")),
            Err(StoreError::InvalidCursor)
        ));
        assert!(matches!(
            decode("%%%", ("GSI1PK", "ACCOUNT#a")),
            Err(StoreError::InvalidCursor)
        ));
    }
}
