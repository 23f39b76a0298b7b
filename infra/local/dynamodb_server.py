"""Local DynamoDB-compatible server: moto's WSGI app behind one lock.

moto's stock server runs requests on parallel threads without making each one atomic, so
concurrent conditional transactions can both pass their conditions. Serving one request at a
time restores the all-or-nothing behaviour the tests prove (see ../../../shared/TOOLCHAIN.md).
Usage: dynamodb_server.py PORT
"""
import sys
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

_app = DomainDispatcherApplication(create_backend_app)


def _copy_each_table_once_per_transaction():
    """moto backs up a table before a transaction by deep-copying it once per *item* of the
    transaction; a 5-item draw copies the whole table five times, so every transaction slows as
    the table grows. The copies are identical, so one per table and transaction is enough (the
    lock below makes one transaction at a time)."""
    import copy as _copy

    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    class CopyOncePerTable:
        cache = None

        def deepcopy(self, obj, memo=None):
            if self.cache is not None and isinstance(obj, Table):
                if id(obj) not in self.cache:
                    self.cache[id(obj)] = (obj, _copy.deepcopy(obj))
                return self.cache[id(obj)][1]
            return _copy.deepcopy(obj, memo)

        def __getattr__(self, name):
            return getattr(_copy, name)

    shim = CopyOncePerTable()
    models.copy = shim
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        shim.cache = {}
        try:
            return original(self, transact_items)
        finally:
            shim.cache = None

    models.DynamoDBBackend.transact_write_items = transact_write_items


_copy_each_table_once_per_transaction()
_lock = threading.Lock()


def locked_app(environ, start_response):
    with _lock:
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        body = b"".join(_app(environ, capture))
    start_response(captured["status"], captured["headers"])
    return [body]


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    print(f"dynamodb (moto, one lock) on http://127.0.0.1:{port}", flush=True)
    run_simple("127.0.0.1", port, locked_app, threaded=True, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
