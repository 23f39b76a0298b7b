"""Differential check of infra/local/moto_patches.py against stock moto, in process.

Random puts, updates, deletes, batch writes and transactions (a share of them cancelled) on a
table with three global secondary indexes, dropped and created again half way; after each round the
table and every index are queried with random key conditions, directions, limits and filters, page
by page, once through the patched fast path and once through stock moto, and the pages must be
identical. After every cancelled transaction
the whole table must read as it did before. At the end, moto's instance lists (what
/moto-api/data.json walks) must hold no DynamoDB item or stream record, and still hold the SES
message sent last. Exits non-zero on the first difference.
Usage: check_moto_patches.py [seed] [rounds]
"""

import os
import random
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_patches  # noqa: E402

TABLE = "check"
counts = {"transactions": 0, "cancelled": 0}
PARTITIONS = ["P#0", "P#1", "P#2"]


def gsi(name, pk, sk, sk_type="S"):
    return name, pk, sk, sk_type


INDEXES = [gsi("by_due", "gpk", "due"), gsi("by_rank", "rpk", "rank", "N"), gsi("by_owner", "opk", "osk")]


def create(client):
    attrs = {"pk": "S", "sk": "S"}
    for _, pk, sk, sk_type in INDEXES:
        attrs[pk] = "S"
        attrs[sk] = sk_type
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in attrs.items()],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": name,
                "KeySchema": [{"AttributeName": pk, "KeyType": "HASH"}, {"AttributeName": sk, "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, pk, sk, _ in INDEXES
        ],
    )


SORT_KEYS = ["A", "B", "EVENT#01", "EVENT#02", "EVENT#10", "PROPOSAL#1"]


def key(rng):
    return {"pk": {"S": f"I#{rng.randrange(60)}"}, "sk": {"S": rng.choice(SORT_KEYS)}}


def due(rng):
    return f"2026-11-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:{rng.choice(['00', '30'])}:00Z"


def item(rng):
    attrs = dict(key(rng))
    attrs["v"] = {"N": str(rng.randrange(1000))}
    if rng.random() < 0.7:
        attrs["gpk"] = {"S": rng.choice(PARTITIONS)}
        attrs["due"] = {"S": due(rng)}
    if rng.random() < 0.5:
        attrs["rpk"] = {"S": rng.choice(PARTITIONS)}
        attrs["rank"] = {"N": str(rng.randrange(-50, 50))}
    if rng.random() < 0.3:
        attrs["opk"] = {"S": rng.choice(PARTITIONS)}
    if rng.random() < 0.8:
        attrs["osk"] = {"S": rng.choice(["a", "ab", "abc", "b", "ba"]) + str(rng.randrange(5))}
    return attrs


def update_args(rng):
    choice = rng.randrange(4)
    if choice == 0:
        return "SET gpk = :p, due = :d", {":p": {"S": rng.choice(PARTITIONS)}, ":d": {"S": due(rng)}}
    if choice == 1:
        return "REMOVE gpk, due", None
    if choice == 2:
        return "SET rpk = :p, #r = :r", {":p": {"S": rng.choice(PARTITIONS)}, ":r": {"N": str(rng.randrange(-50, 50))}}
    return "SET v = v + :one", {":one": {"N": "1"}}


def update_request(rng, key, condition=None):
    """A random UpdateItem request; an increment is conditioned on the item existing."""
    expression, values = update_args(rng)
    request = {"TableName": TABLE, "Key": key, "UpdateExpression": expression}
    if "#r" in expression:
        request["ExpressionAttributeNames"] = {"#r": "rank"}
    if values:
        request["ExpressionAttributeValues"] = values
    if condition or "v + :one" in expression:
        request["ConditionExpression"] = condition or "attribute_exists(pk)"
    return request


def distinct_items(rng, most):
    """1 to `most` random items with distinct keys (a batch or a transaction names a key once)."""
    items, seen = [], set()
    for _ in range(rng.randrange(1, most + 1)):
        entry = item(rng)
        ident = (entry["pk"]["S"], entry["sk"]["S"])
        if ident not in seen:
            seen.add(ident)
            items.append(entry)
    return items, seen


