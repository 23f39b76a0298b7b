//! E-mail as a channel (SPEC "E-mail is a channel, not a notice"; API.md "E-mail replies"), the
//! pure part: [`token`] signs and verifies reply addresses, [`read`] turns raw MIME into an
//! [`Inbound`] message (mail-parser: multipart, charsets, quoted-printable, base64, HTML-only mail
//! as text), [`extract`] separates a reply's new text from the history its client quoted, and
//! [`screen`] decides what is never posted (auto-replies, delivery reports, forged or unverified
//! senders, replies without new text). Bounce and complaint notifications are read by [`bounce`].

pub mod bounce;
pub mod extract;
pub mod read;
pub mod screen;
pub mod token;

pub use read::{message_key, read, Inbound, InboundPart};
pub use screen::{screen, Screened, Unposted};
pub use token::{ReplyKey, Verified};
