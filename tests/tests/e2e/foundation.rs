//! The plumbing every route stands on: identity, problem+json, body limits, routing.

use e2e::*;
use serde_json::json;

#[tokio::test]
async fn products_are_listed_with_their_phase_for_a_signed_in_user() {
    let a = get("/products")
        .token(&User::customer())
        .send()
        .await
        .expect(200);
    let items = a.body["items"].as_array().expect("items");
    assert!(items.len() >= 12);
    let phase = |id: &str| {
        items
            .iter()
            .find(|p| p["product_id"] == id)
            .map(|p| p["phase"].clone())
            .expect(id)
    };
    assert_eq!(phase("windows-server-2012-r2"), "ended");
    assert_eq!(phase("windows-server-2016"), "extended");
    assert_eq!(phase("sql-server-2022"), "mainstream");
}

#[tokio::test]
async fn a_request_without_a_token_is_refused_by_the_gateway() {
    get("/products").send().await.expect_unauthorized();
}

#[tokio::test]
async fn a_token_whose_signature_does_not_verify_is_refused_by_the_gateway() {
    get("/products")
        .raw_token(&forged_token("someone"))
        .send()
        .await
        .expect_unauthorized();
}

#[tokio::test]
async fn a_token_expired_by_a_second_is_refused_by_the_gateway() {
    let mut claims = signer().id_claims("someone", Some("x@example.com"), &[], 0);
    claims["exp"] = json!(chrono::Utc::now().timestamp() - 1);
    get("/products")
        .raw_token(&signer().sign(&claims))
        .send()
        .await
        .expect_unauthorized();
}

#[tokio::test]
async fn an_unknown_incident_is_404_problem_json() {
    get("/incidents/inc_doesnotexist")
        .token(&User::customer())
        .send()
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let big = json!({"title": "x".repeat(70 * 1024)});
    post("/incidents")
        .token(&User::customer())
        .idempotency_key(&new_key())
        .json(&big)
        .send()
        .await
        .expect_problem(413, "payload_too_large");
}

#[tokio::test]
async fn malformed_json_is_400_naming_the_body() {
    let a = post("/incidents")
        .token(&User::customer())
        .idempotency_key(&new_key())
        .body("application/json", "{\"title\": ")
        .send()
        .await
        .expect_problem(400, "invalid_request");
    assert_eq!(a.error_fields(), ["body"]);
}

#[tokio::test]
async fn a_non_json_content_type_is_400() {
    post("/incidents")
        .token(&User::customer())
        .idempotency_key(&new_key())
        .body("text/plain", "hello")
        .send()
        .await
        .expect_problem(400, "invalid_request");
}

/// The deployed path: API Gateway's authorizer hands claims over as strings; the function
/// trusts them (and never needs a token). Driven through `cargo lambda invoke`.
#[tokio::test]
async fn authorizer_claims_identify_the_caller_through_cargo_lambda_invoke() {
    let event = http_event(
        "GET",
        "/products",
        json!({"sub": "acct-from-authorizer", "email": "a@example.com"}),
    );
    let out = lambda_invoke("intake", &event).await;
    assert_eq!(out["statusCode"], 200, "{out}");
    let body: serde_json::Value =
        serde_json::from_str(out["body"].as_str().expect("body")).expect("json body");
    assert!(body["items"].as_array().is_some_and(|i| !i.is_empty()));
}

#[tokio::test]
async fn authorizer_claims_without_sub_are_401_through_cargo_lambda_invoke() {
    let event = http_event("GET", "/products", json!({"email": "a@example.com"}));
    let out = lambda_invoke("intake", &event).await;
    assert_eq!(out["statusCode"], 401, "{out}");
}
