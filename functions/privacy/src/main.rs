//! `privacy`: the caller's data export (requested here, built off the request path by the
//! sweeper's privacy step, fetched here through a presigned link) and erasure request; the
//! support admins' erasure requests and decisions (an approval is carried out before the answer).

mod privacy;

pub struct App {
    pub store: store::Store,
    /// The private bucket of attachments and data exports: export links, erasure's deletions.
    pub objects: objects::Objects,
}

// One thread: a process serves one invocation at a time on a share of a vCPU (256 MB), so
// worker threads would only add to the cold start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    logging::init();
    let store = store::Store::from_env().await?;
    let objects = objects::Objects::from_env().await?;
    let routes = api::routes![App;
        "POST" "/account/data-export" => privacy::request_export,
        "GET" "/account/data-export/{export_id}" => privacy::export,
        "POST" "/account/erasure-request" => privacy::request_erasure,
        "GET" "/erasure-requests" as Admin => privacy::list,
        "POST" "/erasure-requests/{account_id}/decision" as Admin => privacy::decide,
    ];
    // An export's ready mail goes to the address the account's token last presented: every
    // caller's address is kept, as on every route.
    api::serve_with(
        App { store, objects },
        routes,
        Some(|app, actor, now| {
            Box::pin(async move { usecases::profile::remember(&app.store, &actor, now).await })
        }),
    )
    .await
}
