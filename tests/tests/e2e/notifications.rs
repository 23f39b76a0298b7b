//! Notifications end to end: changes made over HTTP reach the table's stream, the stream relay
//! (as the event source mapping) invokes the notifier, and the mail lands in the local SES,
//! pages on the local SNS topic (read through an SQS queue subscribed to it). Each test uses
//! fresh accounts and addresses; the support team's address is shared, so team mail is found by
//! the incident id in its subject.
//!
//! Redelivery and partial failure are driven by invoking the notifier directly with stream
//! batches (as the event source mapping would send them) for sources the table never wrote, so
//! the relay cannot race the test for them.

use aws_sdk_sqs::types::QueueAttributeName;
use e2e::*;
use serde_json::{json, Value};
use std::time::Duration;

fn support_team() -> String {
    std::env::var("SUPPORT_TEAM_EMAIL").expect("SUPPORT_TEAM_EMAIL is set by the stack")
}

/// A customer with a pack and a submitted incident; the incident's JSON.
async fn incident_of(customer: &User, overrides: Value) -> Value {
    buy_pack(customer, "five_pack").await;
    let mut body = submission();
    for (k, v) in overrides.as_object().expect("overrides are an object") {
        body[k] = v.clone();
    }
    submit(customer, &body).await.expect(201).body
}

fn id_of(incident: &Value) -> String {
    incident["incident_id"]
        .as_str()
        .expect("incident_id")
        .to_string()
}

#[tokio::test]
async fn a_new_incident_confirms_to_the_contact_in_polish_and_tells_the_team_once() {
    let customer = User::customer();
    let contact = new_address("ada");
    let incident = incident_of(
        &customer,
        json!({"calendar": "PL", "title": "Klaster nie startuje",
               "contact": {"name": "Ada", "email": contact, "phone": "+48 22 123 45 67"}}),
    )
    .await;
    assert_eq!(
        incident["contact"]["language"], "pl",
        "default for calendar PL"
    );
    let id = id_of(&incident);
    let mail = mail_to(&contact, &number_of(&id).await, 1).await;
    assert_eq!(mail.len(), 1, "one confirmation: {mail:?}");
    let m = &mail[0];
    assert_eq!(
        m.subject,
        format!(
            "[{}] Przyjęliśmy Twoje zgłoszenie: Klaster nie startuje",
            number_of(&id).await
        )
    );
    assert!(m.body.contains("(Europe/Warsaw)"), "{}", m.body);
    assert!(m.body.contains(&format!("/incidents/{id}")), "{}", m.body);
    assert!(
        !m.body.contains(&customer.account_id),
        "no account ids in mail"
    );
    let team = mail_to(
        &support_team(),
        &format!("[{}] New severity C incident", number_of(&id).await),
        1,
    )
    .await;
    assert_eq!(team.len(), 1, "one team notice: {team:?}");
    assert!(team[0].body.contains(&contact), "the team sees the contact");
}

#[tokio::test]
async fn every_customer_row_reaches_the_contact_in_english() {
    let customer = User::customer();
    let engineer = User::engineer();
    let contact = new_address("grace");
    let incident = incident_of(
        &customer,
        json!({"calendar": "UK", "contact": {"name": "Grace", "email": contact}}),
    )
    .await;
    assert_eq!(incident["contact"]["language"], "en");
    let id = id_of(&incident);
    let base = format!("/incidents/{id}");
    post(&format!("{base}/responses"))
        .token(&engineer)
        .json(&json!({"message": "Please send the cluster log.", "channel": "email"}))
        .send()
        .await
        .expect(201);
    post(&format!("{base}/scope"))
        .token(&engineer)
        .json(&json!({"problem_statement": "Validation warns about storage", "resolution_criteria": "Validation passes"}))
        .send()
        .await
        .expect(200);
    post(&format!("{base}/sub-problems"))
        .token(&engineer)
        .json(&json!({"title": "Replace the failing disk", "description": "Disk 3 reports errors"}))
        .send()
        .await
        .expect(201);
    post(&format!("{base}/resolution"))
        .token(&engineer)
        .json(&json!({"outcome": "resolved", "solutions": ["Updated the storage driver"]}))
        .send()
        .await
        .expect(200);
    for (subject, needle) in [
        ("An engineer has responded", "Please send the cluster log."),
        ("Please confirm the scope", "Validation passes"),
        (
            "A separate incident is proposed",
            "Replace the failing disk",
        ),
        ("Your incident is resolved", "Updated the storage driver"),
    ] {
        let mail = mail_to(
            &contact,
            &format!("[{}] {subject}", number_of(&id).await),
            1,
        )
        .await;
        assert_eq!(mail.len(), 1, "{subject}: {mail:?}");
        assert!(mail[0].body.contains(needle), "{subject}: {}", mail[0].body);
        assert!(mail[0].body.contains("lang=\"en\""));
    }
}

