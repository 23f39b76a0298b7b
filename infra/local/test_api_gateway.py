"""The local gateway (api_gateway.py) does what API Gateway's JWT authorizer and router do, against
the running stack of `make test` (INCIDENT_DESK_URL is the gateway; OIDC_ISSUER and OIDC_KEY_FILE
the provider and its key). A refusal by the gateway is `401 {"message":"Unauthorized"}`: the
functions' own answers are problem+json with a `code`, so that body proves no function ran.

Run: .venv/bin/python -m pytest -q infra/local/test_api_gateway.py (scripts/test.sh does).
"""
import base64
import hashlib
import hmac
import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_gateway  # noqa: E402

UNAUTHORIZED = {"message": "Unauthorized"}


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set: run through `make test`, which starts the local stack")
    return value


@pytest.fixture(scope="module")
def api():
    return env("INCIDENT_DESK_URL").rstrip("/")


@pytest.fixture(scope="module")
def issuer():
    return env("OIDC_ISSUER").rstrip("/")


@pytest.fixture(scope="module")
def provider_key():
    with open(env("OIDC_KEY_FILE"), encoding="utf-8") as f:
        jwk = next(k for k in json.load(f)["keys"] if k["kty"] == "RSA")
    return jwk["kid"], jwt.PyJWK(jwk, algorithm="RS256").key


