//! Raw MIME → the facts of an inbound message that the desk acts on.

use mail_parser::decoders::html::html_to_text;
use mail_parser::{MessageParser, MimeHeaders, PartType};

/// The key an inbound message is posted once under: a hash of its `Message-ID` (or of whatever
/// identifies it), 32 hex digits.
pub fn message_key(identity: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(identity.trim().as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A raw message larger than this is not parsed (its sender is told to use the console): SES
/// accepts up to 40 MB, an incident attachment is at most 50 MB, and a function holds the message
/// and its decoded parts in memory at once.
pub const MAX_MESSAGE_BYTES: usize = 20 * 1024 * 1024;
/// A subject longer than this is cut (it is only ever logged or quoted).
pub const MAX_SUBJECT_CHARS: usize = 300;
/// Attachments read from one message at most (the incident takes 20 at most anyway).
pub const MAX_PARTS: usize = 100;

/// One attachment of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundPart {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What the desk needs of an inbound message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inbound {
    /// `Message-ID` without angle brackets; `None` if it has none.
    pub message_id: Option<String>,
    /// The `From` address (lower case).
    pub from: Option<String>,
    /// Every address in `To` and `Cc` (the reply address is one of them).
    pub recipients: Vec<String>,
    pub subject: String,
    /// The body as text (an HTML-only message converted), whole.
    pub body: String,
    /// Why it is automatic, if it says so (`Auto-Submitted`, `Precedence`, `X-Autoreply`, …).
    pub automatic: Option<String>,
    /// A delivery report (`multipart/report`).
    pub report: bool,
    pub attachments: Vec<InboundPart>,
    /// Attachments beyond `MAX_PARTS`, not read.
    pub attachments_skipped: usize,
}

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

fn automatic(message: &mail_parser::Message<'_>) -> Option<String> {
    let raw = |name: &str| message.header_raw(name).map(lower);
    if let Some(v) = raw("Auto-Submitted") {
        let value = v.split(';').next().unwrap_or_default().trim().to_string();
        if value != "no" {
            return Some(format!("Auto-Submitted: {value}"));
        }
    }
    if let Some(v) = raw("Precedence") {
        if ["bulk", "junk", "list", "auto_reply"].contains(&v.as_str()) {
            return Some(format!("Precedence: {v}"));
        }
    }
    for name in ["X-Autoreply", "X-Autorespond"] {
        if let Some(v) = raw(name) {
            return Some(format!("{name}: {v}"));
        }
    }
    None
}

/// Where the clients' HTML puts the history they quote: it and all after it go.
const HTML_HISTORY: &[&str] = &[
    "<div class=\"gmail_quote",
    "<div id=\"divRplyFwdMsg",
    "<div id=\"appendonsend",
    "<div class=\"moz-cite-prefix",
    "<blockquote",
];

/// An HTML-only body as text: the quoted history cut where the client marked it, and block
/// elements as line breaks (mail-parser's conversion joins them).
fn html_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let cut = HTML_HISTORY
        .iter()
        .filter_map(|m| lower.find(m))
        .min()
        .unwrap_or(html.len());

    let mut spaced = String::with_capacity(cut + 64);
    let head = &html[..cut];
    let mut rest = head;
    while let Some(i) = rest.find('<') {
        spaced.push_str(&rest[..i]);
        let tag = rest[i + 1..].trim_start_matches('/').to_ascii_lowercase();
        if [
            "div", "p>", "p ", "br", "hr", "tr", "li", "h1", "h2", "h3", "table",
        ]
        .iter()
        .any(|t| tag.starts_with(t))
        {
            spaced.push_str("<br>");
        }
        spaced.push('<');
        rest = &rest[i + 1..];
    }
    spaced.push_str(rest);
    html_to_text(&spaced)
}

/// Reads a raw message; `None` if it is not a message at all (no header could be read).
pub fn read(raw: &[u8]) -> Option<Inbound> {
    let message = MessageParser::default().parse(raw)?;
    if message.headers().is_empty() {
        return None;
    }
    let report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let mut recipients = Vec::new();
    for list in [message.to(), message.cc()].into_iter().flatten() {
        for addr in list.iter() {
            if let Some(a) = addr.address() {
                recipients.push(lower(a));
            }
        }
    }
    let subject: String = message
        .subject()
        .unwrap_or_default()
        .chars()
        .take(MAX_SUBJECT_CHARS)
        .collect();
    let body = match message.text_part(0).map(|p| &p.body) {
        Some(PartType::Html(html)) => html_text(html),
        _ => message
            .body_text(0)
            .map(|b| b.into_owned())
            .unwrap_or_default(),
    };
    let mut attachments = Vec::new();
    let mut skipped = 0;
    for part in message.attachments() {
        if attachments.len() >= MAX_PARTS {
            skipped += 1;
            continue;
        }
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", lower(ct.ctype()), lower(sub)),
                None => lower(ct.ctype()),
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        let file_name = part
            .attachment_name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("attachment-{}", attachments.len() + 1));
        attachments.push(InboundPart {
            file_name,
            content_type,
            bytes: part.contents().to_vec(),
        });
    }
    Some(Inbound {
        message_id: message
            .message_id()
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty()),
        from: message
            .from()
            .and_then(|f| f.first())
            .and_then(|a| a.address())
            .map(lower),
        recipients,
        subject,
        body,
        automatic: automatic(&message),
        report,
        attachments,
        attachments_skipped: skipped,
    })
}

/// The headers of a message too large to read whole: its first `limit` bytes up to the blank
/// line, read as a message without a body (to answer its sender).
pub fn read_headers(raw: &[u8], limit: usize) -> Option<Inbound> {
    let head = &raw[..raw.len().min(limit)];
    let end = find(head, b"\r\n\r\n").or_else(|| find(head, b"\n\n"))?;
    let mut only = head[..end].to_vec();
    only.extend_from_slice(b"\r\n\r\n");
    let mut inbound = read(&only)?;
    inbound.body.clear();
    inbound.attachments.clear();
    Some(inbound)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::message_key;

    #[test]
    fn a_message_key_is_32_hex_digits_of_the_trimmed_identity() {
        let key = message_key(" <CAF1@mail.gmail.com>\r\n");
        assert_eq!(key, message_key("<CAF1@mail.gmail.com>"));
        assert_eq!(key.len(), 32);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(key, message_key("<CAF2@mail.gmail.com>"));
    }
}
