use super::*;
use crate::incident::EventKind;
use crate::time::parse_instant;
use crate::IncidentStatus;
use serde_json::json;

const OWNER: &str = "acct-owner";

fn at(s: &str) -> Instant {
    parse_instant(s).expect("a valid RFC 3339 instant")
}

fn incident(status: IncidentStatus) -> Incident {
    Incident {
        account_id: OWNER.into(),
        status,
        ..crate::incident::sample_incident()
    }
}

fn owner() -> Actor {
    Actor::customer(OWNER)
}

fn engineer() -> Actor {
    Actor {
        account_id: "eng-1".into(),
        email: None,
        name: None,
        engineer: true,
        admin: false,
    }
}

fn admin() -> Actor {
    Actor {
        account_id: "admin-1".into(),
        email: None,
        name: None,
        engineer: false,
        admin: true,
    }
}

fn body(file_name: Value, content_type: Value, size_bytes: Value) -> Value {
    json!({"file_name": file_name, "content_type": content_type, "size_bytes": size_bytes})
}

fn fields_of(body: &Value) -> Vec<String> {
    AttachmentRequest::parse(body)
        .expect_err("refused")
        .into_iter()
        .map(|e| e.field)
        .collect()
}

fn pending(by: &Actor) -> Attachment {
    let request = AttachmentRequest::parse(&body(
        json!("server.log"),
        json!("text/plain"),
        json!(5_242_880),
    ))
    .expect("valid");
    Attachment::new(
        request,
        "inc-1",
        &crate::AttachmentId::from("att-1"),
        by,
        at("2026-03-02T10:00:00Z"),
    )
}

#[test]
fn a_declared_file_within_every_limit_is_accepted_at_the_boundaries() {
    let name = "a".repeat(MAX_FILE_NAME);
    let r = AttachmentRequest::parse(&body(
        json!(name),
        json!("application/vnd.tcpdump.pcap"),
        json!(MAX_SIZE_BYTES),
    ))
    .expect("valid");
    assert_eq!(r.file_name.chars().count(), 255);
    assert_eq!(r.size_bytes, 52_428_800);
    let r = AttachmentRequest::parse(&body(
        json!("zrzut ekranu ąę.png"),
        json!("image/png"),
        json!(1),
    ))
    .expect("valid");
    assert_eq!(r.file_name, "zrzut ekranu ąę.png");
    let r = AttachmentRequest::parse(&body(json!("a.log"), json!("text/plain"), json!(2048.0)))
        .expect("a whole number written with a fraction part");
    assert_eq!(r.size_bytes, 2048);
}

#[test]
fn every_limit_is_refused_naming_its_field() {
    for size in [
        json!(0),
        json!(MAX_SIZE_BYTES + 1),
        json!(-5),
        json!(1.5),
        json!(52_428_801.0),
        json!("10"),
        json!(true),
    ] {
        assert_eq!(
            fields_of(&body(json!("a.log"), json!("text/plain"), size.clone())),
            vec!["size_bytes"],
            "{size}"
        );
    }
    for name in [
        json!(""),
        json!("   "),
        json!("a".repeat(256)),
        json!("logs/a.log"),
        json!("..\\a.log"),
        json!("a\u{7}.log"),
        json!("a.log\n"),
        json!(42),
    ] {
        assert_eq!(
            fields_of(&body(name.clone(), json!("text/plain"), json!(10))),
            vec!["file_name"],
            "{name}"
        );
    }
    for ct in [
        json!("text/html"),
        json!("TEXT/PLAIN"),
        json!("text/plain; charset=utf-8"),
        json!(""),
    ] {
        assert_eq!(
            fields_of(&body(json!("a.log"), ct.clone(), json!(10))),
            vec!["content_type"],
            "{ct}"
        );
    }
}

#[test]
fn a_body_missing_everything_names_every_field() {
    let mut fields = fields_of(&json!({}));
    fields.sort();
    assert_eq!(fields, vec!["content_type", "file_name", "size_bytes"]);
    assert_eq!(fields_of(&json!([1])), vec!["body"]);
}

