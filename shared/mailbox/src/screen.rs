//! What is never posted (API.md "E-mail replies"): delivery reports, auto-replies, a message
//! without a reply address whose token verifies, a sender other than the token's recipient, and
//! a reply that adds no text. Everything that passes names its incident and carries its new text.

use crate::extract::new_text;
use crate::read::Inbound;
use crate::token::{token_of, ReplyKey, Verified};

/// Why a message is not posted (and never answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unposted {
    Report,
    Automatic(String),
    /// No recipient is a reply address of this desk.
    NoReplyAddress,
    /// A reply address whose token does not verify.
    TokenInvalid,
    /// `From` is not the address the token was issued to.
    WrongSender,
    NoNewText,
}

impl Unposted {
    pub fn reason(&self) -> String {
        match self {
            Unposted::Report => "a delivery report".into(),
            Unposted::Automatic(why) => format!("an automatic message ({why})"),
            Unposted::NoReplyAddress => "not addressed to a reply address".into(),
            Unposted::TokenInvalid => "a reply token that does not verify".into(),
            Unposted::WrongSender => "a sender other than the token's recipient".into(),
            Unposted::NoNewText => "a reply with no new text".into(),
        }
    }
}

/// A reply that may be posted: its incident, its sender and its new text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screened {
    pub verified: Verified,
    pub from: String,
    pub text: String,
}

/// The token's verdict alone (for a message too large to read whole: its sender is answered only
/// if the token verifies and the sender is its recipient).
pub fn sender_verified(
    inbound: &Inbound,
    key: &ReplyKey,
    domain: &str,
) -> Result<(Verified, String), Unposted> {
    let tokens: Vec<&str> = inbound
        .recipients
        .iter()
        .filter_map(|r| token_of(r, domain))
        .collect();
    if tokens.is_empty() {
        return Err(Unposted::NoReplyAddress);
    }
    let Some(verified) = tokens.iter().find_map(|t| key.verify(t)) else {
        return Err(Unposted::TokenInvalid);
    };
    match &inbound.from {
        Some(from) if verified.issued_to(from) => Ok((verified, from.clone())),
        _ => Err(Unposted::WrongSender),
    }
}

/// Screens a message read whole.
pub fn screen(inbound: &Inbound, key: &ReplyKey, domain: &str) -> Result<Screened, Unposted> {
    if inbound.report {
        return Err(Unposted::Report);
    }
    if let Some(why) = &inbound.automatic {
        return Err(Unposted::Automatic(why.clone()));
    }
    let (verified, from) = sender_verified(inbound, key, domain)?;
    let text = new_text(&inbound.body);
    if text.is_empty() {
        return Err(Unposted::NoNewText);
    }
    Ok(Screened {
        verified,
        from,
        text,
    })
}