#[tokio::test]
async fn closing_unresolved_and_the_charge_reach_a_polish_contact_and_the_team_hears_the_customer()
{
    let customer = User::customer();
    let engineer = User::engineer();
    let contact = new_address("jan");
    // Calendar UK, but the contact asked for Polish.
    let incident = incident_of(
        &customer,
        json!({"calendar": "UK", "title": "Kopia zapasowa wisi",
               "contact": {"name": "Jan", "email": contact, "language": "pl"}}),
    )
    .await;
    assert_eq!(incident["contact"]["language"], "pl");
    let id = id_of(&incident);
    let base = format!("/incidents/{id}");
    post(&format!("{base}/messages"))
        .token(&customer)
        .json(&json!({"message": "Zadanie wisi od rana."}))
        .send()
        .await
        .expect(201);
    post(&format!("{base}/resolution"))
        .token(&engineer)
        .json(&json!({"outcome": "unresolved", "explanation": "Wymaga poprawki producenta.", "charge": "refunded"}))
        .send()
        .await
        .expect(200);
    let closed = mail_to(
        &contact,
        &format!(
            "[{}] Zgłoszenie zamknięte bez rozwiązania",
            number_of(&id).await
        ),
        1,
    )
    .await;
    assert_eq!(closed.len(), 1);
    assert!(closed[0].body.contains("Wymaga poprawki producenta."));
    let charge = mail_to(
        &contact,
        &format!(
            "[{}] Decyzja o rozliczeniu zgłoszenia",
            number_of(&id).await
        ),
        1,
    )
    .await;
    assert_eq!(charge.len(), 1);
    assert!(
        charge[0].body.contains("wróciło do Twojego pakietu"),
        "{}",
        charge[0].body
    );
    let team = mail_to(
        &support_team(),
        &format!("[{}] Customer message", number_of(&id).await),
        1,
    )
    .await;
    assert_eq!(team.len(), 1);
    assert!(team[0].body.contains("Zadanie wisi od rana."));

    // A second incident closed by the customer: the team hears of the closure request.
    let second = submit(&customer, &{
        let mut b = submission();
        b["contact"] = json!({"name": "Jan", "email": contact, "language": "pl"});
        b
    })
    .await
    .expect(201)
    .body;
    let second_id = id_of(&second);
    post(&format!("/incidents/{second_id}/closure-request"))
        .token(&customer)
        .json(&json!({"reason": "Problem ustąpił sam."}))
        .send()
        .await
        .expect(200);
    let team = mail_to(
        &support_team(),
        &format!("[{}] Closed by the customer", number_of(&second_id).await),
        1,
    )
    .await;
    assert_eq!(team.len(), 1);
    assert!(team[0].body.contains("Problem ustąpił sam."));
}

#[tokio::test]
async fn account_mail_goes_to_the_last_address_its_token_presented() {
    let buyer = User::customer();
    let first = new_address("buyer");
    let later = new_address("buyer-new");
    let answer = get("/account")
        .token(&buyer.with_email(&first))
        .send()
        .await
        .expect(200);
    assert_eq!(answer.body["email"], first.as_str());
    let answer = get("/account")
        .token(&buyer.with_email(&later))
        .send()
        .await
        .expect(200);
    assert_eq!(
        answer.body["email"],
        later.as_str(),
        "the last one presented"
    );
    // A pack bought with billing country PL: the activation mail in Polish, to the kept address.
    let pack = post("/packs")
        .token(&buyer.with_email(&later))
        .idempotency_key(&new_key())
        .json(&json!({"offer": "single", "billing_country": "PL"}))
        .send()
        .await
        .expect(201)
        .body;
    let number = pack["order_confirmation_number"].as_str().expect("number");
    let mail = mail_to(
        &later,
        &format!("Pakiet jest aktywny: zamówienie {number}"),
        1,
    )
    .await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(mail[0]
        .body
        .contains(&format!("Numer potwierdzenia zamówienia: {number}")));
    assert!(mail_to_nobody_else(&first, number).await);
}

