//! The request pipeline every HTTP function runs: authenticate, enforce the body limit, route,
//! call the handler, turn any error into problem+json, log one line. A function adds a route by
//! writing a handler and listing it; nothing else in the plumbing changes.

use crate::cursor::CursorKey;
use crate::problem::ApiError;
use crate::request::{Ctx, MAX_BODY_BYTES};
use chrono::{SubsecRound, Utc};
use domain::{AccountId, Actor};
use lambda_http::request::RequestContext;
use lambda_http::{service_fn, Body, Request, RequestExt, Response};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<crate::Reply, ApiError>> + Send>>;

/// One line of a function's routing table. `pattern` uses `{name}` for path parameters.
pub struct Route<A: 'static> {
    pub method: &'static str,
    pub pattern: &'static str,
    /// Who may call it: the one place a route's role is checked, before its handler runs (so a
    /// caller without the group gets `403` whatever the body says).
    pub role: Role,
    pub handler: fn(&'static A, Ctx) -> HandlerFuture,
}

/// The group a route needs, beyond being signed in. Rules about who may act on which incident
/// (its owner, say) are the domain's (`domain::incident::authorize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Any signed-in account.
    SignedIn,
    /// Support engineers.
    Engineer,
    /// Support admins.
    Admin,
    /// Support engineers or support admins.
    Staff,
    /// Anyone, signed in or not: the request itself carries its authority (a rating link's
    /// token). In `infra/template.yaml` such a route says `Auth: Authorizer: NONE`; its handler
    /// sees the caller as `Actor::anonymous()` unless a valid identity came along.
    Public,
}

impl Role {
    pub fn admits(self, actor: &Actor) -> Result<(), ApiError> {
        let (allowed, group) = match self {
            Role::SignedIn | Role::Public => (true, ""),
            Role::Engineer => (actor.engineer, crate::identity::ENGINEERS_GROUP),
            Role::Admin => (actor.admin, crate::identity::ADMINS_GROUP),
            Role::Staff => (actor.is_staff(), "support-engineers or support-admins"),
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden(group))
        }
    }
}

/// Builds a routing table: `routes![App; "GET" "/products" => list_products, "GET" "/queue" as
/// Engineer => queue::list, …]` (`as Engineer`, `as Admin`, `as Staff`, `as Public`; none: any
/// signed-in account).
#[macro_export]
macro_rules! routes {
    (@role) => { $crate::Role::SignedIn };
    (@role $role:ident) => { $crate::Role::$role };
    ($app:ty; $($method:literal $pattern:literal $(as $role:ident)? => $handler:path),* $(,)?) => {
        vec![$($crate::Route::<$app> {
            method: $method,
            pattern: $pattern,
            role: $crate::routes!(@role $($role)?),
            handler: |app, ctx| Box::pin($handler(app, ctx)),
        }),*]
    };
}

/// Runs once per authenticated request, concurrently with its handler (e.g. keeping the
/// account's e-mail): the request waits for both, but not for one after the other. The handler
/// is polled first, so what it does before its first store call happens before the hook starts.
/// It cannot fail the request: what it does is best effort and logs its own failures.
pub type IdentityHook<A> =
    fn(&'static A, Actor, chrono::DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs the Lambda HTTP loop. `app` is built once at cold start and lives for the process; so
/// is the cursor key (`CURSOR_KEY`), whose absence fails initialisation naming it.
pub async fn serve<A: Sync + Send + 'static>(
    app: A,
    routes: Vec<Route<A>>,
) -> Result<(), lambda_http::Error> {
    serve_with(app, routes, None).await
}

/// `serve`, with a hook that sees every authenticated caller.
pub async fn serve_with<A: Sync + Send + 'static>(
    app: A,
    routes: Vec<Route<A>>,
    hook: Option<IdentityHook<A>>,
) -> Result<(), lambda_http::Error> {
    let cursors = CursorKey::from_env()?;
    let app: &'static A = Box::leak(Box::new(app));
    let cursors: &'static CursorKey = Box::leak(Box::new(cursors));
    let routes: &'static [Route<A>] = Vec::leak(routes);
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, Infallible>(handle_with(app, cursors, routes, hook, req).await)
    }))
    .await
}

