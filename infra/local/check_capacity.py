"""Checks of infra/local/capacity.py (DynamoDB's documented item size and write unit rules) and of
the local server's recording mode (infra/local/dynamodb_server.py with LOCAL_DYNAMODB_RECORD=1),
in process: the calculator against sizes worked out by hand from the rules, then a server on a
free loopback port driven by boto3, whose `GET /__calls` log must show each call's operation,
times and computed units. Exits non-zero on the first failure.
Usage: check_capacity.py
"""

import json
import os
import sys
import threading
import urllib.request

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capacity as c  # noqa: E402

failures = []


def expect(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got!r}, want {want!r}")


def check_sizes():
    expect("string: UTF-8 bytes", c.value_size({"S": "zażółć"}), 10)
    expect("number 1000: one significant digit", c.value_size({"N": "1000"}), 2)
    expect("number 12345: three bytes of digits", c.value_size({"N": "12345"}), 4)
    expect("number -0.050: one digit", c.value_size({"N": "-0.050"}), 2)
    expect("number 0", c.value_size({"N": "0"}), 2)
    expect("binary: raw bytes of the base64", c.value_size({"B": "AAEC"}), 3)
    expect("binary as bytes", c.value_size({"B": b"\x00\x01"}), 2)
    expect("bool and null", (c.value_size({"BOOL": True}), c.value_size({"NULL": True})), (1, 1))
    expect("string set", c.value_size({"SS": ["ab", "c"]}), 3)
    expect("number set", c.value_size({"NS": ["1", "123"]}), 2 + 3)
    expect("empty list and map", (c.value_size({"L": []}), c.value_size({"M": {}})), (3, 3))
    # 3 overhead + ("x" 1 + "a" 1 + 1 element byte) + ("yy" 2 + N 2 + 1)
    expect("map with names", c.value_size({"M": {"x": {"S": "a"}, "yy": {"N": "7"}}}), 3 + 3 + 5)
    # 3 + ("ab" 2 + 1) + (map 3 + 1)
    expect("list", c.value_size({"L": [{"S": "ab"}, {"M": {}}]}), 3 + 3 + 4)
    item = {"pk": {"S": "INC#1"}, "sk": {"S": "A"}, "v": {"N": "12"}}
    expect("item: names plus values", c.item_size(item), (2 + 5) + (2 + 1) + (1 + 2))
    expect("no item", c.item_size(None), 0)
    expect("1 KB is one unit", c.write_units(1024), 1)
    expect("1 KB + 1 byte is two", c.write_units(1025), 2)
    expect("at least one", c.write_units(0), 1)
    expect("reads by 4 KB", (c.read_units(4096), c.read_units(4097)), (1, 2))


def big(n):
    return {"S": "x" * n}