async fn mail_to_nobody_else(address: &str, needle: &str) -> bool {
    !outbox()
        .await
        .iter()
        .any(|m| m.to.iter().any(|t| t == address) && m.body.contains(needle))
}

#[tokio::test]
async fn claim_and_exemption_decisions_reach_the_account_concerned() {
    let buyer = User::customer();
    let claimant = User::customer();
    let admin = User::admin();
    let claimant_address = new_address("claimant");
    let claimant = claimant.with_email(&claimant_address);
    let pack = buy_pack(&buyer, "single").await;
    let claim = post("/pack-claims")
        .token(&claimant)
        .json(&json!({"order_confirmation_number": pack["order_confirmation_number"], "reason": "The buyer left"}))
        .send()
        .await
        .expect(201)
        .body;
    let claim_id = claim["claim_id"].as_str().expect("claim_id");
    post(&format!("/pack-claims/{claim_id}/decision"))
        .token(&admin)
        .json(&json!({"approve": true}))
        .send()
        .await
        .expect(200);
    // The claimant never ordered: no billing country, so English.
    let mail = mail_to(&claimant_address, "Your claim to a pack was approved", 1).await;
    assert_eq!(mail.len(), 1);
    assert!(
        !mail[0].body.contains(&buyer.account_id),
        "nothing of the previous owner"
    );

    let exempt_address = new_address("exempt");
    let exempt = User::customer().with_email(&exempt_address);
    buy_pack(&exempt, "single").await; // billing country PL: Polish mail
    post("/tax-exemptions")
        .token(&exempt)
        .json(&json!({"jurisdiction": "PL", "certificate_reference": "ZW-2026-17"}))
        .send()
        .await
        .expect(201);
    post(&format!("/tax-exemptions/{}/decision", exempt.account_id))
        .token(&admin)
        .json(&json!({"approve": false, "note": "Zaświadczenie jest nieczytelne."}))
        .send()
        .await
        .expect(200);
    let mail = mail_to(&exempt_address, "Zwolnienie z podatku zostało odrzucone", 1).await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].body.contains("ZW-2026-17"));
    assert!(mail[0].body.contains("Zaświadczenie jest nieczytelne."));
}

// ---- redelivery, partial failure, paging ------------------------------------------------------

/// A stream record as the event source mapping delivers it (DynamoDB JSON images).
fn record(seq: &str, keys: Value, old: Option<Value>, new: Value) -> Value {
    let mut change = json!({
        "ApproximateCreationDateTime": 1_796_000_000.0,
        "Keys": keys,
        "NewImage": new,
        "SequenceNumber": seq,
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES"
    });
    if let Some(old) = old {
        change["OldImage"] = old;
    }
    json!({
        "eventID": format!("evt-{seq}"),
        "eventName": if change.get("OldImage").is_some() { "MODIFY" } else { "INSERT" },
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/incident-desk/stream/local"
    })
}

/// A timeline event record the table never held (its sequence number is far beyond the
/// incident's), so only the test delivers it.
pub(crate) fn event_record(
    seq: &str,
    incident_id: &str,
    event_seq: u32,
    kind: &str,
    fields: Value,
) -> Value {
    let pk = format!("INCIDENT#{incident_id}");
    let sk = format!("EVENT#{event_seq:08}");
    let mut image = json!({
        "PK": {"S": pk}, "SK": {"S": sk},
        "at": {"S": "2026-12-01T12:00:00Z"}, "kind": {"S": kind},
        "actor_account_id": {"S": "acct_staff"}
    });
    for (k, v) in fields.as_object().expect("fields") {
        image[k] = json!({"S": v.as_str().expect("string field")});
    }
    record(seq, json!({"PK": {"S": pk}, "SK": {"S": sk}}), None, image)
}

fn pack_record(seq: &str, pack_id: &str, owner: &str, number: &str) -> Value {
    let pk = format!("PACK#{pack_id}");
    record(
        seq,
        json!({"PK": {"S": pk}, "SK": {"S": "PACK"}}),
        Some(json!({"PK": {"S": pk}, "SK": {"S": "PACK"}, "status": {"S": "awaiting_payment"}})),
        json!({
            "PK": {"S": pk}, "SK": {"S": "PACK"}, "pack_id": {"S": pack_id},
            "owner_account_id": {"S": owner}, "order_confirmation_number": {"S": number},
            "incidents_total": {"N": "5"}, "incidents_remaining": {"N": "5"},
            "expires_at": {"S": "2027-12-01T12:00:00Z"}, "status": {"S": "active"}
        }),
    )
}

