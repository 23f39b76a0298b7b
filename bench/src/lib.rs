//! What `make bench` and `make package`'s smoke test share: a fake Lambda Runtime API on
//! loopback and a launcher that runs a release function binary as Lambda runs it; and the
//! fixtures (request bodies, events, incidents, packs) the bench shares with the e2e crate.

pub mod fixtures;
pub mod function;
pub mod runtime_api;
