//! Attachments (S1, "offline research"): logs, dumps and screenshots on an incident. The bytes
//! never pass through a function: a caller declares a file (name, type, size), uploads it
//! straight to object storage, and completes it once the stored object has the declared size.
//! These are the rules of that exchange; where the bytes live is the adapters' business.

use crate::incident::{can_view, ActionError, Event, EventDetails, Incident, Transition};
use crate::time::{serde_instant, Instant};
use crate::types::wire_enum;
use crate::validation::{FieldError, Fields};
use crate::Actor;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// At most this many attachments (pending or uploaded) per incident.
pub const MAX_PER_INCIDENT: u32 = 20;
/// 50 MiB.
pub const MAX_SIZE_BYTES: u64 = 52_428_800;
pub const MAX_FILE_NAME: usize = 255;
/// How long an upload URL is valid.
pub const UPLOAD_WINDOW_SECS: i64 = 15 * 60;
/// How long a download URL is valid.
pub const DOWNLOAD_WINDOW_SECS: i64 = 5 * 60;

/// The content types a caller may declare (and the upload must then carry).
pub const CONTENT_TYPES: [&str; 12] = [
    "text/plain",
    "text/csv",
    "application/json",
    "application/xml",
    "application/pdf",
    "application/zip",
    "application/gzip",
    "application/x-7z-compressed",
    "application/vnd.tcpdump.pcap",
    "application/octet-stream",
    "image/png",
    "image/jpeg",
];

wire_enum!(
    AttachmentStatus { Pending => "pending", Uploaded => "uploaded" }
);

/// `POST /incidents/{id}/attachments`: `{"file_name","content_type","size_bytes"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRequest {
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: u64,
}

impl AttachmentRequest {
    pub fn parse(body: &Value) -> Result<AttachmentRequest, Vec<FieldError>> {
        let mut f = Fields::of(body);
        let file_name = file_name(&mut f, body);
        let content_type = f.required_str("content_type", 128).and_then(|ct| {
            if CONTENT_TYPES.contains(&ct.as_str()) {
                Some(ct)
            } else {
                f.error(
                    "content_type",
                    format!("must be one of: {}", CONTENT_TYPES.join(", ")),
                );
                None
            }
        });
        let size_bytes = size_bytes(&mut f, body);
        let request = (|| {
            Some(AttachmentRequest {
                file_name: file_name?,
                content_type: content_type?,
                size_bytes: size_bytes?,
            })
        })();
        f.finish(request)
    }
}

/// 1–255 characters, no `/`, `\` or control characters (also none that trimming would hide).
fn file_name(f: &mut Fields, body: &Value) -> Option<String> {
    let raw = body.get("file_name").and_then(Value::as_str);
    if raw.is_some_and(|r| r.chars().any(char::is_control)) {
        f.error("file_name", "must not contain control characters");
        return None;
    }
    let name = f.required_str("file_name", MAX_FILE_NAME)?;
    if name.contains(['/', '\\']) {
        f.error("file_name", "must not contain / or \\");
        return None;
    }
    Some(name)
}

fn size_bytes(f: &mut Fields, body: &Value) -> Option<u64> {
    let message = format!("must be a whole number of bytes from 1 to {MAX_SIZE_BYTES}");
    match body.get("size_bytes") {
        None | Some(Value::Null) if body.is_object() => {
            f.error("size_bytes", "is required");
            None
        }
        None | Some(Value::Null) => None,
        // `5242880.0` is the same whole number (as JSON Schema's `integer` reads it).
        Some(v) => match v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && (1.0..=MAX_SIZE_BYTES as f64).contains(f))
                .map(|f| f as u64)
        }) {
            Some(n) if (1..=MAX_SIZE_BYTES).contains(&n) => Some(n),
            _ => {
                f.error("size_bytes", message);
                None
            }
        },
    }
}

/// One attachment as stored. `uploaded_at` is set by its completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub attachment_id: crate::AttachmentId,
    pub incident_id: crate::IncidentId,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub status: AttachmentStatus,
    pub uploaded_by: crate::AccountId,
    #[serde(with = "serde_instant")]
    pub created_at: Instant,
    #[serde(with = "serde_instant::option", default)]
    pub uploaded_at: Option<Instant>,
}

/// An attachment as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    pub attachment_id: crate::AttachmentId,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub status: AttachmentStatus,
    pub uploaded_by: crate::AccountId,
    #[serde(with = "serde_instant")]
    pub created_at: Instant,
    pub download_url: Option<String>,
}