pub(crate) async fn notify(records: &[Value]) -> Vec<String> {
    let answer = lambda_invoke("notifier", &json!({"Records": records})).await;
    answer["batchItemFailures"]
        .as_array()
        .unwrap_or_else(|| panic!("a partial batch response: {answer}"))
        .iter()
        .map(|f| {
            f["itemIdentifier"]
                .as_str()
                .expect("itemIdentifier")
                .to_string()
        })
        .collect()
}

pub(crate) async fn count_mail(to: &str, subject: &str) -> usize {
    outbox()
        .await
        .iter()
        .filter(|m| m.to.iter().any(|t| t == to) && m.subject.contains(subject))
        .count()
}

#[tokio::test]
async fn a_record_delivered_twice_and_a_batch_retried_after_a_partial_failure_send_nothing_twice() {
    let customer = User::customer();
    let contact = new_address("retry");
    let incident = incident_of(
        &customer,
        json!({"calendar": "US", "contact": {"name": "Lin", "email": contact}}),
    )
    .await;
    let id = id_of(&incident);
    // The buyer's token presents an address SES refuses: its pack mail fails until it changes.
    let buyer = User::customer();
    get("/account")
        .token(&buyer.with_email("no-at-sign"))
        .send()
        .await
        .expect(200);
    let pack_id = store::ids::new_id("pck");
    let number = store::ids::new_id("ocn");
    let batch = vec![
        event_record(
            "7000001",
            &id,
            90,
            "customer_message",
            json!({"message": "Still broken"}),
        ),
        pack_record("7000002", &pack_id, &buyer.account_id, &number),
        event_record(
            "7000003",
            &id,
            91,
            "response",
            json!({"message": "Try the patch", "channel": "email"}),
        ),
    ];
    let failed = notify(&batch).await;
    assert_eq!(failed, ["7000002", "7000003"], "from the failed record on");
    let team_subject = format!("[{}] Customer message", number_of(&id).await);
    let responded = format!("[{}] An engineer has responded", number_of(&id).await);
    assert_eq!(count_mail(&support_team(), &team_subject).await, 1);
    // The response is the incident's next record: it went out (items are handled concurrently,
    // each item's records in order), yet it is reported, since the mapping retries from the
    // first failed record on; the retries must not send it again.
    assert_eq!(count_mail(&contact, &responded).await, 1);

    // The same failed records again, still refused: retried, the first record not resent.
    assert_eq!(notify(&batch[1..]).await, ["7000002", "7000003"]);
    let store = store().await;
    let source = format!("PACK_ACTIVE#{pack_id}");
    let state = store
        .notification_state(&source, "account")
        .await
        .expect("store");
    assert_eq!(
        state,
        Some(("failed".to_string(), 2)),
        "two refused attempts"
    );

    // The buyer signs in with a deliverable address; the retry sends what had not gone.
    let address = new_address("buyer");
    get("/account")
        .token(&buyer.with_email(&address))
        .send()
        .await
        .expect(200);
    assert!(notify(&batch[1..]).await.is_empty());
    // And the whole batch delivered once more (a duplicate delivery): nothing twice.
    assert!(notify(&batch).await.is_empty());
    assert!(notify(&batch).await.is_empty());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(count_mail(&support_team(), &team_subject).await, 1);
    assert_eq!(count_mail(&address, &number).await, 1);
    assert_eq!(count_mail(&contact, &responded).await, 1);
    assert_eq!(
        store
            .notification_state(&source, "account")
            .await
            .expect("store"),
        Some(("sent".to_string(), 3))
    );
}

/// The SDK configuration of the local server (SQS and SNS on the moto server).
fn local_config() -> awsconf::SdkConfig {
    awsconf::Aws::from_env()
        .expect("region and credentials")
        .sdk_config()
        .endpoint_url(std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("local endpoint"))
        .build()
}

async fn sqs() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&local_config())
}

/// An SQS queue subscribed to the pager topic: its URL.
async fn pager_queue() -> String {
    let config = local_config();
    let sqs = aws_sdk_sqs::Client::new(&config);
    let sns = aws_sdk_sns::Client::new(&config);
    let url = sqs
        .create_queue()
        .queue_name(store::ids::new_id("pager"))
        .send()
        .await
        .expect("queue")
        .queue_url
        .expect("url");
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("attributes")
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("arn");
    sns.subscribe()
        .topic_arn(std::env::var("PAGER_TOPIC_ARN").expect("PAGER_TOPIC_ARN"))
        .protocol("sqs")
        .endpoint(arn)
        .send()
        .await
        .expect("subscribed");
    url
}

