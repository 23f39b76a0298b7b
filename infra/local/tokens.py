#!/usr/bin/env python3
"""Prints an ID token as the local OpenID Connect provider issues it (RS256 with the provider's
own key and kid, Cognito's claims), for scripts and tests that need a token for an account of
their own making. The key is the provider's private JWK set (make dev: .local/dev/oidc-signing-key.json;
make test: the test stack's state folder); it never leaves this machine.

  tokens.py --key-file FILE --issuer URL --sub SUB [--email E] [--groups a,b] [--name N] [--ttl SECONDS]
"""
import argparse
import json
import time

import jwt

AUDIENCE = "incident-desk-console"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--key-file", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--sub", required=True)
    p.add_argument("--email")
    p.add_argument("--groups", default="")
    p.add_argument("--name")
    p.add_argument("--ttl", type=int, default=3600)
    a = p.parse_args()
    with open(a.key_file, encoding="utf-8") as f:
        jwk = next(k for k in json.load(f)["keys"] if k.get("kty") == "RSA")
    now = int(time.time())
    claims = {"sub": a.sub, "cognito:groups": [g for g in a.groups.split(",") if g], "token_use": "id",
              "aud": AUDIENCE, "iss": a.issuer.rstrip("/"), "iat": now, "auth_time": now, "exp": now + a.ttl}
    if a.email:
        claims.update(email=a.email, email_verified=True)
    if a.name:
        claims["name"] = a.name
    key = jwt.PyJWK(jwk, algorithm="RS256").key
    print(jwt.encode(claims, key, algorithm="RS256", headers={"kid": jwk["kid"]}))


if __name__ == "__main__":
    main()
