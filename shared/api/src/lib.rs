//! What the four HTTP functions share: identity (authorizer claims or a locally verified token),
//! problem+json errors, body limits and parsing, `Idempotency-Key`, paging and routing.
//! It translates HTTP to domain calls and back; it never talks to DynamoDB types directly.

pub mod cursor;
pub mod identity;
pub mod incidents;
pub mod intake;
pub mod json;
pub mod problem;
pub mod profile;
pub mod request;
pub mod service;
pub mod timeline;

pub use cursor::CursorKey;
pub use identity::{AuthConfig, Identity};
pub use problem::ApiError;
pub use request::{Ctx, Reply};
pub use service::{serve, serve_with, IdentityHook, Role, Route};