def write(client, rng):
    op = rng.randrange(10)
    try:
        if op < 4:
            client.put_item(TableName=TABLE, Item=item(rng))
        elif op < 6:
            client.update_item(**update_request(rng, key(rng), "attribute_exists(pk)"))
        elif op < 7:
            client.delete_item(TableName=TABLE, Key=key(rng))
        elif op < 8:
            requests = [
                {"PutRequest": {"Item": entry}} if rng.random() < 0.7 else {"DeleteRequest": {"Key": key_of(entry)}}
                for entry in distinct_items(rng, 5)[0]
            ]
            client.batch_write_item(RequestItems={TABLE: requests})
        else:
            transaction(client, rng)
    except ClientError as error:
        # A refused write (a failed condition, an update of a missing attribute) is an answer too.
        if error.response["Error"]["Code"] not in ("ConditionalCheckFailedException", "ValidationException"):
            raise


def key_of(attrs):
    return {"pk": attrs["pk"], "sk": attrs["sk"]}


def everything(client):
    items, start = [], None
    while True:
        kwargs = {"TableName": TABLE, "ConsistentRead": True}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.scan(**kwargs)
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def transaction(client, rng):
    ops = []
    entries, seen = distinct_items(rng, 4)
    for attrs in entries:
        kind = rng.randrange(3)
        if kind == 0:
            ops.append({"Put": {"TableName": TABLE, "Item": attrs}})
        elif kind == 1:
            ops.append({"Update": update_request(rng, key_of(attrs))})
        else:
            ops.append({"Delete": {"TableName": TABLE, "Key": key_of(attrs)}})
    # Sometimes a last item that must fail: the whole transaction is cancelled.
    doomed = rng.random() < 0.4
    if doomed:
        attrs = item(rng)
        if (attrs["pk"]["S"], attrs["sk"]["S"]) not in seen:
            ops.append({"ConditionCheck": {"TableName": TABLE, "Key": key_of(attrs),
                                           "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(pk)"}})
    before = everything(client)
    counts["transactions"] += 1
    try:
        client.transact_write_items(TransactItems=ops)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("TransactionCanceledException", "ValidationException"):
            raise
        counts["cancelled"] += 1
        after = everything(client)
        if after != before:
            sys.exit("check_moto_patches: a cancelled transaction changed the table")
        return
    if doomed and any("ConditionCheck" in op for op in ops):
        sys.exit("check_moto_patches: an impossible condition passed")


def pages(client, kwargs):
    out, start = [], None
    while True:
        call = dict(kwargs)
        if start:
            call["ExclusiveStartKey"] = start
        page = client.query(**call)
        out.append((page["Items"], page.get("LastEvaluatedKey")))
        start = page.get("LastEvaluatedKey")
        if not start:
            return out


def table_query_args(rng):
    """A Query of the table itself: one partition, sometimes a sort-key condition."""
    values = {":p": {"S": f"I#{rng.randrange(62)}"}}
    condition = "pk = :p"
    form = rng.choice(["none", "=", "<", ">=", "between", "begins"])
    if form == "between":
        low, high = sorted(rng.sample(SORT_KEYS, 2))
        condition += " AND sk BETWEEN :a AND :b"
        values.update({":a": {"S": low}, ":b": {"S": high}})
    elif form == "begins":
        condition += " AND begins_with(sk, :a)"
        values[":a"] = {"S": rng.choice(["EVENT#", "EVENT#0", "P", "Z"])}
    elif form != "none":
        condition += f" AND sk {form} :a"
        values[":a"] = {"S": rng.choice(SORT_KEYS)}
    kwargs = {"TableName": TABLE, "KeyConditionExpression": condition,
              "ExpressionAttributeValues": values, "ScanIndexForward": rng.random() < 0.5,
              "ConsistentRead": rng.random() < 0.5}
    if rng.random() < 0.6:
        kwargs["Limit"] = rng.randrange(1, 4)
    if rng.random() < 0.3:
        kwargs["FilterExpression"] = "v > :min"
        values[":min"] = {"N": str(rng.randrange(1000))}
    return kwargs