SCHEMA = {
    "keys": ["pk", "sk"],
    "indexes": [
        {"name": "due", "keys": ["gpk", "due"], "projection": {"ProjectionType": "ALL"}},
        {"name": "owner", "keys": ["opk"], "projection": {"ProjectionType": "KEYS_ONLY"}},
        {"name": "inc", "keys": ["opk"],
         "projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}},
    ],
}


def check_writes():
    key = {"pk": {"S": "P"}, "sk": {"S": "S"}}
    plain = dict(key, body=big(1500))  # 2 + 1 + 2 + 1 + 4 + 1500 bytes: 2 units
    w = c.item_write("Put", None, plain, SCHEMA, True)
    expect("new item, in no index", w, {"table": 2, "index": 0, "read": 0})
    w = c.item_write("Put", None, plain, SCHEMA, True, transactional=True)
    expect("transactional put doubles", w["table"], 4)
    small = dict(key, v={"N": "1"})
    w = c.item_write("Put", plain, small, SCHEMA, True)
    expect("replacing: the larger of before and after", w["table"], 2)
    w = c.item_write("Delete", plain, None, SCHEMA, True)
    expect("delete: the deleted item", w["table"], 2)
    w = c.item_write("Delete", None, None, SCHEMA, True)
    expect("delete of nothing: one unit", w["table"], 1)
    w = c.item_write("Update", plain, plain, SCHEMA, False)
    expect("failed condition: the existing item, no index", w, {"table": 2, "index": 0, "read": 0})
    w = c.item_write("Put", small, None, SCHEMA, False, proposed=plain)
    expect("failed conditional put: the proposed item if larger", w["table"], 2)
    w = c.item_write("ConditionCheck", plain, plain, SCHEMA, True, transactional=True)
    expect("condition check: a transactional read", w, {"table": 0, "index": 0, "read": 2})

    due = dict(key, gpk={"S": "AWAITING"}, due={"S": "2026-01-01"})
    w = c.item_write("Put", None, due, SCHEMA, True)
    expect("into an ALL index: one write", w["index"], 1)
    moved = dict(due, due={"S": "2026-01-02"})
    w = c.item_write("Update", due, moved, SCHEMA, True)
    expect("index key changed: delete and put", w["index"], 2)
    w = c.item_write("Update", due, dict(key, gpk={"S": "AWAITING"}), SCHEMA, True)
    expect("index key removed: one delete", w["index"], 1)
    w = c.item_write("Update", due, dict(due, extra={"S": "e"}), SCHEMA, True)
    expect("projected attribute changed (ALL)", w["index"], 1)
    w = c.item_write("Update", due, dict(due), SCHEMA, True)
    expect("entry unchanged: no index write", w["index"], 0)
    w = c.item_write("Update", due, dict(due, gpk={"S": "AWAITING"}, body=big(3000)), SCHEMA, True)
    expect("large ALL entry: its size", (w["table"], w["index"]), (3, 3))

    owned = dict(key, opk={"S": "A#1"}, note={"S": "n"})
    w = c.item_write("Put", None, owned, SCHEMA, True)
    expect("KEYS_ONLY and INCLUDE indexes: one each", w["index"], 2)
    w = c.item_write("Update", owned, dict(owned, other=big(10)), SCHEMA, True)
    expect("non-projected attribute changed: no write to KEYS_ONLY/INCLUDE", w["index"], 0)
    w = c.item_write("Update", owned, dict(owned, note={"S": "m"}), SCHEMA, True)
    expect("included attribute changed: INCLUDE only", w["index"], 1)
    w = c.item_write("Update", owned, dict(owned, opk={"S": "A#2"}), SCHEMA, True)
    expect("key changed in two indexes: 2 + 2", w["index"], 4)


def check_server():
    os.environ["LOCAL_DYNAMODB_RECORD"] = "1"
    import boto3
    import dynamodb_server
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    server = make_server("127.0.0.1", 0, dynamodb_server.recording_app, threaded=True,
                         request_handler=Quiet)
    port = server.socket.getsockname()[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{port}"

    def calls(since):
        with urllib.request.urlopen(f"{url}/__calls?since={since}") as r:
            return json.loads(r.read())

    try:
        client = boto3.client("dynamodb", endpoint_url=url)
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                                  for n in ("pk", "sk", "gpk", "due")],
            BillingMode="PAY_PER_REQUEST",
            GlobalSecondaryIndexes=[{
                "IndexName": "by_due",
                "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"},
                              {"AttributeName": "due", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }],
        )
        start = calls(0)["next"]
        item = {"pk": {"S": "I#1"}, "sk": {"S": "A"}, "gpk": {"S": "W"}, "due": {"S": "1"}}
        client.put_item(TableName="t", Item=item)
        client.update_item(TableName="t", Key={"pk": {"S": "I#1"}, "sk": {"S": "A"}},
                           UpdateExpression="SET due = :d", ExpressionAttributeValues={":d": {"S": "2"}})
        try:
            client.put_item(TableName="t", Item=item, ConditionExpression="attribute_not_exists(pk)")
            failures.append("the conditional put should have failed")
        except client.exceptions.ConditionalCheckFailedException:
            pass
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "I#2"}, "sk": {"S": "A"}}}},
            {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "I#1"}, "sk": {"S": "A"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
        client.get_item(TableName="t", Key={"pk": {"S": "I#1"}, "sk": {"S": "A"}})
        log = calls(start)
        got = [(x["op"], x["status"], x["wcu"], x["index_wcu"], x["rcu_checks"]) for x in log["calls"]]
        expect("the recorded calls", got, [
            ("PutItem", 200, 1, 1, 0),
            ("UpdateItem", 200, 1, 2, 0),  # the index key changed: delete and put
            ("PutItem", 400, 1, 0, 0),  # the failed condition still consumes
            ("TransactWriteItems", 200, 2, 0, 2),
            ("GetItem", 200, 0, 0, 0),
        ])
        expect("the failure's name", log["calls"][2]["error"], "ConditionalCheckFailedException")
        expect("sequence numbers", [x["seq"] for x in log["calls"]], list(range(start + 1, log["next"] + 1)))
        for x in log["calls"]:
            if not x["arrived_ms"] <= x["started_ms"] <= x["done_ms"]:
                failures.append(f"times out of order: {x}")
        expect("nothing after the last", calls(log["next"])["calls"], [])
    finally:
        server.shutdown()


def main():
    check_sizes()
    check_writes()
    check_server()
    if failures:
        for f in failures:
            print("FAIL", f)
        sys.exit(1)
    print("capacity: item sizes, write units and the recording server as documented")


if __name__ == "__main__":
    main()
