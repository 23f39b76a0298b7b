//! The SDK configuration every AWS adapter starts from (`store`, `objects`, `email`, `pager`,
//! the Stripe secret's read), built from the environment by hand, without aws-config and its
//! provider chain.
//!
//! What it reads ([`Aws::from_env`]):
//! - the region: `AWS_REGION`, else `AWS_DEFAULT_REGION`;
//! - static credentials: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and, if set,
//!   `AWS_SESSION_TOKEN`. A missing region or key is an init error naming the variable;
//! - endpoint overrides (the local servers): `AWS_ENDPOINT_URL_<SERVICE>` for the service (see
//!   [`Service`]), else the global `AWS_ENDPOINT_URL`, neither if
//!   `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`. Each adapter applies its own with
//!   [`Aws::endpoint_url`] on its client's config builder (`.endpoint_url(..)`), the precedence
//!   the SDK itself gives them.
//!
//! On Lambda this is the whole story: the runtime puts the execution role's temporary
//! credentials in exactly those three variables, with `AWS_REGION`, before the process starts,
//! and they stay valid for the execution environment's lifetime (Lambda refreshes the role
//! session well before a sandbox could outlive it), so nothing has to be fetched or refreshed.
//! Every other credential source — shared config/credentials profiles, SSO, web identity,
//! the container and EC2 instance metadata endpoints (IMDS), `credential_process` — is
//! deliberately unsupported in the functions: it is what pulled aws-config (and with it the STS
//! client, the query protocol, the profile parser and IMDS) into every zip and onto the cold
//! start. Also not read: profile files' settings, `AWS_MAX_ATTEMPTS`/`AWS_RETRY_MODE`,
//! `AWS_USE_FIPS_ENDPOINT`, `AWS_USE_DUALSTACK_ENDPOINT`, `AWS_SDK_UA_APP_ID`, `AWS_ACCOUNT_ID`
//! (none of which the template sets). A local run or a tool passes keys in the same variables
//! (`scripts/stack.sh` gives dummy ones for the local servers).
//!
//! Defaults every client gets, as aws-config gave them: `BehaviorVersion::latest()`, standard
//! retries (3 attempts), a 3.1 s connect timeout (an adapter's own [`TimeoutConfig`] replaces
//! it: set the connect timeout there too), tokio's sleep and the system clock.
//!
//! The HTTP client: one per process ([`https`]: hyper-util's HTTP/1.1 client), rustls on *ring*
//! (the crypto the Stripe client already links, so no second TLS stack), trusting only the
//! certificate authorities AWS service endpoints chain to. Nothing reads the system certificate
//! store, so a cold start does not parse its ~300 files before the first connection.
//!
//! The roots, bundled from Mozilla's store (Debian `ca-certificates`): Amazon Root CA 1–4 and
//! Starfield Services Root CA G2 (Amazon Trust Services, which issues the certificates of the
//! service endpoints), and DigiCert Global Root CA and G2 (endpoints still on DigiCert chains).
//! Plain-HTTP endpoints (the local server) need none of it.

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_async::time::SystemTimeSource;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_types::region::Region;
use aws_types::sdk_config::{self, SharedHttpClient};
use std::sync::OnceLock;
use std::time::Duration;

mod https;

pub use aws_types::sdk_config::{RetryConfig, TimeoutConfig};
pub use aws_types::SdkConfig;

/// The bundled roots, PEM.
pub const ROOTS: [(&str, &str); 7] = [
    (
        "Amazon Root CA 1",
        include_str!("roots/amazon_root_ca_1.pem"),
    ),
    (
        "Amazon Root CA 2",
        include_str!("roots/amazon_root_ca_2.pem"),
    ),
    (
        "Amazon Root CA 3",
        include_str!("roots/amazon_root_ca_3.pem"),
    ),
    (
        "Amazon Root CA 4",
        include_str!("roots/amazon_root_ca_4.pem"),
    ),
    (
        "Starfield Services Root CA G2",
        include_str!("roots/starfield_services_root_g2.pem"),
    ),
    (
        "DigiCert Global Root CA",
        include_str!("roots/digicert_global_root_ca.pem"),
    ),
    (
        "DigiCert Global Root G2",
        include_str!("roots/digicert_global_root_g2.pem"),
    ),
];

/// The process's one HTTP client for the AWS SDKs (connections pooled across clients): see
/// [`https`].
pub fn http_client() -> SharedHttpClient {
    static CLIENT: OnceLock<SharedHttpClient> = OnceLock::new();
    CLIENT
        .get_or_init(|| SharedHttpClient::new(https::AwsHttps::new()))
        .clone()
}

/// The connect timeout aws-config's defaults gave every client.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// A service whose endpoint can be overridden from the environment: its SDK id, as the SDK
/// forms `AWS_ENDPOINT_URL_<ID>` from it (upper case, spaces as `_`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    DynamoDb,
    S3,
    SesV2,
    Sns,
    SecretsManager,
}