#[test]
fn the_owner_and_engineers_attach_to_an_open_incident_only() {
    let open = incident(IncidentStatus::InProgress);
    assert_eq!(may_attach(&open, &owner()), Ok(()));
    assert_eq!(may_attach(&open, &engineer()), Ok(()));
    assert!(matches!(
        may_attach(&open, &admin()),
        Err(ActionError::Forbidden(_))
    ));
    assert_eq!(
        may_attach(&open, &Actor::customer("acct-other")),
        Err(ActionError::NotFound)
    );
    for closed in [
        IncidentStatus::Resolved,
        IncidentStatus::Unresolved,
        IncidentStatus::ClosedByCustomer,
    ] {
        assert!(matches!(
            may_attach(&incident(closed), &owner()),
            Err(ActionError::InvalidState(_))
        ));
    }
}

#[test]
fn the_owner_and_staff_read_attachments_others_do_not_see_them() {
    let i = incident(IncidentStatus::Resolved);
    for actor in [owner(), engineer(), admin()] {
        assert_eq!(may_read(&i, &actor), Ok(()));
    }
    assert_eq!(
        may_read(&i, &Actor::customer("acct-other")),
        Err(ActionError::NotFound)
    );
}

#[test]
fn only_the_uploader_completes_and_only_with_the_declared_size() {
    let i = incident(IncidentStatus::InProgress);
    let a = pending(&engineer());
    assert!(matches!(
        may_complete(&i, &a, &owner()),
        Err(ActionError::Forbidden(_))
    ));
    assert_eq!(
        may_complete(&i, &a, &Actor::customer("acct-other")),
        Err(ActionError::NotFound)
    );
    assert!(matches!(
        check_upload(&a, None),
        Err(ActionError::InvalidState(_))
    ));
    assert!(matches!(
        check_upload(&a, Some(5_242_879)),
        Err(ActionError::InvalidState(_))
    ));
    assert_eq!(check_upload(&a, Some(5_242_880)), Ok(()));
}

#[test]
fn completing_records_one_attachment_added_event_and_a_repeat_records_none() {
    let i = incident(IncidentStatus::InProgress);
    let a = pending(&owner());
    let now = at("2026-03-02T10:05:00Z");
    let (uploaded, t) = complete(&i, &a, &owner(), now)
        .expect("allowed")
        .expect("a change");
    assert_eq!(uploaded.status, AttachmentStatus::Uploaded);
    assert_eq!(uploaded.uploaded_at, Some(now));
    assert_eq!(t.incident, i);
    assert_eq!(t.events.len(), 1);
    let e = &t.events[0];
    assert_eq!(e.kind(), EventKind::AttachmentAdded);
    assert_eq!(e.actor_account_id, OWNER);
    assert_eq!(e.wire()["attachment_id"], "att-1");
    assert_eq!(e.wire()["file_name"], "server.log");
    assert_eq!(e.wire()["size_bytes"], 5_242_880);
    assert_eq!(complete(&i, &uploaded, &owner(), now), Ok(None));
}

#[test]
fn only_an_uploaded_attachment_shows_a_download_url() {
    let a = pending(&owner());
    assert_eq!(a.view(Some("https://x".into())).download_url, None);
    let mut u = a.clone();
    u.status = AttachmentStatus::Uploaded;
    assert_eq!(
        u.view(Some("https://x".into())).download_url.as_deref(),
        Some("https://x")
    );
    let v = serde_json::to_value(u.view(None)).expect("json");
    assert_eq!(v["created_at"], "2026-03-02T10:00:00Z");
    assert_eq!(v["status"], "uploaded");
    assert!(v.get("incident_id").is_none() && v["download_url"].is_null());
}

#[test]
fn the_download_name_is_always_an_attachment_and_cannot_break_out_of_its_quotes() {
    assert_eq!(
        content_disposition("server.log"),
        "attachment; filename=\"server.log\"; filename*=UTF-8''server.log"
    );
    let d = content_disposition("a\"; filename=evil.html;.txt");
    assert!(
        d.starts_with("attachment; filename=\"a__ filename=evil.html_.txt\"; "),
        "{d}"
    );
    assert_eq!(d.matches('"').count(), 2, "{d}");
    assert!(
        d.ends_with("filename*=UTF-8''a%22%3B%20filename%3Devil.html%3B.txt"),
        "{d}"
    );
    let d = content_disposition("żółw.png");
    assert!(d.contains("filename=\"___w.png\""), "{d}");
    assert!(d.ends_with("UTF-8''%C5%BC%C3%B3%C5%82w.png"), "{d}");
    assert!(content_disposition("日本").contains("filename=\"__\""));
}
