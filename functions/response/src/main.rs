//! `response`: working an incident (S1, S3, S7): engineers' responses and customers' messages,
//! the agreed scope, sub-problems that become incidents of their own, and the engineers' queue.

mod contacts;
mod queue;
mod scope;
mod sub_problems;

use domain::calendar::Calendars;

pub struct App {
    pub store: store::Store,
    pub calendars: &'static Calendars,
}

/// Re-reads and decides again this often when another change lands first.
pub const ATTEMPTS: usize = 5;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    api::telemetry::init();
    let calendars = Calendars::shipped().map_err(|e| format!("support calendars: {e}"))?;
    let store = store::Store::from_env().await?;
    let routes = api::routes![App;
        "POST" "/incidents/{incident_id}/responses" => contacts::respond,
        "POST" "/incidents/{incident_id}/messages" => contacts::customer_message,
        "POST" "/incidents/{incident_id}/scope" => scope::propose,
        "POST" "/incidents/{incident_id}/scope/decision" => scope::decide,
        "POST" "/incidents/{incident_id}/sub-problems" => sub_problems::propose,
        "POST" "/incidents/{incident_id}/sub-problems/{proposal_id}/decision" => sub_problems::decide,
        "GET" "/queue" => queue::list,
    ];
    api::serve(
        App { store, calendars },
        api::AuthConfig::from_env(),
        routes,
    )
    .await
}
