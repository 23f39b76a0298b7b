//! The ids that cross layers, each its own type so an account id cannot be handed where an
//! incident id belongs. On the wire and in the table they are plain strings
//! (`#[serde(transparent)]`); a handler names one when it reads a path parameter or the
//! caller's identity, and everything after it passes the typed id on.

use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

macro_rules! id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        /// Read as the string it is (a key part, a path segment, a log field).
        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }

        impl From<&String> for $name {
            fn from(s: &String) -> Self {
                $name(s.clone())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

id!(
    /// An account: a customer's, an engineer's or an admin's (the identity's `sub`).
    AccountId
);
id!(
    /// An incident (`inc_…`); people read its number instead.
    IncidentId
);
id!(
    /// A pack of incidents (`pck_…`).
    PackId
);
id!(
    /// A sub-problem an engineer proposed on an incident (`prop_…`).
    ProposalId
);
id!(
    /// A file attached to an incident (`att_…`).
    AttachmentId
);
id!(
    /// An account's claim on another account's pack (`clm_…`).
    ClaimId
);
id!(
    /// One data export of an account (`exp_…`).
    ExportId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_string_on_the_wire_and_compares_with_one() {
        let id = IncidentId::from("inc_1");
        assert_eq!(serde_json::to_value(&id).unwrap(), "inc_1");
        assert_eq!(
            serde_json::from_value::<IncidentId>("inc_1".into()).unwrap(),
            id
        );
        assert_eq!(id, "inc_1");
        assert_eq!("inc_1", id);
        assert_ne!(id, *"inc_2");
        assert_eq!(format!("/incidents/{id}"), "/incidents/inc_1");
        assert!(id.starts_with("inc_"), "read as a str");
    }
}
