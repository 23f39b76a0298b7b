//! `response`: working an incident (S1, S3, S7): engineers' responses and customers' messages,
//! the agreed scope, sub-problems that become incidents of their own, the engineers' queue, and
//! ownership (assignments, the engineers registry).
//! Attachments are the `attachments` function's.

mod contacts;
mod notes;
mod ownership;
mod queue;
mod scope;
mod sub_problems;

use domain::calendar::Calendars;

pub struct App {
    pub store: store::Store,
    pub calendars: &'static Calendars,
}

// One thread: a process serves one invocation at a time on a share of a vCPU (256 MB), so
// worker threads would only add to the cold start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    logging::init();
    let calendars = Calendars::shipped().map_err(|e| format!("support calendars: {e}"))?;
    let store = store::Store::from_env().await?;
    let routes = api::routes![App;
        "POST" "/incidents/{incident_id}/responses" as Engineer => contacts::respond,
        "POST" "/incidents/{incident_id}/messages" => contacts::customer_message,
        "POST" "/incidents/{incident_id}/notes" as Engineer => notes::add,
        "POST" "/incidents/{incident_id}/scope" as Engineer => scope::propose,
        "POST" "/incidents/{incident_id}/scope/decision" => scope::decide,
        "POST" "/incidents/{incident_id}/sub-problems" as Engineer => sub_problems::propose,
        "POST" "/incidents/{incident_id}/sub-problems/{proposal_id}/decision" => sub_problems::decide,
        "GET" "/queue" as Engineer => queue::list,
        "POST" "/incidents/{incident_id}/assignment" as Staff => ownership::assignment,
        "GET" "/engineers" as Staff => ownership::engineers,
    ];
    // The account keeps its address; an engineer is registered (GET /engineers, assignments).
    api::serve_with(
        App { store, calendars },
        routes,
        Some(|app, actor, now| {
            Box::pin(async move { usecases::profile::remember(&app.store, &actor, now).await })
        }),
    )
    .await
}