impl Service {
    /// The service-specific endpoint variable, e.g. `AWS_ENDPOINT_URL_DYNAMODB`.
    pub fn endpoint_variable(self) -> &'static str {
        match self {
            Service::DynamoDb => "AWS_ENDPOINT_URL_DYNAMODB",
            Service::S3 => "AWS_ENDPOINT_URL_S3",
            Service::SesV2 => "AWS_ENDPOINT_URL_SESV2",
            Service::Sns => "AWS_ENDPOINT_URL_SNS",
            Service::SecretsManager => "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        }
    }

    const ALL: [Service; 5] = [
        Service::DynamoDb,
        Service::S3,
        Service::SesV2,
        Service::Sns,
        Service::SecretsManager,
    ];
}

/// The environment is missing what the SDK clients need.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    #[error("environment variable AWS_REGION (or AWS_DEFAULT_REGION) is not set")]
    MissingRegion,
    #[error(
        "environment variable {0} is not set (the functions read static credentials only: \
         the Lambda role's variables, or keys passed the same way)"
    )]
    MissingCredentials(&'static str),
}

/// What the environment says about AWS: region, static credentials, endpoint overrides.
#[derive(Clone)]
pub struct Aws {
    region: String,
    credentials: Credentials,
    global_endpoint: Option<String>,
    endpoints: Vec<(Service, String)>,
}

impl std::fmt::Debug for Aws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials' own Debug redacts the secret and the token.
        f.debug_struct("Aws")
            .field("region", &self.region)
            .field("credentials", &self.credentials)
            .field("global_endpoint", &self.global_endpoint)
            .field("endpoints", &self.endpoints)
            .finish()
    }
}

impl Aws {
    /// Reads the process environment (see the crate documentation).
    pub fn from_env() -> Result<Aws, EnvError> {
        Aws::from_lookup(|name| std::env::var(name).ok())
    }

