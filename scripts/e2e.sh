#!/usr/bin/env bash
# Runs end-to-end tests against a private local stack on free ports (several can run at once).
# Usage: scripts/e2e.sh [cargo test filter...]   e.g. scripts/e2e.sh packs::
set -euo pipefail
source "$(dirname "$0")/stack.sh"
STATE="$ROOT/.local/e2e-$$"
trap stack_stop EXIT INT TERM
clear_payment_env
bash "$ROOT/scripts/tools.sh"
cargo build --quiet --bins -p store -p objects -p e2e
build_functions
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
cargo test -p e2e --test e2e -- --test-threads 8 "$@"
