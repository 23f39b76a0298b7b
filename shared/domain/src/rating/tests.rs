use super::*;
use crate::category::Category;
use crate::incident::EventKind;
use crate::incident::{Contact, Owner};
use crate::time::parse_instant;
use crate::{CalendarId, Charge, Handling, IncidentStatus, Severity, SlaOutcome};
use serde_json::json;

fn at(s: &str) -> Instant {
    parse_instant(s).expect("instant")
}

const SECRET: &str = "0123456789abcdef0123456789abcdef-rating";

fn key() -> RatingTokenKey {
    RatingTokenKey::from_secret(Some(SECRET)).expect("key")
}

pub(crate) fn closed() -> Incident {
    Incident {
        incident_id: "inc-1".into(),
        number: "K7M-4QX9".into(),
        account_id: "acct-1".into(),
        pack_id: "pack-1".into(),
        parent_incident_id: None,
        product_id: "p".into(),
        category: Category::ErrorOrCrash,
        severity: Severity::B,
        handling: Handling::BusinessHours,
        calendar: CalendarId::Pl,
        title: "t".into(),
        description: "d".into(),
        contact: Contact {
            name: "n".into(),
            email: "c@example.com".into(),
            phone: None,
            language: None,
        },
        status: IncidentStatus::Resolved,
        created_at: at("2026-03-02T09:00:00Z"),
        first_response_warn_at: at("2026-03-02T10:30:00Z"),
        first_response_due_at: at("2026-03-02T11:00:00Z"),
        first_responded_at: Some(at("2026-03-02T09:30:00Z")),
        sla_warned_at: None,
        sla: SlaOutcome::Met,
        scope: None,
        charge: Charge::Consumed,
        charge_decided: true,
        closed_at: Some(at("2026-03-03T09:00:00Z")),
        owner: Some(Owner {
            account_id: "eng-1".into(),
            display_name: "Eng".into(),
        }),
        rating: None,
        attachments_deleted_at: None,
        contact_unreachable: false,
    }
}

fn request(score: Score) -> RatingRequest {
    RatingRequest {
        score,
        comment: None,
    }
}

#[test]
fn a_token_names_its_incident_until_thirty_days_after_its_e_mail() {
    let issued = at("2026-03-03T09:00:00Z");
    let token = key().issue("inc-1", issued);
    assert_eq!(key().verify(&token, issued).as_deref(), Some("inc-1"));
    let last = issued + chrono::Duration::days(TOKEN_VALID_DAYS);
    assert_eq!(key().verify(&token, last).as_deref(), Some("inc-1"));
    assert_eq!(
        key().verify(&token, last + chrono::Duration::seconds(1)),
        None
    );
    assert!(token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
}

#[test]
fn a_forged_or_tampered_token_or_one_of_another_key_names_nothing() {
    let issued = at("2026-03-03T09:00:00Z");
    let token = key().issue("inc-1", issued);
    let other_key =
        RatingTokenKey::from_secret(Some("another key of enough length, 32+ chars")).expect("key");
    assert_eq!(other_key.verify(&token, issued), None);
    let mut bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64");
    for i in 0..bytes.len() {
        bytes[i] ^= 1;
        assert_eq!(
            key().verify(&URL_SAFE_NO_PAD.encode(&bytes), issued),
            None,
            "byte {i}"
        );
        bytes[i] ^= 1;
    }
    // Another incident's id in place of this one's, tag kept.
    let other = key().issue("inc-2", issued);
    let (a, b) = (
        URL_SAFE_NO_PAD.decode(&token).expect("a"),
        URL_SAFE_NO_PAD.decode(&other).expect("b"),
    );
    let mut spliced = b[..b.len() - 16].to_vec();
    spliced.extend_from_slice(&a[a.len() - 16..]);
    assert_eq!(
        key().verify(&URL_SAFE_NO_PAD.encode(&spliced), issued),
        None
    );
    for junk in ["", "x", "%%%", &"A".repeat(5000)] {
        assert_eq!(key().verify(junk, issued), None);
    }
}

#[test]
fn the_key_must_be_configured_and_long_enough() {
    assert_eq!(
        RatingTokenKey::from_secret(None).err(),
        Some(RatingKeyError::Missing)
    );
    assert_eq!(
        RatingTokenKey::from_secret(Some("short")).err(),
        Some(RatingKeyError::TooShort)
    );
    assert!(RatingKeyError::Missing
        .to_string()
        .contains(RATING_TOKEN_KEY_VAR));
}

#[test]
fn a_rating_request_takes_a_score_and_a_comment_of_at_most_2000_characters() {
    let ok = RatingRequest::parse(&json!({"score": "good", "comment": "Quick"})).expect("ok");
    assert_eq!(ok.score, Score::Good);
    assert_eq!(ok.comment.as_deref(), Some("Quick"));
    let e = RatingRequest::parse(&json!({"score": "meh"})).expect_err("bad score");
    assert_eq!(e[0].field, "score");
    let long = "x".repeat(MAX_COMMENT + 1);
    let e = RatingRequest::parse(&json!({"score": "bad", "comment": long})).expect_err("long");
    assert_eq!(e[0].field, "comment");
    let fits = "ż".repeat(MAX_COMMENT);
    assert!(RatingRequest::parse(&json!({"score": "bad", "comment": fits})).is_ok());
}

#[test]
fn only_a_closed_incident_is_rated_and_a_later_rating_replaces_the_earlier() {
    let now = at("2026-03-04T09:00:00Z");
    let open = Incident {
        status: IncidentStatus::InProgress,
        ..closed()
    };
    assert_eq!(
        rate(&open, &request(Score::Good), now).err(),
        Some(RatingRefusal::NotClosed)
    );
    let first = rate(&closed(), &request(Score::Good), now).expect("rated");
    assert_eq!(first.events.len(), 1);
    assert_eq!(first.events[0].kind(), EventKind::Rated);
    let later = now + chrono::Duration::hours(1);
    let second = rate(&first.incident, &request(Score::Bad), later).expect("again");
    let rating = second.incident.rating.clone().expect("rating");
    assert_eq!((rating.score, rating.at), (Score::Bad, later));
}

#[test]
fn a_replaced_rating_moves_its_count_and_never_counts_twice() {
    let now = at("2026-03-04T09:00:00Z");
    let first = rate(&closed(), &request(Score::Good), now).expect("rated");
    let moves = counter_moves(&closed(), &first.incident);
    assert_eq!(moves.len(), 1);
    assert_eq!((moves[0].1, moves[0].2), (1, 0));
    assert_eq!(moves[0].0.owner_account_id.as_deref(), Some("eng-1"));
    // Same month, other score: one bucket, good −1 and bad +1.
    let second = rate(&first.incident, &request(Score::Bad), now).expect("again");
    let moves = counter_moves(&first.incident, &second.incident);
    assert_eq!(moves.len(), 1);
    assert_eq!((moves[0].1, moves[0].2), (-1, 1));
    // The same score again in the same month moves nothing.
    let third = rate(&second.incident, &request(Score::Bad), now).expect("again");
    assert!(counter_moves(&second.incident, &third.incident).is_empty());
    // Next month: the old month loses it, the new one gains it.
    let next_month = at("2026-04-01T00:00:00Z");
    let fourth = rate(&third.incident, &request(Score::Bad), next_month).expect("again");
    let moves = counter_moves(&third.incident, &fourth.incident);
    assert_eq!(moves.len(), 2);
    assert_eq!(moves.iter().map(|m| m.2).sum::<i64>(), 0);
}