@pytest.fixture(scope="module")
def other_key():
    """A key set the provider never published (an attacker's)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(issuer, sub=None, **extra):
    now = int(time.time())
    claims = {"sub": sub or f"acct_gw_{uuid.uuid4().hex[:12]}", "email": "gw@example.com",
              "cognito:groups": [], "token_use": "id", "aud": "incident-desk-console",
              "iss": issuer, "iat": now, "auth_time": now, "exp": now + 600}
    claims.update(extra)
    return {k: v for k, v in claims.items() if v is not None}


def signed(provider_key, claims, **header):
    kid, key = provider_key
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid, **header})


def call(api, path, token=None, method="GET", headers=None):
    req = urllib.request.Request(api + path, method=method, headers=dict(headers or {}))
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return res.status, res.headers, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def assert_refused(answer):
    status, _, body = answer
    assert status == 401, (status, body)
    assert json.loads(body) == UNAUTHORIZED, body


def test_a_valid_id_token_reaches_the_function(api, issuer, provider_key):
    status, _, body = call(api, "/products", signed(provider_key, claims_for(issuer)))
    assert status == 200, body
    assert json.loads(body)["items"]


def test_no_token_is_refused(api):
    assert_refused(call(api, "/products"))


def test_alg_none_is_refused(api, issuer):
    token = f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims_for(issuer)).encode())}."
    assert_refused(call(api, "/products", token))


def test_hs256_signed_with_the_providers_public_key_is_refused(api, issuer, provider_key):
    kid, key = provider_key
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims_for(issuer)).encode())
    sig = b64(hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest())
    assert_refused(call(api, "/products", f"{head}.{body}.{sig}"))


def test_an_unknown_kid_is_refused(api, issuer, provider_key):
    _, key = provider_key
    token = jwt.encode(claims_for(issuer), key, algorithm="RS256", headers={"kid": "not-a-known-kid"})
    assert_refused(call(api, "/products", token))


@pytest.mark.parametrize("header", ["jku", "x5u", "jwk"])
def test_a_key_named_by_the_token_itself_is_never_used(api, issuer, provider_key, other_key, header):
    kid, _ = provider_key
    public = jwt.algorithms.RSAAlgorithm.to_jwk(other_key.public_key(), as_dict=True)
    where = {"jku": "http://127.0.0.1:1/jwks.json", "x5u": "http://127.0.0.1:1/cert.pem", "jwk": public}[header]
    for named_kid in (kid, "attacker"):
        token = jwt.encode(claims_for(issuer), other_key, algorithm="RS256",
                           headers={"kid": named_kid, header: where})
        assert_refused(call(api, "/products", token))


def test_a_token_signed_by_another_key_set_is_refused(api, issuer, provider_key, other_key):
    kid, _ = provider_key
    token = jwt.encode(claims_for(issuer), other_key, algorithm="RS256", headers={"kid": kid})
    assert_refused(call(api, "/products", token))


def test_expired_by_one_second_is_refused(api, issuer, provider_key):
    now = int(time.time())
    assert_refused(call(api, "/products", signed(provider_key, claims_for(issuer, iat=now - 600, exp=now - 1))))


def test_not_valid_for_another_minute_is_refused(api, issuer, provider_key):
    assert_refused(call(api, "/products", signed(provider_key, claims_for(issuer, nbf=int(time.time()) + 60))))


def test_issued_in_the_future_is_refused(api, issuer, provider_key):
    assert_refused(call(api, "/products", signed(provider_key, claims_for(issuer, iat=int(time.time()) + 120))))


def test_a_wrong_issuer_is_refused(api, issuer, provider_key):
    assert_refused(call(api, "/products", signed(provider_key, claims_for(issuer + "/other"))))


def test_a_wrong_audience_is_refused(api, issuer, provider_key):
    assert_refused(call(api, "/products", signed(provider_key, claims_for(issuer, aud="another-client"))))


def test_without_aud_the_client_id_must_be_the_console(api, issuer, provider_key):
    ok = claims_for(issuer, aud=None, client_id="incident-desk-console")
    assert call(api, "/products", signed(provider_key, ok))[0] == 200
    assert_refused(call(api, "/products", signed(provider_key, claims_for(issuer, aud=None, client_id="other"))))
    assert_refused(call(api, "/products", signed(provider_key, claims_for(issuer, aud=None))))


def test_an_opaque_access_token_is_refused(api):
    # The provider's access tokens are opaque (not JWTs); the API takes the ID token only.
    assert_refused(call(api, "/products", b64(os.urandom(32))))


@pytest.mark.parametrize("groups,status", [
    (["support-engineers"], 200),                  # a JSON array, as the provider and Cognito issue it
    ("support-engineers", 200),                    # a single value
    ("[support-engineers support-admins]", 200),   # already in the authorizer's string form
    ([], 403),
    (None, 403),                                   # absent
])
def test_groups_reach_the_function_as_in_aws(api, issuer, provider_key, groups, status):
    claims = claims_for(issuer, **{"cognito:groups": groups})
    if groups is None:
        claims.pop("cognito:groups", None)
    got, _, body = call(api, "/queue", signed(provider_key, claims))
    assert got == status, body


def test_claims_are_handed_over_as_api_gateway_does():
    s = api_gateway.claim_string
    assert s(["support-engineers", "support-admins"]) == "[support-engineers support-admins]"
    assert s([]) == "[]"
    assert s("support-engineers") == "support-engineers"
    assert s(1796637600) == "1796637600"
    assert s(True) == "true"


def test_an_unknown_path_is_behind_the_authorizer_then_404(api, issuer, provider_key):
    # The template's `$default` route (intake's router): 401 without a token, 404 problem+json with one.
    assert_refused(call(api, "/no-such-route"))
    status, headers, body = call(api, "/no-such-route", signed(provider_key, claims_for(issuer)))
    assert status == 404 and json.loads(body)["code"] == "not_found", body
    assert b"cargo" not in body.lower() and b"function" not in body.lower()


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "DELETE", "PATCH"])
def test_any_method_gets_json(api, issuer, provider_key, method):
    assert_refused(call(api, "/packs", method=method))
    status, headers, body = call(api, "/packs", signed(provider_key, claims_for(issuer)), method=method)
    assert status == 404, body
    assert headers.get("Content-Type", "").startswith("application/"), headers
    json.loads(body)


def raw_request(api, target: bytes):
    u = urlsplit(api)
    with socket.create_connection((u.hostname, u.port), timeout=30) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def test_a_raw_non_ascii_path_is_answered(api):
    status, body = raw_request(api, "/packs/ż".encode("utf-8"))
    assert status == 401 and json.loads(body) == UNAUTHORIZED, body


def test_a_path_that_is_not_utf8_is_a_400(api):
    status, body = raw_request(api, b"/packs/\xff")
    assert status == 400 and json.loads(body) == {"message": "Bad Request"}, body


def test_a_malformed_request_line_gets_json(api):
    status, body = raw_request(api, b"/packs HTTP/9.9 extra")
    assert 400 <= status < 500
    json.loads(body)


def test_a_preflight_is_answered_by_the_gateway(api):
    origin = os.environ.get("CONSOLE_ORIGIN", "http://127.0.0.1:9001")
    status, headers, _ = call(api, "/incidents", method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,idempotency-key"})
    assert status == 204
    assert headers.get("Access-Control-Allow-Origin") == origin


def test_64_concurrent_clients_get_no_connection_reset(api, issuer, provider_key):
    token = signed(provider_key, claims_for(issuer))
    results, lock = [], threading.Lock()
    start = threading.Barrier(64)

    def client():
        start.wait()
        try:
            status = call(api, "/sla/quote?severity=B&calendar=PL", token)[0]
        except OSError as e:  # a reset or refused connection
            status = repr(e)
        with lock:
            results.append(status)

    threads = [threading.Thread(target=client) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert len(results) == 64
    assert [r for r in results if r != 200] == [], results
