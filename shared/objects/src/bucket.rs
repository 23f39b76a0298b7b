//! The bucket's rules, in one place: the local setup (`src/bin/local-bucket.rs`) applies them to
//! the local server's bucket and `tests/tests/infra.rs` checks `infra/template.yaml` declares the same (CORS for the
//! console's origin only; pending uploads deleted after a day; raw inbound mail after a week,
//! quarantined mail after 30 days).

use crate::keys::{INBOUND_PREFIX, PENDING_PREFIX, QUARANTINE_PREFIX};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, CorsConfiguration, CorsRule,
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
};

/// The browser uploads with PUT and may fetch a download; nothing else crosses origins.
pub const CORS_METHODS: [&str; 3] = ["PUT", "GET", "HEAD"];
/// The only header a browser adds that needs a preflight (Content-Length it sets itself).
pub const CORS_HEADERS: [&str; 1] = ["content-type"];
pub const CORS_EXPOSE_HEADERS: [&str; 1] = ["ETag"];
pub const CORS_MAX_AGE_SECS: i32 = 600;
/// Days after which an upload never completed is deleted.
pub const PENDING_EXPIRY_DAYS: i32 = 1;
pub const PENDING_RULE_ID: &str = "DeletePendingUploads";
/// Raw inbound mail (issue 27): read once by inbound-mail, kept a week for looking into.
pub const INBOUND_EXPIRY_DAYS: i32 = 7;
pub const INBOUND_RULE_ID: &str = "ExpireInboundMail";
/// Mail that could not be read, moved aside: kept 30 days.
pub const QUARANTINE_EXPIRY_DAYS: i32 = 30;
pub const QUARANTINE_RULE_ID: &str = "ExpireQuarantinedMail";
/// The mail rules (rule id, key prefix, days), as the template declares them too.
pub const MAIL_EXPIRY: [(&str, &str, i32); 2] = [
    (INBOUND_RULE_ID, INBOUND_PREFIX, INBOUND_EXPIRY_DAYS),
    (
        QUARANTINE_RULE_ID,
        QUARANTINE_PREFIX,
        QUARANTINE_EXPIRY_DAYS,
    ),
];

fn build_err(e: impl std::fmt::Display) -> String {
    format!("building a bucket rule: {e}")
}

pub fn cors(origins: &[String]) -> Result<CorsConfiguration, String> {
    let mut rule = CorsRule::builder().max_age_seconds(CORS_MAX_AGE_SECS);
    for o in origins {
        rule = rule.allowed_origins(o);
    }
    for m in CORS_METHODS {
        rule = rule.allowed_methods(m);
    }
    for h in CORS_HEADERS {
        rule = rule.allowed_headers(h);
    }
    for h in CORS_EXPOSE_HEADERS {
        rule = rule.expose_headers(h);
    }
    CorsConfiguration::builder()
        .cors_rules(rule.build().map_err(build_err)?)
        .build()
        .map_err(build_err)
}

pub fn lifecycle() -> Result<BucketLifecycleConfiguration, String> {
    let pending = LifecycleRule::builder()
        .id(PENDING_RULE_ID)
        .status(ExpirationStatus::Enabled)
        .filter(
            LifecycleRuleFilter::builder()
                .prefix(PENDING_PREFIX)
                .build(),
        )
        .expiration(
            LifecycleExpiration::builder()
                .days(PENDING_EXPIRY_DAYS)
                .build(),
        )
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(PENDING_EXPIRY_DAYS)
                .build(),
        )
        .build()
        .map_err(build_err)?;
    let expire = |id: &str, prefix: &str, days: i32| {
        LifecycleRule::builder()
            .id(id)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
            .expiration(LifecycleExpiration::builder().days(days).build())
            .build()
            .map_err(build_err)
    };
    let mut config = BucketLifecycleConfiguration::builder().rules(pending);
    for (id, prefix, days) in MAIL_EXPIRY {
        config = config.rules(expire(id, prefix, days)?);
    }
    config.build().map_err(build_err)
}

/// `CONSOLE_ORIGIN`: one origin or several, comma-separated.
pub fn origins_from(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|o| o.trim().trim_end_matches('/').to_string())
        .filter(|o| !o.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_origins_are_read_from_a_comma_separated_list() {
        assert_eq!(
            origins_from(" http://127.0.0.1:9001/ ,http://localhost:5173,,"),
            vec!["http://127.0.0.1:9001", "http://localhost:5173"]
        );
    }

    #[test]
    fn the_lifecycle_rules_expire_pending_uploads_inbound_and_quarantined_mail_only() {
        let l = lifecycle().expect("valid");
        let rules: Vec<(Option<&str>, Option<&str>, Option<i32>)> = l
            .rules()
            .iter()
            .map(|r| {
                (
                    r.id(),
                    r.filter().and_then(|f| f.prefix()),
                    r.expiration().and_then(|e| e.days()),
                )
            })
            .collect();
        assert_eq!(
            rules,
            [
                (Some(PENDING_RULE_ID), Some(PENDING_PREFIX), Some(1)),
                (Some(INBOUND_RULE_ID), Some(INBOUND_PREFIX), Some(7)),
                (Some(QUARANTINE_RULE_ID), Some(QUARANTINE_PREFIX), Some(30)),
            ]
        );
        assert!(!crate::keys::uploaded("i", "a").starts_with(INBOUND_PREFIX));
    }
}
