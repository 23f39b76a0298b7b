#!/usr/bin/env python3
"""The gateway under load, and a real team's data for the console bench (scripts/console-bench.sh).

  console_data.py --api URL --issuer URL --key-file FILE --users-file FILE --out DIR
                  [--levels 1:100,8:200,64:200] [--events 300] [--attachments 20]

1. People: an engineer and an admin with passwords (added to the provider's users file: the
   browser signs in as they do), and one customer per client of the largest level (tokens signed
   with the provider's key, as tokens.py mints them; the customers never sign in in a browser).
2. Gateway load: for each level c:n, n intakes (`POST /incidents`, the pack named as the console
   names it) sent by c clients at once through the local API gateway (infra/local/api_gateway.py,
   JWT authorizer and router) in front of `cargo lambda watch`; each client one keep-alive
   connection, one request after another, a customer (and five-packs bought beforehand, not
   timed) of its own. Connection errors (refused, reset, timed out) and answers other than 201
   are counted, not retried. The sum of the levels' intakes is the queue the console shows (all
   awaiting their first response).
3. One incident of the queue gets `--attachments` attachments (declared, uploaded to the local
   S3, completed) and customer messages until its timeline has `--events` events.

Writes DIR/gateway.md (the load's table) and DIR/data.json (people, the heavy incident, counts).
Standard library plus PyJWT (the stack's venv).
"""
import argparse
import http.client
import json
import os
import secrets
import statistics
import sys
import threading
import time
import urllib.parse

import jwt

AUDIENCE = "incident-desk-console"
SUBMISSION = {
    "product_id": "windows-server-2022", "category": "configuration", "severity": "B",
    "handling": "business_hours", "calendar": "PL",
    "title": "Cluster validation fails on the storage tests",
    "description": "Test-Cluster reports the storage tests as failed on node 2 since the last update.",
    "contact": {"name": "Ada Admin", "email": "ada@example.com", "phone": "+48 22 123 45 67"},
}


class Api:
    """One keep-alive HTTP/1.1 connection to the gateway (a client of its own)."""

    def __init__(self, base, token):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.token = u.hostname, u.port, token
        self.conn = None

    def call(self, method, path, body=None, idempotency=False):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if idempotency:
            headers["Idempotency-Key"] = secrets.token_hex(16)
        data = json.dumps(body).encode() if body is not None else None
        try:
            self.conn.request(method, path, body=data, headers=headers)
            res = self.conn.getresponse()
            raw = res.read()
        except Exception:
            self.conn.close()
            self.conn = None
            raise
        if res.getheader("connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return res.status, (json.loads(raw) if raw else None)

    def ok(self, method, path, body=None, status=(200, 201), idempotency=False):
        got, answer = self.call(method, path, body, idempotency)
        if got not in status:
            raise SystemExit(f"console_data: {method} {path} answered {got}: {answer}")
        return answer


def token(key, issuer, sub, email, groups=(), name=None):
    now = int(time.time())
    claims = {"sub": sub, "cognito:groups": list(groups), "token_use": "id", "aud": AUDIENCE,
              "iss": issuer.rstrip("/"), "iat": now, "auth_time": now, "exp": now + 4 * 3600,
              "email": email, "email_verified": True}
    if name:
        claims["name"] = name
    return jwt.encode(claims, jwt.PyJWK(key, algorithm="RS256").key, algorithm="RS256", headers={"kid": key["kid"]})


def people(a, clients):
    with open(a.key_file, encoding="utf-8") as f:
        key = next(k for k in json.load(f)["keys"] if k.get("kty") == "RSA")
    run = secrets.token_hex(4)
    staff = {
        "engineer": ("Edsger Dijkstra", ["support-engineers"]),
        "admin": ("Barbara Liskov", ["support-admins", "support-engineers"]),
    }
    out = {}
    for who, (name, groups) in staff.items():
        sub = f"bench-{run}-{who}"
        out[who] = {"sub": sub, "email": f"{sub}@example.com", "password": secrets.token_urlsafe(18),
                    "name": name, "groups": groups}
    users = []
    if os.path.exists(a.users_file):
        with open(a.users_file, encoding="utf-8") as f:
            users = json.load(f)
    tmp = f"{a.users_file}.{os.getpid()}.tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        json.dump(users + list(out.values()), f, indent=2)
    os.replace(tmp, a.users_file)
    for u in out.values():
        u["token"] = token(key, a.issuer, u["sub"], u["email"], u["groups"], u["name"])
    customers = []
    for i in range(clients):
        sub = f"bench-{run}-customer-{i}"
        customers.append({"sub": sub, "token": token(key, a.issuer, sub, f"{sub}@customers.example.com")})
    return out, customers


def pctl(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(p / 100 * len(v) + 0.5) - 1))] if v else float("nan")


