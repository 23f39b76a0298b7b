//! Every client reply in `tests/fixtures/mail` (see its README) read as the function reads it:
//! the new text apart from the quoted history, the attachments, the screen's verdict.

use mailbox::{read, screen, ReplyKey, Unposted};

const DOMAIN: &str = "reply.example.com";
const CONTACT: &str = "jan@example.pl";
const INCIDENT: &str = "inc_01JQ0000000000000000000000";

fn fixture(name: &str, reply_to: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/mail/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .replace("{{REPLY_TO}}", reply_to)
        .replace("{{FROM}}", CONTACT)
        .replace("{{MESSAGE_ID}}", "m1@client.example")
        .into_bytes()
}

#[test]
fn each_clients_reply_yields_its_new_text_and_attachments() {
    let key = ReplyKey::from_secret("fixtures-test-key-0123456789abcdef").expect("key");
    let reply_to = key
        .reply_address(INCIDENT, CONTACT, DOMAIN)
        .expect("an address");
    let cases: [(&str, &str, &[&str]); 10] = [
        ("gmail_en.eml", "The error is back after the restart. I attached the log from this morning.", &["db.log"]),
        ("gmail_pl.eml", "Dzień dobry,\nbłąd wrócił po restarcie, w załączniku zrzut ekranu.", &["zrzut ekranu.png"]),
        ("outlook_en.eml", "Hi,\nWe applied the workaround; the service is up again.\n\nRegards\nJan", &[]),
        ("outlook_pl.eml", "Dzień dobry,\npotwierdzam: po zmianie konfiguracji wszystko działa.\n\nPozdrawiam\nJan Kowalski", &[]),
        ("apple_en.eml", "Restarting the node did not help. It fails at boot.", &[]),
        ("apple_pl.eml", "Restart węzła nie pomógł, błąd pojawia się przy starcie.", &[]),
        ("thunderbird_en.eml", "Thanks, the patch works for us. Please close the incident.", &[]),
        ("thunderbird_pl.eml", "Dziękuję, poprawka działa. W załączniku logi.", &["config.json"]),
        ("html_only_en.eml", "The backup finished; the data is back.", &[]),
        ("gmail_attachment_only_en.eml", "", &["db.log"]),
    ];
    for (name, text, files) in cases {
        let inbound =
            read(&fixture(name, &reply_to)).unwrap_or_else(|| panic!("{name}: unreadable"));
        let names: Vec<&str> = inbound
            .attachments
            .iter()
            .map(|a| a.file_name.as_str())
            .collect();
        assert_eq!(names, files, "{name}");
        assert!(inbound.automatic.is_none() && !inbound.report, "{name}");
        match screen(&inbound, &key, DOMAIN) {
            Ok(s) => assert_eq!(s.text, text, "{name}"),
            Err(Unposted::NoNewText) => assert_eq!(text, "", "{name}: no new text found"),
            Err(e) => panic!("{name}: {}", e.reason()),
        }
    }
}
