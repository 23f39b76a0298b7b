//! `payment-webhook`: Stripe's signed notifications about Checkout Sessions activate or cancel
//! the orders they name (`POST /payments/stripe/webhook`, no bearer token: the signature is the
//! identity). Config and clients are built once at cold start.

mod webhook;

use lambda_http::{service_fn, Request};
use std::convert::Infallible;

pub struct App {
    pub store: store::Store,
    /// `STRIPE_WEBHOOK_SECRET` (or the Secrets Manager secret `STRIPE_WEBHOOK_SECRET_SECRET_ID`);
    /// without one every notification is refused.
    pub secret: Option<stripe::Secret>,
}

// One thread: a process serves one invocation at a time on a share of a vCPU (256 MB), so
// worker threads would only add to the cold start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    logging::init();
    let secret = stripe::config::webhook_secret_from_env().await?;
    if secret.is_none() {
        tracing::warn!("no webhook signing secret configured: every notification will be refused");
    }
    let store = store::Store::from_env().await?;
    let app: &'static App = Box::leak(Box::new(App { store, secret }));
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, Infallible>(webhook::handle(app, req).await)
    }))
    .await
}
