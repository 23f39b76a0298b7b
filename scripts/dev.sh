#!/usr/bin/env bash
# `make dev`: the whole API on http://127.0.0.1:9000 against a local DynamoDB-compatible server.
# Payments are off (PAYMENT_PROVIDER=none) unless PAYMENT_PROVIDER, STRIPE_* and CHECKOUT_* are
# exported: they pass to the functions as they are (see README, "Payments").
set -euo pipefail
source "$(dirname "$0")/stack.sh"
STATE="$ROOT/.local/dev"
DEV_PORT="${DEV_PORT:-9000}"
DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
trap 'echo; echo "==> stopping"; stack_stop' EXIT INT TERM

bash "$ROOT/scripts/tools.sh"
echo "==> building (first build takes a few minutes)"
cargo build --workspace --bins
echo "==> starting the local DynamoDB-compatible server on 127.0.0.1:$DYNAMODB_PORT"
start_dynamodb "$DYNAMODB_PORT"
setup_table
setup_notifications
echo "==> starting the functions (cargo lambda watch) on 127.0.0.1:$DEV_PORT"
start_watch "$DEV_PORT"
echo "==> starting the stream relay (table stream -> notifier) and the one-minute sweep schedule"
start_relay
start_sweep_schedule
"$CARGO_TARGET_DIR/debug/dev-tokens"
cat <<MSG

The API is at $INCIDENT_DESK_URL  (try: curl -H "Authorization: Bearer \$CUSTOMER" $INCIDENT_DESK_URL/products)
Payments: PAYMENT_PROVIDER=${PAYMENT_PROVIDER:-none}${STRIPE_API_BASE:+ (Stripe API $STRIPE_API_BASE)}. Stripe's webhook: POST $INCIDENT_DESK_URL/payments/stripe/webhook
  (Stripe test mode: stripe listen --forward-to $INCIDENT_DESK_URL/payments/stripe/webhook; see README "Payments")
The sweep runs every minute on its own (log: $STATE/sweep.log). By hand, with any as-of instant:
  .venv/bin/cargo-lambda lambda invoke sla-sweeper -A 127.0.0.1 -P $DEV_PORT --data-file tests/events/scheduled.json
Mail sent (local SES outbox):  DYNAMODB_PORT=$DYNAMODB_PORT make outbox      (make outbox ARGS="--body --to ada@example.com")
Attachments: bucket $ATTACHMENTS_BUCKET on the same server ($AWS_ENDPOINT_URL_S3, path-style), CORS for $CONSOLE_ORIGIN.
Logs: $STATE/watch.log, $STATE/dynamodb.log, $STATE/relay.log (stream -> notifier), $STATE/sweep.log. Ctrl-C stops everything.
MSG
wait
