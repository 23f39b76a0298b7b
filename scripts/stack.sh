#!/usr/bin/env bash
# Shared by `make dev`, `make test` and `make bench`: start and stop the local stack.
# Source it; call stack_start, and stack_stop on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STATE="${STACK_STATE:-$ROOT/.local/stack-$$}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
export AWS_EC2_METADATA_DISABLED=true
export TABLE_NAME="${TABLE_NAME:-incident-desk}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# Attachments (issue 18): the bucket on the same local server; its CORS rule allows the console's
# origin(s) (comma-separated; browser tests that serve the console on a free port set their own).
export ATTACHMENTS_BUCKET="${ATTACHMENTS_BUCKET:-incident-desk-attachments}"
export CONSOLE_ORIGIN="${CONSOLE_ORIGIN:-http://127.0.0.1:${CONSOLE_PORT:-9001}}"
# The key that seals list cursors (api::cursor): a fresh random one per local stack unless given.
export CURSOR_KEY="${CURSOR_KEY:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}"
# E-mailed replies (issue 27): the domain of reply addresses and the key of their tokens (a fresh
# random one per local stack unless given; deployed: a Secrets Manager secret, as the cursor key).
export REPLY_DOMAIN="${REPLY_DOMAIN:-reply.incident-desk.localhost}"
export REPLY_TOKEN_KEY="${REPLY_TOKEN_KEY:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}"
# The key of the closing e-mails' rating links (issue 28): the notifier issues them, closure verifies.
export RATING_TOKEN_KEY="${RATING_TOKEN_KEY:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}"
# Sign-in (issue 25): the local OpenID Connect provider (scripts/oidc.sh), and the gateway in front
# of the functions (infra/local/api_gateway.py) verifying its tokens as API Gateway's JWT
# authorizer does. The functions verify no token: one identity path, locally and deployed.
export OIDC_AUDIENCE="${OIDC_AUDIENCE:-incident-desk-console}"
source "$ROOT/scripts/oidc.sh"
# Notifications (issue 17): the sender identity, the team, the pager topic, console links.
export NOTIFY_FROM="${NOTIFY_FROM:-support-desk@example.com}"
export SUPPORT_TEAM_EMAIL="${SUPPORT_TEAM_EMAIL:-support-team@example.com}"
export SUPPORT_ADMINS_EMAIL="${SUPPORT_ADMINS_EMAIL:-support-admins@example.com}"
export PAGER_TOPIC_ARN="${PAGER_TOPIC_ARN:-arn:aws:sns:$AWS_REGION:123456789012:incident-desk-pager}"
export CONSOLE_URL="${CONSOLE_URL:-http://127.0.0.1:${CONSOLE_PORT:-9001}}"
export NOTIFIER_FAILURE_QUEUE="${NOTIFIER_FAILURE_QUEUE:-incident-desk-notifier-failures}"
PIDS=()

