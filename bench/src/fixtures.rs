//! The requests, incidents and packs that `make bench` builds, shared with the e2e crate
//! (`tests/`), so the two do not keep copies of the same bodies. Plain values and builders
//! only: nothing here talks to the store or a function.

use chrono::Utc;
use domain::incident::Incident;
use domain::intake::{new_incident, NewIncident, Submission};
use domain::pack::{order_confirmation_number, Pack};
use domain::time::{format_instant, parse_instant, Instant};
use domain::{Money, Offer};
use serde_json::{json, Value};

/// The Cognito group that makes a caller a support engineer.
pub const ENGINEERS_GROUP: &str = "support-engineers";

/// Now, at the precision the functions store instants with.
pub fn now() -> Instant {
    parse_instant(&format_instant(Utc::now())).expect("a formatted instant parses")
}

/// A valid submission body for a product in support, severity C, business hours, PL calendar.
pub fn submission_body() -> Value {
    json!({
        "product_id": "windows-server-2022",
        "category": "configuration",
        "severity": "C",
        "handling": "business_hours",
        "calendar": "PL",
        "title": "Cluster validation fails",
        "description": "Validation of a two-node cluster reports a storage warning.",
        "contact": {"name": "Ada Admin", "email": "ada@example.com", "phone": "+48 22 123 45 67"}
    })
}

/// [`submission_body`], parsed.
pub fn submission() -> Submission {
    Submission::parse(&submission_body()).expect("the fixture submission is valid")
}

/// An engineer's first response, by email.
pub fn response_body() -> Value {
    json!({"message": "Please run Test-Cluster with -Include Storage and send the report.", "channel": "email"})
}

/// An engineer's resolution with one solution.
pub fn resolution_body() -> Value {
    json!({"outcome": "resolved", "solutions": ["Updated the storage controller driver; validation passes."]})
}

/// An engineer's resolution without a solution, the unit refunded to the customer's pack.
pub fn refund_resolution_body() -> Value {
    json!({"outcome": "unresolved", "explanation": "The storage firmware is out of support; no fix is possible.", "charge": "refunded"})
}

/// A claim on a pack by its order confirmation number.
pub fn claim_body(order_confirmation_number: &str) -> Value {
    json!({"order_confirmation_number": order_confirmation_number, "reason": "The purchaser left the company; we took over the contract."})
}

/// A customer's claims, with the e-mail address a real sign-in's token carries (so the identity
/// hook's bookkeeping is measured).
pub fn customer_claims(account_id: &str) -> Value {
    json!({"sub": account_id, "email": format!("{account_id}@customers.example.com")})
}

pub fn engineer_claims(account_id: &str) -> Value {
    json!({"sub": account_id, "cognito:groups": format!("[{ENGINEERS_GROUP}]")})
}

/// An API Gateway HTTP API (payload 2.0) event after its JWT authorizer, as in AWS: `route` is
/// `METHOD /pattern/{param}`, `path` the concrete path the parameters are read from.
pub fn http_event(route: &str, path: &str, claims: &Value, body: Option<&Value>) -> Value {
    let (method, pattern) = route.split_once(' ').unwrap_or(("GET", route));
    let params: serde_json::Map<String, Value> = pattern
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(p, v)| {
            p.strip_prefix('{')
                .and_then(|p| p.strip_suffix('}'))
                .map(|name| (name.to_string(), json!(v)))
        })
        .collect();
    json!({
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "idempotency-key": store::ids::new_id("key")},
        "pathParameters": if params.is_empty() { Value::Null } else { Value::Object(params) },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "authorizer": {"jwt": {"claims": claims, "scopes": null}},
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench"},
            "requestId": store::ids::new_id("req"),
            "routeKey": route,
            "stage": "$default",
            "time": Utc::now().format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
            "timeEpoch": Utc::now().timestamp_millis()
        },
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false
    })
}

/// `event` with a query string (`a=1&b=2`), as API Gateway hands it over.
pub fn with_query(mut event: Value, query: &str) -> Value {
    let params: serde_json::Map<String, Value> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    event["rawQueryString"] = json!(query);
    event["queryStringParameters"] = Value::Object(params);
    event
}

/// EventBridge's Scheduled Event, as of now.
pub fn scheduled_event() -> Value {
    json!({
        "version": "0",
        "id": store::ids::new_id("evt"),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": format_instant(now()),
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/incident-desk-sla-sweep"],
        "detail": {}
    })
}

/// A new incident awaiting its first response, as intake stores it (its `submitted` event
/// dropped): warned at `warn_at`, due at `due_at`, submitted at `submitted_at`, with a new id.
/// The pack is not checked: for loading tables without draws.
pub fn awaiting_incident(
    submission: &Submission,
    account_id: &str,
    pack_id: &str,
    warn_at: Instant,
    due_at: Instant,
    submitted_at: Instant,
) -> Incident {
    new_incident(
        submission,
        NewIncident {
            incident_id: store::ids::new_id("inc").into(),
            account_id: &domain::AccountId::from(account_id),
            pack_id: &domain::PackId::from(pack_id),
            parent_incident_id: None,
            first_response_warn_at: warn_at,
            first_response_due_at: due_at,
            now: submitted_at,
            number: domain::incident::incident_number(&store::ids::random_bytes::<5>()),
            actor_display_name: None,
        },
    )
    .0
}

/// A paid five-pack of `owner`'s, bought at `at` for `price`, with a new id and a random order
/// confirmation number, ready for `Store::purchase`.
pub fn five_pack(owner: &str, price: Money, at: Instant) -> Pack {
    Pack::new(
        store::ids::new_id("pck"),
        Offer::FivePack,
        owner,
        at,
        order_confirmation_number(&store::ids::random_bytes::<13>()),
        price,
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bodies_parse_as_the_functions_parse_them() {
        submission();
        domain::incident::parse_response(&response_body()).expect("a valid response");
        domain::incident::parse_resolution(&resolution_body()).expect("a valid resolution");
        domain::incident::parse_resolution(&refund_resolution_body()).expect("a valid refund");
    }

    #[test]
    fn http_event_fills_path_parameters_from_the_route() {
        let e = http_event(
            "POST /incidents/{incident_id}/responses",
            "/incidents/inc_1/responses",
            &customer_claims("acct_1"),
            Some(&json!({"a": 1})),
        );
        assert_eq!(e["pathParameters"], json!({"incident_id": "inc_1"}));
        assert_eq!(e["requestContext"]["http"]["method"], "POST");
        assert_eq!(e["body"], "{\"a\":1}");
        let e = http_event("GET /packs", "/packs", &customer_claims("acct_1"), None);
        assert_eq!(e["pathParameters"], Value::Null);
    }

    #[test]
    fn awaiting_incident_carries_its_clock() {
        let at = now();
        let i = awaiting_incident(
            &submission(),
            "acct_1",
            "pck_1",
            at,
            at + chrono::Duration::hours(1),
            at - chrono::Duration::hours(1),
        );
        assert_eq!(
            (i.account_id.as_str(), i.pack_id.as_str()),
            ("acct_1", "pck_1")
        );
        assert!(i.incident_id.starts_with("inc"));
    }
}
