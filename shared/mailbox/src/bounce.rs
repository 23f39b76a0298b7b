//! SES bounce and complaint notifications, as its configuration set's event destination
//! publishes them to SNS (`eventType`), or as identity notifications do (`notificationType`).
//! Only a permanent bounce or a complaint makes an address unreachable; a transient bounce
//! (mailbox full, greylisting) does not.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Bounce,
    Complaint,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Bounce => "bounce",
            Failure::Complaint => "complaint",
        }
    }
}

/// One address that bounced or complained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    pub address: String,
    pub failure: Failure,
    /// SES's id of the message that bounced (the feedback's identity, for exactly-once).
    pub feedback_id: String,
}

/// The addresses a notification (the SNS message's text) makes unreachable.
pub fn unreachable(message: &str) -> Vec<Unreachable> {
    let Ok(v) = serde_json::from_str::<Value>(message) else {
        return vec![];
    };
    let kind = v
        .get("eventType")
        .or_else(|| v.get("notificationType"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (failure, section, list) = match kind {
        "Bounce" => (Failure::Bounce, "bounce", "bouncedRecipients"),
        "Complaint" => (Failure::Complaint, "complaint", "complainedRecipients"),
        _ => return vec![],
    };
    let Some(detail) = v.get(section) else {
        return vec![];
    };
    if failure == Failure::Bounce
        && detail.get("bounceType").and_then(Value::as_str) != Some("Permanent")
    {
        return vec![];
    }
    let feedback_id = detail
        .get("feedbackId")
        .and_then(Value::as_str)
        .or_else(|| v.pointer("/mail/messageId").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string();
    detail
        .get(list)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("emailAddress").and_then(Value::as_str))
        .map(|a| Unreachable {
            address: a.trim().to_lowercase(),
            failure,
            feedback_id: feedback_id.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permanent_bounces_and_complaints_name_their_addresses() {
        let bounce = r#"{"eventType":"Bounce","bounce":{"bounceType":"Permanent","feedbackId":"f1","bouncedRecipients":[{"emailAddress":"Bounce@Simulator.amazonses.com"}]},"mail":{"messageId":"m1"}}"#;
        assert_eq!(
            unreachable(bounce),
            vec![Unreachable {
                address: "bounce@simulator.amazonses.com".into(),
                failure: Failure::Bounce,
                feedback_id: "f1".into()
            }]
        );
        let complaint = r#"{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"c@x"}]},"mail":{"messageId":"m2"}}"#;
        assert_eq!(unreachable(complaint)[0].failure, Failure::Complaint);
        assert_eq!(unreachable(complaint)[0].feedback_id, "m2");
        let transient = r#"{"eventType":"Bounce","bounce":{"bounceType":"Transient","bouncedRecipients":[{"emailAddress":"t@x"}]}}"#;
        assert!(unreachable(transient).is_empty());
        assert!(unreachable("not json").is_empty());
        assert!(unreachable(r#"{"eventType":"Delivery"}"#).is_empty());
    }
}
