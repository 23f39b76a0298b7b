#!/usr/bin/env bash
# `make test`: installs what it needs, starts the local stack on free ports, runs every test
# (unit, store integration, end to end over HTTP and `cargo lambda invoke`), the infra checks,
# stops what it started. Exits non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/stack.sh"
trap stack_stop EXIT INT TERM
clear_payment_env
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

bash "$ROOT/scripts/tools.sh"
echo "==> format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
echo "==> module circles (no two modules of a crate import each other, directly or round a circle)"
"$VENV/bin/python" scripts/module-cycles.py
echo "==> building"
cargo build --workspace --all-targets
build_functions
echo "==> the local data store's patches against stock moto"
for seed in 7 8 9; do "$VENV/bin/python" "$ROOT/infra/local/check_moto_patches.py" "$seed" 60; done
echo "==> the local data store's write-unit calculator and call recording (make bench's)"
"$VENV/bin/python" "$ROOT/infra/local/check_capacity.py"
echo "==> the local OpenID Connect provider (sign-in, PKCE, tokens, logout)"
check_oidc
# The browser tests' console origin, fixed before the stack starts (CORS of the local gateway
# and of the local attachments bucket name it).
export CONSOLE_PORT="${CONSOLE_PORT:-$(free_port)}"
export CONSOLE_ORIGIN="http://127.0.0.1:$CONSOLE_PORT"
echo "==> starting the local stack"
start_dynamodb "$(free_port)"
setup_table
setup_notifications
start_test_oidc
WATCH_FLAGS="--ignore-changes" start_api INCIDENT_DESK_URL
start_relay
start_smtp "$(free_port)"
WATCH_FLAGS="--ignore-changes" start_faulty_api
WATCH_FLAGS="--ignore-changes" start_stripe_api
export CARGO_LAMBDA_BIN="$VENV/bin/cargo-lambda"
# The tests' own store clients (ledger checks, fresh tables) share the busy local server too.
export STORE_OPERATION_TIMEOUT_MS="${STORE_OPERATION_TIMEOUT_MS:-20000}"
echo "    dynamodb $AWS_ENDPOINT_URL_DYNAMODB, api $INCIDENT_DESK_URL"
echo "==> tests"
status=0
cargo test --workspace --no-fail-fast -- --test-threads 8 || status=$?
echo "==> the local gateway: API Gateway's JWT authorizer, routes and behaviour under load"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/infra/local/test_api_gateway.py" || status=$?
if [ "$status" -ne 0 ]; then
  echo "==> tests failed; errors the local stack logged (full logs in $STATE):"
  for log in "$STATE"/*.log; do
    echo "--- $(basename "$log"): $(grep -c 'response failed classification=Status code: 500' "$log" || true) answers of 500 (the functions' own or the emulator's)"
    grep -E '"level":"(ERROR|WARN)"|^ *ERROR |panicked|^Traceback' "$log" | grep -v MAX_CONCURRENCY | tail -n 20 | cut -c1-400 || true
  done
  exit "$status"
fi
echo "==> browser tests (web console: headless Chromium against the stack)"
bash "$ROOT/scripts/browser-tests.sh"
if [ -f "$ROOT/scripts/infra-checks.sh" ]; then
  echo "==> infrastructure checks"
  bash "$ROOT/scripts/infra-checks.sh"
fi
echo "==> all green"
