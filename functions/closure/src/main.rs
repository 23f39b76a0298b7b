//! `closure`: closing incidents (S7, S8) — an engineer's resolution (solved, or unresolved with
//! a charge), the customer's request to close early, and staff's charge decision. A refund
//! returns exactly one unit to the incident's pack, once, in the same transaction as the decision.
//! And the contact's rating of a closed incident, from the closing e-mail's link (no sign-in).

mod closing;
mod ratings;

pub struct App {
    pub store: store::Store,
    /// Verifies the rating links' tokens (`RATING_TOKEN_KEY`).
    pub rating_key: domain::rating::RatingTokenKey,
}

// One thread: a process serves one invocation at a time on a share of a vCPU (256 MB), so
// worker threads would only add to the cold start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    logging::init();
    let store = store::Store::from_env().await?;
    let rating_key = domain::rating::RatingTokenKey::from_secret(
        std::env::var(domain::rating::RATING_TOKEN_KEY_VAR)
            .ok()
            .as_deref(),
    )?;
    let routes = api::routes![App;
        "POST" "/incidents/{incident_id}/resolution" as Engineer => closing::resolve,
        "POST" "/incidents/{incident_id}/closure-request" => closing::request_closure,
        "POST" "/incidents/{incident_id}/charge-decision" as Staff => closing::decide_charge,
        "POST" "/ratings/{token}" as Public => ratings::rate,
    ];
    api::serve(App { store, rating_key }, routes).await
}
