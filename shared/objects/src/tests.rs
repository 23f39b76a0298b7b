//! The URLs this crate builds, checked without a server: the local one accepts expired and
//! tampered URLs, so expiry, signed headers and host are proven here, and the signature is
//! recomputed independently (SigV4, query form) to show that changing what it covers breaks it.

use super::*;
use aws_sdk_s3::config::BehaviorVersion;
use aws_sdk_s3::config::{Credentials, Region, SharedCredentialsProvider};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const REGION: &str = "eu-central-1";
const BUCKET: &str = "incident-desk-attachments";

fn objects(endpoint: Option<&str>, session_token: Option<&str>) -> Objects {
    let credentials = Credentials::new(
        ACCESS_KEY,
        SECRET_KEY,
        session_token.map(str::to_string),
        None,
        "test",
    );
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(credentials));
    if let Some(e) = endpoint {
        config = config.endpoint_url(e);
    }
    let config = config.build();
    Objects::new(
        Client::from_conf(s3_config(&config, endpoint.is_some())),
        BUCKET,
    )
}

/// 2026-12-01T12:00:00Z
fn signed_at() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_126_400)
}

struct Url {
    scheme: String,
    host: String,
    path: String,
    query: BTreeMap<String, String>,
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
            out.push(u8::from_str_radix(hex, 16).expect("a percent escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

/// AWS's URI encoding: everything but unreserved characters (and `/` in a path) escaped.
fn encode(s: &str, keep_slash: bool) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn parse(url: &str) -> Url {
    let (scheme, rest) = url.split_once("://").expect("absolute URL");
    let (authority, rest) = rest.split_once('/').expect("a path");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    Url {
        scheme: scheme.to_string(),
        host: authority.to_string(),
        path: decode(&format!("/{path}")),
        query,
    }
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signature S3 would expect for this request: `headers` are what the caller sends.
fn expected_signature(method: &str, url: &Url, headers: &BTreeMap<String, String>) -> String {
    let signed: Vec<&str> = url.query["X-Amz-SignedHeaders"].split(';').collect();
    let canonical_query: Vec<String> = url
        .query
        .iter()
        .filter(|(k, _)| k.as_str() != "X-Amz-Signature")
        .map(|(k, v)| format!("{}={}", encode(k, false), encode(v, false)))
        .collect();
    let canonical_headers: String = signed
        .iter()
        .map(|h| {
            let value = headers
                .get(*h)
                .unwrap_or_else(|| panic!("signed header {h} is not sent"));
            format!("{h}:{}\n", value.trim())
        })
        .collect();
    let canonical_request = format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{}\nUNSIGNED-PAYLOAD",
        encode(&url.path, true),
        canonical_query.join("&"),
        signed.join(";")
    );
    let credential = &url.query["X-Amz-Credential"];
    let scope = credential.split_once('/').expect("key/scope").1;
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        url.query["X-Amz-Date"],
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let parts: Vec<&str> = scope.split('/').collect();
    let mut key = hmac(format!("AWS4{SECRET_KEY}").as_bytes(), parts[0]);
    for part in &parts[1..] {
        key = hmac(&key, part);
    }
    hex(&hmac(&key, &string_to_sign))
}

/// Host plus the headers the presigned request says to send.
fn sent_headers(url: &Url, upload: &PresignedUpload) -> BTreeMap<String, String> {
    let mut headers: BTreeMap<String, String> = upload
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    headers.insert("host".into(), url.host.clone());
    headers
}

async fn upload(o: &Objects) -> PresignedUpload {
    o.presign_upload(
        "attachments/pending/inc_1/att_2",
        "text/plain",
        5_242_880,
        signed_at(),
        Duration::from_secs(900),
    )
    .await
    .expect("presigned")
}

#[tokio::test]
async fn an_upload_url_signs_content_type_length_and_host_for_fifteen_minutes() {
    let o = objects(None, None);
    let up = upload(&o).await;
    assert_eq!(up.method, "PUT");
    let url = parse(&up.url);
    assert_eq!(url.scheme, "https");
    assert_eq!(url.host, format!("{BUCKET}.s3.{REGION}.amazonaws.com"));
    assert_eq!(url.path, "/attachments/pending/inc_1/att_2");
    assert_eq!(url.query["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
    assert_eq!(url.query["X-Amz-Expires"], "900");
    assert_eq!(url.query["X-Amz-Date"], "20261201T120000Z");
    assert_eq!(
        url.query["X-Amz-Credential"],
        format!("{ACCESS_KEY}/20261201/{REGION}/s3/aws4_request")
    );
    assert_eq!(
        url.query["X-Amz-SignedHeaders"],
        "content-length;content-type;host"
    );
    let headers = sent_headers(&url, &up);
    assert_eq!(headers["content-type"], "text/plain");
    assert_eq!(headers["content-length"], "5242880");
    // No checksum of an empty body baked in: S3 would refuse the real file against it.
    assert!(
        !url.query
            .keys()
            .any(|k| k.to_ascii_lowercase().contains("checksum"))
            && !headers.keys().any(|k| k.contains("checksum")),
        "{}",
        up.url
    );
    assert_eq!(
        expected_signature("PUT", &url, &headers),
        url.query["X-Amz-Signature"]
    );
}

#[tokio::test]
async fn changing_what_an_upload_url_signs_breaks_its_signature() {
    let o = objects(None, None);
    let up = upload(&o).await;
    let url = parse(&up.url);
    let headers = sent_headers(&url, &up);
    let signature = &url.query["X-Amz-Signature"];
    for (name, value) in [
        ("content-type", "text/html"),
        ("content-length", "52428800"),
        ("host", "other-bucket.s3.eu-central-1.amazonaws.com"),
    ] {
        let mut tampered = headers.clone();
        tampered.insert(name.into(), value.into());
        assert_ne!(
            &expected_signature("PUT", &url, &tampered),
            signature,
            "{name}"
        );
    }
    let mut later = parse(&up.url);
    later.query.insert("X-Amz-Expires".into(), "604800".into());
    assert_ne!(&expected_signature("PUT", &later, &headers), signature);
    let mut elsewhere = parse(&up.url);
    elsewhere.path = "/attachments/uploaded/inc_1/att_2".into();
    assert_ne!(&expected_signature("PUT", &elsewhere, &headers), signature);
    assert_ne!(&expected_signature("GET", &url, &headers), signature);
}

#[tokio::test]
async fn locally_the_url_is_path_style_on_the_configured_endpoint() {
    let o = objects(Some("http://127.0.0.1:4566"), None);
    let up = upload(&o).await;
    let url = parse(&up.url);
    assert_eq!(url.scheme, "http");
    assert_eq!(url.host, "127.0.0.1:4566");
    assert_eq!(
        url.path,
        format!("/{BUCKET}/attachments/pending/inc_1/att_2")
    );
    let headers = sent_headers(&url, &up);
    assert_eq!(
        expected_signature("PUT", &url, &headers),
        url.query["X-Amz-Signature"]
    );
}

#[tokio::test]
async fn a_session_token_is_carried_and_signed() {
    let o = objects(None, Some("session-token/with+chars"));
    let up = upload(&o).await;
    let url = parse(&up.url);
    assert_eq!(
        url.query["X-Amz-Security-Token"],
        "session-token/with+chars"
    );
    let headers = sent_headers(&url, &up);
    let signature = expected_signature("PUT", &url, &headers);
    assert_eq!(signature, url.query["X-Amz-Signature"]);
    let mut other = parse(&up.url);
    other
        .query
        .insert("X-Amz-Security-Token".into(), "another".into());
    assert_ne!(expected_signature("PUT", &other, &headers), signature);
}

#[tokio::test]
async fn a_download_url_is_valid_five_minutes_and_signs_its_disposition() {
    let o = objects(None, None);
    let disposition = "attachment; filename=\"server.log\"; filename*=UTF-8''server.log";
    let raw = o
        .presign_download(
            "attachments/uploaded/inc_1/att_2",
            disposition,
            "text/plain",
            signed_at(),
            Duration::from_secs(300),
        )
        .await
        .expect("presigned");
    let url = parse(&raw);
    assert_eq!(url.host, format!("{BUCKET}.s3.{REGION}.amazonaws.com"));
    assert_eq!(url.path, "/attachments/uploaded/inc_1/att_2");
    assert_eq!(url.query["X-Amz-Expires"], "300");
    assert_eq!(url.query["X-Amz-SignedHeaders"], "host");
    assert_eq!(url.query["response-content-disposition"], disposition);
    assert_eq!(url.query["response-content-type"], "text/plain");
    let headers = BTreeMap::from([("host".to_string(), url.host.clone())]);
    let signature = expected_signature("GET", &url, &headers);
    assert_eq!(signature, url.query["X-Amz-Signature"]);
    let mut inline = parse(&raw);
    inline
        .query
        .insert("response-content-disposition".into(), "inline".into());
    assert_ne!(expected_signature("GET", &inline, &headers), signature);
}

#[test]
fn presigning_refuses_a_validity_over_a_week() {
    assert!(presigning(signed_at(), Duration::from_secs(7 * 24 * 3600 + 1)).is_err());
}
