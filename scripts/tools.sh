#!/usr/bin/env bash
# Installs everything the local stack and the test suite need into ./.venv.
# Idempotent: a stamp file keyed by the requirement files skips work already done.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.stamp"
want="$(cat "$root"/infra/local/requirements*.txt | sha256sum | cut -c1-16)-cl1.9.2"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
echo "==> installing local tools into .venv (first run takes a few minutes)"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip
"$venv/bin/pip" install -q --disable-pip-version-check -r "$root/infra/local/requirements.txt"
# cargo-lambda's wheel carries the binary; --no-deps skips ziglang (only needed for cross builds).
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps cargo-lambda==1.9.2
# SAM CLI lives in its own venv: its pins clash with schemathesis'.
python3 -m venv "$venv/sam"
"$venv/sam/bin/pip" install -q --disable-pip-version-check -r "$root/infra/local/requirements-sam.txt"
if ! command -v cargo-nextest >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi
echo "$want" > "$stamp"
