"""Local DynamoDB-compatible server: moto's WSGI app behind one lock.

moto's stock server runs requests on parallel threads without making each one atomic, so
concurrent conditional transactions can both pass their conditions. Serving one request at a
time restores the all-or-nothing behaviour the tests prove (see ../../../shared/TOOLCHAIN.md).
moto_patches.py makes index queries and transactions cost what they touch, as on DynamoDB.
The same app answers S3 on the same port: path-style requests signed for `s3` and unsigned
ones (presigned URLs, CORS preflights) both reach moto's S3. moto's global CORS (which would
answer every preflight with the caller's own origin) is switched off, so a bucket's CORS rule
alone decides, as on AWS.
Usage: dynamodb_server.py PORT
"""
import os
import sys
import threading

os.environ.setdefault("MOTO_DISABLE_GLOBAL_CORS", "true")

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_patches  # noqa: E402

_app = DomainDispatcherApplication(create_backend_app)


moto_patches.apply()
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
