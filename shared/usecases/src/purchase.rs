//! Buying a pack (S3, S12): priced from the price list (tax-free only under an exemption verified
//! now), then either active at once (vendors who invoice) or an order paid through the checkout
//! port (Stripe Checkout in production; the function hands its adapter in, as attachments hand
//! in their bucket). Every pack is written with its order confirmation number, its ledger
//! opening and the idempotent answer in one transaction.
//!
//! A card order is reserved first (the draft fixes its pack id, price and order time), then its
//! one checkout session is created, keyed by the pack id so a retry gets the same session back.
//! If the checkout fails only the draft exists (no pack, nothing to draw, nothing listed) and the
//! caller is told to retry; a retry with the same key takes the same draft.

use crate::idempotency::{IdempotencyRecord, IdempotencyWrite};
use crate::Failure;
use domain::pack::{order_confirmation_number, Checkout, Pack};
use domain::pricing::{OfferPrice, PriceList};
use domain::time::Instant;
use domain::{Money, Offer};
use std::future::Future;
use store::ids::{new_id, random_bytes};
use store::packs::PurchaseOutcome;
use store::payments::OrderDraft;
use store::Store;

/// A taken number is a 1-in-2^100 event; a handful of fresh draws is more than enough.
const NUMBER_DRAWS: usize = 4;

/// What the customer pays for, and where it will be paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardOrder {
    pub pack_id: String,
    /// Minor units, tax included.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
    /// What the customer sees on the payment page.
    pub product_name: &'static str,
}

/// A checkout session: its id and the page the customer pays on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub url: String,
}

/// Where card orders are paid. A failure is the payment provider's (unreachable, slow, refused):
/// nothing was charged, and the caller may retry.
pub trait PaymentPage: Sync {
    /// Creates the order's one session; called again for the same pack, it answers the same one.
    fn create_session(
        &self,
        order: &CardOrder,
    ) -> impl Future<Output = Result<Session, String>> + Send;
}

/// A purchase as the customer asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseRequest {
    pub offer: Offer,
    /// Upper-case ISO 3166 code of a country the price list sells to.
    pub billing_country: String,
}

pub enum Purchased {
    /// The pack (active, or an order awaiting payment with its checkout).
    Created(Box<Pack>),
    /// The idempotency key already bought something: its stored answer.
    Replayed(IdempotencyRecord),
}

/// How a purchase is paid: at once, or on the payment page.
pub enum Payment<'a, P: PaymentPage> {
    Invoiced,
    Card(&'a P),
}

/// Buys `request` for `account` under `idempotency` (its body is filled with the answer), once
/// `earlier` found no answer: a purchase that races a concurrent one with the same key is
/// replayed by the store's transaction.
pub async fn purchase<P: PaymentPage>(
    store: &Store,
    prices: &PriceList,
    payment: Payment<'_, P>,
    account: &str,
    request: &PurchaseRequest,
    mut idempotency: IdempotencyWrite,
    now: Instant,
) -> Result<Purchased, Failure> {
    // The account's mail language follows the billing country of its latest order; kept before
    // the pack is written, so the activation mail already reads it.
    store
        .remember_billing_country(account, &request.billing_country, now)
        .await?;
    let mut pack = match payment {
        Payment::Invoiced => {
            let (price, exempt) = price(store, prices, account, request).await?;
            Pack::new(
                new_id("pck"),
                request.offer,
                account,
                now,
                new_number(),
                price,
                exempt,
            )
        }
        Payment::Card(page) => {
            card_order(store, prices, page, account, request, &idempotency, now).await?
        }
    };
    for _ in 0..NUMBER_DRAWS {
        idempotency.body = serde_json::to_value(pack.view(now))
            .map_err(|e| Failure::Internal(format!("serialising a pack: {e}")))?;
        match store.purchase(&pack, &idempotency).await? {
            PurchaseOutcome::Created => return Ok(Purchased::Created(Box::new(pack))),
            PurchaseOutcome::Replayed(record) => return Ok(Purchased::Replayed(record)),
            PurchaseOutcome::NumberTaken => pack.order_confirmation_number = new_number(),
        }
    }
    Err(Failure::Internal(
        "no free order confirmation number after several draws".into(),
    ))
}

/// What each offer costs `account` now in `billing_country`, by the rule a purchase prices with;
/// `None` if the price list does not sell there.
pub async fn offers(
    store: &Store,
    prices: &PriceList,
    account: &str,
    billing_country: &str,
) -> Result<Option<Vec<OfferPrice>>, Failure> {
    if !prices.countries.contains_key(billing_country) {
        return Ok(None);
    }
    let exempt = tax_exempt(store, account).await?;
    Ok(prices.offers(billing_country, exempt))
}

/// Whether purchases made now by `account` carry no tax (S12: only under a verified exemption).
async fn tax_exempt(store: &Store, account: &str) -> Result<bool, Failure> {
    Ok(store
        .tax_exemption(account)
        .await?
        .is_some_and(|e| e.exemption.exempts_purchases()))
}

async fn price(
    store: &Store,
    prices: &PriceList,
    account: &str,
    request: &PurchaseRequest,
) -> Result<(Money, bool), Failure> {
    let exempt = tax_exempt(store, account).await?;
    let price = prices
        .quote(request.offer, &request.billing_country, exempt)
        .ok_or_else(|| {
            Failure::Internal(format!(
                "no price for {} in {}",
                request.offer, request.billing_country
            ))
        })?;
    Ok((price, exempt))
}

fn new_number() -> String {
    order_confirmation_number(&random_bytes::<13>())
}

/// A card order: the draft reserved (or found, for a retry), then its session.
async fn card_order<P: PaymentPage>(
    store: &Store,
    prices: &PriceList,
    page: &P,
    account: &str,
    request: &PurchaseRequest,
    idempotency: &IdempotencyWrite,
    now: Instant,
) -> Result<Pack, Failure> {
    let draft = match store.order_draft(idempotency, now).await? {
        Some(draft) => draft,
        None => {
            let (price, exempt) = price(store, prices, account, request).await?;
            let pack = Pack::order(
                new_id("pck"),
                request.offer,
                account,
                now,
                new_number(),
                price,
                exempt,
            );
            let draft = OrderDraft {
                fingerprint: idempotency.fingerprint.clone(),
                pack,
            };
            store.reserve_order(idempotency, &draft, now).await?
        }
    };
    if draft.fingerprint != idempotency.fingerprint {
        return Err(Failure::IdempotencyKeyReused);
    }
    let mut pack = draft.pack;
    let order = CardOrder {
        pack_id: pack.pack_id.to_string(),
        amount: pack.price.gross,
        currency: pack.price.currency.clone(),
        product_name: product_name(pack.offer),
    };
    let session = page.create_session(&order).await.map_err(|e| {
        tracing::warn!(pack_id = %pack.pack_id, error = %e, "no checkout session for the order");
        Failure::PaymentUnavailable(e)
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