# cargo lambda watch starts a function with `cargo run --bin NAME`, and cargo
# resolves that run's features for the function's package alone. A workspace build is another
# build: the test and bench crates add tokio features (process, test-util), so tokio and the ~45
# crates above it (the AWS SDK, lambda_runtime, our crates) are compiled again on a function's
# first request, minutes on two cores while the tests wait. build_functions builds every function
# exactly as watch will run it, before the stack starts; watch's own run then finds it fresh.
function_names() {
  (cd "$ROOT/functions" && for d in */; do [ -f "$d/Cargo.toml" ] && echo "${d%/}"; done)
}
build_functions() {
  local f
  for f in $(function_names); do
    (cd "$ROOT" && cargo build --quiet --manifest-path Cargo.toml --bin "$f")
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() { # port, what, seconds
  local deadline=$((SECONDS + ${3:-60}))
  until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then echo "!! $2 did not start on port $1; see $STATE/*.log" >&2; return 1; fi
    sleep 0.3
  done
}

start_dynamodb() { # port
  mkdir -p "$STATE"
  "$VENV/bin/python" "$ROOT/infra/local/dynamodb_server.py" "$1" >"$STATE/dynamodb.log" 2>&1 &
  PIDS+=($!)
  wait_for_port "$1" "the local DynamoDB-compatible server" 60
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$1"
  # The same server answers S3 (path-style; see infra/local/dynamodb_server.py).
  export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$1"
}

setup_table() {
  "$CARGO_TARGET_DIR/debug/local-setup"
  "$CARGO_TARGET_DIR/debug/local-bucket"
}

# Payments (issue 16): PAYMENT_PROVIDER, STRIPE_* and CHECKOUT_* pass from the caller's
# environment to every function (`PAYMENT_PROVIDER=stripe ... make dev`); unset, the functions run
# with payments off. scripts/test.sh and scripts/e2e.sh clear them so tests start from none mode.
PAYMENT_VARIABLES=(PAYMENT_PROVIDER STRIPE_API_BASE STRIPE_SECRET_KEY STRIPE_WEBHOOK_SECRET STRIPE_TIMEOUT_MS CHECKOUT_SUCCESS_URL CHECKOUT_CANCEL_URL)
payment_env_args() {
  local v
  PAYMENT_ENV_ARGS=()
  for v in "${PAYMENT_VARIABLES[@]}"; do
    if [ -n "${!v:-}" ]; then PAYMENT_ENV_ARGS+=(--env-var "$v=${!v}"); fi
  done
}
clear_payment_env() { unset "${PAYMENT_VARIABLES[@]}"; }

start_watch() { # port [dynamodb endpoint] [log name]
  local endpoint="${2:-$AWS_ENDPOINT_URL_DYNAMODB}" log="${3:-watch}"
  # The local server takes one request at a time and shares two cores with the tests: give the
  # main copy room (20 s); the copy behind the fault proxy keeps the deployed 5 s.
  # Likewise the retry loops' budget (store::retry): 20 s for a burst on one item to get through
  # the one-lock server; the copy behind the fault proxy keeps the deployed 6 s.
  local store_timeout=20000 retry_budget=20000
  [ -n "${2:-}" ] && store_timeout=5000 && retry_budget=6000
  store_timeout="${WATCH_STORE_TIMEOUT:-$store_timeout}"
  retry_budget="${WATCH_RETRY_BUDGET:-$retry_budget}"
  payment_env_args
  # The notifier's mail and pages go to the same local server (never through the fault proxy).
  local notify_env="AWS_ENDPOINT_URL_SESV2=$AWS_ENDPOINT_URL_DYNAMODB,AWS_ENDPOINT_URL_SNS=$AWS_ENDPOINT_URL_DYNAMODB,NOTIFY_FROM=$NOTIFY_FROM,SUPPORT_TEAM_EMAIL=$SUPPORT_TEAM_EMAIL,SUPPORT_ADMINS_EMAIL=$SUPPORT_ADMINS_EMAIL,PAGER_TOPIC_ARN=$PAGER_TOPIC_ARN,CONSOLE_URL=$CONSOLE_URL"
  mkdir -p "$STATE"
  # setsid: its own process group, so stopping it also stops the functions it spawned.
  # RUST_LOG here is the emulator's own (the functions get theirs through --env-var): its
  # tower_http errors log every 5xx it answered, including those it made itself.
  # The functions log through shared/logging (lambda_runtime's default subscriber less EnvFilter), which writes JSON lines only
  # with AWS_LAMBDA_LOG_FORMAT=JSON (what Lambda sets from the template's LoggingConfig;
  # scripts/test.sh greps their `"level":"ERROR"`). Their level: AWS_LAMBDA_LOG_LEVEL when set
  # (as in AWS), else RUST_LOG (default info; a level or target=level directives).
  (cd "$ROOT" && RUST_LOG="${WATCH_RUST_LOG:-info,tower_http=error}" exec setsid "$VENV/bin/cargo-lambda" lambda watch ${WATCH_FLAGS:-} -A 127.0.0.1 -P "$1" --concurrency 8 \
    --env-var "TABLE_NAME=$TABLE_NAME,AWS_ENDPOINT_URL_DYNAMODB=$endpoint,AWS_REGION=$AWS_REGION,AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY,AWS_EC2_METADATA_DISABLED=true,STORE_OPERATION_TIMEOUT_MS=$store_timeout,STORE_RETRY_BUDGET_MS=$retry_budget,AWS_LAMBDA_LOG_FORMAT=JSON,RUST_LOG=${RUST_LOG:-info}${EXTRA_FUNCTION_ENV:+,$EXTRA_FUNCTION_ENV}" \
    --env-var "ATTACHMENTS_BUCKET=$ATTACHMENTS_BUCKET,AWS_ENDPOINT_URL_S3=$AWS_ENDPOINT_URL_S3" \
    ${PAYMENT_ENV_ARGS[@]+"${PAYMENT_ENV_ARGS[@]}"} \
    --env-var "CURSOR_KEY=$CURSOR_KEY,RATING_TOKEN_KEY=$RATING_TOKEN_KEY" \
    --env-var "REPLY_DOMAIN=$REPLY_DOMAIN,REPLY_TOKEN_KEY=$REPLY_TOKEN_KEY" \
    --env-var "$notify_env" \
    >"$STATE/$log.log" 2>&1) &
  PIDS+=($!)
  wait_for_port "$1" "cargo lambda watch" 120
  if [ -z "${2:-}" ]; then
    export CARGO_LAMBDA_INVOKE_PORT="$1"
  fi
}

# The provider's own check (infra/local/oidc/check.mjs: a private provider on a free port, the
# browser's code + PKCE flow, the ID token's claims and signature, refresh, wrong passwords, logout).
check_oidc() {
  install_oidc
  node "$OIDC_DIR/check.mjs"
}

# The provider for a test stack: its own users file and signing key in the stack's state folder,
# redirects to the console origin (exports OIDC_ISSUER, OIDC_KEY_FILE, OIDC_USERS_FILE).
start_test_oidc() {
  mkdir -p "$STATE"
  dev_users_file "$STATE"
  start_oidc "$(free_port)" "$STATE/oidc-users.json" "$STATE/oidc-signing-key.json" "$CONSOLE_ORIGIN"
}

# A copy of the API as clients reach it: cargo lambda watch on an internal port behind the local
# gateway on GATEWAY_PORT (a free one when empty); exports VAR=http://127.0.0.1:<gateway port>.
start_api() { # VAR [gateway port] [dynamodb endpoint] [log name]
  local var="$1" port="${2:-}" log="${4:-watch}" watch_port
  [ -n "$port" ] || port="$(free_port)"
  watch_port="$(free_port)"
  start_watch "$watch_port" "${3:-}" "$log"
  start_gateway "$port" "$watch_port" "$CONSOLE_ORIGIN" "gateway${log#watch}"
  export "$var=http://127.0.0.1:$port"
}

# A second copy of the API whose data store is reached through a fault-injecting proxy on
# FAULT_PROXY_PORT; the reliability tests bind that port themselves and flip its mode.
start_faulty_api() {
  export FAULT_PROXY_PORT="$(free_port)"
  export FAULT_PROXY_UPSTREAM="${AWS_ENDPOINT_URL_DYNAMODB#http://}"
  start_api INCIDENT_DESK_FAULTY_URL "" "http://127.0.0.1:$FAULT_PROXY_PORT" watch-faulty
}

# A copy of the API in Stripe mode (same table) whose Stripe is a fake the e2e tests serve
# themselves on STRIPE_FAKE_PORT (tests/src/fake_stripe.rs); they sign webhook events with
# STRIPE_E2E_WEBHOOK_SECRET. Stripe requests time out after STRIPE_E2E_TIMEOUT_MS.
start_stripe_api() {
  export STRIPE_FAKE_PORT="$(free_port)"
  export STRIPE_E2E_WEBHOOK_SECRET="whsec_e2e_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  export STRIPE_E2E_TIMEOUT_MS="${STRIPE_E2E_TIMEOUT_MS:-2000}"
  PAYMENT_PROVIDER=stripe STRIPE_API_BASE="http://127.0.0.1:$STRIPE_FAKE_PORT" \
    STRIPE_SECRET_KEY=sk_test_e2e_local STRIPE_WEBHOOK_SECRET="$STRIPE_E2E_WEBHOOK_SECRET" \
    STRIPE_TIMEOUT_MS="$STRIPE_E2E_TIMEOUT_MS" \
    CHECKOUT_SUCCESS_URL=https://console.example/packs/paid CHECKOUT_CANCEL_URL=https://console.example/packs/cancelled \
    WATCH_STORE_TIMEOUT=20000 WATCH_RETRY_BUDGET=20000 start_api INCIDENT_DESK_STRIPE_URL "" "$AWS_ENDPOINT_URL_DYNAMODB" watch-stripe
}

# ---- notifications (issue 17): local SES/SNS set-up, the stream relay, the one-minute sweep ----

setup_notifications() {
  "$VENV/bin/python" "$ROOT/infra/local/notifications.py" setup
}

# Reads the table's stream and invokes the notifier with stream batches through the watch's
# invoke endpoint, as the event source mapping does in AWS (after start_watch).
start_relay() {
  mkdir -p "$STATE"
  NOTIFIER_INVOKE_URL="http://127.0.0.1:$CARGO_LAMBDA_INVOKE_PORT/2015-03-31/functions/notifier/invocations" \
    "$VENV/bin/python" -u "$ROOT/infra/local/notifications.py" relay notifier >"$STATE/relay.log" 2>&1 &
  PIDS+=($!)
}

# E-mailed replies (issue 27): a real SMTP server (aiosmtpd) on 127.0.0.1:PORT accepting mail for
# REPLY_DOMAIN; each message goes raw to the bucket under inbound/ and `inbound-mail` is invoked
# with the S3 event, as SES receiving does in AWS; it also plays SES's mailbox simulator (bounce@ and
# complaint@simulator.amazonses.com). After start_watch; exports SMTP_PORT.
start_smtp() { # port
  mkdir -p "$STATE"
  INBOUND_INVOKE_URL="http://127.0.0.1:$CARGO_LAMBDA_INVOKE_PORT/2015-03-31/functions/inbound-mail/invocations" \
    "$VENV/bin/python" -u "$ROOT/infra/local/smtp_server.py" "$1" >"$STATE/smtp.log" 2>&1 &
  PIDS+=($!)
  wait_for_port "$1" "the local SMTP server" 30
  export SMTP_PORT="$1"
}

# Invokes the sweeper every minute on the minute with a Scheduled Event carrying the current
# time, as EventBridge does; each run's answer goes to sweep.log.
start_sweep_schedule() {
  mkdir -p "$STATE"
  (
    while true; do
      sleep $((60 - $(date -u +%s) % 60))
      now="$(date -u +%Y-%m-%dT%H:%M:00Z)"
      event="$(sed "s/\"time\": \"[^\"]*\"/\"time\": \"$now\"/" "$ROOT/tests/events/scheduled.json" | tr -d '\n')"
      answer="$("$VENV/bin/cargo-lambda" lambda invoke sla-sweeper -A 127.0.0.1 -P "$CARGO_LAMBDA_INVOKE_PORT" \
        --data-ascii "$event" --output-format json 2>&1 | tr -d '\n')"
      echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) scheduled sweep as of $now: $answer"
    done
  ) >"$STATE/sweep.log" 2>&1 &
  PIDS+=($!)
}

