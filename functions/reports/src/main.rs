//! `reports`: SLA reports for support admins (read-only). Month by month, per calendar and
//! severity, how many first responses were met, breached or withdrawn — read from the counters
//! the settling transactions keep — and which incidents breached, from the sparse breaches index.
//! Never reads the incidents themselves; writes nothing. Also satisfaction (ratings counted per
//! month, severity and owner, from counters the ratings keep) and the audit log of staff
//! decisions (read-only: no route changes an entry).

mod audit;
mod sla;

pub struct App {
    pub store: store::Store,
}

// One thread: a process serves one invocation at a time on a share of a vCPU (256 MB), so
// worker threads would only add to the cold start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    logging::init();
    let store = store::Store::from_env().await?;
    let routes = api::routes![App;
        "GET" "/reports/sla" as Admin => sla::report,
        "GET" "/reports/sla/breaches" as Admin => sla::breaches,
        "GET" "/reports/satisfaction" as Admin => sla::satisfaction,
        "GET" "/audit" as Admin => audit::list,
    ];
    api::serve(App { store }, routes).await
}
