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
#  3. bench/email_replies.py (after the console's measurements, with the local SMTP server started
#     then): 50 e-mailed replies, each from the SMTP server's 250 to the message readable through
#     the API (issue 27).
# Writes $CONSOLE_BENCH_OUT (default .local/console-bench)/{gateway,console,email}.md; prints them;
# with CONSOLE_BENCH_REPORT=FILE (scripts/bench.sh: bench/report.md) also replaces FILE's sections
# 9 to 11 with this run's (appends them when it has none).
# Options (environment): CONSOLE_BENCH_LEVELS (1:100,8:200,64:200), CONSOLE_BENCH_EVENTS (300),
# CONSOLE_BENCH_ATTACHMENTS (20), CONSOLE_BENCH_RUNS (5), CONSOLE_BENCH_TICK_MS (10000),
# CONSOLE_BENCH_REPLIES (50).
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
cargo build --quiet --bins -p store -p objects -p mailbox
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
# Section 11: e-mailed replies through the local SMTP server (issue 27), after the console's
# measurements so its server and inbound-mail take no share of them.
echo "==> e-mailed replies: SMTP accepted -> readable through the API (bench/email_replies.py)"
start_smtp "$(free_port)"
"$VENV/bin/python" "$ROOT/bench/email_replies.py" --api "$INCIDENT_DESK_URL" --issuer "$OIDC_ISSUER" \
  --key-file "$OIDC_KEY_FILE" --smtp-port "$SMTP_PORT" --reply-address "$CARGO_TARGET_DIR/debug/reply-address" \
  --out "$CONSOLE_BENCH_OUT" --replies "${CONSOLE_BENCH_REPLIES:-50}" ||
  printf '_bench/email_replies.py did not finish in this run (see %s)._\n' "$STATE/smtp.log" >"$CONSOLE_BENCH_OUT/email.md"

echo "==> gateway:"
cat "$CONSOLE_BENCH_OUT/gateway.md"
echo "==> console:"
cat "$CONSOLE_BENCH_OUT/console.md"
echo "==> e-mailed replies:"
cat "$CONSOLE_BENCH_OUT/email.md"

if [ -n "${CONSOLE_BENCH_REPORT:-}" ]; then
  python3 - "$CONSOLE_BENCH_REPORT" <<'PY'
import sys
p = sys.argv[1]
text = open(p, encoding="utf-8").read()
cut = text.find("\n## 9. ")
open(p, "w", encoding="utf-8").write((text if cut < 0 else text[:cut]).rstrip("\n") + "\n")
PY
  levels="${CONSOLE_BENCH_LEVELS:-1:100,8:200,64:200}"
  cat >>"$CONSOLE_BENCH_REPORT" <<SECTION

## 9. The local API gateway under load: intakes per second at concurrency 1, 8 and 64

_Sections 9 and 10: \`scripts/console-bench.sh\` on commit \`$(git -C "$ROOT" rev-parse --short HEAD)$( [ -n "$(git -C "$ROOT" status --porcelain -- . ':!bench/report.md' 2>/dev/null)" ] && echo '+changes')\`, $(date -u '+%Y-%m-%d %H:%M') UTC; 1-minute load average $(cut -d' ' -f1 /proc/loadavg) at its end._

\`scripts/console-bench.sh\` (\`bench/console_data.py\`) against the stack as \`make dev\` runs it: the local API gateway (\`infra/local/api_gateway.py\`: the template's routes, the JWT authorizer verifying the local OpenID Connect provider's RS256 tokens, a thread per connection) in front of \`cargo lambda watch\` (the functions' **debug** builds, at most 8 invocations of a function at once) and the same kind of one-lock moto server, on the same two cores. c clients at once, each with its own keep-alive connection and customer (five-packs bought beforehand, not timed), sending \`POST /incidents\` one after another with the pack named as the console names it (levels concurrency:intakes = $levels). Wall = the clients released → the last answer; latency = request sent → answer read, at the client. Connection errors (refused, reset, timed out) and answers other than 201 are counted, never retried.

SECTION
  cat "$CONSOLE_BENCH_OUT/gateway.md" >>"$CONSOLE_BENCH_REPORT"
  cat >>"$CONSOLE_BENCH_REPORT" <<SECTION

The intakes of this section stay in the table: they are the queue of section 10 (each awaiting its first response).

## 10. The console with a real team's data

The same stack, the console served by \`infra/local/web_gateway.py\` (the deployed security headers) from web/dist as \`npm run build\` makes it. Headless Chromium (Debian's, through playwright-core; \`web/scripts/console-bench.mjs\`) signs in through the provider's login page as an engineer (queue, incident) and an admin (reports), then loads each page ${CONSOLE_BENCH_RUNS:-5} times in that tab (a full navigation; the session in sessionStorage), timed from the navigation's start, in the page: first contentful paint, and **usable** = the page's data rendered (queue: its first page, 25 rows — more than the screen shows — the rest following 100 at a time: "every row rendered"; incident: its title, its timeline's first page and every attachment; reports: the chart and the table of the last 12 months), checked on every animation frame. The queue holds the intakes of section 9 plus the heavy incident, whose events (customer messages, the attachments' events) and attachments went through the API and the local S3. Long tasks from a PerformanceObserver (\`longtask\`). Budgets: usable ≤ 1 s on the local stack, no long task over 200 ms while the countdowns tick, JS + CSS ≤ 100 KB gzipped.

SECTION
  cat "$CONSOLE_BENCH_OUT/console.md" >>"$CONSOLE_BENCH_REPORT"
  cat >>"$CONSOLE_BENCH_REPORT" <<SECTION

## 11. E-mailed replies: the SMTP server accepting a reply → the message readable through the API

The same stack plus the local SMTP server as \`make dev\` runs it (\`infra/local/smtp_server.py\`, aiosmtpd: the raw message to the local bucket under \`inbound/\`, answered 250, then \`inbound-mail\` invoked through \`cargo lambda watch\` — its **debug** build — with the S3 event, as SES receiving and S3's notification do in AWS). \`bench/email_replies.py\`: a customer's incident, its contact's reply address (the notifier's \`Reply-To\`), then ${CONSOLE_BENCH_REPLIES:-50} replies one after another through Python's smtplib (plain text in Thunderbird's shape with a quoted history, a Message-ID each). Each is timed from \`sendmail\` returning (the server's 250 to DATA) to the first \`GET /incidents/{id}/timeline\` through the gateway (sent back to back) that shows its \`customer_message\` with \`channel: email\` — an upper bound by at most one timeline read, whose median is given. One reply before them starts watch's process (not timed).

SECTION
  cat "$CONSOLE_BENCH_OUT/email.md" >>"$CONSOLE_BENCH_REPORT"
  # The hand-kept history of earlier runs closes the report.
  [ -f "$ROOT/bench/history.md" ] && cat "$ROOT/bench/history.md" >>"$CONSOLE_BENCH_REPORT"
fi
