"""The local stand-in for SES receiving (issue 27): a real SMTP server (aiosmtpd's Controller and a
handler; no hand-written protocol) on 127.0.0.1:PORT that accepts mail for REPLY_DOMAIN, stores each
message raw in the local bucket under inbound/ (as SES's receipt rule's S3 action does) and invokes
`inbound-mail` with the S3 event AWS would send, through cargo lambda watch's invoke endpoint,
asynchronously as S3 invokes a function (two retries after an error, then the message is reported
as given up).

It also plays SES's mailbox simulator: mail the local SES accepted for
bounce@simulator.amazonses.com or complaint@simulator.amazonses.com produces the SNS notification
the configuration set's event destination would publish (eventType Bounce / Complaint, with the
message's tags), handed to the same function.

  smtp_server.py PORT

Environment: REPLY_DOMAIN, ATTACHMENTS_BUCKET, AWS_ENDPOINT_URL_S3 (the local server), AWS_REGION,
INBOUND_INVOKE_URL (watch's invoke endpoint for inbound-mail), AWS_ENDPOINT_URL_DYNAMODB (moto's
data.json, for the simulator). Logs JSON lines; each invocation's answer is logged with the time
from accepting the message (`accepted_ms`).
"""
import datetime
import json
import os
import sys
import threading
import time
import urllib.request
import uuid

import boto3
from aiosmtpd.controller import Controller

MAX_MESSAGE_BYTES = 40 * 1024 * 1024  # SES receiving's limit
RETRIES = 2
SIMULATOR = {"bounce@simulator.amazonses.com": "Bounce", "complaint@simulator.amazonses.com": "Complaint"}


def log(message, **fields):
    line = {"at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"), "msg": message}
    line.update(fields)
    print(json.dumps(line), flush=True)


def invoke(event, what):
    url = os.environ["INBOUND_INVOKE_URL"]
    body = json.dumps(event).encode()
    for attempt in range(RETRIES + 1):
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=300) as answer:
                result = json.loads(answer.read() or b"null")
            if isinstance(result, dict) and "errorType" in result:
                raise RuntimeError(f"{result.get('errorType')}: {result.get('errorMessage')}")
            return result
        except Exception as e:  # noqa: BLE001 - the invocation failed: retried as Lambda would
            log("invocation failed", what=what, attempt=attempt, error=str(e)[:300])
            time.sleep(min(2 ** attempt, 5))
    log("invocation given up (the on-failure destination in AWS)", what=what)
    return None


def s3_event(bucket, key, size):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": os.environ.get("AWS_REGION", "us-east-1"),
        "eventTime": now, "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "inbound-mail",
               "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": key, "size": size}},
    }]}


class Handler:
    def __init__(self):
        self.domain = os.environ.get("REPLY_DOMAIN", "reply.incident-desk.localhost").lower()
        self.bucket = os.environ["ATTACHMENTS_BUCKET"]
        self.s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"],
                               region_name=os.environ.get("AWS_REGION", "us-east-1"))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not address.lower().endswith("@" + self.domain):
            return "550 5.1.1 not a mailbox of this desk"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        accepted = time.monotonic()
        raw = envelope.original_content or envelope.content
        key = f"inbound/{datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex}"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=raw)
        threading.Thread(target=self.deliver, args=(key, len(raw), accepted), daemon=True).start()
        log("accepted", key=key, bytes=len(raw), rcpt=envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def deliver(self, key, size, accepted):
        result = invoke(s3_event(self.bucket, key, size), key)
        log("handled", key=key, result=result, accepted_ms=round((time.monotonic() - accepted) * 1000))


def simulator():
    """SES's mailbox simulator: the local outbox's mail to its addresses → SNS notifications."""
    seen = set()
    url = f"{os.environ['AWS_ENDPOINT_URL_DYNAMODB']}/moto-api/data.json"
    while True:
        time.sleep(0.5)
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:
                messages = json.load(answer).get("ses", {}).get("Message", [])
        except Exception:  # noqa: BLE001 - the server is starting or busy; next round
            continue
        for m in messages:
            if m.get("id") in seen:
                continue
            seen.add(m.get("id"))
            destinations = m.get("destinations") or {}
            to = destinations.get("ToAddresses", []) if isinstance(destinations, dict) else list(destinations)
            for address in to:
                kind = SIMULATOR.get(address.lower())
                if not kind:
                    continue
                tags = {k: [v] for k, v in (m.get("tags") or {}).items()}
                mail = {"messageId": m.get("id"), "source": m.get("source"), "destination": to, "tags": tags,
                        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat()}
                if kind == "Bounce":
                    detail = {"bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                                         "feedbackId": f"{m.get('id')}-bounce",
                                         "bouncedRecipients": [{"emailAddress": address, "action": "failed",
                                                                "status": "5.1.1"}]}}
                else:
                    detail = {"complaint": {"feedbackId": f"{m.get('id')}-complaint",
                                            "complainedRecipients": [{"emailAddress": address}],
                                            "complaintFeedbackType": "abuse"}}
                notification = {"eventType": kind, "mail": mail, **detail}
                event = {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": {
                    "Type": "Notification", "MessageId": str(uuid.uuid4()),
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:incident-desk-ses-feedback",
                    "Message": json.dumps(notification), "Timestamp": mail["timestamp"]}}]}
                threading.Thread(target=lambda e=event, a=address: log("simulator", address=a, result=invoke(e, a)),
                                 daemon=True).start()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    port = int(sys.argv[1])
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, data_size_limit=MAX_MESSAGE_BYTES)
    controller.start()
    log("listening", port=port, domain=os.environ.get("REPLY_DOMAIN", "reply.incident-desk.localhost"))
    threading.Thread(target=simulator, daemon=True).start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
