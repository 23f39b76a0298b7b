//! Internal notes (API.md "Internal notes and open proposals"): staff write them, staff read
//! them; the customer never does. A note is an event of kind `internal_note` that the store
//! keeps apart from the customer's timeline (its own sort-key range), so no customer read,
//! e-mail or count can come across one.

use super::actions::Action;
use crate::validation::{FieldError, Fields};
use serde_json::Value;

/// An internal note, at most (characters).
pub const MAX_INTERNAL_NOTE: usize = 10_000;

/// `POST /incidents/{id}/notes`: `{"note"}`, 1–10,000 characters.
pub fn parse_note(body: &Value) -> Result<Action, Vec<FieldError>> {
    let mut f = Fields::of(body);
    let note = f.required_str("note", MAX_INTERNAL_NOTE);
    f.finish(note.map(|note| Action::AddNote { note }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_note_of_ten_thousand_characters_is_taken_and_one_more_is_refused_naming_the_field() {
        let just = "ż".repeat(MAX_INTERNAL_NOTE);
        assert_eq!(
            parse_note(&json!({ "note": just.clone() })),
            Ok(Action::AddNote { note: just })
        );
        let long = "x".repeat(MAX_INTERNAL_NOTE + 1);
        let refused = parse_note(&json!({ "note": long })).expect_err("too long");
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].field, "note");
        for body in [json!({}), json!({"note": "  "}), json!({"note": 5})] {
            let refused = parse_note(&body).expect_err("invalid");
            assert_eq!(refused[0].field, "note");
        }
    }
}
