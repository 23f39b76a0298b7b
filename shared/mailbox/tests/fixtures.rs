//! Real clients' reply shapes (tests/fixtures/mail/*.eml, English and Polish): each reads, keeps
//! only the reply's new text, and carries its attachments. The e2e tests send the same files
//! through the local SMTP server (their placeholders filled in).

use mailbox::extract::new_text;
use mailbox::{read, screen, ReplyKey, Unposted};

const DOMAIN: &str = "reply.incident-desk.localhost";
const INCIDENT: &str = "inc_0a1b2c3d4e5f6g7h8j9k0m1n2p";
const FROM: &str = "jan@example.pl";

fn key() -> ReplyKey {
    ReplyKey::from_secret(&"fixture-key-".repeat(4)).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/mail/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let reply_to = key().reply_address(INCIDENT, FROM, DOMAIN).unwrap();
    let mut out = String::from_utf8(text).expect("fixtures are ASCII or UTF-8");
    out = out
        .replace("{{REPLY_TO}}", &reply_to)
        .replace("{{FROM}}", FROM)
        .replace("{{MESSAGE_ID}}", &format!("{name}@mail.example.pl"));
    out.into_bytes()
}

fn reply(name: &str) -> (mailbox::Inbound, String) {
    let inbound = read(&fixture(name)).expect("a message");
    let screened = screen(&inbound, &key(), DOMAIN).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    assert_eq!(screened.verified.incident_id, INCIDENT);
    assert_eq!(screened.from, FROM);
    let text = screened.text.clone();
    (inbound, text)
}

#[test]
fn gmail_in_english_with_a_wrapped_attribution_and_a_log() {
    let (inbound, text) = reply("gmail_en.eml");
    assert_eq!(
        text,
        "The error is back after the restart. I attached the log from this morning."
    );
    assert_eq!(
        inbound.message_id.as_deref(),
        Some("gmail_en.eml@mail.example.pl")
    );
    assert_eq!(inbound.attachments.len(), 1);
    assert_eq!(inbound.attachments[0].file_name, "db.log");
    assert_eq!(inbound.attachments[0].content_type, "text/plain");
    assert!(inbound.attachments[0]
        .bytes
        .starts_with(b"2026-03-09 10:58:01 ERROR"));
}

#[test]
fn gmail_in_polish_base64_with_a_screenshot() {
    let (inbound, text) = reply("gmail_pl.eml");
    assert_eq!(
        text,
        "Dzień dobry,\nbłąd wrócił po restarcie, w załączniku zrzut ekranu."
    );
    assert_eq!(inbound.subject, "Re: Zgłoszenie przyjęte");
    assert_eq!(inbound.attachments[0].file_name, "zrzut ekranu.png");
    assert_eq!(inbound.attachments[0].content_type, "image/png");
    assert!(inbound.attachments[0].bytes.starts_with(b"\x89PNG"));
}

#[test]
fn outlook_in_english_stops_at_its_header_block() {
    let (_, text) = reply("outlook_en.eml");
    assert_eq!(
        text,
        "Hi,\nWe applied the workaround; the service is up again.\n\nRegards\nJan"
    );
}

#[test]
fn outlook_in_polish_iso_8859_2_stops_at_od_wyslano() {
    let (inbound, text) = reply("outlook_pl.eml");
    assert_eq!(
        text,
        "Dzień dobry,\npotwierdzam: po zmianie konfiguracji wszystko działa.\n\nPozdrawiam\nJan Kowalski"
    );
    assert_eq!(inbound.subject, "RE: Zgłoszenie przyjęte");
}

#[test]
fn apple_mail_in_both_languages() {
    assert_eq!(
        reply("apple_en.eml").1,
        "Restarting the node did not help. It fails at boot."
    );
    assert_eq!(
        reply("apple_pl.eml").1,
        "Restart węzła nie pomógł, błąd pojawia się przy starcie."
    );
}

#[test]
fn thunderbird_in_both_languages() {
    assert_eq!(
        reply("thunderbird_en.eml").1,
        "Thanks, the patch works for us. Please close the incident."
    );
    let (inbound, text) = reply("thunderbird_pl.eml");
    assert_eq!(text, "Dziękuję, poprawka działa. W załączniku logi.");
    assert_eq!(inbound.attachments[0].file_name, "config.json");
    assert_eq!(inbound.attachments[0].content_type, "application/json");
}

#[test]
fn html_only_mail_becomes_text() {
    let (_, text) = reply("html_only_en.eml");
    assert!(
        text.contains("backup") && text.contains("the data is back"),
        "{text:?}"
    );
    assert!(!text.contains("Your incident was received"), "{text:?}");
    assert!(!text.contains('<'), "{text:?}");
}

fn with_header(name: &str, header: &str) -> mailbox::Inbound {
    let mut raw = header.as_bytes().to_vec();
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(&fixture(name));
    read(&raw).unwrap()
}

