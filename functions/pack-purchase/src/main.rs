//! `pack-purchase`: buying packs, tax exemptions (S12), claims of a lost purchaser's pack (S11)
//! and the account summary.

mod claims;
mod exemptions;
mod packs;

use domain::pricing::PriceList;

pub struct App {
    pub store: store::Store,
    pub prices: PriceList,
}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    api::telemetry::init();
    let prices = PriceList::shipped().map_err(|e| format!("price list: {e}"))?;
    let store = store::Store::from_env().await?;
    let routes = api::routes![App;
        "POST" "/packs" => packs::purchase,
        "GET" "/packs" => packs::list,
        "GET" "/packs/{pack_id}" => packs::get,
        "POST" "/pack-claims" => claims::submit,
        "GET" "/pack-claims" => claims::list_pending,
        "POST" "/pack-claims/{claim_id}/decision" => claims::decide,
        "POST" "/tax-exemptions" => exemptions::submit,
        "POST" "/tax-exemptions/{account_id}/decision" => exemptions::decide,
        "GET" "/account" => exemptions::account,
    ];
    api::serve(App { store, prices }, api::AuthConfig::from_env(), routes).await
}
