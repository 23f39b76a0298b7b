//! Object keys: derived from the incident and attachment ids only (server-made, `[0-9a-z_]`),
//! never from a file name. Uploads land under the pending prefix, which the bucket's lifecycle
//! rule empties after a day; a completed upload is copied under the uploaded prefix, where the
//! bytes an engineer downloads can no longer be replaced through the (still valid) upload URL.

/// Everything the functions may read and write; the template's IAM statement names it.
pub const PREFIX: &str = "attachments/";
/// Uploads not (yet) completed; expired by the lifecycle rule after one day.
pub const PENDING_PREFIX: &str = "attachments/pending/";
/// Completed uploads, kept.
pub const UPLOADED_PREFIX: &str = "attachments/uploaded/";

/// Raw inbound e-mail (SES's receipt rule writes it; the local SMTP server too), expired by the
/// lifecycle rule after a few days.
pub const INBOUND_PREFIX: &str = "inbound/";
/// Inbound messages that could not be handled, moved aside (outside `inbound/`, so their move
/// does not notify the function again); kept for people to look at, expired like inbound.
pub const QUARANTINE_PREFIX: &str = "quarantine/";

/// Data exports (one archive per export, private; deleted with the account's data on erasure).
pub const EXPORTS_PREFIX: &str = "exports/";

pub fn export(account_id: &str, export_id: &str) -> String {
    format!("{EXPORTS_PREFIX}{account_id}/{export_id}.tar")
}

pub fn pending(incident_id: &str, attachment_id: &str) -> String {
    format!("{PENDING_PREFIX}{incident_id}/{attachment_id}")
}

pub fn uploaded(incident_id: &str, attachment_id: &str) -> String {
    format!("{UPLOADED_PREFIX}{incident_id}/{attachment_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_places_of_an_attachment_lie_under_the_functions_prefix_and_differ() {
        let (p, u) = (pending("inc_1", "att_2"), uploaded("inc_1", "att_2"));
        assert!(p.starts_with(PREFIX) && u.starts_with(PREFIX));
        assert!(p.starts_with(PENDING_PREFIX) && !u.starts_with(PENDING_PREFIX));
        assert_eq!(u, "attachments/uploaded/inc_1/att_2");
    }
}
