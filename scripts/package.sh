#!/usr/bin/env bash
# `make package`: release builds of the five functions for Lambda on arm64 (Graviton), one zip per
# function: target/lambda-arm64/<function>/bootstrap.zip (the `bootstrap` executable inside, as
# the provided.al2023 runtime expects). Upload them as they are, or let `sam build` do the same
# (see infra/DEPLOY.md).
#
# Cross-compiling needs two things the test suite does not (so CI never installs them):
#   - the Rust target:  rustup target add aarch64-unknown-linux-gnu
#   - zig, the linker cargo-lambda cross-compiles with: `zig` on PATH (https://ziglang.org), or
#     the PyPI wheel in the project venv:  .venv/bin/pip install ziglang
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.venv"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
LAMBDA_DIR="$TARGET_DIR/lambda-arm64"
FUNCTIONS=(intake response closure pack-purchase sla-sweeper reports payment-webhook)
cd "$ROOT"
# cargo-lambda finds zig on PATH, or runs `python3 -m ziglang`: put the venv's python first.
export PATH="$VENV/bin:$PATH"

missing=0
if [ -x "$VENV/bin/cargo-lambda" ]; then
  CARGO_LAMBDA=("$VENV/bin/cargo-lambda" lambda)
elif command -v cargo-lambda >/dev/null 2>&1; then
  CARGO_LAMBDA=(cargo lambda)
else
  echo "!! cargo-lambda is missing: run scripts/tools.sh (or pip install cargo-lambda)" >&2
  missing=1
fi
if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
  echo "!! the Rust target aarch64-unknown-linux-gnu is not installed:" >&2
  echo "     rustup target add aarch64-unknown-linux-gnu" >&2
  missing=1
fi
if ! command -v zig >/dev/null 2>&1 && ! python3 -c 'import ziglang' >/dev/null 2>&1; then
  echo "!! zig is missing (cargo-lambda links the arm64 binaries with it):" >&2
  echo "     $VENV/bin/pip install ziglang      (or install zig from https://ziglang.org)" >&2
  missing=1
fi
if [ "$missing" -ne 0 ]; then
  echo "!! make package needs the tools above; nothing was built" >&2
  exit 1
fi

packages=()
for f in "${FUNCTIONS[@]}"; do packages+=(--package "$f"); done
# No --features: the `local-auth` feature (the LOCAL_AUTH_SECRET token verifier of local builds)
# stays off, so these binaries take identity from the API Gateway authorizer only.
echo "==> cargo lambda build --release --arm64 (${FUNCTIONS[*]})"
"${CARGO_LAMBDA[@]}" build --release --arm64 --output-format zip --lambda-dir "$LAMBDA_DIR" "${packages[@]}"

echo "==> packages"
for f in "${FUNCTIONS[@]}"; do
  zip="$LAMBDA_DIR/$f/bootstrap.zip"
  if [ ! -f "$zip" ]; then
    echo "!! $zip was not produced" >&2
    exit 1
  fi
  printf '    %-14s %s (%s bytes)\n' "$f" "${zip#"$ROOT"/}" "$(wc -c <"$zip" | tr -d ' ')"
done
