//! The rules of incident-desk: what a pack, an incident, a support calendar and a charge are, and
//! every decision made about them. Pure: no AWS, no I/O, no clock (`now` is always an argument),
//! so the rules are tested in milliseconds. Never depend on the store, the api crate or Lambda.
//!
//! Where each rule of the vendor FAQ (`SPEC.md` S1–S12) lives, one hop from here:
//!
//! | rule | module |
//! |---|---|
//! | S1 incident, one problem; sub-problems are incidents of their own | [`incident`] (`requests`: proposals), [`intake::sub_problem_submission`], [`attachment`] (offline research) |
//! | S2 response times by severity | [`calendar::first_response_clock`] (deadline and warning), [`incident::sweep_signals`] |
//! | S3 hours of handling (24x7 or business hours) | [`calendar`] (support calendars), [`intake::Submission::parse`] (24x7 needs a phone) |
//! | S4 lifecycle eligibility | [`catalogue`] (`Product::phase`), [`intake::check`] |
//! | S5, S6 not covered, and where those requests belong | [`category::Category::redirect`], [`intake::check`] |
//! | S7 acceptable resolution (scope, solutions, unresolved and its fee) | [`incident::apply`] (`ProposeScope`, `Resolve`, `CloseUnresolved`, `DecideCharge`) |
//! | S8 no guarantee; the customer may ask to close | [`incident::apply`] (`RequestClosure`), [`incident`] (`closure_requests`) |
//! | S9 a pack is drawn only by the account that bought it | [`pack::Pack::usable_by`], [`pack::draw_candidates`] |
//! | S10 a 5-pack expires a year after purchase | [`pack::expiry_for`] |
//! | S11 lost purchaser: claims by order confirmation number | [`account`] (`claim`, `claim_rate`), [`pack::order_confirmation_number`] |
//! | S12 tax exemption | [`account`] (`exemption`), [`pricing`] |
//!
//! Beyond the FAQ: paying for a pack ([`payment`]), SLA reports ([`report`]), satisfaction
//! ratings ([`rating`]), the audit log of staff decisions ([`audit`]), request shapes
//! ([`validation`]), instants ([`time`]) and the shared vocabulary ([`types`]).

pub mod account;
pub mod attachment;
pub mod audit;
pub mod base32;
pub mod calendar;
pub mod catalogue;
pub mod category;
pub mod change;
pub mod idempotency;
pub mod ids;
pub mod incident;
pub mod intake;
pub mod pack;
pub mod paging;
pub mod payment;
pub mod pricing;
pub mod privacy;
pub mod rating;
pub mod report;
pub mod time;
pub mod types;
pub mod validation;

pub use ids::{AccountId, AttachmentId, ClaimId, ExportId, IncidentId, PackId, ProposalId};
pub use types::*;