stack_stop() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    pkill -P "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}

# ---- web console (issue 19) -------------------------------------------------------------------
# In AWS, CloudFront serves the built console with the template's response headers policy.
# Locally, infra/local/web_gateway.py serves web/dist, a config.json naming the API and the issuer,
# and the same security headers (API Gateway's part is infra/local/api_gateway.py, start_gateway).

# npm ci when the lock file changed, vite build when a source changed; Node >= 20.19 (Vite 8).
build_console() {
  local web="$ROOT/web"
  if ! command -v node >/dev/null 2>&1 || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
    echo "!! the console needs Node.js >= 20.19 with npm (found: $(node -v 2>/dev/null || echo none))" >&2
    return 1
  fi
  if [ ! -f "$web/node_modules/.package-lock.json" ] || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
    echo "==> installing the console's npm packages (npm ci)"
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -f "$web/dist/index.html" ] || [ -n "$(find "$web/src" "$web/index.html" "$web/package-lock.json" "$web/vite.config.ts" \
      "$web/tsconfig.json" "$ROOT/infra/openapi.yaml" "$ROOT/infra/data/prices.json" -newer "$web/dist/index.html" -print -quit)" ]; then
    echo "==> building the console (vite build)"
    mkdir -p "$STATE"
    (cd "$web" && npm run --silent build >"$STATE/console-build.log" 2>&1) || { cat "$STATE/console-build.log" >&2; return 1; }
  fi
}

