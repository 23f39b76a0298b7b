//! End-to-end tests against the running local stack (`make test` starts it). One binary, a
//! module per area; every test uses fresh accounts, so tests run in parallel.

mod attachments;
mod audit;
mod charges;
mod closure;
mod contract;
mod email_replies;
mod foundation;
mod intake;
mod notes;
mod notifications;
mod numbers;
mod ownership;
mod packs;
mod payments;
mod privacy;
mod proposals;
mod ratings;
mod reliability;
mod reports;
mod response;
mod sla;
mod sweeper;
mod warnings;
