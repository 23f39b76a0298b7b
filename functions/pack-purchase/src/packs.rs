use crate::App;
use api::intake::replay;
use api::{ApiError, Ctx, Reply};
use domain::account::may_view_pack;
use domain::pack::{order_confirmation_number, Checkout, Pack};
use domain::pricing::PriceList;
use domain::time::Instant;
use domain::validation::{FieldError, Fields};
use domain::{Money, Offer};
use serde_json::json;
use store::idempotency::IdempotencyWrite;
use store::packs::PurchaseOutcome;
use store::payments::OrderDraft;
use stripe::{CheckoutClient, PaymentProvider, SessionRequest};

const OPERATION: &str = "POST /packs";
/// A taken number is a 1-in-2^100 event; a handful of fresh draws is more than enough.
const NUMBER_DRAWS: usize = 4;

struct PurchaseRequest {
    offer: Offer,
    billing_country: String,
}

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

/// Whether purchases made now by `account` carry no tax (S12: only under a verified exemption).
async fn tax_exempt(app: &'static App, account: &str) -> Result<bool, ApiError> {
    Ok(app
        .store
        .tax_exemption(account)
        .await?
        .is_some_and(|e| e.exemption.exempts_purchases()))
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
    if !app.prices.countries.contains_key(&country) {
        return Err(not_sold_to(&app.prices));
    }
    let exempt = tax_exempt(app, &ctx.actor.account_id).await?;
    let items = app
        .prices
        .offers(&country, exempt)
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

/// `POST /packs`: prices the offer (tax-free only under an exemption verified now). Payment off:
/// the pack, its order number, its ledger opening and the idempotent answer in one transaction,
/// active at once. Stripe: an order awaiting payment, with its Checkout Session.
pub async fn purchase(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let key = ctx.idempotency_key()?;
    let body = ctx.json()?;
    let fingerprint = ctx.fingerprint(&body);
    let account = &ctx.actor.account_id;
    let idempotency = IdempotencyWrite::new(account, OPERATION, &key, fingerprint.clone(), ctx.now);
    if let Some(record) = app.store.idempotency_record(&idempotency.key).await? {
        return replay(&record, &fingerprint);
    }
    let request = parse(&body, &app.prices).map_err(ApiError::invalid)?;
    // The account's mail language follows the billing country of its latest order; kept before
    // the pack is written, so the activation mail already reads it.
    app.store
        .remember_billing_country(account, &request.billing_country, ctx.now)
        .await?;
    let pack = match &app.payments {
        PaymentProvider::None => {
            let (price, exempt) = price(app, account, &request).await?;
            Pack::new(
                store::ids::new_id("pck"),
                request.offer,
                account,
                ctx.now,
                new_number(),
                price,
                exempt,
            )
        }
        PaymentProvider::Stripe(checkout) => {
            order_with_checkout(app, checkout, &ctx, &request, &idempotency).await?
        }
    };
    record(app, pack, idempotency, &fingerprint, ctx.now).await
}

async fn price(
    app: &'static App,
    account: &str,
    request: &PurchaseRequest,
) -> Result<(Money, bool), ApiError> {
    let exempt = tax_exempt(app, account).await?;
    let price = app
        .prices
        .quote(request.offer, &request.billing_country, exempt)
        .ok_or_else(|| not_sold_to(&app.prices))?;
    Ok((price, exempt))
}

fn new_number() -> String {
    order_confirmation_number(&store::ids::random_bytes::<13>())
}

/// A card order: reserved first (the draft fixes its pack id, price and order time), then its
/// one Checkout Session is created with Stripe's `Idempotency-Key` = the pack id. If Stripe
/// fails, only the draft exists (no pack, nothing to draw, nothing listed) and the answer is
/// `503`; a retry with the same key takes the same draft and gets the same session back.
async fn order_with_checkout(
    app: &'static App,
    checkout: &CheckoutClient,
    ctx: &Ctx,
    request: &PurchaseRequest,
    idempotency: &IdempotencyWrite,
) -> Result<Pack, ApiError> {
    let draft = match app.store.order_draft(&idempotency.key, ctx.now).await? {
        Some(draft) => draft,
        None => {
            let (price, exempt) = price(app, &ctx.actor.account_id, request).await?;
            let pack = Pack::order(
                store::ids::new_id("pck"),
                request.offer,
                &ctx.actor.account_id,
                ctx.now,
                new_number(),
                price,
                exempt,
            );
            let draft = OrderDraft {
                fingerprint: idempotency.fingerprint.clone(),
                pack,
            };
            app.store
                .reserve_order(&idempotency.key, &draft, ctx.now)
                .await?
        }
    };
    if draft.fingerprint != idempotency.fingerprint {
        return Err(ApiError::IdempotencyKeyReused);
    }
    let mut pack = draft.pack;
    let session_request = SessionRequest {
        pack_id: pack.pack_id.clone(),
        amount: pack.price.gross,
        currency: pack.price.currency.clone(),
        product_name: product_name(pack.offer).to_string(),
        customer_email: None,
    };
    let session = checkout
        .create_session(&session_request)
        .await
        .map_err(|e| {
            tracing::warn!(pack_id = %pack.pack_id, error = %e, "no Checkout Session for the order");
            ApiError::PaymentUnavailable(e.to_string())
        })?;
    pack.checkout = Some(Checkout {
        session_id: session.id,
        url: session.url,
    });
    Ok(pack)
}

/// What the customer sees on the payment page.
fn product_name(offer: Offer) -> &'static str {
    match offer {
        Offer::Single => "Professional support: 1 incident",
        Offer::FivePack => "Professional support: 5-pack of incidents",
    }
}

/// Writes the pack (or order) with its order number and the idempotent answer; a taken order
/// number (1 in 2^100) is drawn again.
async fn record(
    app: &'static App,
    mut pack: Pack,
    mut idempotency: IdempotencyWrite,
    fingerprint: &str,
    now: Instant,
) -> Result<Reply, ApiError> {
    for _ in 0..NUMBER_DRAWS {
        let view = pack.view(now);
        idempotency.body = serde_json::to_value(&view).map_err(|e| {
            ApiError::Internal(api::problem::Cause::context("serialising a pack", e))
        })?;
        match app.store.purchase(&pack, &idempotency).await? {
            PurchaseOutcome::Created => return Reply::created(view),
            PurchaseOutcome::Replayed(record) => return replay(&record, fingerprint),
            PurchaseOutcome::NumberTaken => pack.order_confirmation_number = new_number(),
        }
    }
    Err(ApiError::Internal(
        "no free order confirmation number after several draws".into(),
    ))
}

/// `GET /packs`: the caller's packs, newest first.
pub async fn list(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let page = ctx.page()?;
    let (packs, next) = app.store.packs_of(&ctx.actor.account_id, &page).await?;
    Reply::page(&ctx, packs.iter().map(|p| p.view(ctx.now)).collect(), next)
}

/// `GET /packs/{pack_id}`: another account's pack is not found.
pub async fn get(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    match app.store.pack(ctx.param("pack_id")).await? {
        Some(pack) if may_view_pack(&pack, &ctx.actor) => Reply::ok(pack.view(ctx.now)),
        _ => Err(ApiError::NotFound),
    }
}
