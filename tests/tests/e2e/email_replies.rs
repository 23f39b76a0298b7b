//! E-mailed replies end to end (issue 27): real MIME through the local SMTP server (Python's
//! smtplib, as a mail client submits it) → the raw message in the bucket under inbound/ →
//! `inbound-mail` → the incident, read back through the API and the local SES outbox. Cases whose
//! point is that nothing happens are invoked directly with the S3 event the SMTP server would send
//! (for an object the test stores), so the function's answer says what it decided.

use e2e::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn reply_domain() -> String {
    std::env::var("REPLY_DOMAIN").unwrap_or_else(|_| "reply.incident-desk.localhost".into())
}

fn key() -> mailbox::ReplyKey {
    mailbox::ReplyKey::from_env().expect("REPLY_TOKEN_KEY is set by the stack")
}

async fn incident_of(customer: &User, contact: &str, calendar: &str) -> String {
    buy_pack(customer, "five_pack").await;
    let mut body = submission();
    body["calendar"] = json!(calendar);
    body["contact"] = json!({"name": "Jan", "email": contact, "phone": "+48 22 123 45 67"});
    let incident = submit(customer, &body).await.expect(201).body;
    incident["incident_id"].as_str().expect("id").to_string()
}

/// A fixture (tests/fixtures/mail) with its placeholders filled in.
fn fixture(name: &str, reply_to: &str, from: &str, message_id: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/mail/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .replace("{{REPLY_TO}}", reply_to)
        .replace("{{FROM}}", from)
        .replace("{{MESSAGE_ID}}", message_id)
        .into_bytes()
}

/// Submits `raw` to the local SMTP server as a mail client does (Python's smtplib).
async fn smtp_send(from: &str, to: &str, raw: &[u8]) {
    use tokio::io::AsyncWriteExt;
    let port = std::env::var("SMTP_PORT").expect("SMTP_PORT is set by the stack");
    let mut child = tokio::process::Command::new("python3")
        .arg("-c")
        .arg("import smtplib,sys; s=smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=60); s.sendmail(sys.argv[2], [sys.argv[3]], sys.stdin.buffer.read()); s.quit()")
        .args([&port, from, to])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(raw).await.expect("write the message");
    drop(stdin);
    let status = child.wait().await.expect("smtplib ran");
    assert!(status.success(), "the SMTP server refused the message");
}

