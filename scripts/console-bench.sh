#!/usr/bin/env bash
# The console with a real team's data, and the gateway under load (issue 30). Run by
# scripts/bench.sh after the functions' bench (or alone: `bash scripts/console-bench.sh`).
# Starts a private stack as `make dev` runs it (moto, the OpenID Connect provider, `cargo lambda
# watch` behind the local API gateway, the console server), then:
#  1. bench/console_data.py: intakes through the gateway at concurrency 1, 8 and 64 (its table),
#     which leave the queue with 500 incidents, and one incident with 300 events and 20
#     attachments;
#  2. web/scripts/console-bench.mjs: headless Chromium signs in through the provider's login page
#     and times the queue, the incident page and the reports page (first contentful paint, the
#     page's data rendered), long tasks while the queue's countdowns tick, and the bundle size.
# Writes $CONSOLE_BENCH_OUT (default .local/console-bench)/{gateway,console}.md; prints both.
# Options (environment): CONSOLE_BENCH_LEVELS (1:100,8:200,64:200), CONSOLE_BENCH_EVENTS (300),
# CONSOLE_BENCH_ATTACHMENTS (20), CONSOLE_BENCH_RUNS (5), CONSOLE_BENCH_TICK_MS (10000).
set -euo pipefail
source "$(dirname "$0")/stack.sh"
STATE="$ROOT/.local/console-bench-$$"
trap stack_stop EXIT INT TERM
clear_payment_env
export CONSOLE_BENCH_OUT="${CONSOLE_BENCH_OUT:-$ROOT/.local/console-bench}"
rm -rf "$CONSOLE_BENCH_OUT"
mkdir -p "$CONSOLE_BENCH_OUT" "$STATE"

CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-headless-shell || true)}"
if [ -z "$CHROMIUM" ]; then
  echo "==> installing Debian's chromium (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  CHROMIUM="$(command -v chromium)"
fi
export CHROMIUM

bash "$ROOT/scripts/tools.sh"
echo "==> console bench: building the functions as cargo lambda watch runs them"
cargo build --quiet --bins -p store -p objects
build_functions
export CONSOLE_PORT="$(free_port)"
export CONSOLE_ORIGIN="http://127.0.0.1:$CONSOLE_PORT"
export CONSOLE_URL="http://127.0.0.1:$CONSOLE_PORT"
start_dynamodb "$(free_port)"
setup_table
echo '[]' >"$STATE/oidc-users.json"
chmod 600 "$STATE/oidc-users.json"
start_oidc "$(free_port)" "$STATE/oidc-users.json" "$STATE/oidc-signing-key.json" "$CONSOLE_ORIGIN"
WATCH_FLAGS="--ignore-changes" start_api INCIDENT_DESK_URL
build_console
start_console "$CONSOLE_PORT" "$INCIDENT_DESK_URL" "$OIDC_ISSUER" "$OIDC_CLIENT_ID"

echo "==> gateway load and the console's data (bench/console_data.py)"
"$VENV/bin/python" "$ROOT/bench/console_data.py" --api "$INCIDENT_DESK_URL" --issuer "$OIDC_ISSUER" \
  --key-file "$OIDC_KEY_FILE" --users-file "$OIDC_USERS_FILE" --out "$CONSOLE_BENCH_OUT" \
  --levels "${CONSOLE_BENCH_LEVELS:-1:100,8:200,64:200}" --events "${CONSOLE_BENCH_EVENTS:-300}" \
  --attachments "${CONSOLE_BENCH_ATTACHMENTS:-20}"

echo "==> the console in headless Chromium ($("$CHROMIUM" --version 2>/dev/null | head -1))"
(cd "$ROOT/web" && node scripts/console-bench.mjs)
echo "==> gateway:"
cat "$CONSOLE_BENCH_OUT/gateway.md"
echo "==> console:"
cat "$CONSOLE_BENCH_OUT/console.md"
