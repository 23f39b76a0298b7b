//! One request as the handlers see it: who is calling, when (the clock is read once), the path
//! parameters, the query, and a JSON body read under the size limit.

use crate::cursor::{Binding, CursorKey};
use crate::problem::{ApiError, Cause};
use domain::time::Instant;
use domain::validation::FieldError;
use domain::Actor;
use lambda_http::http::{header, HeaderMap, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct Ctx {
    pub actor: Actor,
    pub now: Instant,
    pub request_id: String,
    pub method: String,
    pub path: String,
    pub params: HashMap<String, String>,
    pub query: HashMap<String, String>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Seals and opens this request's list cursors (`CURSOR_KEY`).
    pub cursors: &'static CursorKey,
}

impl Ctx {
    pub fn param(&self, name: &str) -> &str {
        self.params
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The path's `{incident_id}`: the incident the route is about.
    pub fn incident_id(&self) -> domain::IncidentId {
        self.param("incident_id").into()
    }

    /// The path's `{pack_id}`: the pack the route is about.
    pub fn pack_id(&self) -> domain::PackId {
        self.param("pack_id").into()
    }

    /// The path's `{account_id}`: the account a staff route decides about (never the caller's
    /// own identity, which is `Actor::account_id`).
    pub fn account_id(&self) -> domain::AccountId {
        self.param("account_id").into()
    }

    /// The path's `{proposal_id}`: a sub-problem proposal of the route's incident.
    pub fn proposal_id(&self) -> domain::ProposalId {
        self.param("proposal_id").into()
    }

    /// The path's `{attachment_id}`: an attachment of the route's incident.
    pub fn attachment_id(&self) -> domain::AttachmentId {
        self.param("attachment_id").into()
    }

    /// The path's `{claim_id}`: a claim on a pack.
    pub fn claim_id(&self) -> domain::ClaimId {
        self.param("claim_id").into()
    }

    /// The path's `{export_id}`: one of the caller's data exports.
    pub fn export_id(&self) -> domain::ExportId {
        self.param("export_id").into()
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// The body as JSON. Missing, non-JSON content types and malformed JSON are `400`.
    pub fn json(&self) -> Result<Value, ApiError> {
        if let Some(ct) = self.headers.get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
            let essence = ct.split(';').next().unwrap_or_default().trim();
            if !(essence == "application/json" || essence.ends_with("+json")) {
                return Err(ApiError::invalid_field(
                    "Content-Type",
                    "must be application/json",
                ));
            }
        }
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid_field("body", "a JSON object is required"));
        }
        crate::json::parse_strict(&self.body).map_err(|e| match e {
            crate::json::BodyError::Duplicate { path } => ApiError::invalid_field(
                &path,
                "is given more than once in the same object; give each member once",
            ),
            crate::json::BodyError::Syntax { line, column } => ApiError::invalid_field(
                "body",
                &format!("is not valid JSON (line {line}, column {column})"),
            ),
        })
    }

    /// Reads the body with a use case's own shape check, which names every bad field.
    pub fn read<T>(
        &self,
        parse: impl FnOnce(&Value) -> Result<T, Vec<FieldError>>,
    ) -> Result<T, ApiError> {
        let body = self.json()?;
        parse(&body).map_err(ApiError::invalid)
    }

    /// `Idempotency-Key`: required, 1–128 printable ASCII characters.
    pub fn idempotency_key(&self) -> Result<String, ApiError> {
        let Some(raw) = self.headers.get("idempotency-key") else {
            return Err(ApiError::invalid_field(
                "Idempotency-Key",
                "header is required",
            ));
        };
        let key = raw.to_str().unwrap_or_default();
        let printable =
            !key.is_empty() && key.len() <= 128 && key.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if !printable || raw.as_bytes().len() != key.len() {
            return Err(ApiError::invalid_field(
                "Idempotency-Key",
                "must be 1 to 128 printable ASCII characters",
            ));
        }
        Ok(key.to_string())
    }

    /// What makes two requests "the same" for idempotency: route and the canonical JSON body
    /// (object keys sorted), so whitespace and key order do not matter.
    pub fn fingerprint(&self, body: &Value) -> String {
        let mut h = Sha256::new();
        h.update(self.method.as_bytes());
        h.update(b" ");
        h.update(self.path.as_bytes());
        h.update(b"\n");
        h.update(body.to_string().as_bytes());
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `?limit=` (1–100, default 25) and `?cursor=`.
    pub fn page(&self) -> Result<domain::paging::Page, ApiError> {
        let limit = match self.query("limit") {
            None => 25,
            Some(s) => match s.parse::<i32>() {
                Ok(n) if (1..=100).contains(&n) => n,
                _ => {
                    return Err(ApiError::invalid_field(
                        "limit",
                        "must be a whole number from 1 to 100",
                    ))
                }
            },
        };
        // An empty `?cursor=` is the first page, as if absent.
        let cursor = match self.query("cursor").filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(self.cursors.open(&self.list_binding(), c).ok_or_else(|| {
                ApiError::invalid_field("cursor", "is not a cursor this list handed out")
            })?),
        };
        Ok(domain::paging::Page { limit, cursor })
    }

    /// What this request's list cursors are bound to: route, caller and filters.
    fn list_binding(&self) -> Binding<'_> {
        Binding {
            method: &self.method,
            path: &self.path,
            caller: &self.actor.account_id,
            filters: self
                .query
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        }
    }

    /// The client's cursor for a store position of this request's own list.
    pub fn seal_cursor(&self, position: Option<String>) -> Option<String> {
        position.and_then(|p| self.cursors.seal(&self.list_binding(), &p))
    }

    /// A cursor for another list (e.g. `timeline_next_cursor` continues
    /// `GET /incidents/{id}/timeline`), bound to that route, its filters and this caller.
    pub fn seal_cursor_for(
        &self,
        path: &str,
        filters: &[(&str, &str)],
        position: Option<String>,
    ) -> Option<String> {
        let binding = Binding {
            method: "GET",
            path,
            caller: &self.actor.account_id,
            filters: filters.to_vec(),
        };
        position.and_then(|p| self.cursors.seal(&binding, &p))
    }
}

/// A successful answer: status, JSON body, extra headers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub replayed: bool,
}

impl Reply {
    pub fn ok(body: impl Serialize) -> Result<Reply, ApiError> {
        Self::with_status(StatusCode::OK, body)
    }

    pub fn created(body: impl Serialize) -> Result<Reply, ApiError> {
        Self::with_status(StatusCode::CREATED, body)
    }

    pub fn with_status(status: StatusCode, body: impl Serialize) -> Result<Reply, ApiError> {
        let body = serde_json::to_value(body)
            .map_err(|e| ApiError::Internal(Cause::context("serialising a reply", e)))?;
        Ok(Reply {
            status,
            body,
            replayed: false,
        })
    }

    /// A stored answer to an earlier request with the same `Idempotency-Key`.
    pub fn replay(status: u16, body: Value) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            body,
            replayed: true,
        }
    }

    /// A list page in the API's shape; `next` is the store's position, sealed here for the
    /// request's route and caller.
    pub fn page<T: Serialize>(
        ctx: &Ctx,
        items: Vec<T>,
        next: Option<String>,
    ) -> Result<Reply, ApiError> {
        let next_cursor = ctx.seal_cursor(next);
        Self::ok(serde_json::json!({ "items": items, "next_cursor": next_cursor }))
    }

    pub fn into_response(self) -> Response<Body> {
        let mut response = Response::new(Body::Text(self.body.to_string()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.replayed {
            headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
        }
        response
    }
}
