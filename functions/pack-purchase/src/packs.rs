use crate::App;
use api::intake::replay;
use api::{ApiError, Ctx, Reply};
use domain::account::may_view_pack;
use domain::pack::{order_confirmation_number, Pack};
use domain::pricing::PriceList;
use domain::validation::{FieldError, Fields};
use domain::Offer;
use store::idempotency::IdempotencyWrite;
use store::packs::PurchaseOutcome;

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

/// `POST /packs`: prices the offer (tax-free only under an exemption verified now), then writes
/// the pack, its order number, its ledger opening and the idempotent answer in one transaction.
pub async fn purchase(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    let key = ctx.idempotency_key()?;
    let body = ctx.json()?;
    let fingerprint = ctx.fingerprint(&body);
    let account = &ctx.actor.account_id;
    let mut idempotency =
        IdempotencyWrite::new(account, OPERATION, &key, fingerprint.clone(), ctx.now);
    if let Some(record) = app.store.idempotency_record(&idempotency.key).await? {
        return replay(&record, &fingerprint);
    }
    let request = parse(&body, &app.prices).map_err(ApiError::invalid)?;
    let tax_exempt = app
        .store
        .tax_exemption(account)
        .await?
        .is_some_and(|e| e.exemption.exempts_purchases());
    let price = app
        .prices
        .quote(request.offer, &request.billing_country, tax_exempt)
        .ok_or_else(|| ApiError::invalid_field("billing_country", "is not a country we sell to"))?;
    let pack_id = store::ids::new_id("pck");
    for _ in 0..NUMBER_DRAWS {
        let number = order_confirmation_number(&store::ids::random_bytes::<13>());
        let pack = Pack::new(
            pack_id.clone(),
            request.offer,
            account,
            ctx.now,
            number,
            price.clone(),
            tax_exempt,
        );
        let view = pack.view(ctx.now);
        idempotency.body = serde_json::to_value(&view)
            .map_err(|e| ApiError::Internal(format!("serialising a pack: {e}")))?;
        match app.store.purchase(&pack, &idempotency).await? {
            PurchaseOutcome::Created => return Reply::created(view),
            PurchaseOutcome::Replayed(record) => return replay(&record, &fingerprint),
            PurchaseOutcome::NumberTaken => continue,
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
    Reply::page(packs.iter().map(|p| p.view(ctx.now)).collect(), next)
}

/// `GET /packs/{pack_id}`: another account's pack is not found.
pub async fn get(app: &'static App, ctx: Ctx) -> Result<Reply, ApiError> {
    match app.store.pack(ctx.param("pack_id")).await? {
        Some(pack) if may_view_pack(&pack, &ctx.actor) => Reply::ok(pack.view(ctx.now)),
        _ => Err(ApiError::NotFound),
    }
}