    /// `lookup` reads a variable; an unset, empty or blank one counts as not set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Aws, EnvError> {
        let var = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .ok_or(EnvError::MissingRegion)?;
        let access_key =
            var("AWS_ACCESS_KEY_ID").ok_or(EnvError::MissingCredentials("AWS_ACCESS_KEY_ID"))?;
        let secret_key = var("AWS_SECRET_ACCESS_KEY")
            .ok_or(EnvError::MissingCredentials("AWS_SECRET_ACCESS_KEY"))?;
        let credentials = Credentials::new(
            access_key,
            secret_key,
            var("AWS_SESSION_TOKEN"),
            None,
            "Environment",
        );
        let ignore = var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let (global_endpoint, endpoints) = if ignore {
            (None, Vec::new())
        } else {
            (
                var("AWS_ENDPOINT_URL"),
                Service::ALL
                    .iter()
                    .filter_map(|&s| var(s.endpoint_variable()).map(|url| (s, url)))
                    .collect(),
            )
        };
        Ok(Aws {
            region,
            credentials,
            global_endpoint,
            endpoints,
        })
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The endpoint override for `service`: its own variable over the global one; `None`
    /// means the SDK's regional endpoint.
    pub fn endpoint_url(&self, service: Service) -> Option<&str> {
        self.endpoints
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, url)| url.as_str())
            .or(self.global_endpoint.as_deref())
    }

    /// The configuration every client shares (no endpoint: see [`Aws::endpoint_url`]): region,
    /// the static credentials, the shared HTTPS client and the defaults of the crate
    /// documentation. Adapters add their own timeouts and retries, then `build()`.
    pub fn sdk_config(&self) -> sdk_config::Builder {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .credentials_provider(SharedCredentialsProvider::new(self.credentials.clone()))
            .http_client(http_client())
            .sleep_impl(TokioSleep::new())
            .time_source(SystemTimeSource::new())
            .retry_config(RetryConfig::standard())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
                    .build(),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        let pairs = pairs.to_vec();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    const BASE: [(&str, &str); 3] = [
        ("AWS_REGION", "eu-central-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut pairs = extra.to_vec();
        pairs.extend(BASE);
        pairs
    }

    #[test]
    fn region_comes_from_aws_region_then_aws_default_region() {
        let aws = Aws::from_lookup(lookup(&BASE)).expect("ok");
        assert_eq!(aws.region(), "eu-central-1");
        let aws = Aws::from_lookup(lookup(&[
            ("AWS_DEFAULT_REGION", "us-west-2"),
            ("AWS_ACCESS_KEY_ID", "a"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ]))
        .expect("ok");
        assert_eq!(aws.region(), "us-west-2");
        let aws =
            Aws::from_lookup(lookup(&with(&[("AWS_DEFAULT_REGION", "us-west-2")]))).expect("ok");
        assert_eq!(aws.region(), "eu-central-1", "AWS_REGION wins");
    }

    #[test]
    fn a_missing_region_is_named() {
        for pairs in [
            &BASE[1..],
            &[
                ("AWS_REGION", " "),
                ("AWS_ACCESS_KEY_ID", "a"),
                ("AWS_SECRET_ACCESS_KEY", "s"),
            ][..],
        ] {
            let e = Aws::from_lookup(lookup(pairs)).expect_err("no region");
            assert_eq!(e, EnvError::MissingRegion);
            assert!(e.to_string().contains("AWS_REGION"), "{e}");
        }
    }

    #[test]
    fn missing_credentials_are_named() {
        for (missing, name) in [(1, "AWS_ACCESS_KEY_ID"), (2, "AWS_SECRET_ACCESS_KEY")] {
            let pairs: Vec<_> = BASE
                .iter()
                .enumerate()
                .map(|(i, &(k, v))| if i == missing { (k, "") } else { (k, v) })
                .collect();
            let e = Aws::from_lookup(lookup(&pairs)).expect_err(name);
            assert_eq!(e, EnvError::MissingCredentials(name));
            assert!(e.to_string().contains(name), "{e}");
            let absent: Vec<_> = BASE.iter().copied().filter(|&(k, _)| k != name).collect();
            let e = Aws::from_lookup(lookup(&absent)).expect_err(name);
            assert_eq!(e, EnvError::MissingCredentials(name));
        }
    }

    #[test]
    fn the_session_token_is_optional() {
        let aws = Aws::from_lookup(lookup(&BASE)).expect("ok");
        assert_eq!(aws.credentials().access_key_id(), "AKIDEXAMPLE");
        assert_eq!(aws.credentials().secret_access_key(), "secret");
        assert_eq!(aws.credentials().session_token(), None);
        let aws = Aws::from_lookup(lookup(&with(&[("AWS_SESSION_TOKEN", "token")]))).expect("ok");
        assert_eq!(aws.credentials().session_token(), Some("token"));
        let aws = Aws::from_lookup(lookup(&with(&[("AWS_SESSION_TOKEN", "")]))).expect("ok");
        assert_eq!(aws.credentials().session_token(), None);
    }

    #[test]
    fn the_service_endpoint_wins_over_the_global_one() {
        let aws = Aws::from_lookup(lookup(&with(&[
            ("AWS_ENDPOINT_URL", "http://global:1"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://dynamodb:2"),
            ("AWS_ENDPOINT_URL_SESV2", "http://ses:3"),
        ])))
        .expect("ok");
        assert_eq!(
            aws.endpoint_url(Service::DynamoDb),
            Some("http://dynamodb:2")
        );
        assert_eq!(aws.endpoint_url(Service::SesV2), Some("http://ses:3"));
        assert_eq!(aws.endpoint_url(Service::S3), Some("http://global:1"));
        assert_eq!(aws.endpoint_url(Service::Sns), Some("http://global:1"));
        let aws =
            Aws::from_lookup(lookup(&with(&[("AWS_ENDPOINT_URL_S3", "http://s3:4")]))).expect("ok");
        assert_eq!(aws.endpoint_url(Service::S3), Some("http://s3:4"));
        assert_eq!(aws.endpoint_url(Service::DynamoDb), None);
        let aws = Aws::from_lookup(lookup(&BASE)).expect("ok");
        assert_eq!(aws.endpoint_url(Service::SecretsManager), None);
    }

    #[test]
    fn configured_endpoints_can_be_ignored() {
        let aws = Aws::from_lookup(lookup(&with(&[
            ("AWS_ENDPOINT_URL", "http://global:1"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://dynamodb:2"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"),
        ])))
        .expect("ok");
        assert_eq!(aws.endpoint_url(Service::DynamoDb), None);
        assert_eq!(aws.endpoint_url(Service::S3), None);
    }

    #[test]
    fn the_variable_names_are_the_sdks() {
        // `AWS_ENDPOINT_URL_` + the SDK id, upper case, spaces as `_`.
        for (service, id) in [
            (Service::DynamoDb, "DynamoDB"),
            (Service::S3, "S3"),
            (Service::SesV2, "SESv2"),
            (Service::Sns, "SNS"),
            (Service::SecretsManager, "Secrets Manager"),
        ] {
            let expected = format!("AWS_ENDPOINT_URL_{}", id.to_uppercase().replace(' ', "_"));
            assert_eq!(service.endpoint_variable(), expected);
        }
    }

    #[test]
    fn the_shared_config_has_region_credentials_and_the_defaults() {
        let aws = Aws::from_lookup(lookup(&BASE)).expect("ok");
        let config = aws.sdk_config().build();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-central-1"));
        assert!(config.credentials_provider().is_some());
        assert!(config.http_client().is_some());
        assert!(config.sleep_impl().is_some());
        assert!(config.time_source().is_some());
        assert_eq!(config.endpoint_url(), None);
        assert_eq!(config.retry_config().map(|r| r.max_attempts()), Some(3));
        assert_eq!(
            config.timeout_config().and_then(|t| t.connect_timeout()),
            Some(DEFAULT_CONNECT_TIMEOUT)
        );
        let debug = format!("{aws:?}");
        assert!(!debug.contains("secret\""), "{debug}");
    }

    #[test]
    fn every_bundled_root_is_one_pem_certificate() {
        for (name, pem) in ROOTS {
            assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{name}");
            assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 1, "{name}");
            assert!(
                pem.trim_end().ends_with("-----END CERTIFICATE-----"),
                "{name}"
            );
        }
    }
}
