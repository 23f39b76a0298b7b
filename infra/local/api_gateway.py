#!/usr/bin/env python3
"""API Gateway's part of the local stack, in front of `cargo lambda watch`.

  api_gateway.py PORT UPSTREAM ORIGINS

  PORT      where the API listens (127.0.0.1 only)
  UPSTREAM  `cargo lambda watch` (host:port): each request becomes an HTTP API payload 2.0 event
            sent to the watch's Lambda Invoke endpoint, as API Gateway invokes a function
  ORIGINS   the console origins CORS allows (comma-separated)
  env OIDC_ISSUER    the token issuer (the local OpenID Connect provider); its JWKS comes from
                     its discovery document, as the JWT authorizer's does
  env OIDC_AUDIENCE  the accepted audiences (comma-separated; default incident-desk-console)

What it does, as the deployed HTTP API does (infra/template.yaml, read with a YAML parser):
- routes: the functions' `HttpApi` events (method + path, `{param}` segments, and the `$default`
  route the template gives intake, behind the authorizer like every route); with no `$default`
  route, any other method or path answers `404 {"message":"Not Found"}` without invoking anything;
- the JWT authorizer (the API's DefaultAuthorizer; `Authorizer: NONE` routes skip it): RS256 only,
  a `kid` of the issuer's JWKS (never a key named by the token: `jku`, `x5u`, `jwk` are ignored),
  `iss`, `aud` (or `client_id` when `aud` is absent), `exp`, `nbf`, `iat`; a missing or refused
  token answers `401 {"message":"Unauthorized"}` without invoking the function; otherwise the
  function gets `requestContext.authorizer.jwt.claims` with every claim a string and an array as
  `"[a b]"`, exactly as API Gateway hands them over;
- CORS for the console's origin as the template's CorsConfiguration says (preflights answered here);
- a listen backlog and a thread per connection that hold 64 concurrent clients; any request
  target is answered (a path that is not UTF-8 gets `400 {"message":"Bad Request"}`).
"""
import base64
import http.client
import json
import os
import sys
import threading
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import jwt
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(ROOT, "infra", "template.yaml")
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
       "transfer-encoding", "upgrade", "content-length", "date", "server"}
# API Gateway's own limit on a request's payload (HTTP APIs: 10 MB).
MAX_PAYLOAD = 10 * 1024 * 1024


# ---- the template -------------------------------------------------------------------------------