/// Stores `raw` under inbound/ and invokes the function with the S3 event; its outcome.
async fn deliver_directly(raw: Vec<u8>) -> String {
    let objects = objects::Objects::from_env().await.expect("the bucket");
    let key = format!("inbound/e2e-{}", store::ids::new_id("msg"));
    objects
        .write_bytes(&key, raw, "message/rfc822")
        .await
        .expect("stored");
    let event = json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": objects.bucket()}, "object": {"key": key}}}]});
    let answer = lambda_invoke("inbound-mail", &event).await;
    answer["records"][0]["outcome"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn timeline(user: &User, id: &str) -> Vec<Value> {
    get(&format!("/incidents/{id}/timeline?limit=100"))
        .token(user)
        .send()
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn emailed(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["kind"] == "customer_message" && e["channel"] == "email")
        .cloned()
        .collect()
}

/// Waits until the incident has `count` e-mailed messages (panics after 120 s).
async fn wait_for_messages(user: &User, id: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let found = emailed(&timeline(user, id).await);
        if found.len() >= count {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "no {count} e-mailed messages on {id}: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn attachments(user: &User, id: &str) -> Vec<Value> {
    get(&format!("/incidents/{id}/attachments"))
        .token(user)
        .send()
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn the_mail_to_a_contact_carries_a_reply_address_and_answering_it_posts_the_reply_in_both_languages(
) {
    for (calendar, fixture_name, expected, attachment) in [
        (
            "US",
            "gmail_en.eml",
            "The error is back after the restart. I attached the log from this morning.",
            "db.log",
        ),
        (
            "PL",
            "thunderbird_pl.eml",
            "Dziękuję, poprawka działa. W załączniku logi.",
            "config.json",
        ),
    ] {
        let customer = User::customer();
        let contact = new_address("jan");
        let id = incident_of(&customer, &contact, calendar).await;
        // The confirmation, as the contact's mail client shows it.
        let mail = mail_to(&contact, &number_of(&id).await, 1).await;
        let confirmation = &mail[0];
        assert_eq!(confirmation.reply_to.len(), 1, "{confirmation:?}");
        let reply_to = confirmation.reply_to[0].clone();
        let (local, domain) = reply_to.split_once('@').expect("an address");
        assert_eq!(domain, reply_domain());
        assert!(
            local.starts_with("reply+") && local.len() <= 64,
            "{reply_to}"
        );
        let invite = if calendar == "PL" {
            "Możesz odpowiedzieć na tego e-maila"
        } else {
            "You can reply to this e-mail"
        };
        assert!(confirmation.text.contains(invite), "{}", confirmation.text);
        assert!(
            !confirmation.text.contains("do not reply")
                && !confirmation.text.contains("nie odpowiadać")
        );
        // Answered as a mail client would, twice (the mail system delivering it again).
        let message_id = format!("{}@mail.customer.example", store::ids::new_id("mid"));
        let raw = fixture(fixture_name, &reply_to, &contact, &message_id);
        smtp_send(&contact, &reply_to, &raw).await;
        smtp_send(&contact, &reply_to, &raw).await;
        let messages = wait_for_messages(&customer, &id, 1).await;
        assert_eq!(messages[0]["message"], expected);
        assert_eq!(
            messages[0]["actor_account_id"],
            customer.account_id.as_str()
        );
        // Named for people as the contact (the reply carries no token with a name).
        assert_eq!(messages[0]["actor_display_name"], "Jan");
        // Whatever the second delivery did, it is done once the first attachment is there.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let events = timeline(&customer, &id).await;
        assert_eq!(emailed(&events).len(), 1, "posted once: {events:?}");
        let added: Vec<&Value> = events
            .iter()
            .filter(|e| e["kind"] == "attachment_added")
            .collect();
        assert_eq!(added.len(), 1, "one attachment_added: {events:?}");
        let files = attachments(&customer, &id).await;
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0]["file_name"], attachment);
        assert_eq!(files[0]["status"], "uploaded");
        assert_eq!(files[0]["uploaded_by"], customer.account_id.as_str());
        let download = files[0]["download_url"].as_str().expect("a download URL");
        let bytes = reqwest::get(download)
            .await
            .expect("download")
            .bytes()
            .await
            .expect("bytes");
        assert!(!bytes.is_empty());
        // The team hears of the message as of any customer message.
        let incident = get(&format!("/incidents/{id}"))
            .token(&customer)
            .send()
            .await
            .expect(200)
            .body;
        assert_eq!(incident["contact_unreachable"], false);
    }
}

#[tokio::test]
async fn every_client_shape_posts_only_its_new_text() {
    let customer = User::customer();
    let contact = new_address("ola");
    let id = incident_of(&customer, &contact, "PL").await;
    let reply_to = key()
        .reply_address(&id, &contact, &reply_domain())
        .expect("a token");
    let shapes = [
        ("outlook_en.eml", "Hi,\nWe applied the workaround; the service is up again.\n\nRegards\nJan"),
        ("outlook_pl.eml", "Dzień dobry,\npotwierdzam: po zmianie konfiguracji wszystko działa.\n\nPozdrawiam\nJan Kowalski"),
        ("apple_en.eml", "Restarting the node did not help. It fails at boot."),
        ("apple_pl.eml", "Restart węzła nie pomógł, błąd pojawia się przy starcie."),
        ("thunderbird_en.eml", "Thanks, the patch works for us. Please close the incident."),
        ("gmail_pl.eml", "Dzień dobry,\nbłąd wrócił po restarcie, w załączniku zrzut ekranu."),
    ];
    for (name, _) in shapes {
        let raw = fixture(
            name,
            &reply_to,
            &contact,
            &format!("{name}.{}@client.example", store::ids::new_id("m")),
        );
        smtp_send(&contact, &reply_to, &raw).await;
    }
    let messages = wait_for_messages(&customer, &id, shapes.len()).await;
    let texts: Vec<&str> = messages
        .iter()
        .filter_map(|m| m["message"].as_str())
        .collect();
    for (name, expected) in shapes {
        assert!(
            texts.contains(&expected),
            "{name}: {expected:?} not among {texts:?}"
        );
    }
}

#[tokio::test]
async fn forgeries_auto_replies_and_reports_are_never_posted_nor_answered() {
    let customer = User::customer();
    let contact = new_address("ada");
    let id = incident_of(&customer, &contact, "US").await;
    let other_customer = User::customer();
    let other_contact = new_address("eve");
    let other_id = incident_of(&other_customer, &other_contact, "US").await;
    let domain = reply_domain();
    let reply_to = key()
        .reply_address(&id, &contact, &domain)
        .expect("a token");
    let mid = || format!("{}@client.example", store::ids::new_id("m"));
    // A sender other than the token's recipient (B's contact using A's token).
    let raw = fixture("thunderbird_en.eml", &reply_to, &other_contact, &mid());
    assert_eq!(deliver_directly(raw).await, "not_posted");
    // A token that does not verify.
    let token = reply_to
        .split_once('+')
        .unwrap()
        .1
        .split_once('@')
        .unwrap()
        .0
        .to_string();
    let mut bad = token.clone().into_bytes();
    bad[5] = if bad[5] == b'0' { b'1' } else { b'0' };
    let forged = reply_to.replace(&token, std::str::from_utf8(&bad).unwrap());
    assert_eq!(
        deliver_directly(fixture("thunderbird_en.eml", &forged, &contact, &mid())).await,
        "not_posted"
    );
    // A forged In-Reply-To into another customer's incident, without a reply address of it.
    let raw = String::from_utf8(fixture(
        "thunderbird_en.eml",
        &format!("support@{domain}"),
        &other_contact,
        &mid(),
    ))
    .unwrap()
    .replace(
        "Subject:",
        &format!(
            "In-Reply-To: <{id}@incident-desk>\r\nReferences: <{id}@incident-desk>\r\nSubject:"
        ),
    );
    assert_eq!(deliver_directly(raw.into_bytes()).await, "not_posted");
    // Auto-replies and a delivery report, with a valid token and sender.
    for header in [
        "Auto-Submitted: auto-replied",
        "Precedence: bulk",
        "X-Autoreply: yes",
    ] {
        let mut raw = format!("{header}\r\n").into_bytes();
        raw.extend(fixture("thunderbird_en.eml", &reply_to, &contact, &mid()));
        assert_eq!(deliver_directly(raw).await, "not_posted", "{header}");
    }
    let report = format!("From: <{contact}>\r\nTo: <{reply_to}>\r\nMessage-ID: <{}>\r\nSubject: Delivery Status Notification (Failure)\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nThe message could not be delivered.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--r--\r\n", mid());
    assert_eq!(deliver_directly(report.into_bytes()).await, "not_posted");
    // A reply with no new text (only the quoted history).
    let quoted = String::from_utf8(fixture("thunderbird_en.eml", &reply_to, &contact, &mid()))
        .unwrap()
        .replace(
            "Thanks, the patch works for us. Please close the incident.\r\n",
            "",
        );
    assert_eq!(deliver_directly(quoted.into_bytes()).await, "not_posted");
    assert!(emailed(&timeline(&customer, &id).await).is_empty());
    assert!(emailed(&timeline(&other_customer, &other_id).await).is_empty());
    // Nobody was answered: the contacts got their confirmations only.
    assert_eq!(mail_to(&contact, "", 1).await.len(), 1);
    assert_eq!(mail_to(&other_contact, "", 1).await.len(), 1);
}

#[tokio::test]
async fn a_reply_to_a_closed_incident_is_answered_once_a_day_in_its_language() {
    let customer = User::customer();
    let engineer = User::engineer();
    let contact = new_address("zofia");
    let id = incident_of(&customer, &contact, "PL").await;
    post(&format!("/incidents/{id}/resolution"))
        .token(&engineer)
        .json(&json!({"outcome": "resolved", "solutions": ["Zaktualizowano sterownik"]}))
        .send()
        .await
        .expect(200);
    let reply_to = key().reply_address(&id, &contact, &reply_domain()).unwrap();
    for _ in 0..2 {
        let raw = fixture(
            "thunderbird_pl.eml",
            &reply_to,
            &contact,
            &format!("{}@c.example", store::ids::new_id("m")),
        );
        assert_eq!(deliver_directly(raw).await, "closed");
    }
    let answers = mail_to(&contact, "Zgłoszenie jest zamknięte", 1).await;
    assert_eq!(answers.len(), 1, "one answer a day: {answers:?}");
    assert!(
        answers[0].text.contains("/incidents/new"),
        "{}",
        answers[0].text
    );
    assert!(emailed(&timeline(&customer, &id).await).is_empty());
}

#[tokio::test]
async fn bad_input_neither_crashes_nor_posts_and_an_over_limit_sender_hears_why() {
    let customer = User::customer();
    let contact = new_address("bob");
    let id = incident_of(&customer, &contact, "US").await;
    let reply_to = key().reply_address(&id, &contact, &reply_domain()).unwrap();
    let head = |extra: &str| {
        format!("From: <{contact}>\r\nTo: <{reply_to}>\r\nMessage-ID: <{}@c.example>\r\nMIME-Version: 1.0\r\n{extra}", store::ids::new_id("m"))
    };
    // A malformed boundary: read as far as it goes; whatever it decides, it does not fail.
    let malformed = format!(
        "{}Subject: broken\r\nContent-Type: multipart/mixed; boundary=\"unterminated\r\n\r\n--unterminated\r\nContent-Type: text/plain\r\n\r\nStill broken.\r\n",
        head("")
    );
    let outcome = deliver_directly(malformed.into_bytes()).await;
    assert!(
        ["posted", "not_posted"].contains(&outcome.as_str()),
        "{outcome}"
    );
    let mut posted = usize::from(outcome == "posted");
    // An unknown charset in a header and the body, a 10,000-character subject: posted as text.
    let odd = format!(
        "{}Subject: =?x-klingon-1?Q?{}?=\r\nContent-Type: text/plain; charset=x-klingon-1\r\n\r\nStill readable.\r\n",
        head(""),
        "s".repeat(10_000)
    );
    assert_eq!(deliver_directly(odd.into_bytes()).await, "posted");
    posted += 1;
    // Bytes without a header: not posted; nothing at all: not a message, moved aside, not retried.
    assert_eq!(
        deliver_directly(b"\x00\x01 garbage".to_vec()).await,
        "not_posted"
    );
    assert_eq!(deliver_directly(Vec::new()).await, "quarantined");
    // 30 attachments: 20 are taken, the other 10 named in one answer.
    let mut many = head("Subject: logs\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThirty logs attached.\r\n");
    for i in 0..30 {
        many.push_str(&format!("--b\r\nContent-Type: text/plain; name=log{i}.txt\r\nContent-Disposition: attachment; filename=log{i}.txt\r\n\r\nline {i}\r\n"));
    }
    many.push_str("--b--\r\n");
    assert_eq!(deliver_directly(many.into_bytes()).await, "posted");
    posted += 1;
    assert_eq!(attachments(&customer, &id).await.len(), 20);
    let answer = mail_to(&contact, "Some attachments were not added", 1).await;
    assert_eq!(answer.len(), 1);
    assert!(
        answer[0].text.contains("log29.txt") && answer[0].text.contains("20 attachments"),
        "{}",
        answer[0].text
    );
    // A 25 MB message: not read, its sender told why.
    let mut big = head("Subject: huge\r\nContent-Type: text/plain\r\n\r\n").into_bytes();
    big.extend(std::iter::repeat_n(b'a', 25 * 1024 * 1024));
    assert_eq!(deliver_directly(big).await, "too_large");
    let answer = mail_to(&contact, "Your e-mail was too large", 1).await;
    assert_eq!(answer.len(), 1);
    let messages = emailed(&timeline(&customer, &id).await);
    assert_eq!(messages.len(), posted, "{messages:?}");
}

#[tokio::test]
async fn a_bounce_and_a_complaint_make_the_contact_unreachable_and_silence_mail_to_it() {
    for (address, kind) in [
        ("bounce@simulator.amazonses.com", "bounce"),
        ("complaint@simulator.amazonses.com", "complaint"),
    ] {
        let customer = User::customer();
        let engineer = User::engineer();
        let id = incident_of(&customer, address, "US").await;
        // The confirmation goes to the simulator address, which answers with the feedback.
        let deadline = Instant::now() + Duration::from_secs(180);
        let incident = loop {
            let incident = get(&format!("/incidents/{id}"))
                .token(&customer)
                .send()
                .await
                .expect(200)
                .body;
            // The incident and its first timeline page are read side by side (intake): wait
            // for both to show the feedback.
            let has_event = incident["timeline"]
                .as_array()
                .is_some_and(|t| t.iter().any(|e| e["kind"] == "contact_bounced"));
            if incident["contact_unreachable"] == true && has_event {
                break incident;
            }
            assert!(
                Instant::now() < deadline,
                "{address}: not marked unreachable"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        let bounced: Vec<&Value> = incident["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "contact_bounced")
            .collect();
        assert_eq!(bounced.len(), 1, "{incident}");
        assert_eq!(bounced[0]["kind_of_failure"], kind);
        let team = std::env::var("SUPPORT_TEAM_EMAIL").unwrap();
        assert_eq!(
            mail_to(
                &team,
                &format!("[{}] Contact unreachable", number_of(&id).await),
                1
            )
            .await
            .len(),
            1
        );
        // Nothing more is sent to the address.
        post(&format!("/incidents/{id}/responses"))
            .token(&engineer)
            .json(&json!({"message": "We are looking into it", "channel": "email"}))
            .send()
            .await
            .expect(201);
        tokio::time::sleep(Duration::from_secs(5)).await;
        let to_address = mail_to(address, &number_of(&id).await, 1).await;
        assert_eq!(to_address.len(), 1, "only the confirmation: {to_address:?}");
    }
}

/// The local bucket expires raw inbound mail (and quarantined mail) as the template's bucket does
/// (`objects::bucket::lifecycle`, applied by local-bucket; moto keeps the rules, it does not run
/// them: that it deletes after 7 days is AWS's part).
#[tokio::test]
async fn the_local_bucket_expires_inbound_and_quarantined_mail_as_the_template_does() {
    let objects = objects::Objects::from_env().await.expect("the bucket");
    let got = objects
        .client()
        .get_bucket_lifecycle_configuration()
        .bucket(objects.bucket())
        .send()
        .await
        .expect("the bucket's lifecycle rules");
    for (id, prefix, days) in objects::bucket::MAIL_EXPIRY {
        let rule = got
            .rules()
            .iter()
            .find(|r| r.id() == Some(id))
            .unwrap_or_else(|| panic!("no {id} rule in {:?}", got.rules()));
        assert_eq!(rule.status().as_str(), "Enabled", "{id}");
        assert_eq!(rule.filter().and_then(|f| f.prefix()), Some(prefix), "{id}");
        assert_eq!(rule.expiration().and_then(|e| e.days()), Some(days), "{id}");
    }
}

/// A reply that carries only attachments — its text is nothing but the quoted history — is not
/// posted: API.md lists "a reply with no new text" among what is never posted and never
/// answered, and the reply's attachments are the reply's (SPEC: a reply "becomes a message on
/// that incident … with its attachments"; API.md: a posted reply's attachments become incident
/// attachments). No message, so no attachment and no `attachment_added`, and no automatic answer.
#[tokio::test]
async fn a_reply_with_attachments_but_no_new_text_is_neither_posted_nor_answered() {
    let customer = User::customer();
    let contact = new_address("ida");
    let id = incident_of(&customer, &contact, "US").await;
    let reply_to = key()
        .reply_address(&id, &contact, &reply_domain())
        .expect("a token");
    let message_id = format!("{}@client.example", store::ids::new_id("m"));
    let raw = fixture(
        "gmail_attachment_only_en.eml",
        &reply_to,
        &contact,
        &message_id,
    );
    assert!(String::from_utf8_lossy(&raw).contains("filename=\"db.log\""));
    assert_eq!(deliver_directly(raw).await, "not_posted");
    // The same reply with a line of new text is posted with its attachment: only the text decided.
    let with_text = String::from_utf8(fixture(
        "gmail_attachment_only_en.eml",
        &reply_to,
        &contact,
        &format!("{}@client.example", store::ids::new_id("m")),
    ))
    .unwrap()
    .replacen(
        "On Mon, 9 Mar 2026 at 10:15",
        "The log from this morning.\r\n\r\nOn Mon, 9 Mar 2026 at 10:15",
        1,
    );
    assert_eq!(deliver_directly(with_text.into_bytes()).await, "posted");
    let messages = emailed(&timeline(&customer, &id).await);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["message"], "The log from this morning.");
    let files = attachments(&customer, &id).await;
    assert_eq!(
        files.len(),
        1,
        "only the posted reply's attachment: {files:?}"
    );
    assert_eq!(files[0]["file_name"], "db.log");
    // Nobody was answered: the contact got its confirmation only.
    assert_eq!(mail_to(&contact, "", 1).await.len(), 1);
}
