"""The local stack's stand-ins for AWS glue around the notifier, against the local moto server.

  notifications.py setup            SES sender identity, the pager topic, the failure queue
  notifications.py relay FUNCTION   the DynamoDB stream -> FUNCTION, as the event source mapping
  notifications.py outbox [--to A] [--grep TEXT] [--json]   the mail SES accepted

Environment: AWS_ENDPOINT_URL_DYNAMODB (the moto server; SES, SNS, SQS and streams are served by
the same one), AWS_REGION, TABLE_NAME, NOTIFY_FROM, PAGER_TOPIC_ARN, NOTIFIER_FAILURE_QUEUE and,
for the relay, NOTIFIER_INVOKE_URL (the watch's invoke endpoint).

The relay does what the template's event source mapping does in AWS (infra/template.yaml,
NotifierStream): the same filter (timeline event inserts; pack, claim and tax-exemption items),
batches of up to BATCH_SIZE records in stream order, ReportBatchItemFailures honoured (the batch
is retried from the lowest failed sequence number; records before it are done), an invocation
error bisects the batch, and after MAX_RETRIES retries the records go to the on-failure queue
(SQS) and the shard moves on.
"""
import base64
import datetime
import json
import os
import sys
import time
import urllib.request

import boto3

BATCH_SIZE = int(os.environ.get("NOTIFIER_BATCH_SIZE", "25"))
MAX_RETRIES = int(os.environ.get("NOTIFIER_MAX_RETRIES", "3"))
POLL_SECONDS = 0.3


def endpoint():
    return os.environ["AWS_ENDPOINT_URL_DYNAMODB"]


def client(service):
    return boto3.client(service, endpoint_url=endpoint(), region_name=os.environ.get("AWS_REGION", "us-east-1"))