def level(a, customers, c, n):
    """n intakes by c clients at once; returns the row and the incidents created."""
    shares = [n // c + (1 if i < n % c else 0) for i in range(c)]
    clients = []
    for i in range(c):
        api = Api(a.api, customers[i]["token"])
        packs = [api.ok("POST", "/packs", {"offer": "five_pack", "billing_country": "PL"}, (201,), True)["pack_id"]
                 for _ in range(-(-shares[i] // 5))]
        clients.append((api, packs))
    latencies, created, errors, refused = [], [], [0], [0]
    lock = threading.Lock()
    start = threading.Barrier(c + 1)

    def run(i):
        api, packs = clients[i]
        start.wait()
        for k in range(shares[i]):
            body = dict(SUBMISSION, pack_id=packs[k // 5])
            t0 = time.perf_counter()
            try:
                status, answer = api.call("POST", "/incidents", body, idempotency=True)
            except (OSError, http.client.HTTPException):
                with lock:
                    errors[0] += 1
                continue
            took = (time.perf_counter() - t0) * 1000
            with lock:
                if status == 201:
                    latencies.append(took)
                    created.append(answer["incident_id"])
                else:
                    refused[0] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(c)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    row = {"concurrency": c, "intakes": n, "created": len(created), "wall_s": wall,
           "per_second": len(created) / wall, "p50_ms": pctl(latencies, 50), "p99_ms": pctl(latencies, 99),
           "connection_errors": errors[0], "other_answers": refused[0]}
    print(f"    gateway load: concurrency {c}: {len(created)}/{n} in {wall:.1f} s, "
          f"{row['per_second']:.1f}/s, p50 {row['p50_ms']:.0f} ms, p99 {row['p99_ms']:.0f} ms, "
          f"{errors[0]} connection errors, {refused[0]} other answers", file=sys.stderr)
    return row, created


def heavy_incident(a, customer, staff_token, events, attachments):
    """A new incident of its own customer, with attachments and messages up to `events` events."""
    api = Api(a.api, customer["token"])
    pack = api.ok("POST", "/packs", {"offer": "single", "billing_country": "PL"}, (201,), True)["pack_id"]
    inc = api.ok("POST", "/incidents", dict(SUBMISSION, pack_id=pack, title="Storage Spaces Direct pool degraded after the cumulative update"), (201,), True)
    iid = inc["incident_id"]
    s3 = {}
    for k in range(attachments):
        size = 2048 + 97 * k
        ticket = api.ok("POST", f"/incidents/{iid}/attachments",
                        {"file_name": f"cluster-log-node{k + 1}.txt", "content_type": "text/plain", "size_bytes": size}, (201,))
        u = urllib.parse.urlsplit(ticket["upload_url"])
        conn = s3.get(u.netloc) or http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        s3[u.netloc] = conn
        conn.request(ticket.get("upload_method", "PUT"), u.path + (f"?{u.query}" if u.query else ""),
                     body=(b"x" * size), headers=ticket.get("upload_headers") or {})
        res = conn.getresponse()
        res.read()
        if res.status != 200:
            raise SystemExit(f"console_data: upload {k + 1} answered {res.status}")
        api.ok("POST", f"/incidents/{iid}/attachments/{ticket['attachment_id']}/complete")
    count = lambda: count_events(Api(a.api, staff_token), iid)  # noqa: E731
    have = count()
    for k in range(events - have):
        api.ok("POST", f"/incidents/{iid}/messages",
               {"message": f"Update {k + 1}: ran the validation again; node 2 still reports the disk as detached."}, (201,))
    return iid, count()


def count_events(api, iid):
    inc = api.ok("GET", f"/incidents/{iid}")
    n, cursor = len(inc.get("timeline") or []), inc.get("timeline_next_cursor")
    while cursor:
        page = api.ok("GET", f"/incidents/{iid}/timeline?limit=100&cursor={urllib.parse.quote(cursor)}")
        n += len(page["items"])
        cursor = page.get("next_cursor")
    return n


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("--api", "--issuer", "--key-file", "--users-file", "--out"):
        p.add_argument(name, required=True)
    p.add_argument("--levels", default="1:100,8:200,64:200")
    p.add_argument("--events", type=int, default=300)
    p.add_argument("--attachments", type=int, default=20)
    a = p.parse_args()
    levels = [tuple(int(x) for x in lv.split(":")) for lv in a.levels.split(",")]
    staff, customers = people(a, max(c for c, _ in levels) + 1)
    # Warm every function watch starts on first use (its first request compiles nothing, but
    # starts the process): not timed.
    for path in ("/products", "/packs"):
        Api(a.api, customers[0]["token"]).ok("GET", path)
    Api(a.api, staff["engineer"]["token"]).ok("GET", "/queue")
    Api(a.api, staff["admin"]["token"]).ok("GET", "/reports/sla")
    rows, queued = [], 0
    for c, n in levels:
        row, created = level(a, customers[:c], c, n)
        rows.append(row)
        queued += len(created)
    print(f"    heavy incident: {a.attachments} attachments, {a.events} events", file=sys.stderr)
    iid, events = heavy_incident(a, customers[-1], staff["engineer"]["token"], a.events, a.attachments)
    queued += 1
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "data.json"), "w", encoding="utf-8") as f:
        json.dump({"users": staff, "incident_id": iid, "events": events, "attachments": a.attachments,
                   "queued": queued, "gateway": rows}, f, indent=2)
    with open(os.path.join(a.out, "gateway.md"), "w", encoding="utf-8") as f:
        f.write("| concurrency (clients) | intakes | created | wall s | intakes/s | p50 ms | p99 ms | connection errors | other answers |\n")
        f.write("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
        for r in rows:
            f.write(f"| {r['concurrency']} | {r['intakes']} | {r['created']} | {r['wall_s']:.2f} | {r['per_second']:.1f} | "
                    f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['connection_errors']} | {r['other_answers']} |\n")


if __name__ == "__main__":
    main()
