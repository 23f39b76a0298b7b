"""Local DynamoDB-compatible server: moto's WSGI app behind one lock.

moto's stock server runs requests on parallel threads without making each one atomic, so
concurrent conditional transactions can both pass their conditions. Serving one request at a
time restores the all-or-nothing behaviour the tests prove (measured on these machines; see the README, Troubleshooting).
moto_patches.py makes index queries and transactions cost what they touch, as on DynamoDB.
The same app answers S3 on the same port: path-style requests signed for `s3` and unsigned
ones (presigned URLs, CORS preflights) both reach moto's S3. moto's global CORS (which would
answer every preflight with the caller's own origin) is switched off, so a bucket's CORS rule
alone decides, as on AWS.

With LOCAL_DYNAMODB_RECORD=1 (`make bench` sets it; `make dev` and `make test` do not, and pay
nothing) the server also records every DynamoDB request: its operation (X-Amz-Target), when it
arrived (before waiting for the lock), when it got the lock and when it was answered (ms on the
server's monotonic clock), its HTTP status, and the write units DynamoDB's documented rules give
it, computed from the items before and after it (capacity.py). `GET /__calls?since=N` (never a
DynamoDB or S3 request: neither is answered on that path here) returns the calls after sequence
number N as JSON, `{"next": last sequence number, "calls": [...]}`.
Usage: dynamodb_server.py PORT
"""
import io
import json
import os
import sys
import threading
import time
from collections import deque
from itertools import islice
from urllib.parse import parse_qs

os.environ.setdefault("MOTO_DISABLE_GLOBAL_CORS", "true")

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capacity  # noqa: E402
import moto_patches  # noqa: E402

_app = DomainDispatcherApplication(create_backend_app)


moto_patches.apply()
_lock = threading.Lock()


