#!/usr/bin/env python3
"""E-mailed replies: from the SMTP server accepting a reply to the message being readable through
the API (issue 27), on the stack `make dev` runs (scripts/console-bench.sh starts it).

  email_replies.py --api URL --issuer URL --key-file FILE --smtp-port PORT --reply-address BIN
                   --out DIR [--replies 50]

One customer buys a pack and submits an incident through the local API gateway; BIN
(`reply-address`, shared/mailbox) gives the Reply-To address the notifier puts on the incident's
mail to its contact. Then, one after another, `--replies` replies (plain text in Thunderbird's
shape: the new text, then the quoted history, each with its own Message-ID) are submitted with
Python's smtplib to the local SMTP server (infra/local/smtp_server.py: the raw message to the
local bucket under inbound/, then `inbound-mail` invoked with the S3 event through
`cargo lambda watch`, as SES receiving and S3 do in AWS).

Measured per reply: t0 = smtplib's `sendmail` returned, i.e. the server answered 250 to DATA
(it has stored the message in the bucket by then); t1 = a `GET /incidents/{id}/timeline` through
the gateway, sent back to back from t0 on, first shows the reply's `customer_message` with
`channel: email` (found by its text). So the figure is an upper bound by at most one timeline
read; that read's own median is reported beside it. One reply before the measured ones starts
watch's `inbound-mail` process (not timed).

Writes DIR/email.md. Standard library plus PyJWT (the stack's venv).
"""
import argparse
import email.utils
import os
import secrets
import smtplib
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_data import SUBMISSION, Api, pctl, token  # noqa: E402

REPLY = """Return-Path: <{sender}>
MIME-Version: 1.0
Date: {date}
Message-ID: <{message_id}>
From: Jan Kowalski <{sender}>
To: Incident Desk <{reply_to}>
Subject: Re: [Incident] Cluster validation fails on the storage tests
User-Agent: Mozilla Thunderbird
Content-Language: en-US
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

{text}

On 07/12/2026 10:15, Incident Desk wrote:
> Your incident was received.
> We will answer within 4 business hours.
"""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("--api", "--issuer", "--key-file", "--smtp-port", "--reply-address", "--out"):
        p.add_argument(name, required=True)
    p.add_argument("--replies", type=int, default=50)
    a = p.parse_args()
    with open(a.key_file, encoding="utf-8") as f:
        key = next(k for k in json_load(f)["keys"] if k.get("kty") == "RSA")
    sub = f"bench-mail-{secrets.token_hex(4)}"
    api = Api(a.api, token(key, a.issuer, sub, f"{sub}@customers.example.com"))
    contact = f"{sub}-contact@customers.example.com"
    pack = api.ok("POST", "/packs", {"offer": "single", "billing_country": "PL"}, (201,), True)["pack_id"]
    body = dict(SUBMISSION, pack_id=pack, contact=dict(SUBMISSION["contact"], email=contact))
    iid = api.ok("POST", "/incidents", body, (201,), True)["incident_id"]
    reply_to = subprocess.run([a.reply_address, iid, contact], check=True, capture_output=True,
                              text=True).stdout.strip()
    smtp = smtplib.SMTP("127.0.0.1", int(a.smtp_port), timeout=60)

    def send(text):
        raw = REPLY.format(sender=contact, reply_to=reply_to, date=email.utils.formatdate(localtime=True),
                           message_id=f"{secrets.token_hex(12)}@customers.example.com", text=text)
        smtp.sendmail(contact, [reply_to], raw.replace("\n", "\r\n").encode())

    def wait_for(text, deadline_s=120):
        reads = []
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            r0 = time.monotonic()
            page = api.ok("GET", f"/incidents/{iid}/timeline?limit=100")
            reads.append(time.monotonic() - r0)
            for e in page["items"]:
                if e.get("kind") == "customer_message" and e.get("channel") == "email" and text in (e.get("message") or ""):
                    return reads
        raise SystemExit(f"email_replies: '{text}' never appeared on {iid} within {deadline_s} s")

    print("    warm-up reply (starts watch's inbound-mail process; not timed)", file=sys.stderr)
    send("Warm-up: the node came back after the restart.")
    wait_for("Warm-up:", 300)
    took, reads = [], []
    for i in range(1, a.replies + 1):
        marker = f"Reply {i} of the bench ({secrets.token_hex(4)})"
        send(f"{marker}: ran Test-Cluster again, node 2 still reports the disk as detached.")
        t0 = time.monotonic()
        reads += wait_for(marker)
        took.append((time.monotonic() - t0) * 1000)
    smtp.quit()
    ms = lambda v: f"{v:,.0f}"  # noqa: E731
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "email.md"), "w", encoding="utf-8") as f:
        f.write("| replies | median ms | p95 ms | max ms | one timeline read, median ms |\n")
        f.write("|---:|---:|---:|---:|---:|\n")
        f.write(f"| {len(took)} | **{ms(statistics.median(took))}** | **{ms(pctl(took, 95))}** | {ms(max(took))} | "
                f"{statistics.median(reads) * 1000:,.0f} |\n")
    print(f"    {len(took)} replies: median {statistics.median(took):.0f} ms, p95 {pctl(took, 95):.0f} ms",
          file=sys.stderr)


def json_load(f):
    import json
    return json.load(f)


if __name__ == "__main__":
    main()