class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (`!Ref X` reads as {"Ref": X}, `!Sub` as
    {"Fn::Sub": …}): the gateway needs the literal parts only."""


def _cfn_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix if suffix in ("Ref", "Condition") else "Fn::" + suffix: value}


CfnLoader.add_multi_constructor("!", _cfn_tag)


class Route:
    """`METHOD /path/{param}`, or the API's `$default` route (an HttpApi event with neither Path
    nor Method), which takes every request no other route takes."""

    def __init__(self, method, path, function, authorized):
        self.method, self.path, self.function, self.authorized = method, path, function, authorized
        self.default = path is None
        self.segments = [] if self.default else path.strip("/").split("/")
        self.key = "$default" if self.default else f"{method} {path}"

    def match(self, path):
        """Path parameters when `path` (decoded, no query) fits this route, else None."""
        if self.default:
            return {}
        got = path.strip("/").split("/") if path != "/" else [""]
        if len(got) != len(self.segments):
            return None
        params = {}
        for want, seg in zip(self.segments, got):
            if want.startswith("{") and want.endswith("}"):
                if not seg:
                    return None
                params[want[1:-1]] = seg
            elif want != seg:
                return None
        return params

    def specificity(self):
        # API Gateway prefers the route with literal segments over parameters, left to right;
        # `$default` comes last.
        return (not self.default, tuple(0 if s.startswith("{") else 1 for s in self.segments))


def load_api(path=TEMPLATE):
    """Routes, CORS and the default authorizer of the template's one HTTP API."""
    with open(path, encoding="utf-8") as f:
        template = yaml.load(f, Loader=CfnLoader)
    resources = template.get("Resources") or {}
    apis = [r for r in resources.values() if r.get("Type") == "AWS::Serverless::HttpApi"]
    if len(apis) != 1:
        sys.exit("api_gateway: expected one AWS::Serverless::HttpApi in infra/template.yaml")
    props = apis[0].get("Properties") or {}
    cors = props.get("CorsConfiguration")
    if not isinstance(cors, dict):
        sys.exit("api_gateway: the HTTP API has no CorsConfiguration")
    default_authorizer = (props.get("Auth") or {}).get("DefaultAuthorizer")
    routes = []
    for name, res in resources.items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        binary = ((res.get("Metadata") or {}).get("BuildProperties") or {}).get("Binary")
        for event in ((res.get("Properties") or {}).get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            if not binary:
                sys.exit(f"api_gateway: {name} has HttpApi events but no Metadata.BuildProperties.Binary")
            ev = event.get("Properties") or {}
            authorizer = (ev.get("Auth") or {}).get("Authorizer", default_authorizer)
            if ("Method" in ev) != ("Path" in ev):
                sys.exit(f"api_gateway: {name}: an HttpApi event has Path or Method without the other")
            method = str(ev["Method"]).upper() if "Method" in ev else "ANY"
            routes.append(Route(method, ev.get("Path"), binary, authorizer not in (None, "NONE")))

    def names(key, case):
        value = cors.get(key) or []
        if not isinstance(value, list):
            sys.exit(f"api_gateway: CorsConfiguration.{key} must be a list")
        return [case(str(v)) for v in value]

    return routes, {
        "methods": names("AllowMethods", str.upper),
        "headers": names("AllowHeaders", str.lower),
        "expose": names("ExposeHeaders", str.lower),
        "max_age": str(cors["MaxAge"]) if cors.get("MaxAge") is not None else None,
    }


# ---- the JWT authorizer -------------------------------------------------------------------------

def claim_string(value):
    """A claim as API Gateway's JWT authorizer hands it to the function: strings as they are,
    numbers and booleans in their JSON spelling, an array as `[a b]` (space-separated, bracketed),
    an object as `map[k:v …]`."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + " ".join(claim_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{claim_string(v)}" for k, v in sorted(value.items())) + "]"
    return "" if value is None else str(value)


class Authorizer:
    """Verifies bearer tokens against the issuer's JWKS (found through its discovery document),
    re-read when a token names a kid it does not know (at most every 10 s)."""

    def __init__(self, issuer, audiences):
        self.issuer = issuer.rstrip("/")
        self.audiences = set(audiences)
        self.keys = {}
        self.fetched = 0.0
        self.lock = threading.Lock()

    def _get(self, url):
        with urllib.request.urlopen(url, timeout=10) as res:
            return json.loads(res.read())

    def _refresh(self):
        discovery = self._get(self.issuer + "/.well-known/openid-configuration")
        if discovery.get("issuer", "").rstrip("/") != self.issuer:
            raise ValueError(f"the discovery document names another issuer: {discovery.get('issuer')}")
        keys = {}
        for k in self._get(discovery["jwks_uri"]).get("keys", []):
            if k.get("kty") == "RSA" and isinstance(k.get("kid"), str) and k.get("use", "sig") == "sig":
                keys[k["kid"]] = jwt.PyJWK(k, algorithm="RS256").key
        self.keys = keys

    def key(self, kid):
        with self.lock:
            if not self.fetched or (kid not in self.keys and time.monotonic() - self.fetched > 10):
                self.fetched = time.monotonic()
                try:
                    self._refresh()
                except (OSError, ValueError, KeyError, jwt.PyJWTError) as e:
                    self.fetched = 0.0  # try again on the next request
                    sys.stderr.write(f"gateway: the issuer's JWKS could not be read: {e}\n")
            return self.keys.get(kid)

    def claims(self, authorization):
        """The verified claims of the request's `Authorization` header, or None."""
        if not authorization:
            return None
        token = authorization.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        kid = header.get("kid")
        if header.get("alg") != "RS256" or not isinstance(kid, str):
            return None
        key = self.key(kid)
        if key is None:
            return None
        try:
            claims = jwt.decode(token, key, algorithms=["RS256"], issuer=self.issuer, leeway=0,
                                options={"verify_aud": False, "require": ["exp", "iat", "iss"]})
        except jwt.PyJWTError:
            return None
        if claims.get("iat", 0) > time.time():  # issued in the future
            return None
        aud = claims.get("aud")
        if aud is None:
            ok = claims.get("client_id") in self.audiences
        else:
            ok = any(isinstance(a, str) and a in self.audiences for a in (aud if isinstance(aud, list) else [aud]))
        return claims if ok else None


# ---- the HTTP side ------------------------------------------------------------------------------

class Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of 20 clients got connection resets.
    request_queue_size = 256
    daemon_threads = True


class Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "local-api-gateway"
    upstream = ("127.0.0.1", 0)
    origins = set()
    cors = {}
    routes = []
    authorizer = None

    def log_message(self, fmt, *args):
        sys.stderr.write("gateway %s\n" % (fmt % args))

    def _allowed_origin(self):
        headers = getattr(self, "headers", None)  # not yet read when the request line is refused
        origin = headers.get("Origin") if headers else None
        return origin if origin in self.origins else None

    def _send(self, status, headers, body=b""):
        origin = self._allowed_origin()
        if origin:
            headers = headers + [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
            if self.cors.get("expose"):
                headers.append(("Access-Control-Expose-Headers", ",".join(self.cors["expose"])))
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Apigw-Requestid", getattr(self, "request_id", "-"))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _message(self, status, message=None):
        body = json.dumps({"message": message or HTTPStatus(status).phrase}, separators=(",", ":")).encode()
        self._send(status, [("Content-Type", "application/json")], body)

    def send_error(self, code, message=None, explain=None):
        """http.server's own refusals (a malformed request line, an over-long header) in API
        Gateway's JSON instead of its HTML page."""
        self.close_connection = True
        try:
            self._message(code)
        except OSError:
            pass

    def __getattr__(self, name):
        # Every method reaches the router (an unknown one answers 404 there, as API Gateway does).
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def do_OPTIONS(self):
        wanted = self.headers.get("Access-Control-Request-Method")
        if wanted is None or self.headers.get("Origin") is None:
            return self._handle()  # not a preflight: routed like any request
        origin = self._allowed_origin()
        asked = [h.strip().lower() for h in (self.headers.get("Access-Control-Request-Headers") or "").split(",") if h.strip()]
        headers = [("Vary", "Origin")]
        if origin and wanted.upper() in self.cors["methods"] and all(h in self.cors["headers"] for h in asked):
            headers += [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Methods", ",".join(self.cors["methods"])),
                ("Access-Control-Allow-Headers", ",".join(self.cors["headers"])),
            ]
            if self.cors["max_age"]:
                headers.append(("Access-Control-Max-Age", self.cors["max_age"]))
        # Like API Gateway: a preflight never reaches a function; a refused one just lacks the headers.
        self.send_response(204)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _route(self, path):
        found = [(r, p) for r in self.routes if r.method in (self.command, "ANY")
                 for p in [r.match(path)] if p is not None]
        return max(found, key=lambda rp: rp[0].specificity(), default=(None, None))

    def _handle(self):
        self.request_id = uuid.uuid4().hex
        started = time.monotonic()
        # http.server reads the request line as Latin-1: these are the bytes the client sent.
        target = self.path.encode("latin-1", "replace")
        try:
            target = target.decode("utf-8")
        except UnicodeDecodeError:
            return self._message(400)
        split = urlsplit(target)
        # A raw non-ASCII path (`/packs/ż`) is percent-encoded as a browser would send it.
        raw_path = quote(split.path or "/", safe="/%:@!$&'()*+,;=-._~")
        route, params = self._route(unquote(raw_path))
        if route is None:
            return self._message(404)
        length = self.headers.get("Content-Length")
        try:
            length = int(length) if length else 0
        except ValueError:
            return self._message(400)
        if length > MAX_PAYLOAD:
            return self._message(413, "Request Entity Too Large")
        body = self.rfile.read(length) if length else b""
        claims = None
        if route.authorized:
            claims = self.authorizer.claims(self.headers.get("Authorization"))
            if claims is None:
                return self._message(401, "Unauthorized")
        event = self._event(route, raw_path, split.query, params, body, claims)
        status, headers, data = self._invoke(route.function, event)
        self._send(status, headers, data)
        self.log_message('"%s %s" %d %s %.1f ms', self.command, raw_path, status, route.function,
                         (time.monotonic() - started) * 1000)

    def _event(self, route, raw_path, query, params, body, claims):
        headers = {}
        for k, v in self.headers.items():
            k = k.lower()
            headers[k] = f"{headers[k]},{v}" if k in headers else v
        cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
        qs = {}
        for k, v in parse_qsl(query, keep_blank_values=True):
            qs[k] = f"{qs[k]},{v}" if k in qs else v
        now = datetime.now(timezone.utc)
        try:
            text, b64 = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, b64 = base64.b64encode(body).decode(), True
        context = {
            "accountId": "123456789012", "apiId": "local", "domainName": f"127.0.0.1:{self.server.server_port}",
            "domainPrefix": "127", "requestId": self.request_id, "routeKey": route.key, "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"), "timeEpoch": int(now.timestamp() * 1000),
            "http": {"method": self.command, "path": raw_path, "protocol": self.request_version,
                     "sourceIp": self.client_address[0], "userAgent": headers.get("user-agent", "")},
        }
        if claims is not None:
            context["authorizer"] = {"jwt": {"claims": {k: claim_string(v) for k, v in claims.items()},
                                             "scopes": None}}
        event = {"version": "2.0", "routeKey": route.key, "rawPath": raw_path, "rawQueryString": query,
                 "headers": headers, "requestContext": context, "isBase64Encoded": b64}
        if cookies:
            event["cookies"] = cookies
        if qs:
            event["queryStringParameters"] = qs
        if params:
            event["pathParameters"] = params
        if body:
            event["body"] = text
        return event

    def _invoke_once(self, function, event):
        conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            conn.request("POST", f"/2015-03-31/functions/{function}/invocations",
                         body=json.dumps(event).encode(), headers={"Content-Type": "application/json"})
            res = conn.getresponse()
            return res.status, res.read()
        except OSError as e:
            self.log_message("invoking %s failed: %s", function, e)
            return 0, b""
        finally:
            conn.close()

    def _invoke(self, function, event):
        """The function's answer as HTTP. `cargo lambda watch` now and then fails to relay an
        answer under load (README, Troubleshooting); API Gateway has no such step, so a request
        that is safe to repeat (GET, or carrying an Idempotency-Key) is sent again then."""
        safe = self.command == "GET" or bool(self.headers.get("Idempotency-Key"))
        for attempt in range(4):
            status, data = self._invoke_once(function, event)
            answer = None
            if status == 200:
                try:
                    answer = json.loads(data)
                except ValueError:
                    answer = None
            if isinstance(answer, dict) and "statusCode" in answer:
                return self._response(answer)
            self.log_message("%s answered the invocation with %d %r", function, status, data[:200])
            if not safe or attempt == 3:
                break
        return 500, [("Content-Type", "application/json")], b'{"message":"Internal Server Error"}'

    @staticmethod
    def _response(answer):
        headers = []
        for k, v in (answer.get("headers") or {}).items():
            if k.lower() not in HOP and not k.lower().startswith("access-control-"):
                headers.append((k, str(v)))
        for k, values in (answer.get("multiValueHeaders") or {}).items():
            if k.lower() not in HOP and not k.lower().startswith("access-control-"):
                headers += [(k, str(v)) for v in values]
        headers += [("Set-Cookie", c) for c in answer.get("cookies") or []]
        body = answer.get("body") or ""
        data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode("utf-8")
        return int(answer["statusCode"]), headers, data


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    port, upstream, origins = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    issuer = os.environ.get("OIDC_ISSUER")
    if not issuer:
        sys.exit("api_gateway: OIDC_ISSUER (the token issuer) is not set")
    audiences = [a.strip() for a in os.environ.get("OIDC_AUDIENCE", "incident-desk-console").split(",") if a.strip()]
    u = urlsplit(upstream if "://" in upstream else f"http://{upstream}")
    Gateway.upstream = (u.hostname, u.port)
    Gateway.origins = {o.strip() for o in origins.split(",") if o.strip()}
    Gateway.routes, Gateway.cors = load_api()
    Gateway.authorizer = Authorizer(issuer, audiences)
    server = Server(("127.0.0.1", port), Gateway)
    sys.stderr.write(f"gateway: {len(Gateway.routes)} routes on 127.0.0.1:{port}, issuer {issuer}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
