//! The use cases of incident-desk, one module each: read what the decision needs, let the
//! domain decide, write the outcome through the store as one conditional transaction, and on a
//! lost race decide again under the one retry policy (`store::retry`). Nothing here knows HTTP:
//! a use case answers domain values or a [`Failure`], which `shared/api` turns into problem+json.
//! Every staff decision (assignment, resolution, charge, claim and exemption decisions) carries
//! its audit entry in that one transaction: the store adds it (`store::audit`).
//!
//! | use case | module | used by |
//! |---|---|---|
//! | submit an incident: intake checks, draw a unit, create it | [`draw`] | intake, response (sub-problems) |
//! | act on an incident (responses, messages, scope, closure) | [`act`] | response, closure |
//! | the read → decide → write loop of one incident's change | [`change`] | act, rate |
//! | take, hand off or release an incident | [`assign`] | response |
//! | close, with a refund's facts | [`closure`] | closure |
//! | rate a closed incident from the closing e-mail's link | [`rate`] | closure |
//! | attach a file: declare, complete, list, download views | [`attachment`] | response |
//! | propose and decide a sub-problem | [`sub_problem`] | response |
//! | buy a pack: priced, then active at once or an order on the payment page (a port) | [`purchase`] | pack-purchase |
//! | claim a lost purchaser's pack, and its decision | [`claim`] | pack-purchase |
//! | submit and decide a tax exemption | [`exemption`] | pack-purchase |
//! | data exports and erasure: request, decide, carry out in steps; the scheduled privacy step | [`privacy`] | privacy, sla-sweeper |
//! | apply a verified payment notification | [`payment`] | payment-webhook |
//! | one SLA sweep | [`sweep`] | sla-sweeper |
//! | keep the account's e-mail address; register engineers | [`profile`] | every HTTP function but reports (identity hook) |
//! | read an incident the caller may see, a timeline page | [`read`] | intake, closure, response (answers) |
//! | the lists: products, incidents, queue, packs, exemptions, the account, reports, audit | [`lists`] | intake, response, pack-purchase, reports |
//! | an earlier answer under an idempotency key | [`idempotency`] | intake, pack-purchase |
//! | send a notification once; what a message is planned from | [`notify`] | notifier, inbound-mail |

pub mod act;
pub mod assign;
pub mod attachment;
pub mod change;
pub mod claim;
pub mod closure;
pub mod draw;
pub mod exemption;
mod failure;
pub mod idempotency;
pub mod lists;
pub mod notify;
pub mod payment;
pub mod privacy;
pub mod profile;
pub mod purchase;
pub mod rate;
pub mod read;
pub mod reply;
pub mod sub_problem;
pub mod sweep;

pub use failure::Failure;
