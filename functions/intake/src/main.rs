//! `intake`: the catalogue, SLA quotes and calendars, and submitting and reading incidents.

mod catalogue;
mod incidents;
mod sla;

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
        "GET" "/products" => catalogue::list_products,
        "GET" "/sla/quote" => sla::quote,
        "GET" "/calendars" => sla::calendars,
        "POST" "/incidents" => incidents::submit,
        "GET" "/incidents" => incidents::list,
        "GET" "/incidents/{incident_id}" => incidents::get,
        "GET" "/incidents/by-number/{number}" => incidents::get_by_number,
        "GET" "/incidents/{incident_id}/timeline" => incidents::timeline,
    ];
    // The account keeps the address its token last presented (account mail goes there).
    api::serve_with(
        App { store, calendars },
        routes,
        Some(|app, actor, now| {
            Box::pin(async move { usecases::profile::remember(&app.store, &actor, now).await })
        }),
    )
    .await
}