# API Gateway's part (infra/local/api_gateway.py): the template's routes, CORS for the console's
# origin(s), and the JWT authorizer against OIDC_ISSUER (start_oidc first).
start_gateway() { # port upstream-port allowed-origins [log name]
  mkdir -p "$STATE"
  : "${OIDC_ISSUER:?start_oidc before start_gateway}"
  "$VENV/bin/python" "$ROOT/infra/local/api_gateway.py" "$1" "127.0.0.1:$2" "$3" >"$STATE/${4:-gateway}.log" 2>&1 &
  PIDS+=($!)
  wait_for_port "$1" "the local API gateway" 30
}

# Serves web/dist with its config.json (API, issuer, client id) and the template's CloudFront
# security headers (CSP adapted to the local API, issuer and S3; PyYAML, hence the venv's python).
start_console() { # port api-url [issuer] [client-id]  (default: what start_oidc exported)
  local issuer="${3:-${OIDC_ISSUER:-}}" client_id="${4:-${OIDC_CLIENT_ID:-incident-desk-console}}"
  if [ -z "$issuer" ]; then echo "!! start_console: no OIDC issuer (start_oidc first, or pass it)" >&2; return 1; fi
  mkdir -p "$STATE"
  "$VENV/bin/python" "$ROOT/infra/local/web_gateway.py" console "$1" "$ROOT/web/dist" "$2" "$issuer" "$client_id" >"$STATE/console.log" 2>&1 &
  PIDS+=($!)
  wait_for_port "$1" "the console" 30 || { cat "$STATE/console.log" >&2; return 1; }
}
