//! The bucket's rules, in one place: the local setup (`src/bin/local-bucket.rs`) applies them to
//! the local server's bucket and `tests/tests/infra.rs` checks `infra/template.yaml` declares the same (CORS for the
//! console's origin only; pending uploads deleted after a day).

use crate::keys::PENDING_PREFIX;
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
    let rule = LifecycleRule::builder()
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
    BucketLifecycleConfiguration::builder()
        .rules(rule)
        .build()
        .map_err(build_err)
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
    fn the_lifecycle_rule_expires_only_pending_uploads() {
        let l = lifecycle().expect("valid");
        let rule = &l.rules()[0];
        assert_eq!(rule.filter().and_then(|f| f.prefix()), Some(PENDING_PREFIX));
        assert_eq!(rule.expiration().and_then(|e| e.days()), Some(1));
    }
}