/// Every page on the queue (SNS subject, message), read until `done` holds or `seconds` passed.
async fn pages_until(
    url: &str,
    seconds: u64,
    done: impl Fn(&[(String, String)]) -> bool,
) -> Vec<(String, String)> {
    let sqs = sqs().await;
    let mut found = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    while !done(&found) && std::time::Instant::now() < deadline {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        for m in out.messages.unwrap_or_default() {
            let body: Value = serde_json::from_str(m.body().unwrap_or("{}")).unwrap_or(Value::Null);
            found.push((
                body["Subject"].as_str().unwrap_or_default().to_string(),
                body["Message"].as_str().unwrap_or_default().to_string(),
            ));
            if let Some(handle) = m.receipt_handle() {
                sqs.delete_message()
                    .queue_url(url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }
    found
}

fn about(pages: &[(String, String)], incident_id: &str) -> Vec<String> {
    let mut subjects: Vec<String> = pages
        .iter()
        .filter(|(_, text)| text.contains(incident_id))
        .map(|(subject, _)| subject.clone())
        .collect();
    subjects.sort();
    subjects
}

#[tokio::test]
async fn severity_a_submission_warning_and_breach_page_the_on_call_topic_and_c_does_not() {
    let queue = pager_queue().await;
    let customer = User::customer();
    let contact = new_address("oncall");
    let a = incident_of(
        &customer,
        json!({"severity": "A", "handling": "24x7",
               "contact": {"name": "Ola", "email": contact, "phone": "+48 600 100 200"}}),
    )
    .await;
    let a_id = id_of(&a);
    let c = submit(&customer, &submission()).await.expect(201).body;
    let c_id = id_of(&c);
    // Both submissions are through the relay once the team has heard of them.
    mail_to(
        &support_team(),
        &format!("[{}] New severity A incident", number_of(&a_id).await),
        1,
    )
    .await;
    mail_to(
        &support_team(),
        &format!("[{}] New severity C incident", number_of(&c_id).await),
        1,
    )
    .await;
    // The sweeper's warning and breach, delivered as the stream carries them (a sweep at a later
    // instant would settle other tests' incidents), twice: nobody is paged twice.
    let batch = vec![
        event_record(
            "8000001",
            &a_id,
            80,
            "sla_warning",
            json!({"severity": "A", "first_response_warn_at": "2026-12-01T13:30:00Z",
                   "first_response_due_at": "2026-12-01T14:00:00Z"}),
        ),
        event_record(
            "8000002",
            &a_id,
            81,
            "sla_breached",
            json!({"severity": "A", "first_response_due_at": "2026-12-01T14:00:00Z"}),
        ),
        event_record(
            "8000003",
            &c_id,
            80,
            "sla_breached",
            json!({"severity": "C", "first_response_due_at": "2026-12-01T14:00:00Z"}),
        ),
    ];
    assert!(notify(&batch).await.is_empty());
    assert!(notify(&batch).await.is_empty());
    let mut all = pages_until(&queue, 300, |p| about(p, &a_id).len() >= 3).await;
    // A little longer: a duplicate, or a page for C, would show now.
    all.extend(pages_until(&queue, 3, |_| false).await);
    assert_eq!(
        about(&all, &a_id),
        [
            format!("SEV A SLA breached: {}", number_of(&a_id).await),
            format!("SEV A SLA warning: {}", number_of(&a_id).await),
            format!("SEV A new incident: {}", number_of(&a_id).await),
        ]
    );
    assert!(about(&all, &c_id).is_empty(), "severity C pages nobody");
    assert_eq!(
        count_mail(
            &support_team(),
            &format!("[{}] SLA warning, severity A", number_of(&a_id).await)
        )
        .await,
        1
    );
    assert_eq!(
        count_mail(
            &support_team(),
            &format!("[{}] SLA breached, severity C", number_of(&c_id).await)
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_batch_that_is_not_a_stream_batch_fails_the_invocation_so_the_mapping_bisects_it() {
    let printed = lambda_invoke_failure("notifier", &json!({"Records": "not a list"})).await;
    assert!(printed.contains("MalformedBatch"), "{printed}");
    // An empty batch is a success with nothing to retry.
    assert!(notify(&[]).await.is_empty());
}
