#!/usr/bin/env bash
# Browser tests of the web console (issue 19): headless Chromium from Debian, driven by
# playwright-core (web/tests/), against the real local stack.
# - In `make test`: scripts/test.sh calls it with its stack up (INCIDENT_DESK_URL = the local API
#   gateway, OIDC_ISSUER/OIDC_USERS_FILE/OIDC_KEY_FILE = its OpenID Connect provider;
#   CONSOLE_PORT/CONSOLE_ORIGIN exported before the stack started).
# - Alone (`bash scripts/browser-tests.sh`): starts a private stack on free ports first, provider
#   included.
# People sign in through the provider's login page as per-run users this script adds to its users
# file (see BROWSER_USERS below).
# Mail: the local SES outbox and the local SMTP server (SMTP_PORT) for the e-mailed replies' test.
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
  cargo build --quiet --workspace --bins
  build_functions
  start_dynamodb "$(free_port)"
  setup_table
  setup_notifications
  # Sign-in: the local OpenID Connect provider (its users file and signing key in this stack's
  # state folder), before the API (its gateway discovers the provider's keys) and the console.
  mkdir -p "$STATE"
  [ -f "$STATE/oidc-users.json" ] || (umask 077 && echo '[]' >"$STATE/oidc-users.json")
  start_oidc "$(free_port)" "$STATE/oidc-users.json" "$STATE/oidc-signing-key.json" "$CONSOLE_ORIGIN"
  WATCH_FLAGS="--ignore-changes" start_api INCIDENT_DESK_URL
  # Mail: the local SES (confirmations and their Reply-To, rating links in closing e-mails, read
  # back by the tests), the stream relay to the notifier, and the SMTP server that hands e-mailed
  # replies to inbound-mail (issue 27).
  start_relay
  start_smtp "$(free_port)"
fi
# The one-minute schedule, as deployed, on either stack (make test's has none of its own): the
# sweeper's privacy step builds the data exports the Account page's test downloads.
start_sweep_schedule
: "${SMTP_PORT:?the local SMTP server is not running (start_smtp)}"
: "${OIDC_ISSUER:?the OpenID Connect provider is not running (start_oidc)}"
: "${OIDC_USERS_FILE:?OIDC_USERS_FILE is not set (start_oidc)}"
: "${OIDC_KEY_FILE:?OIDC_KEY_FILE is not set (start_oidc)}"
export OIDC_ISSUER OIDC_CLIENT_ID="${OIDC_CLIENT_ID:-incident-desk-console}"
build_console

# The browser reaches the API as in AWS: through the gateway (routes, CORS for the console's
# origin, JWT authorizer) that INCIDENT_DESK_URL names.
export API_URL="$INCIDENT_DESK_URL"
start_console "$CONSOLE_PORT" "$API_URL" "$OIDC_ISSUER" "$OIDC_CLIENT_ID"

# Fresh people for every run (the tests can run against a stack that already has data): added to
# the provider's users file (it re-reads it on every sign-in) with random passwords. The browser
# signs in with email and password; the tests' own API calls use a token per user signed with the
# provider's key (infra/local/tokens.py), the same claims the provider puts in its ID tokens.
BROWSER_USERS="$("$VENV/bin/python" - "$OIDC_USERS_FILE" "$ROOT/infra/local/tokens.py" <<'PY'
import json, os, secrets, subprocess, sys
path, tokens_py = sys.argv[1], sys.argv[2]
run = secrets.token_hex(4)
who = {
    "customer_en": ("Ada Lovelace", []), "customer_pl": ("Zofia Łęcka", []),
    "claimant_en": ("Grace Hopper", []), "claimant_pl": ("Jan Kowalski", []),
    # Customers who leave (issue 29): they export their data and ask for erasure.
    "leaver_en": ("Hedy Lamarr", []), "leaver_pl": ("Maria Skłodowska", []),
    "engineer": ("Edsger Dijkstra", ["support-engineers"]),
    # A second engineer: incidents are handed over between the two.
    "engineer2": ("Marian Rejewski", ["support-engineers"]),
    "admin": ("Barbara Liskov", ["support-admins", "support-engineers"]),
}
new = {}
for key, (name, groups) in who.items():
    sub = f"browser-{run}-{key.replace('_', '-')}"
    new[key] = {"sub": sub, "email": f"{sub}@example.com", "password": secrets.token_urlsafe(18), "name": name, "groups": groups}
users = []
if os.path.exists(path):
    with open(path, encoding="utf-8") as f:
        users = json.load(f)
# Replaced in one rename: the provider never reads half a file.
tmp = f"{path}.{os.getpid()}.tmp"
with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
    json.dump(users + list(new.values()), f, indent=2, ensure_ascii=False)
os.replace(tmp, path)
for key, u in new.items():
    args = [sys.executable, tokens_py, "--key-file", os.environ["OIDC_KEY_FILE"],
            "--issuer", os.environ["OIDC_ISSUER"], "--sub", u["sub"], "--email", u["email"], "--name", u["name"]]
    if u["groups"]:
        args += ["--groups", ",".join(u["groups"])]
    u["token"] = subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()
print(json.dumps(new, ensure_ascii=False))
PY
)"
export BROWSER_USERS
# cargo lambda watch starts each function on its first request: warm one route of each first.
python3 - <<'PY'
import json, os, time, urllib.request, urllib.error
admin = json.loads(os.environ["BROWSER_USERS"])["admin"]["token"]
for path in ["/products", "/queue", "/packs", "/incidents/none/resolution", "/reports/sla"]:
    deadline = time.time() + 180
    while True:
        req = urllib.request.Request(os.environ["API_URL"] + path, headers={"Authorization": "Bearer " + admin},
                                     method="POST" if path.endswith("resolution") else "GET",
                                     data=b"{}" if path.endswith("resolution") else None)
        try:
            urllib.request.urlopen(req, timeout=120).read()
            break
        except urllib.error.HTTPError as e:
            if e.code == 401:
                raise SystemExit(f"browser tests: the API refused the minted admin token on {path} (401)")
            if e.code < 500: break
        except OSError:
            pass
        if time.time() > deadline:
            raise SystemExit(f"browser tests: {path} did not answer")
        time.sleep(1)
PY
# Nothing secret in web/dist: the provider's private key (every private member of every key) and
# every user's password.
export FORBIDDEN_STRINGS="$(python3 - "$OIDC_KEY_FILE" "$OIDC_USERS_FILE" <<'PY'
import json, sys
keys = json.load(open(sys.argv[1], encoding="utf-8"))["keys"]
secrets = [k[m] for k in keys for m in ("d", "p", "q", "dp", "dq", "qi") if k.get(m)]
if not secrets:
    raise SystemExit("browser tests: no private key members in " + sys.argv[1])
secrets += [u["password"] for u in json.load(open(sys.argv[2], encoding="utf-8")) if u.get("password")]
print(json.dumps(secrets))
PY
)"
export SCREENSHOT_DIR="$ROOT/.local/browser"
echo "==> browser tests: console $CONSOLE_URL, API $API_URL, provider $OIDC_ISSUER, $("$CHROMIUM" --version 2>/dev/null | head -1)"
cd "$ROOT/web"
npx eslint . && npx tsc --noEmit
node --test --test-concurrency=1 "$@" tests/
echo "    screenshots in $SCREENSHOT_DIR"
