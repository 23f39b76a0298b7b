//! ID tokens as the local OpenID Connect provider issues them (RS256, Cognito's claims), signed
//! with the provider's own key: `make test` and `make dev` write its private JWK set to
//! `OIDC_KEY_FILE` (never into the repository), so tests and scripts mint tokens for accounts of
//! their own that the local gateway accepts exactly as it accepts the provider's.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::rsa::{KeyPairComponents, PublicKeyComponents};
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::{json, Value};

/// The console's app client id: the `aud` of every ID token (API.md, Identity).
pub const AUDIENCE: &str = "incident-desk-console";

pub struct Signer {
    kid: String,
    key: RsaKeyPair,
    pub issuer: String,
}

fn part(jwk: &Value, name: &str) -> Result<Vec<u8>, String> {
    let text = jwk[name]
        .as_str()
        .ok_or_else(|| format!("the signing key has no `{name}`"))?;
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| format!("the signing key's `{name}`: {e}"))
}

impl Signer {
    /// The key of `OIDC_KEY_FILE`, the issuer `OIDC_ISSUER` (both exported by the local stack).
    pub fn from_env() -> Result<Signer, String> {
        let file = std::env::var("OIDC_KEY_FILE").map_err(|_| "OIDC_KEY_FILE is not set")?;
        let issuer = std::env::var("OIDC_ISSUER").map_err(|_| "OIDC_ISSUER is not set")?;
        Signer::from_file(&file, &issuer)
    }

    /// The first RSA key of a private JWK set.
    pub fn from_file(path: &str, issuer: &str) -> Result<Signer, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let set: Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        let jwk = set["keys"]
            .as_array()
            .and_then(|k| k.iter().find(|k| k["kty"] == "RSA"))
            .ok_or_else(|| format!("{path}: no RSA key in the set"))?;
        let kid = jwk["kid"]
            .as_str()
            .ok_or_else(|| format!("{path}: the key has no kid"))?
            .to_string();
        let components = KeyPairComponents {
            public_key: PublicKeyComponents {
                n: part(jwk, "n")?,
                e: part(jwk, "e")?,
            },
            d: part(jwk, "d")?,
            p: part(jwk, "p")?,
            q: part(jwk, "q")?,
            dP: part(jwk, "dp")?,
            dQ: part(jwk, "dq")?,
            qInv: part(jwk, "qi")?,
        };
        let key = RsaKeyPair::from_components(&components)
            .map_err(|e| format!("{path}: not a usable RSA key: {e}"))?;
        Ok(Signer {
            kid,
            key,
            issuer: issuer.trim_end_matches('/').to_string(),
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The claims of an ID token the provider would issue now, valid `ttl_secs`.
    pub fn id_claims(
        &self,
        sub: &str,
        email: Option<&str>,
        groups: &[&str],
        ttl_secs: i64,
    ) -> Value {
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({
            "sub": sub, "cognito:groups": groups, "token_use": "id", "aud": AUDIENCE,
            "iss": self.issuer, "iat": now, "auth_time": now, "exp": now + ttl_secs,
        });
        if let Some(email) = email {
            claims["email"] = json!(email);
            claims["email_verified"] = json!(true);
        }
        claims
    }

    /// An ID token for `sub`, valid one hour.
    pub fn id_token(&self, sub: &str, email: Option<&str>, groups: &[&str]) -> String {
        self.sign(&self.id_claims(sub, email, groups, 3600))
    }

    /// `claims` signed RS256 with the provider's key and kid.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(
            &json!({"alg": "RS256", "typ": "JWT", "kid": self.kid}),
            claims,
        )
    }

    /// `claims` under any `header`, signed RS256 with the provider's key (the header's `alg` and
    /// `kid` are whatever it says: tests of what the gateway refuses).
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .expect("RS256 signing");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}