def _serve(environ):
    captured = {}

    def capture(status, headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = headers
        return lambda data: None

    body = b"".join(_app(environ, capture))
    return captured["status"], captured["headers"], body


def locked_app(environ, start_response):
    with _lock:
        status, headers, body = _serve(environ)
    start_response(status, headers)
    return [body]


def _now_ms():
    return time.monotonic_ns() / 1e6


class _Recorder:
    """The calls log of the recording mode; the last MAX_CALLS calls are kept."""

    MAX_CALLS = 200_000

    def __init__(self):
        self.calls = deque(maxlen=self.MAX_CALLS)
        self.seq = 0
        self.guard = threading.Lock()

    def add(self, call):
        with self.guard:
            self.seq += 1
            call["seq"] = self.seq
            self.calls.append(call)

    def since(self, seq):
        with self.guard:
            newer = max(0, min(self.seq - seq, len(self.calls)))
            return self.seq, list(islice(self.calls, len(self.calls) - newer, None))


_recorder = _Recorder()


def _wire(value):
    """A moto DynamoType (or DynamoDB JSON) as plain DynamoDB JSON, nested values included."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    if isinstance(value, DynamoType):
        kind, v = value.type, value.value
    else:
        (kind, v), = value.items()
    if kind == "L":
        return {"L": [_wire(e) for e in v]}
    if kind == "M":
        return {"M": {k: _wire(e) for k, e in v.items()}}
    return {kind: v}


def _tables(environ):
    """The loaded DynamoDB backends' tables, by name: the request's region first."""
    from moto.dynamodb.models import dynamodb_backends

    auth = environ.get("HTTP_AUTHORIZATION", "")
    region = None
    if "Credential=" in auth:
        parts = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        region = parts[2] if len(parts) > 2 else None
    found = {}
    for _, regional in list(dynamodb_backends.items()):
        for name, backend in list(regional.items()):
            for table_name, table in list(backend.tables.items()):
                if name == region or table_name not in found:
                    found[table_name] = table
    return found


def _schema(table):
    keys = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    indexes = [
        {"name": i.name, "keys": [k["AttributeName"] for k in i.schema], "projection": i.projection}
        for i in (table.global_indexes or [])
    ]
    return {"keys": keys, "indexes": indexes}


def _item(table, key):
    item = moto_patches._item_at(table, key)
    if item is None:
        return None
    return {name: _wire(v) for name, v in item.attrs.items()}


def _writes(op, request):
    """(kind, table name, key or item, proposed item, transactional) of each item a write names."""
    if op in ("PutItem", "UpdateItem", "DeleteItem"):
        kind = op[: -len("Item")]
        raw = request.get("Item") if op == "PutItem" else request.get("Key")
        yield kind, request.get("TableName"), raw, request.get("Item"), False
    elif op == "BatchWriteItem":
        for table_name, entries in (request.get("RequestItems") or {}).items():
            for entry in entries:
                if "PutRequest" in entry:
                    item = entry["PutRequest"].get("Item")
                    yield "Put", table_name, item, item, False
                elif "DeleteRequest" in entry:
                    yield "Delete", table_name, entry["DeleteRequest"].get("Key"), None, False
    elif op == "TransactWriteItems":
        for entry in request.get("TransactItems") or []:
            for kind, body in entry.items():
                raw = body.get("Item") if kind == "Put" else body.get("Key")
                yield kind, body.get("TableName"), raw, body.get("Item"), True


class _Census:
    """The items one write names, as they were before it and after it."""

    def __init__(self, environ, op, request):
        self.entries = []
        if op not in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"):
            return
        tables = _tables(environ)
        for kind, table_name, raw, proposed, transactional in _writes(op, request):
            table = tables.get(table_name)
            if table is None or not isinstance(raw, dict) or table.hash_key_attr not in raw:
                continue
            if table.range_key_attr and table.range_key_attr not in raw:
                continue
            key = moto_patches._key_of_write(table, raw)
            self.entries.append([kind, table, key, proposed, transactional, _item(table, key), None])

    def after(self):
        for entry in self.entries:
            entry[6] = _item(entry[1], entry[2])

    def units(self, ok, error):
        total = {"table": 0, "index": 0, "read": 0}
        for kind, table, _, proposed, transactional, before, after in self.entries:
            applied = ok
            if not ok and not transactional and "ConditionalCheckFailed" not in error:
                continue  # refused before any condition was evaluated: nothing consumed
            u = capacity.item_write(kind, before, after, _schema(table), applied, transactional,
                                    proposed if kind == "Put" else None)
            for k in total:
                total[k] += u[k]
        return total


def recording_app(environ, start_response):
    if environ.get("PATH_INFO") == "/__calls" and environ.get("REQUEST_METHOD") == "GET":
        query = parse_qs(environ.get("QUERY_STRING", ""))
        seq, calls = _recorder.since(int((query.get("since") or ["0"])[0]))
        body = json.dumps({"next": seq, "calls": calls}).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if not target.startswith("DynamoDB_"):
        return locked_app(environ, start_response)
    op = target.split(".", 1)[-1]
    arrived = _now_ms()
    raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(raw)
    try:
        request = json.loads(raw or b"{}")
    except ValueError:
        request = {}
    with _lock:
        started = _now_ms()
        census = _Census(environ, op, request)
        status, headers, body = _serve(environ)
        code = int(status.split(" ", 1)[0])
        error = ""
        if code != 200:
            try:
                error = json.loads(body).get("__type", "")
            except ValueError:
                pass
        census.after()
        units = census.units(code == 200, error)
        done = _now_ms()
    _recorder.add({
        "op": op, "arrived_ms": arrived, "started_ms": started, "done_ms": done,
        "status": code, "error": error.rsplit("#", 1)[-1], "items": len(census.entries),
        "wcu": units["table"], "index_wcu": units["index"], "rcu_checks": units["read"],
        "transactional": op == "TransactWriteItems",
    })
    start_response(status, headers)
    return [body]


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    recording = os.environ.get("LOCAL_DYNAMODB_RECORD") == "1"
    note = ", recording calls (GET /__calls)" if recording else ""
    print(f"dynamodb (moto, one lock) on http://127.0.0.1:{port}{note}", flush=True)
    app = recording_app if recording else locked_app
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
