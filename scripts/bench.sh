#!/usr/bin/env bash
# `make bench`: builds the release functions, starts a private local data store on a free port,
# measures (latency through the handlers vs the raw store floor, cold init, zip size, peak
# memory, sweep scaling, each route's store calls, round trips and computed write units from the
# store's own call log, intake throughput at concurrency 1, 8 and 64), writes bench/report.md and
# prints it; then scripts/console-bench.sh (the local gateway under load, the console's speed in
# headless Chromium with a real team's data) adds sections 9 to 11 (11: e-mailed replies); stops everything it started.
# Prints numbers, asserts nothing about speed. Not part of `make test`.
# Options (environment): BENCH_REQUESTS (300), BENCH_SPAWNS (20), BENCH_SWEEP_TIMEOUT (900 s),
# BENCH_ARM64 (1; 0 skips the arm64 zips of section 3), BENCH_CONSOLE (1; 0 skips sections 9 to
# 11), and console-bench.sh's (CONSOLE_BENCH_*).
# Time: the release build (5-11 min from scratch on 2 cores), the arm64 zips (`make package`
# without its smoke test: 6-19 min from scratch), a debug build of the e2e crate unless
# `make test` left one (~4 min), sweep-bench ~4 min, the bench ~3 min, the console's ~5 min.
set -euo pipefail
source "$(dirname "$0")/stack.sh"
STATE="$ROOT/.local/bench-$$"
trap stack_stop EXIT INT TERM
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Every function (cold init and zip size are measured for each; the latency runs use six).
FUNCTIONS=(intake response attachments closure pack-purchase privacy sla-sweeper reports payment-webhook notifier inbound-mail)
RELEASE="$CARGO_TARGET_DIR/release"
mkdir -p "$STATE"

bash "$ROOT/scripts/tools.sh"
echo "==> building the release binaries (a few minutes the first time)"
cargo build --release $(printf -- '-p %s ' "${FUNCTIONS[@]}") -p bench
# sweep-bench (the sweeper's scaling run) lives in the e2e crate. Built on its own, so its
# dependencies cannot change a feature of the functions' build, and in debug: `make test` has
# usually built it already, a release build would compile the SDK a second time, and its times
# are the data store's, not its own.
SWEEP_BENCH=""
if [ -f "$ROOT/tests/src/bin/sweep-bench.rs" ]; then
  cargo build -p e2e --bin sweep-bench
  SWEEP_BENCH="$CARGO_TARGET_DIR/debug/sweep-bench"
fi

ARM64_DIR="$CARGO_TARGET_DIR/lambda-arm64"
if [ "${BENCH_ARM64:-1}" != "0" ]; then
  # The deployed zips, built as `make package` builds them (its smoke test is `make package`'s).
  echo "==> the arm64 zips (make package without its smoke test)"
  SMOKE=0 ARCH=arm64 bash "$ROOT/scripts/package.sh" || { echo "!! the arm64 build failed: section 3 shows no arm64 column" >&2; ARM64_DIR=""; }
else
  ARM64_DIR=""
fi

echo "==> zipping each release binary as bootstrap"
ZIPS="$STATE/zips.tsv"
: >"$ZIPS"
for fn in "${FUNCTIONS[@]}" hello-lambda; do
  dir="$STATE/zip/$fn"
  mkdir -p "$dir"
  cp "$RELEASE/$fn" "$dir/bootstrap"
  rm -f "$dir/$fn.zip"
  if command -v zip >/dev/null 2>&1; then
    (cd "$dir" && zip -q -9 -X "$fn.zip" bootstrap)
  else
    (cd "$dir" && python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.write("bootstrap")' "$fn.zip")
  fi
  arm64=""
  if [ -n "$ARM64_DIR" ] && [ -f "$ARM64_DIR/$fn/bootstrap.zip" ]; then
    arm64="$(stat -c %s "$ARM64_DIR/$fn/bootstrap.zip")"
  fi
  printf '%s\t%s\t%s\t%s\n' "$fn" "$(stat -c %s "$RELEASE/$fn")" "$(stat -c %s "$dir/$fn.zip")" "$arm64" >>"$ZIPS"
done
rm -rf "$STATE/zip"

SWEEP_MD="$STATE/sweep.md"
: >"$SWEEP_MD"
if [ -n "$SWEEP_BENCH" ]; then
  # On a server of its own, stopped afterwards: its 100,000-item table would otherwise stay in
  # the server that the latency runs below use.
  echo "==> sweep scaling (sweep-bench, on its own local data store)"
  start_dynamodb "$(free_port)"
  status=0
  # Loading 100,000 rows into the one-lock server on a shared machine stalls now and then for
  # longer than the deployed 5 s store timeout (a run failed so): 20 s, as the test stack gives.
  STORE_OPERATION_TIMEOUT_MS="${STORE_OPERATION_TIMEOUT_MS:-20000}" \
    timeout "${BENCH_SWEEP_TIMEOUT:-900}" "$SWEEP_BENCH" >"$SWEEP_MD" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "!! sweep-bench failed or timed out (exit $status)" >&2
    printf '\n_sweep-bench did not finish in this run (exit %s)._\n' "$status" >>"$SWEEP_MD"
  fi
  kill "${PIDS[-1]}" 2>/dev/null || true
  wait "${PIDS[-1]}" 2>/dev/null || true
  unset 'PIDS[-1]'
fi

echo "==> starting the local data store (recording its calls: GET /__calls)"
# The bench counts each request's store calls from the server's log (infra/local/dynamodb_server.py).
export LOCAL_DYNAMODB_RECORD=1
start_dynamodb "$(free_port)"
unset LOCAL_DYNAMODB_RECORD

echo "==> benchmarking"
export BENCH_COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$( [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ] && echo '+changes')"
export BENCH_RUSTC="$(rustc --version)"
"$RELEASE/bench" --out "$ROOT/bench/report.md" --zips "$ZIPS" --sweep "$SWEEP_MD" \
  --samples "$ROOT/bench/samples.json" --logs "$STATE/logs" --requests "${BENCH_REQUESTS:-300}" --spawns "${BENCH_SPAWNS:-20}"
echo "==> wrote bench/report.md"

# Sections 9 to 11: the stack as `make dev` runs it (scripts/console-bench.sh starts and stops
# its own, and appends both sections to the report).
if [ "${BENCH_CONSOLE:-1}" != "0" ]; then
  echo "==> the local gateway under load, and the console with a real team's data (scripts/console-bench.sh)"
  CONSOLE_BENCH_OUT="$STATE/console-bench" CONSOLE_BENCH_REPORT="$ROOT/bench/report.md" bash "$ROOT/scripts/console-bench.sh" ||
    { printf '\n## 9. to 11. The gateway under load, the console, e-mailed replies\n\n_scripts/console-bench.sh did not finish in this run._\n'; cat "$ROOT/bench/history.md"; } >>"$ROOT/bench/report.md"
else
  cat "$ROOT/bench/history.md" >>"$ROOT/bench/report.md"
fi
