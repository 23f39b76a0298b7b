#!/usr/bin/env bash
# Browser tests of the web console (issue 19): headless Chromium from Debian, driven by
# playwright-core (web/tests/), against the real local stack.
# - In `make test`: scripts/test.sh calls it with its stack up (INCIDENT_DESK_URL = cargo lambda
#   watch; CONSOLE_PORT/CONSOLE_ORIGIN exported before the stack started).
# - Alone (`bash scripts/browser-tests.sh`): starts a private stack on free ports first.
# Installs what it needs: Debian's chromium (apt-get) if missing, the npm packages (npm ci).
# Screenshots of every page: .local/browser/<lang>-<page>.png.
set -euo pipefail
source "$(dirname "$0")/stack.sh"
trap stack_stop EXIT INT TERM

CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-headless-shell || true)}"
if [ -z "$CHROMIUM" ]; then
  echo "==> installing Debian's chromium (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  CHROMIUM="$(command -v chromium)"
fi
export CHROMIUM

export CONSOLE_PORT="${CONSOLE_PORT:-$(free_port)}"
export CONSOLE_ORIGIN="http://127.0.0.1:$CONSOLE_PORT"
export CONSOLE_URL="http://127.0.0.1:$CONSOLE_PORT"

if [ -z "${INCIDENT_DESK_URL:-}" ]; then
  echo "==> no stack given: starting a private one"
  bash "$ROOT/scripts/tools.sh"
  cargo build --quiet --workspace --bins ${LOCAL_FEATURES[@]+"${LOCAL_FEATURES[@]}"}
  build_functions
  start_dynamodb "$(free_port)"
  setup_table
  WATCH_FLAGS="--ignore-changes" start_watch "$(free_port)"
fi
build_console

# The browser reaches the API as in AWS: through a gateway that answers CORS for the console.
GATEWAY_PORT="$(free_port)"
start_gateway "$GATEWAY_PORT" "${INCIDENT_DESK_URL##*:}" "$CONSOLE_ORIGIN"
export API_URL="http://127.0.0.1:$GATEWAY_PORT"
start_console "$CONSOLE_PORT" "$API_URL"

# Fresh identities for every run (the tests can run against a stack that already has data).
BROWSER_TOKENS="$(python3 - <<'PY'
import base64, hashlib, hmac, json, os, time, secrets
secret = os.environ["LOCAL_AUTH_SECRET"].encode()
run = secrets.token_hex(4)
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def token(sub, groups):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": sub, "email": f"{sub}@example.com", "cognito:groups": groups,
                           "exp": int(time.time()) + 3600}).encode())
    sig = b64(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"
who = {
    "customer_en": [], "customer_pl": [], "claimant_en": [], "claimant_pl": [],
    "engineer": ["support-engineers"], "admin": ["support-admins", "support-engineers"],
}
subs = {name: f"browser-{run}-{name.replace('_', '-')}" for name in who}
out = {name: token(subs[name], groups) for name, groups in who.items()}
out["subs"] = subs
print(json.dumps(out))
PY
)"
export BROWSER_TOKENS
# cargo lambda watch starts each function on its first request: warm one route of each first.
python3 - <<'PY'
import json, os, time, urllib.request, urllib.error
tokens = json.loads(os.environ["BROWSER_TOKENS"])
for path in ["/products", "/queue", "/packs", "/incidents/none/resolution", "/reports/sla"]:
    deadline = time.time() + 180
    while True:
        req = urllib.request.Request(os.environ["API_URL"] + path, headers={"Authorization": "Bearer " + tokens["admin"]},
                                     method="POST" if path.endswith("resolution") else "GET",
                                     data=b"{}" if path.endswith("resolution") else None)
        try:
            urllib.request.urlopen(req, timeout=120).read()
            break
        except urllib.error.HTTPError as e:
            if e.code < 500: break
        except OSError:
            pass
        if time.time() > deadline:
            raise SystemExit(f"browser tests: {path} did not answer")
        time.sleep(1)
PY
export FORBIDDEN_STRINGS="$(python3 -c 'import json,os; print(json.dumps([os.environ["LOCAL_AUTH_SECRET"]]))')"
export SCREENSHOT_DIR="$ROOT/.local/browser"
echo "==> browser tests: console $CONSOLE_URL, API $API_URL, $("$CHROMIUM" --version 2>/dev/null | head -1)"
cd "$ROOT/web"
npx eslint . && npx tsc --noEmit
node --test --test-concurrency=1 "$@" tests/
echo "    screenshots in $SCREENSHOT_DIR"