impl Attachment {
    pub fn new(
        request: AttachmentRequest,
        incident_id: &str,
        attachment_id: &crate::AttachmentId,
        uploader: &Actor,
        now: Instant,
    ) -> Attachment {
        Attachment {
            attachment_id: attachment_id.clone(),
            incident_id: incident_id.into(),
            file_name: request.file_name,
            content_type: request.content_type,
            size_bytes: request.size_bytes,
            status: AttachmentStatus::Pending,
            uploaded_by: uploader.account_id.clone(),
            created_at: now,
            uploaded_at: None,
        }
    }

    pub fn is_uploaded(&self) -> bool {
        self.status == AttachmentStatus::Uploaded
    }

    /// `download_url` only for an uploaded file.
    pub fn view(&self, download_url: Option<String>) -> AttachmentView {
        AttachmentView {
            attachment_id: self.attachment_id.clone(),
            file_name: self.file_name.clone(),
            content_type: self.content_type.clone(),
            size_bytes: self.size_bytes,
            status: self.status,
            uploaded_by: self.uploaded_by.clone(),
            created_at: self.created_at,
            download_url: download_url.filter(|_| self.is_uploaded()),
        }
    }
}

/// The owner or a support engineer may attach, while the incident is open; anyone else who
/// cannot see the incident gets `NotFound`.
pub fn may_attach(incident: &Incident, actor: &Actor) -> Result<(), ActionError> {
    may_read(incident, actor)?;
    if !(actor.engineer || incident.account_id == actor.account_id) {
        return Err(ActionError::Forbidden(
            "the incident's owner and support engineers",
        ));
    }
    if incident.status.is_closed() {
        return Err(ActionError::InvalidState(format!(
            "the incident is closed ({}): it takes no new attachments",
            incident.status
        )));
    }
    Ok(())
}

/// The owner and staff read an incident's attachments.
pub fn may_read(incident: &Incident, actor: &Actor) -> Result<(), ActionError> {
    if can_view(incident, actor) {
        Ok(())
    } else {
        Err(ActionError::NotFound)
    }
}

/// Only the uploader completes an upload (it alone holds the upload URL).
pub fn may_complete(
    incident: &Incident,
    attachment: &Attachment,
    actor: &Actor,
) -> Result<(), ActionError> {
    may_read(incident, actor)?;
    if attachment.uploaded_by != actor.account_id {
        return Err(ActionError::Forbidden("the attachment's uploader"));
    }
    Ok(())
}

/// Whether the stored object completes the upload: it must exist with the declared size.
pub fn check_upload(attachment: &Attachment, stored_size: Option<u64>) -> Result<(), ActionError> {
    match stored_size {
        None => Err(ActionError::InvalidState(
            "the file has not been uploaded: PUT it to the upload URL first".into(),
        )),
        Some(size) if size != attachment.size_bytes => Err(ActionError::InvalidState(format!(
            "the uploaded file has {size} bytes, {} were declared",
            attachment.size_bytes
        ))),
        Some(_) => Ok(()),
    }
}

/// The completion of a checked upload: the attachment becomes `uploaded` and the incident's
/// timeline gets its one `attachment_added` event. `None` when it is already uploaded (a repeat
/// completes nothing).
pub fn complete(
    incident: &Incident,
    attachment: &Attachment,
    actor: &Actor,
    now: Instant,
) -> Result<Option<(Attachment, Transition)>, ActionError> {
    may_complete(incident, attachment, actor)?;
    if attachment.is_uploaded() {
        return Ok(None);
    }
    let mut uploaded = attachment.clone();
    uploaded.status = AttachmentStatus::Uploaded;
    uploaded.uploaded_at = Some(now);
    let event = Event::by(
        now,
        actor,
        EventDetails::AttachmentAdded {
            attachment_id: attachment.attachment_id.clone(),
            file_name: attachment.file_name.clone().into(),
            content_type: attachment.content_type.clone(),
            size_bytes: attachment.size_bytes,
        },
    );
    let transition = Transition {
        incident: incident.clone(),
        events: vec![event],
        refund: false,
        no_op: false,
        withdrawn: Vec::new(),
    };
    Ok(Some((uploaded, transition)))
}

/// `Content-Disposition` for a download: always `attachment` (never rendered inline), with an
/// ASCII fallback name that cannot break out of its quotes and the exact name in RFC 8187
/// (`filename*=UTF-8''…`) for clients that read it.
pub fn content_disposition(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " ._-()+,=@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let fallback = fallback.trim();
    let fallback = if fallback.is_empty() {
        "attachment"
    } else {
        fallback
    };
    let mut encoded = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests;
