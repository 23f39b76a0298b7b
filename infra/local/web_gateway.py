#!/usr/bin/env python3
"""CloudFront's part in the local stack: serves the built console.

  console PORT DIST API_URL ISSUER CLIENT_ID

Serves DIST (web/dist) on 127.0.0.1:PORT, index.html for every app path (as the distribution's
403/404 → /index.html error responses do), and a config.json for the console:
{"apiUrl", "issuer", "clientId", "redirectUri", "logoutUri", "scope"} (scope: OIDC_SCOPE, default
"openid email profile"). Every answer carries the security headers of the template's CloudFront
ResponseHeadersPolicy (ConsoleSecurityHeaders), read from infra/template.yaml, so the console runs
under the production Content-Security-Policy locally and in the browser tests (see
security_headers for what is adapted to the local stack).

Needs PyYAML: run it with the project's .venv python (scripts/stack.sh does). The API gateway
in front of the functions is infra/local/api_gateway.py.
"""
import json
import mimetypes
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(ROOT, "infra", "template.yaml")


class _CfnLoader(yaml.SafeLoader):
    """A safe loader that reads CloudFormation's short-form intrinsics (!Sub, !If, !Ref, …) as
    their long form ({"Fn::Sub": …}, {"Ref": …}), whatever node kind they tag."""