/// Handles one request; never fails (every error becomes a response).
pub async fn handle<A: Sync + 'static>(
    app: &'static A,
    cursors: &'static CursorKey,
    routes: &'static [Route<A>],
    req: Request,
) -> Response<Body> {
    handle_with(app, cursors, routes, None, req).await
}

pub async fn handle_with<A: Sync + 'static>(
    app: &'static A,
    cursors: &'static CursorKey,
    routes: &'static [Route<A>],
    hook: Option<IdentityHook<A>>,
    req: Request,
) -> Response<Body> {
    let started = std::time::Instant::now();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    let outcome = dispatch(
        app,
        cursors,
        routes,
        hook,
        req,
        (&method, &path),
        request_id.clone(),
    )
    .await;
    let (response, account) = match outcome {
        Ok((reply, account)) => (reply.into_response(), account),
        Err((e, account)) => {
            if e.status().is_server_error() {
                tracing::error!(error = %e, code = e.code(), "request failed");
            }
            (e.into_response(), account)
        }
    };
    tracing::info!(
        request_id = %request_id,
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        account = account.as_deref().unwrap_or("-"),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

type Dispatched = Result<(crate::Reply, Option<AccountId>), (ApiError, Option<AccountId>)>;

#[allow(clippy::too_many_arguments)]
async fn dispatch<A: Sync + 'static>(
    app: &'static A,
    cursors: &'static CursorKey,
    routes: &'static [Route<A>],
    hook: Option<IdentityHook<A>>,
    req: Request,
    (method, path): (&str, &str),
    request_id: String,
) -> Dispatched {
    let now = Utc::now().trunc_subsecs(0);
    let found = find_route(routes, method, path);
    // A public route's path with a parameter too long to be one of its values (a forged rating
    // token) is still that route's: its anonymous caller gets the route's 404, not a 401.
    let public = match &found {
        Some((r, _)) => r.role == Role::Public,
        None => routes.iter().any(|r| {
            r.role == Role::Public
                && r.method.eq_ignore_ascii_case(method)
                && match_path_of_any_length(r.pattern, path)
        }),
    };
    let (actor, identified) = match authenticate(&req) {
        Ok(actor) => (actor, true),
        Err(_) if public => (Actor::anonymous(), false),
        Err(e) => return Err((e, None)),
    };
    // The identity hook runs beside the request, not before it (off its critical path); an
    // anonymous caller of a public route has no identity to remember.
    let hooked = async {
        if let (true, Some(hook)) = (identified, hook) {
            hook(app, actor.clone(), now).await;
        }
    };
    let handled = handle_authenticated(
        app,
        cursors,
        found,
        req,
        (method, path),
        request_id,
        now,
        actor.clone(),
    );
    let (outcome, ()) = tokio::join!(handled, hooked);
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn handle_authenticated<A: Sync + 'static>(
    app: &'static A,
    cursors: &'static CursorKey,
    found: Option<(&'static Route<A>, HashMap<String, String>)>,
    req: Request,
    (method, path): (&str, &str),
    request_id: String,
    now: chrono::DateTime<Utc>,
    actor: Actor,
) -> Dispatched {
    let account = Some(actor.account_id.clone());
    let fail = |e: ApiError| (e, account.clone());
    let body = match req.body() {
        Body::Empty => Vec::new(),
        Body::Text(t) => t.as_bytes().to_vec(),
        Body::Binary(b) => b.clone(),
        _ => Vec::new(),
    };
    if body.len() > MAX_BODY_BYTES {
        return Err(fail(ApiError::PayloadTooLarge));
    }
    let Some((route, params)) = found else {
        return Err(fail(ApiError::NotFound));
    };
    let query = req
        .query_string_parameters_ref()
        .map(|q| {
            q.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    route.role.admits(&actor).map_err(fail)?;
    let ctx = Ctx {
        actor,
        now,
        request_id,
        method: method.to_string(),
        path: path.to_string(),
        params,
        query,
        headers: req.headers().clone(),
        body,
        cursors,
    };
    (route.handler)(app, ctx)
        .await
        .map(|r| (r, account.clone()))
        .map_err(fail)
}

/// The caller, from the claims API Gateway's JWT authorizer verified and handed over (locally the
/// gateway in front of the functions does the same: infra/local/api_gateway.py). The function
/// verifies no token itself: a request without authorizer claims has no identity.
fn authenticate(req: &Request) -> Result<Actor, ApiError> {
    let claims = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims),
        _ => None,
    };
    claims
        .filter(|c| !c.is_empty())
        .and_then(crate::identity::from_authorizer_claims)
        .ok_or(ApiError::Unauthenticated)
}

fn find_route<A>(
    routes: &'static [Route<A>],
    method: &str,
    path: &str,
) -> Option<(&'static Route<A>, HashMap<String, String>)> {
    routes.iter().find_map(|r| {
        if !r.method.eq_ignore_ascii_case(method) {
            return None;
        }
        match_path(r.pattern, path).map(|p| (r, p))
    })
}

/// Matches `/incidents/{incident_id}` against a concrete path; parameters must be non-empty.
pub fn match_path(pattern: &str, path: &str) -> Option<HashMap<String, String>> {
    match_path_within(pattern, path, MAX_PARAM_CHARS)
}

/// A path parameter longer than this is no id the API issues: the path matches no route.
const MAX_PARAM_CHARS: usize = 200;

fn match_path_of_any_length(pattern: &str, path: &str) -> bool {
    match_path_within(pattern, path, usize::MAX).is_some()
}

fn match_path_within(
    pattern: &str,
    path: &str,
    max_param: usize,
) -> Option<HashMap<String, String>> {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let mut pat = pattern.split('/');
    let mut got = path.split('/');
    let mut params = HashMap::new();
    loop {
        match (pat.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(p), Some(g)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if g.is_empty() || g.len() > max_param {
                        return None;
                    }
                    params.insert(name.to_string(), g.to_string());
                } else if p != g {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_taken_from_their_segments() {
        let p = match_path(
            "/incidents/{incident_id}/sub-problems/{proposal_id}/decision",
            "/incidents/i1/sub-problems/p2/decision",
        )
        .expect("match");
        assert_eq!(p["incident_id"], "i1");
        assert_eq!(p["proposal_id"], "p2");
    }

    #[test]
    fn paths_of_another_length_or_literal_do_not_match() {
        assert!(match_path("/incidents/{id}", "/incidents").is_none());
        assert!(match_path("/incidents/{id}", "/incidents//").is_none());
        assert!(match_path("/packs", "/pack").is_none());
        assert!(match_path("/packs", "/packs/").is_some());
    }

    async fn whoami(_: &'static (), ctx: Ctx) -> Result<crate::Reply, ApiError> {
        crate::Reply::ok(serde_json::json!({"account_id": ctx.actor.account_id}))
    }

    /// Answers `GET /whoami` for an API Gateway (payload 2.0) event carrying `claims` as the
    /// JWT authorizer hands them over, or no authorizer at all, and a bearer token either way.
    async fn whoami_status(claims: Option<serde_json::Value>) -> (u16, String) {
        answer("GET", "/whoami", claims).await
    }

    async fn answer(method: &str, path: &str, claims: Option<serde_json::Value>) -> (u16, String) {
        let routes: &'static [Route<()>] = Vec::leak(crate::routes![();
            "GET" "/whoami" => whoami,
            "POST" "/ratings/{token}" as Public => whoami,
        ]);
        let cursors: &'static CursorKey = Box::leak(Box::new(
            CursorKey::from_secret("unit-test-cursor-key-0123456789abcdef").expect("key"),
        ));
        let key = format!("{method} {path}");
        let mut context = serde_json::json!({
            "accountId": "123456789012", "apiId": "local", "domainName": "localhost",
            "domainPrefix": "localhost", "requestId": "r1", "routeKey": key,
            "stage": "$default", "time": "07/Dec/2026:10:00:00 +0000", "timeEpoch": 1_796_637_600_000_i64,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "test"}
        });
        if let Some(claims) = claims {
            context["authorizer"] = serde_json::json!({"jwt": {"claims": claims, "scopes": null}});
        }
        let event = serde_json::json!({
            "version": "2.0", "routeKey": key, "rawPath": path, "rawQueryString": "",
            "headers": {"authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhY2N0LTEifQ.",
                        "host": "localhost"},
            "requestContext": context, "isBase64Encoded": false
        });
        let req = lambda_http::request::from_str(&event.to_string()).expect("event");
        let res = handle(&(), cursors, routes, req).await;
        let status = res.status().as_u16();
        let body = match res.into_body() {
            Body::Text(t) => t,
            Body::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
            _ => String::new(),
        };
        (status, body)
    }

    #[tokio::test]
    async fn the_authorizers_claims_are_the_identity() {
        let (status, body) = whoami_status(Some(serde_json::json!({
            "sub": "acct-1", "email": "a@example.com", "cognito:groups": "[support-engineers]"
        })))
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("acct-1"), "{body}");
    }

    /// A public route's parameter too long to be a value the API issued (a forged rating token):
    /// the anonymous caller gets the route's 404, not a 401; a short one reaches the handler.
    #[tokio::test]
    async fn a_public_routes_overlong_parameter_is_a_404_not_a_401() {
        let long = format!("/ratings/{}", "0".repeat(300));
        assert_eq!(answer("POST", &long, None).await.0, 404);
        assert_eq!(answer("POST", "/ratings/abc", None).await.0, 200);
        assert_eq!(answer("POST", "/nowhere/abc", None).await.0, 401);
    }

    /// No authorizer context (the request did not come through the JWT authorizer): a bearer
    /// token alone is never read, whatever it says.
    #[tokio::test]
    async fn a_bearer_token_without_authorizer_claims_is_refused() {
        assert_eq!(whoami_status(None).await.0, 401);
        assert_eq!(whoami_status(Some(serde_json::json!({}))).await.0, 401);
    }

    async fn slow_whoami(_: &'static (), ctx: Ctx) -> Result<crate::Reply, ApiError> {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        crate::Reply::ok(serde_json::json!({"account_id": ctx.actor.account_id}))
    }

    static HOOKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

    /// The identity hook runs beside the handler: a request whose handler and hook each wait
    /// 150 ms takes about 150 ms, not 300, and the hook has run when the answer is out.
    #[tokio::test]
    async fn the_identity_hook_runs_concurrently_with_the_handler() {
        let routes: &'static [Route<()>] =
            Vec::leak(crate::routes![(); "GET" "/whoami" => slow_whoami]);
        let cursors: &'static CursorKey = Box::leak(Box::new(
            CursorKey::from_secret("unit-test-cursor-key-0123456789abcdef").expect("key"),
        ));
        let event = serde_json::json!({
            "version": "2.0", "routeKey": "GET /whoami", "rawPath": "/whoami", "rawQueryString": "",
            "headers": {"host": "localhost"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "local", "domainName": "localhost",
                "domainPrefix": "localhost", "requestId": "r1", "routeKey": "GET /whoami",
                "stage": "$default", "time": "07/Dec/2026:10:00:00 +0000",
                "timeEpoch": 1_796_637_600_000_i64,
                "http": {"method": "GET", "path": "/whoami", "protocol": "HTTP/1.1",
                         "sourceIp": "127.0.0.1", "userAgent": "test"},
                "authorizer": {"jwt": {"claims": {"sub": "acct-1"}, "scopes": null}}
            },
            "isBase64Encoded": false
        });
        let req = lambda_http::request::from_str(&event.to_string()).expect("event");
        let hook: IdentityHook<()> = |_, _, _| {
            Box::pin(async {
                tokio::time::sleep(std::time::Duration::from_millis(150)).await;
                HOOKED.store(true, std::sync::atomic::Ordering::SeqCst);
            })
        };
        let started = std::time::Instant::now();
        let res = handle_with(&(), cursors, routes, Some(hook), req).await;
        let took = started.elapsed();
        assert_eq!(res.status().as_u16(), 200);
        assert!(
            HOOKED.load(std::sync::atomic::Ordering::SeqCst),
            "the hook ran"
        );
        assert!(
            took < std::time::Duration::from_millis(280),
            "handler and hook ran one after the other: {took:?}"
        );
    }
}
