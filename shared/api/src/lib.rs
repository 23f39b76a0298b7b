//! HTTP plumbing, what the HTTP functions share: identity (authorizer claims or a locally
//! verified token), problem+json errors (one table), body limits and strict parsing,
//! `Idempotency-Key` replays, sealed paging cursors and timeline pages, routing with each
//! route's role. No business decision and no store transaction: those are the
//! domain's and the use cases' (`shared/usecases`); this crate turns their answers into HTTP.

pub mod cursor;
pub mod identity;
pub mod intake;
pub mod json;
pub mod problem;
pub mod request;
pub mod service;
pub mod timeline;

pub use cursor::CursorKey;
pub use identity::Identity;
pub use problem::ApiError;
pub use request::{Ctx, Reply};
pub use service::{serve, serve_with, IdentityHook, Role, Route};