def _intrinsic(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":  # !GetAtt Resource.Attribute
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def fail(message):
    sys.exit(f"web_gateway: {message}")


def template_headers_policy(path=TEMPLATE):
    """The ResponseHeadersPolicyConfig of the template's one CloudFront ResponseHeadersPolicy."""
    try:
        with open(path, encoding="utf-8") as f:
            template = yaml.load(f, Loader=_CfnLoader)  # noqa: S506 (a SafeLoader subclass)
    except (OSError, yaml.YAMLError) as e:
        fail(f"cannot read {path}: {e}")
    policies = [r for r in (template.get("Resources") or {}).values()
                if isinstance(r, dict) and r.get("Type") == "AWS::CloudFront::ResponseHeadersPolicy"]
    if len(policies) != 1:
        fail(f"expected one AWS::CloudFront::ResponseHeadersPolicy in {path}, found {len(policies)}")
    config = (policies[0].get("Properties") or {}).get("ResponseHeadersPolicyConfig")
    if not isinstance(config, dict) or not isinstance(config.get("SecurityHeadersConfig"), dict):
        fail(f"the ResponseHeadersPolicy in {path} has no SecurityHeadersConfig")
    return config


def _origin(url, what):
    u = urlsplit(url)
    if u.scheme not in ("http", "https") or not u.netloc:
        fail(f"{what} is not an http(s) URL: {url!r}")
    return f"{u.scheme}://{u.netloc}"


def local_csp(template_csp, api_url, issuer, s3_endpoint):
    """The template's Content-Security-Policy with its AWS-only parts replaced by the local stack's
    equivalents; every other directive and source stays verbatim.

    The template writes it as !Sub [text, {ExternalIssuer: …}]. Sources naming AWS hosts become:
      https://*.execute-api.${AWS::Region}.${AWS::URLSuffix}  → the API's origin (api_gateway.py)
      https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}     → the issuer's origin (discovery,
      https://*.auth.${AWS::Region}.amazoncognito.com            token endpoint, sign-in pages
      ${ExternalIssuer}                                           of the local OIDC provider)
      https://*.s3.${AWS::Region}.${AWS::URLSuffix}            → AWS_ENDPOINT_URL_S3's origin, where
      https://s3.${AWS::Region}.${AWS::URLSuffix}                the presigned uploads go locally
    A source with any other ${…} variable, or an AWS host this mapping does not know, stops the
    server: the mapping is then out of date with the template.
    """
    if isinstance(template_csp, dict) and "Fn::Sub" in template_csp:
        sub = template_csp["Fn::Sub"]
        text = sub[0] if isinstance(sub, list) else sub
    elif isinstance(template_csp, str):
        text = template_csp
    else:
        fail(f"ContentSecurityPolicy is neither a string nor !Sub: {template_csp!r}")
    api, idp, s3 = _origin(api_url, "API_URL"), _origin(issuer, "ISSUER"), _origin(s3_endpoint, "AWS_ENDPOINT_URL_S3")
    aws = "${AWS::Region}.${AWS::URLSuffix}"
    replace = {
        f"https://*.execute-api.{aws}": api,
        f"https://cognito-idp.{aws}": idp,
        "https://*.auth.${AWS::Region}.amazoncognito.com": idp,
        "${ExternalIssuer}": idp,
        f"https://*.s3.{aws}": s3,
        f"https://s3.{aws}": s3,
    }
    directives = []
    for directive in (d.strip() for d in " ".join(text.split()).split(";")):
        if not directive:
            continue
        name, *sources = directive.split(" ")
        out = []
        for source in sources:
            source = replace.get(source, source)
            if "${" in source or re.search(r"amazonaws|amazoncognito|AWS::", source):
                fail(f"the template's CSP source {source!r} ({name}) has no local equivalent; update local_csp")
            if source not in out:
                out.append(source)
        directives.append(" ".join([name] + out))
    return "; ".join(directives)


def security_headers(config, api_url, issuer, s3_endpoint):
    """The headers CloudFront adds from the policy: CSP, HSTS, nosniff, frame options, referrer
    policy and the custom headers, in the template's values (HSTS is sent as CloudFront sends it;
    browsers ignore it on plain http)."""
    sec = config["SecurityHeadersConfig"]
    headers = []
    hsts = sec.get("StrictTransportSecurity")
    if hsts:
        value = f"max-age={int(hsts['AccessControlMaxAgeSec'])}"
        if hsts.get("IncludeSubdomains"):
            value += "; includeSubDomains"
        if hsts.get("Preload"):
            value += "; preload"
        headers.append(("Strict-Transport-Security", value))
    if sec.get("ContentTypeOptions"):
        headers.append(("X-Content-Type-Options", "nosniff"))
    frame = (sec.get("FrameOptions") or {}).get("FrameOption")
    if frame:
        headers.append(("X-Frame-Options", str(frame).upper()))
    referrer = (sec.get("ReferrerPolicy") or {}).get("ReferrerPolicy")
    if referrer:
        headers.append(("Referrer-Policy", str(referrer)))
    csp = (sec.get("ContentSecurityPolicy") or {}).get("ContentSecurityPolicy")
    if not csp:
        fail("the template's ResponseHeadersPolicy has no ContentSecurityPolicy")
    headers.append(("Content-Security-Policy", local_csp(csp, api_url, issuer, s3_endpoint)))
    for item in ((config.get("CustomHeadersConfig") or {}).get("Items") or []):
        if not isinstance(item.get("Header"), str) or not isinstance(item.get("Value"), str):
            fail(f"a custom header of the ResponseHeadersPolicy is not a plain string: {item!r}")
        headers.append((item["Header"], item["Value"]))
    return headers


class Console(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    dist = ""
    config = b""
    headers_out = []

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, ctype, body, cache):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        for k, v in self.headers_out:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/config.json":
            return self._send(200, "application/json", self.config, "no-cache")
        rel = os.path.normpath(path.lstrip("/")) if path != "/" else "index.html"
        file = os.path.join(self.dist, rel)
        if rel.startswith("..") or not os.path.isfile(file):
            if "." in os.path.basename(path):
                return self._send(404, "text/plain", b"not found\n", "no-cache")
            file = os.path.join(self.dist, "index.html")  # an app path: the app routes it
        with open(file, "rb") as f:
            body = f.read()
        ctype = mimetypes.guess_type(file)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        cache = "public, max-age=31536000, immutable" if "/assets/" in file else "no-cache"
        self._send(200, ctype, body, cache)

    do_HEAD = do_GET


def main():
    if len(sys.argv) != 7 or sys.argv[1] != "console":
        sys.exit(__doc__)
    port, dist, api_url, issuer, client_id = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
    if not os.path.isfile(os.path.join(dist, "index.html")):
        fail(f"{dist}/index.html missing (build the console first)")
    s3_endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if not s3_endpoint:
        fail("AWS_ENDPOINT_URL_S3 is not set: the CSP must name the local S3 that uploads go to")
    origin = f"http://127.0.0.1:{port}"
    Console.dist = os.path.abspath(dist)
    Console.config = json.dumps({
        "apiUrl": api_url.rstrip("/"),
        "issuer": issuer,  # verbatim: it must equal the discovery document's issuer
        "clientId": client_id,
        "redirectUri": origin + "/",
        "logoutUri": origin + "/",
        "scope": os.environ.get("OIDC_SCOPE") or "openid email profile",
    }).encode()
    Console.headers_out = security_headers(template_headers_policy(), api_url, issuer, s3_endpoint)
    server = ThreadingHTTPServer(("127.0.0.1", port), Console)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