def log(message, **fields):
    line = {"at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "msg": message}
    line.update(fields)
    print(json.dumps(line), flush=True)


# ---- setup -------------------------------------------------------------------------------------

def setup():
    sender = os.environ["NOTIFY_FROM"]
    client("sesv2").create_email_identity(EmailIdentity=sender)
    topic_arn = os.environ["PAGER_TOPIC_ARN"]
    client("sns").create_topic(Name=topic_arn.rsplit(":", 1)[1])
    queue = os.environ.get("NOTIFIER_FAILURE_QUEUE", "incident-desk-notifier-failures")
    client("sqs").create_queue(QueueName=queue)
    print(f"mail from {sender} (SES identity), pager topic {topic_arn}, failure queue {queue}")


# ---- relay -------------------------------------------------------------------------------------

def matches_filter(record):
    """The event source mapping's FilterCriteria (infra/template.yaml), evaluated here."""
    sk = record["dynamodb"].get("Keys", {}).get("SK", {}).get("S", "")
    name = record["eventName"]
    if sk.startswith("EVENT#") and name == "INSERT":
        return True
    if sk.startswith("DATA_EXPORT#") and name == "MODIFY":
        return True
    return sk in ("PACK", "CLAIM", "TAX_EXEMPTION") and name in ("INSERT", "MODIFY")


def plain(value):
    """boto3 decodes a few things the Lambda event carries as JSON text: dates and binaries."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return value


def lambda_record(record, stream_arn, region):
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime.datetime):
        change["ApproximateCreationDateTime"] = created.timestamp()
    return plain({
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", region),
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    })


def seq(record):
    s = record["dynamodb"]["SequenceNumber"]
    return int(s) if s.isdigit() else s


def invoke(url, records):
    body = json.dumps({"Records": records}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            payload = answer.read()
    except Exception as e:  # the invocation itself failed (function crashed, watch gone)
        return None, str(e)
    try:
        result = json.loads(payload or b"null")
    except ValueError:
        return None, payload[:200].decode(errors="replace")
    if isinstance(result, dict) and "errorType" in result:
        return None, f"{result.get('errorType')}: {result.get('errorMessage')}"
    return result or {}, None


class Relay:
    def __init__(self, function):
        self.url = os.environ.get("NOTIFIER_INVOKE_URL") or (
            f"http://127.0.0.1:{os.environ['CARGO_LAMBDA_INVOKE_PORT']}/2015-03-31/functions/{function}/invocations")
        self.region = os.environ.get("AWS_REGION", "us-east-1")
        self.streams = client("dynamodbstreams")
        self.sqs = client("sqs")
        self.failure_queue = os.environ.get("NOTIFIER_FAILURE_QUEUE", "incident-desk-notifier-failures")
        table = client("dynamodb").describe_table(TableName=os.environ["TABLE_NAME"])["Table"]
        self.stream_arn = table["LatestStreamArn"]

    def to_failure_destination(self, records, reason):
        """What an on-failure destination gets: which records of the shard were given up."""
        self.sqs.send_message(
            QueueUrl=self.sqs.get_queue_url(QueueName=self.failure_queue)["QueueUrl"],
            MessageBody=json.dumps({
                "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": "notifier"},
                "responseContext": {"reason": reason},
                "DDBStreamBatchInfo": {
                    "streamArn": self.stream_arn,
                    "batchSize": len(records),
                    "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                    "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                },
            }),
        )
        log("records given up: sent to the on-failure queue", records=len(records), reason=reason)

    def deliver(self, records, attempt=0):
        """Delivers a batch until every record is done or given up; retries honour the answer."""
        while records:
            started = time.monotonic()
            result, error = invoke(self.url, records)
            took = round((time.monotonic() - started) * 1000)
            if error is not None:
                log("invocation failed", records=len(records), attempt=attempt, error=error, ms=took)
                if attempt >= MAX_RETRIES:
                    self.to_failure_destination(records, error)
                    return
                if len(records) > 1:  # BisectBatchOnFunctionError
                    half = len(records) // 2
                    self.deliver(records[:half], attempt + 1)
                    self.deliver(records[half:], attempt + 1)
                    return
                attempt += 1
                time.sleep(min(2 ** attempt, 10))
                continue
            failed = [f.get("itemIdentifier") for f in result.get("batchItemFailures", [])]
            if not failed:
                log("batch delivered", records=len(records), ms=took)
                return
            by_seq = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(records)}
            known = [by_seq[f] for f in failed if f in by_seq]
            # An identifier the batch does not hold fails the whole batch, as in AWS.
            first = min(known) if len(known) == len(failed) else 0
            log("partial batch failure: retrying from the first failed record",
                records=len(records), done=first, retried=len(records) - first, attempt=attempt, ms=took)
            records = records[first:]
            if attempt >= MAX_RETRIES:
                self.to_failure_destination(records, "batchItemFailures")
                return
            attempt += 1
            time.sleep(min(2 ** attempt * 0.5, 10))

    def run(self):
        log("relaying the table's stream", stream=self.stream_arn, to=self.url)
        iterators = {}
        while True:
            shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
            for shard in shards:
                sid = shard["ShardId"]
                if sid not in iterators:
                    iterators[sid] = self.streams.get_shard_iterator(
                        StreamArn=self.stream_arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            busy = False
            for sid, iterator in list(iterators.items()):
                if iterator is None:
                    continue
                out = self.streams.get_records(ShardIterator=iterator, Limit=BATCH_SIZE * 4)
                iterators[sid] = out.get("NextShardIterator")
                records = [lambda_record(r, self.stream_arn, self.region) for r in out.get("Records", [])]
                records = [r for r in records if matches_filter(r)]
                for i in range(0, len(records), BATCH_SIZE):
                    busy = True
                    self.deliver(records[i:i + BATCH_SIZE])
            if not busy:
                time.sleep(POLL_SECONDS)


# ---- outbox ------------------------------------------------------------------------------------

def sent_messages():
    with urllib.request.urlopen(f"{endpoint()}/moto-api/data.json", timeout=30) as answer:
        data = json.load(answer)
    return list(data.get("ses", {}).get("Message", []))


def outbox(args):
    to = args[args.index("--to") + 1] if "--to" in args else None
    grep = args[args.index("--grep") + 1] if "--grep" in args else None
    messages = []
    for m in sent_messages():
        destinations = m.get("destinations") or {}
        addresses = destinations.get("ToAddresses", []) if isinstance(destinations, dict) else list(destinations)
        if to and to not in addresses:
            continue
        if grep and grep not in json.dumps(m, ensure_ascii=False):
            continue
        messages.append(m)
    if "--json" in args:
        print(json.dumps(messages, ensure_ascii=False, indent=2))
        return
    if not messages:
        print("(no mail sent yet)")
    for m in messages:
        destinations = m.get("destinations") or {}
        addresses = destinations.get("ToAddresses", []) if isinstance(destinations, dict) else destinations
        print(f"=== to {', '.join(addresses)} from {m.get('source')}\n    subject: {m.get('subject')}")
        if "--body" in args:
            print(m.get("body"))
    print(f"-- {len(messages)} message(s); --body shows them, --to ADDRESS / --grep TEXT filter")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    command = sys.argv[1]
    if command == "setup":
        setup()
    elif command == "relay":
        Relay(sys.argv[2] if len(sys.argv) > 2 else "notifier").run()
    elif command == "outbox":
        outbox(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
