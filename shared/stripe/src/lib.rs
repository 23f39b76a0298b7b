//! The Stripe adapter, the only crate that speaks Stripe's wire format: Checkout Session creation
//! over its REST API (form-encoded, bearer secret key, Stripe's own `Idempotency-Key`), webhook
//! signature verification (by hand, constant time) and reading events into the domain's
//! `PaymentNotice`. It makes no business decision; it never logs a secret.
//! It depends only on the domain's types; never on the store or the api crate.

pub mod checkout;
pub mod config;
pub mod event;
pub mod secret;
pub mod signature;

pub use checkout::{CheckoutClient, CheckoutError, Session, SessionRequest};
pub use config::PaymentProvider;
pub use secret::Secret;