#[test]
fn auto_replies_and_reports_are_never_posted() {
    for header in [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: list",
        "X-Autoreply: yes",
    ] {
        let inbound = with_header("thunderbird_en.eml", header);
        assert!(
            matches!(
                screen(&inbound, &key(), DOMAIN),
                Err(Unposted::Automatic(_))
            ),
            "{header}"
        );
    }
    let inbound = with_header("thunderbird_en.eml", "Auto-Submitted: no");
    assert!(screen(&inbound, &key(), DOMAIN).is_ok());
    let report = "From: MAILER-DAEMON@example.pl\r\nTo: reply+x@reply.incident-desk.localhost\r\nSubject: Undelivered\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n";
    assert_eq!(
        screen(&read(report.as_bytes()).unwrap(), &key(), DOMAIN),
        Err(Unposted::Report)
    );
}

#[test]
fn forged_senders_and_tokens_are_never_posted() {
    let raw = String::from_utf8(fixture("thunderbird_en.eml")).unwrap();
    let other = raw.replace(&format!("<{FROM}>"), "<eve@example.com>");
    assert_eq!(
        screen(&read(other.as_bytes()).unwrap(), &key(), DOMAIN),
        Err(Unposted::WrongSender)
    );
    let token = key().issue(INCIDENT, FROM).unwrap();
    let mut forged = token.clone().into_bytes();
    forged[0] = if forged[0] == b'0' { b'1' } else { b'0' };
    let forged = raw.replace(&token, std::str::from_utf8(&forged).unwrap());
    assert_eq!(
        screen(&read(forged.as_bytes()).unwrap(), &key(), DOMAIN),
        Err(Unposted::TokenInvalid)
    );
    let elsewhere = raw.replace(DOMAIN, "elsewhere.example");
    assert_eq!(
        screen(&read(elsewhere.as_bytes()).unwrap(), &key(), DOMAIN),
        Err(Unposted::NoReplyAddress)
    );
    let quoted_only = raw.replace(
        "Thanks, the patch works for us. Please close the incident.\r\n",
        "",
    );
    assert_eq!(
        screen(&read(quoted_only.as_bytes()).unwrap(), &key(), DOMAIN),
        Err(Unposted::NoNewText)
    );
}

#[test]
fn bad_input_does_not_crash_the_reader() {
    // A malformed boundary, an unknown charset, a 10,000-character subject, 30 attachments.
    let raw = format!(
        "From: {FROM}\r\nTo: x@y\r\nSubject: {}\r\nContent-Type: multipart/mixed; boundary=\"never-closed\r\n\r\n--never\r\nContent-Type: text/plain; charset=x-unknown-9\r\n\r\nhello\r\n",
        "s".repeat(10_000)
    );
    let inbound = read(raw.as_bytes()).unwrap();
    assert_eq!(
        inbound.subject.chars().count(),
        mailbox::read::MAX_SUBJECT_CHARS
    );
    let mut many = format!("From: {FROM}\r\nTo: x@y\r\nSubject: =?x-unknown?Q?abc?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nthirty\r\n");
    for i in 0..30 {
        many.push_str(&format!("--b\r\nContent-Type: text/plain; name=f{i}.txt\r\nContent-Disposition: attachment; filename=f{i}.txt\r\n\r\n{i}\r\n"));
    }
    many.push_str("--b--\r\n");
    assert_eq!(read(many.as_bytes()).unwrap().attachments.len(), 30);
    assert!(read(b"").is_none());
    assert_eq!(new_text(""), "");
}

#[test]
fn a_reply_of_only_an_attachment_has_no_new_text_and_is_never_posted() {
    // Gmail with nothing typed above the quote: the attachment is read, the reply is not posted
    // (API.md "E-mail replies": a reply with no new text; its attachments go with it).
    let inbound = read(&fixture("gmail_attachment_only_en.eml")).expect("a message");
    assert_eq!(inbound.attachments.len(), 1);
    assert_eq!(inbound.attachments[0].file_name, "db.log");
    assert_eq!(new_text(&inbound.body), "");
    assert_eq!(screen(&inbound, &key(), DOMAIN), Err(Unposted::NoNewText));
}

#[test]
fn gmail_in_polish_wraps_its_attribution_before_napisal() {
    // The fixture's attribution runs past 78 columns: Gmail breaks before `napisał(a):`.
    let inbound = read(&fixture("gmail_pl.eml")).expect("a message");
    assert!(
        inbound
            .body
            .contains("<support-desk@example.com>\nnapisał(a):")
            || inbound
                .body
                .contains("<support-desk@example.com>\r\nnapisał(a):"),
        "{:?}",
        inbound.body
    );
    assert!(!new_text(&inbound.body).contains("napisał"));
}
