#!/usr/bin/env bash
# `make dev`: the whole API on http://127.0.0.1:9000 against a local DynamoDB-compatible server.
# Payments are off (PAYMENT_PROVIDER=none) unless PAYMENT_PROVIDER, STRIPE_* and CHECKOUT_* are
# exported: they pass to the functions as they are (see README, "Payments").
set -euo pipefail
source "$(dirname "$0")/stack.sh"
STATE="$ROOT/.local/dev"
DEV_PORT="${DEV_PORT:-9000}"
DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
CONSOLE_PORT="${CONSOLE_PORT:-9001}"
OIDC_PORT="${OIDC_PORT:-9002}"
# The console's origin: CORS of the local gateway (and of the local attachments bucket).
export CONSOLE_URL="${CONSOLE_URL:-http://127.0.0.1:$CONSOLE_PORT}"
export CONSOLE_ORIGIN="${CONSOLE_ORIGIN:-$CONSOLE_URL}"
# With PAYMENT_PROVIDER=stripe, Checkout returns to the console's Packs page.
export CHECKOUT_SUCCESS_URL="${CHECKOUT_SUCCESS_URL:-$CONSOLE_URL/packs?checkout=success}"
export CHECKOUT_CANCEL_URL="${CHECKOUT_CANCEL_URL:-$CONSOLE_URL/packs?checkout=cancel}"
trap 'echo; echo "==> stopping"; stack_stop' EXIT INT TERM

bash "$ROOT/scripts/tools.sh"
echo "==> building (first build takes a few minutes)"
cargo build --workspace --bins
build_functions
build_console
echo "==> starting the local DynamoDB-compatible server on 127.0.0.1:$DYNAMODB_PORT"
start_dynamodb "$DYNAMODB_PORT"
setup_table
setup_notifications
# Sign-in: the OpenID Connect provider with the dev users (passwords kept in .local/dev, made once)
# and its signing key (.local/dev/oidc-signing-key.json: scripts and tests mint tokens with it).
echo "==> starting the OpenID Connect provider on 127.0.0.1:$OIDC_PORT"
dev_users_file "$STATE"
start_oidc "$OIDC_PORT" "$STATE/oidc-users.json" "$STATE/oidc-signing-key.json" "$CONSOLE_ORIGIN"
# The API on DEV_PORT is the local gateway (API Gateway's routes, CORS and JWT authorizer) in front
# of cargo lambda watch on an internal port; cargo lambda invoke talks to watch itself
# (CARGO_LAMBDA_INVOKE_PORT).
echo "==> starting the functions (cargo lambda watch) behind the API on 127.0.0.1:$DEV_PORT"
start_api INCIDENT_DESK_URL "$DEV_PORT"
echo "==> starting the console on $CONSOLE_URL"
start_console "$CONSOLE_PORT" "$INCIDENT_DESK_URL" "$OIDC_ISSUER" "$OIDC_CLIENT_ID"
echo "==> starting the stream relay (table stream -> notifier) and the one-minute sweep schedule"
start_relay
start_smtp "${SMTP_PORT:-2525}"
start_sweep_schedule
"$CARGO_TARGET_DIR/debug/dev-tokens"
echo
echo "Sign in to the console with (provider $OIDC_ISSUER):"
print_dev_users "$STATE/oidc-users.json"
cat <<MSG

The console is at $CONSOLE_URL (Sign in, then the provider's login page).
The API is at $INCIDENT_DESK_URL  (try: curl -H "Authorization: Bearer \$CUSTOMER" $INCIDENT_DESK_URL/products)
Payments: PAYMENT_PROVIDER=${PAYMENT_PROVIDER:-none}${STRIPE_API_BASE:+ (Stripe API $STRIPE_API_BASE)}. Stripe's webhook: POST $INCIDENT_DESK_URL/payments/stripe/webhook
  (Stripe test mode: stripe listen --forward-to $INCIDENT_DESK_URL/payments/stripe/webhook; see README "Payments")
The sweep runs every minute on its own (log: $STATE/sweep.log). By hand, with any as-of instant:
  .venv/bin/cargo-lambda lambda invoke sla-sweeper -A 127.0.0.1 -P $CARGO_LAMBDA_INVOKE_PORT --data-file tests/events/scheduled.json
Mail sent (local SES outbox):  DYNAMODB_PORT=$DYNAMODB_PORT make outbox      (make outbox ARGS="--body --to ada@example.com")
Attachments: bucket $ATTACHMENTS_BUCKET on the same server ($AWS_ENDPOINT_URL_S3, path-style), CORS for $CONSOLE_ORIGIN.
Logs: $STATE/watch.log, $STATE/dynamodb.log, $STATE/gateway.log, $STATE/oidc.log, $STATE/relay.log (stream -> notifier), $STATE/sweep.log. Ctrl-C stops everything.
MSG
wait
