//! The rules of incident-desk: what a pack, an incident, a support calendar and a charge are, and
//! every decision made about them. Pure: no AWS, no I/O, no clock (`now` is always an argument),
//! so the rules are tested in milliseconds. Never depend on the store, the api crate or Lambda.

pub mod account;
pub mod attachment;
pub mod base32;
pub mod calendar;
pub mod catalogue;
pub mod category;
pub mod incident;
pub mod intake;
pub mod pack;
pub mod payment;
pub mod pricing;
pub mod report;
pub mod time;
pub mod types;
pub mod validation;

pub use types::*;