def query_args(rng):
    if rng.random() < 0.25:
        return table_query_args(rng)
    name, pk, sk, sk_type = rng.choice(INDEXES)
    values = {":p": {"S": rng.choice(PARTITIONS)}}
    names = {"#pk": pk, "#sk": sk}
    condition = "#pk = :p"
    if sk_type == "N":
        bound = lambda: {"N": str(rng.randrange(-60, 60))}  # noqa: E731
    elif sk == "due":
        bound = lambda: {"S": due(rng)}  # noqa: E731
    else:
        bound = lambda: {"S": rng.choice(["a", "ab", "b", "abc1", "c", ""]) or "a"}  # noqa: E731
    form = rng.choice(["none", "=", "<", "<=", ">", ">=", "between", "begins"])
    if form == "between":
        low, high = sorted([bound(), bound()], key=lambda v: float(v["N"]) if "N" in v else v["S"])
        condition += " AND #sk BETWEEN :a AND :b"
        values.update({":a": low, ":b": high})
    elif form == "begins" and sk_type == "S":
        condition += " AND begins_with(#sk, :a)"
        values[":a"] = {"S": rng.choice(["a", "ab", "b", "2026-11-1", "2026-11-2"])}
    elif form not in ("none", "begins"):
        condition += f" AND #sk {form} :a"
        values[":a"] = bound()
    if "#sk" not in condition:
        del names["#sk"]
    kwargs = {"TableName": TABLE, "IndexName": name, "KeyConditionExpression": condition,
              "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
              "ScanIndexForward": rng.random() < 0.5}
    if rng.random() < 0.6:
        kwargs["Limit"] = rng.randrange(1, 8)
    if rng.random() < 0.3:
        kwargs["FilterExpression"] = "v > :min"
        values[":min"] = {"N": str(rng.randrange(1000))}
    return kwargs


def instances_kept():
    """How many instances moto's data.json would list, DynamoDB's (and its stream's) and SES's,
    after one SES message is sent."""
    from moto.core.model_instances import model_data

    ses = boto3.client("ses")
    ses.verify_email_identity(EmailAddress="check@example.com")
    ses.send_email(Source="check@example.com", Destination={"ToAddresses": ["to@example.com"]},
                   Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}})
    dynamodb = sum(len(cls.instances_tracked) for service in ("dynamodb", "dynamodbstreams")
                   for cls in model_data.get(service, {}).values())
    ses_messages = sum(len(cls.instances_tracked) for name, cls in model_data.get("ses", {}).items()
                       if name == "Message")
    return {"dynamodb": dynamodb, "ses": ses_messages}


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    rng = random.Random(seed)
    moto_patches.apply()
    queries = paged = table_queries = 0
    with mock_aws():
        client = boto3.client("dynamodb")
        create(client)
        for round_ in range(rounds):
            if round_ == rounds // 2:
                # A table dropped and created again under the same name starts afresh.
                client.delete_table(TableName=TABLE)
                create(client)
            for _ in range(rng.randrange(5, 25)):
                write(client, rng)
            for _ in range(12):
                kwargs = query_args(rng)
                moto_patches.fast_index_queries = True
                path = "partition" if "IndexName" in kwargs else "table_partition"
                before = moto_patches.served[path]
                fast = pages(client, kwargs)
                if moto_patches.served[path] - before != len(fast):
                    sys.exit(f"check_moto_patches: a page of {kwargs} was not answered from its partition")
                paged += len(fast)
                table_queries += "IndexName" not in kwargs
                moto_patches.fast_index_queries = False
                stock = pages(client, kwargs)
                moto_patches.fast_index_queries = True
                queries += 1
                if fast != stock:
                    print("query:", kwargs, file=sys.stderr)
                    print("fast: ", fast, file=sys.stderr)
                    print("stock:", stock, file=sys.stderr)
                    sys.exit(f"check_moto_patches: seed {seed}: the patched query differs from moto's")
        kept = instances_kept()
        if kept["dynamodb"]:
            sys.exit(f"check_moto_patches: {kept['dynamodb']} DynamoDB model instances kept for data.json")
        if kept["ses"] != 1:
            sys.exit(f"check_moto_patches: the SES message is not listed for data.json ({kept['ses']})")
    print(f"check_moto_patches: seed {seed}: {rounds} rounds, {queries} queries ({table_queries} of the table, "
          f"the rest of indexes; {paged} pages) answered from their partitions identical to stock moto, "
          f"{counts['cancelled']} of {counts['transactions']} transactions cancelled, each leaving the table as it was; "
          f"no DynamoDB instance kept for data.json, the SES message listed")


if __name__ == "__main__":
    main()
