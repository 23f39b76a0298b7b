//! `pack-purchase`: buying packs, tax exemptions (S12), claims of a lost purchaser's pack (S11),
//! the account summary and the offers' prices. With `PAYMENT_PROVIDER=stripe` a purchase is an
//! order paid through a Stripe Checkout Session (function `payment-webhook` activates it).
//! Privacy (data exports, erasure) is function `privacy`'s.

mod claims;
mod exemptions;
mod packs;

use domain::pricing::PriceList;
use stripe::PaymentProvider;

pub struct App {
    pub store: store::Store,
    pub prices: PriceList,
    /// `PAYMENT_PROVIDER`: packs active at once (`none`) or paid through Stripe Checkout.
    pub payments: PaymentProvider,
}

// One thread: a process serves one invocation at a time on a share of a vCPU (256 MB), so
// worker threads would only add to the cold start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    logging::init();
    let prices = PriceList::shipped().map_err(|e| format!("price list: {e}"))?;
    let store = store::Store::from_env().await?;
    let payments = PaymentProvider::from_env().await?;
    let routes = api::routes![App;
        "POST" "/packs" => packs::purchase,
        "GET" "/packs" => packs::list,
        "GET" "/packs/{pack_id}" => packs::get,
        "POST" "/pack-claims" => claims::submit,
        "GET" "/pack-claims" as Admin => claims::list_pending,
        "POST" "/pack-claims/{claim_id}/decision" as Admin => claims::decide,
        "POST" "/tax-exemptions" => exemptions::submit,
        "GET" "/tax-exemptions" as Admin => exemptions::list,
        "POST" "/tax-exemptions/{account_id}/decision" as Admin => exemptions::decide,
        "GET" "/account" => exemptions::account,
        "GET" "/offers" => packs::offers,
    ];
    let app = App {
        store,
        prices,
        payments,
    };
    // Account mail (pack activation, claim and exemption decisions) goes to the address the
    // account's token last presented: every caller's address is kept.
    api::serve_with(
        app,
        routes,
        Some(|app, actor, now| {
            Box::pin(async move { usecases::profile::remember(&app.store, &actor, now).await })
        }),
    )
    .await
}
