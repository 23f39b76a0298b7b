use crate::App;
use api::intake::replay;
use api::{ApiError, Ctx, Reply};
use domain::pricing::PriceList;
use domain::validation::{FieldError, Fields};
use domain::Offer;
use serde_json::json;
use stripe::{CheckoutClient, PaymentProvider, SessionRequest};
use usecases::idempotency::IdempotencyWrite;
use usecases::purchase::{
    self, CardOrder, Payment, PaymentPage, PurchaseRequest, Purchased, Session,
};

const OPERATION: &str = "POST /packs";

fn parse(body: &serde_json::Value, prices: &PriceList) -> Result<PurchaseRequest, Vec<FieldError>> {
    let mut f = Fields::of(body);
    let offer = f.required_enum::<Offer>("offer");
    let country = f
        .required_str("billing_country", 8)
        .map(|c| c.to_ascii_uppercase());
    let country = match country {
        Some(c) if !prices.countries.contains_key(&c) => {
            let sold_to: Vec<&str> = prices.countries().collect();
            f.error(
                "billing_country",
                format!(
                    "is not a country we sell to; one of: {}",
                    sold_to.join(", ")
                ),
            );
            None
        }
        c => c,
    };
    let value = offer
        .zip(country)
        .map(|(offer, billing_country)| PurchaseRequest {
            offer,
            billing_country,
        });
    f.finish(value)
}

/// `GET /offers?billing_country=`: what each offer costs the caller now, from the same price list
/// and exemption rule a purchase uses.
pub async fn offers(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let country = match ctx.query("billing_country").map(str::trim) {
        Some(c) if !c.is_empty() => c.to_ascii_uppercase(),
        _ => {
            return Err(ApiError::invalid_field(
                "billing_country",
                "is required (an ISO 3166 country code such as PL)",
            ))
        }
    };
    let items = purchase::offers(&app.store, &app.prices, &ctx.actor.account_id, &country)
        .await?
        .ok_or_else(|| not_sold_to(&app.prices))?;
    Reply::ok(json!({ "items": items }))
}

fn not_sold_to(prices: &PriceList) -> ApiError {
    let sold_to: Vec<&str> = prices.countries().collect();
    ApiError::invalid_field(
        "billing_country",
        &format!(
            "is not a country we sell to; one of: {}",
            sold_to.join(", ")
        ),
    )
}

/// Stripe Checkout as the purchase's payment page: one session per order, Stripe's own
/// `Idempotency-Key` = the pack id, so a retried order gets the same session back.
struct StripeCheckout<'a>(&'a CheckoutClient);

impl PaymentPage for StripeCheckout<'_> {
    async fn create_session(&self, order: &CardOrder) -> Result<Session, String> {
        let request = SessionRequest {
            pack_id: order.pack_id.clone(),
            amount: order.amount,
            currency: order.currency.clone(),
            product_name: order.product_name.to_string(),
            customer_email: None,
        };
        self.0
            .create_session(&request)
            .await
            .map(|s| Session {
                id: s.id,
                url: s.url,
            })
            .map_err(|e| e.to_string())
    }
}

/// `POST /packs`: payment off, the pack is active at once; Stripe, an order awaiting payment with
/// its Checkout Session (`usecases::purchase`).
pub async fn purchase(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let key = ctx.idempotency_key()?;
    let body = ctx.json()?;
    let fingerprint = ctx.fingerprint(&body);
    let account = &ctx.actor.account_id;
    let idempotency = IdempotencyWrite::new(account, OPERATION, &key, fingerprint.clone(), ctx.now);
    if let Some(record) = usecases::idempotency::earlier(&app.store, &idempotency).await? {
        return replay(&record, &fingerprint);
    }
    let request = parse(&body, &app.prices).map_err(ApiError::invalid)?;
    let stripe;
    let payment = match &app.payments {
        PaymentProvider::None => Payment::Invoiced,
        PaymentProvider::Stripe(client) => {
            stripe = StripeCheckout(client);
            Payment::Card(&stripe)
        }
    };
    let purchased = purchase::purchase(
        &app.store,
        &app.prices,
        payment,
        account,
        &request,
        idempotency,
        ctx.now,
    )
    .await?;
    match purchased {
        Purchased::Created(pack) => Reply::created(pack.view(ctx.now)),
        Purchased::Replayed(record) => replay(&record, &fingerprint),
    }
}

/// `GET /packs`: the caller's packs, newest first.
pub async fn list(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let page = ctx.page()?;
    let (packs, next) = usecases::lists::own_packs(&app.store, &ctx.actor, &page).await?;
    Reply::page(&ctx, packs.iter().map(|p| p.view(ctx.now)).collect(), next)
}

/// `GET /packs/{pack_id}`: another account's pack is not found.
pub async fn get(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let pack = usecases::lists::pack(&app.store, &ctx.actor, &ctx.pack_id()).await?;
    Reply::ok(pack.view(ctx.now))
}
