# The local OpenID Connect provider (infra/local/oidc): Cognito's part in `make dev` and
# `make test`. Sourced by scripts/stack.sh, whose ROOT, STATE, PIDS and wait_for_port it uses.

OIDC_DIR="$ROOT/infra/local/oidc"

# npm ci when the lock file changed (as build_console does for the console).
install_oidc() {
  if ! command -v node >/dev/null 2>&1; then
    echo "!! the local OpenID Connect provider needs Node.js >= 20 with npm" >&2
    return 1
  fi
  if [ ! -f "$OIDC_DIR/node_modules/.package-lock.json" ] || [ "$OIDC_DIR/package-lock.json" -nt "$OIDC_DIR/node_modules/.package-lock.json" ]; then
    echo "==> installing the OpenID Connect provider's npm packages (npm ci)"
    (cd "$OIDC_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# Ensures DIR/oidc-users.json holds the four dev users. Passwords are random, made once and kept
# in the file (mode 0600), so they stay the same across runs; users already there are left alone.
dev_users_file() { # dir
  mkdir -p "$1"
  python3 - "$1/oidc-users.json" <<'PY'
import json, os, secrets, sys
path = sys.argv[1]
dev = [
    ("dev-customer", "Dev Customer", []),
    ("dev-customer-pl", "Jan Kowalski", []),
    ("dev-engineer", "Dev Engineer", ["support-engineers"]),
    ("dev-admin", "Dev Admin", ["support-admins", "support-engineers"]),
]
users = []
if os.path.exists(path):
    with open(path, encoding="utf-8") as f:
        users = json.load(f)
known = {u.get("sub") for u in users}
missing = [
    {"sub": sub, "email": f"{sub}@example.com", "password": secrets.token_urlsafe(12), "name": name, "groups": groups}
    for sub, name, groups in dev if sub not in known
]
if missing or not os.path.exists(path):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        json.dump(users + missing, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)
PY
}

# Starts the provider on 127.0.0.1:PORT and exports what the console, the gateway and the tests
# need to find it. ORIGINS: the console origin(s), comma-separated.
start_oidc() { # port users-file key-file origins
  install_oidc
  mkdir -p "$STATE"
  # setsid: its own process group, so stack_stop's kill of the group stops it.
  (cd "$ROOT" && OIDC_PORT="$1" OIDC_USERS_FILE="$2" OIDC_KEY_FILE="$3" OIDC_CONSOLE_ORIGINS="$4" \
    exec setsid node "$OIDC_DIR/provider.mjs" >"$STATE/oidc.log" 2>&1) &
  PIDS+=($!)
  wait_for_port "$1" "the local OpenID Connect provider" 30
  export OIDC_ISSUER="http://127.0.0.1:$1"
  export OIDC_CLIENT_ID="incident-desk-console"
  export OIDC_KEY_FILE="$3"
  export OIDC_USERS_FILE="$2"
}

# The sign-in table for `make dev`: role, email, password of every user in the file.
print_dev_users() { # users-file
  python3 - "$1" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    users = json.load(f)
def role(u):
    groups = u.get("groups") or []
    if "support-admins" in groups:
        return "admin"
    if "support-engineers" in groups:
        return "engineer"
    return "customer (pl)" if u.get("sub", "").endswith("-pl") else "customer"
rows = [("role", "email", "password")] + [(role(u), u.get("email", ""), u.get("password", "")) for u in users]
widths = [max(len(r[i]) for r in rows) for i in range(2)]
for r in rows:
    print(f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}")
PY
}
