//! Incidents (S1–S3, S7, S8): the record, its timeline, and every action on it as a pure
//! transition from one state to the next. The store writes a transition as one conditional
//! transaction on the incident's version, so transitions never interleave. Ownership
//! (`assignment`) is one such transition.

mod actions;
mod assignment;
mod closure_requests;
mod event;
mod filter;
mod model;
mod notes;
mod number;
mod requests;
mod score;
mod signals;
mod view;

pub use actions::*;
pub use assignment::*;
pub use closure_requests::*;
pub use event::*;
pub use filter::*;
pub use model::*;
pub use notes::*;
pub use number::*;
pub use requests::*;
pub use score::*;
pub use signals::*;
pub use view::*;
