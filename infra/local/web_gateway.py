#!/usr/bin/env python3
"""The local stand-ins for what sits in front of the functions and the console in AWS.

  gateway  PORT UPSTREAM ORIGIN   API Gateway's part: answers CORS preflights and adds CORS headers
                                  for the console's origin exactly as infra/template.yaml's
                                  CorsConfiguration says (read from the template), and forwards every
                                  other request unchanged to `cargo lambda watch` (which has no CORS:
                                  an OPTIONS request gets the emulator's own 404).
  console  PORT DIST API_URL      CloudFront's part: serves the built console (web/dist), a
                                  config.json naming the API, and index.html for every app path.

Standard library only; loopback only.
"""
import http.client
import json
import mimetypes
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
       "transfer-encoding", "upgrade", "content-length", "date", "server"}


def template_cors(path=os.path.join(ROOT, "infra", "template.yaml")):
    """AllowMethods/AllowHeaders/ExposeHeaders/MaxAge of the HTTP API's CorsConfiguration."""
    text = open(path, encoding="utf-8").read()
    # The HTTP API's block (AllowOrigins/AllowMethods), not the attachments bucket's CorsRules.
    blocks = [m.group(1) for m in re.finditer(r"CorsConfiguration:\n((?:\s{8,}.*\n)+)", text)]
    blocks = [b for b in blocks if re.search(r"^\s+AllowMethods:", b, re.M)]
    if len(blocks) != 1:
        sys.exit("web_gateway: expected one HTTP API CorsConfiguration in infra/template.yaml")
    body = blocks[0]

    def flow_list(name):
        m = re.search(name + r":\s*\[([^\]]*)\]", body)
        if not m:
            sys.exit(f"web_gateway: CorsConfiguration.{name} must be a flow list in the template")
        return [x.strip().strip("'\"") for x in m.group(1).split(",") if x.strip()]

    max_age = re.search(r"MaxAge:\s*(\d+)", body)
    return {
        "methods": [m.upper() for m in flow_list("AllowMethods")],
        "headers": [h.lower() for h in flow_list("AllowHeaders")],
        "expose": [h.lower() for h in flow_list("ExposeHeaders")],
        "max_age": max_age.group(1) if max_age else None,
    }


class Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = ("127.0.0.1", 0)
    origins = set()
    cors = {}

    def log_message(self, fmt, *args):
        sys.stderr.write("gateway %s\n" % (fmt % args))

    def _allowed_origin(self):
        origin = self.headers.get("Origin")
        return origin if origin in self.origins else None

    def _send(self, status, headers, body=b""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_OPTIONS(self):
        wanted = self.headers.get("Access-Control-Request-Method")
        if wanted is None or self.headers.get("Origin") is None:
            return self._forward()  # not a preflight: the API's own answer
        origin = self._allowed_origin()
        asked = [h.strip().lower() for h in (self.headers.get("Access-Control-Request-Headers") or "").split(",") if h.strip()]
        headers = [("Vary", "Origin")]
        if origin and wanted.upper() in self.cors["methods"] and all(h in self.cors["headers"] for h in asked):
            headers += [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Methods", ",".join(self.cors["methods"])),
                ("Access-Control-Allow-Headers", ",".join(self.cors["headers"])),
            ]
            if self.cors["max_age"]:
                headers.append(("Access-Control-Max-Age", self.cors["max_age"]))
        # Like API Gateway: a preflight never reaches a function; a refused one just lacks the headers.
        self._send(204, headers)

    def _upstream(self, body):
        conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "host"}
            headers["Host"] = f"{self.upstream[0]}:{self.upstream[1]}"
            conn.request(self.command, self.path, body=body, headers=headers)
            res = conn.getresponse()
            data = res.read()
            out = [(k, v) for k, v in res.getheaders() if k.lower() not in HOP and not k.lower().startswith("access-control-")]
            return res.status, out, data
        except OSError as e:
            self.log_message("upstream failed: %s", e)
            return 502, [("Content-Type", "text/plain")], b"bad gateway\n"
        finally:
            conn.close()

    def _replay_safe(self):
        return self.command in ("GET", "HEAD") or bool(self.headers.get("Idempotency-Key"))

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        # `cargo lambda watch` acknowledges a function's answer before relaying its body, and
        # under load cuts a large one, answering its own bare 500 although the function answered
        # (README, Troubleshooting). API Gateway has no such step; like the e2e client, the
        # gateway re-sends a request that is safe to repeat and got exactly that answer.
        for attempt in range(4):
            status, out, data = self._upstream(body)
            if not (self._replay_safe() and emulator_relay_failure(status, out, data)) or attempt == 3:
                break
            self.log_message("the emulator cut the answer to %s %s; re-sending (%d)", self.command, self.path, attempt + 1)
        origin = self._allowed_origin()
        if origin:
            out += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
            if self.cors["expose"]:
                out.append(("Access-Control-Expose-Headers", ",".join(self.cors["expose"])))
        self._send(status, out, data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward


def emulator_relay_failure(status, headers, data):
    """The emulator's own bare 500 (`{"type":"https://httpstatuses.com/500",…}`, not
    problem+json): never a function's answer, whose 500 is problem+json with a `code`."""
    ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
    if status != 500 or ctype.startswith("application/problem+json"):
        return False
    try:
        answer = json.loads(data)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("type") == "https://httpstatuses.com/500" and "code" not in answer


class Console(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    dist = ""
    config = b""

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, ctype, body, cache):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/config.json":
            return self._send(200, "application/json", self.config, "no-cache")
        rel = os.path.normpath(path.lstrip("/")) if path != "/" else "index.html"
        file = os.path.join(self.dist, rel)
        if rel.startswith("..") or not os.path.isfile(file):
            if "." in os.path.basename(path):
                return self._send(404, "text/plain", b"not found\n", "no-cache")
            file = os.path.join(self.dist, "index.html")  # an app path: the app routes it
        with open(file, "rb") as f:
            body = f.read()
        ctype = mimetypes.guess_type(file)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        cache = "public, max-age=31536000, immutable" if "/assets/" in file else "no-cache"
        self._send(200, ctype, body, cache)

    do_HEAD = do_GET


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "gateway":
        port, upstream, origin = int(sys.argv[2]), sys.argv[3], sys.argv[4]
        u = urlsplit(upstream if "://" in upstream else f"http://{upstream}")
        Gateway.upstream = (u.hostname, u.port)
        Gateway.origins = {o.strip() for o in origin.split(",") if o.strip()}
        Gateway.cors = template_cors()
        server = ThreadingHTTPServer(("127.0.0.1", port), Gateway)
    elif len(sys.argv) == 5 and sys.argv[1] == "console":
        port, dist, api_url = int(sys.argv[2]), sys.argv[3], sys.argv[4]
        if not os.path.isfile(os.path.join(dist, "index.html")):
            sys.exit(f"web_gateway: {dist}/index.html missing (build the console first)")
        Console.dist = os.path.abspath(dist)
        Console.config = json.dumps({"apiUrl": api_url, "local": True}).encode()
        server = ThreadingHTTPServer(("127.0.0.1", port), Console)
    else:
        sys.exit(__doc__)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
