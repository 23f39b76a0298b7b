#!/usr/bin/env bash
# `make package [ARCH=arm64|x86_64|"arm64 x86_64"]`: release zips of every function for Lambda
# (provided.al2023), one per function and architecture:
#   target/lambda-<arch>/<function>/bootstrap.zip   (the `bootstrap` executable inside, mode 0755)
# then a smoke test of every zip it built (see below). Default ARCH: arm64 (Graviton, what the
# template deploys by default). The functions are the workspace members under functions/.
#
# It installs what it needs itself, and only what is missing:
#   - the local tools (scripts/tools.sh: cargo-lambda, the SAM and test venvs)
#   - arm64: the Rust target aarch64-unknown-linux-gnu (rustup), zig from PyPI into .venv
#     (infra/local/package-requirements.txt; cargo-lambda links the cross build with it through a
#     `zig` wrapper in .local/package/bin), and to run the arm64 binaries here, Debian's
#     qemu-user and libc6-arm64-cross (apt-get; as root or through sudo)
#   - x86_64: nothing more (`--compiler cargo`, the host toolchain)
#
# Checks of each zip: it holds one executable `bootstrap`, an ELF for the architecture, needing
# at most GLIBC 2.34 (Amazon Linux 2023). The functions verify no token (API Gateway's JWT
# authorizer does); the smoke test proves it: each HTTP function, given its event without the
# authorizer's claims and with an unsigned bearer token, must refuse it (401).
# Smoke test: each zip is unpacked and its bootstrap run (arm64 under qemu-aarch64) against a
# fake Lambda Runtime API on loopback and a private local data store (moto on a free port, table
# created and seeded by local-setup), with the event of tests/events/smoke/<function>.json: one
# real request each. SMOKE=0 skips it (not recommended).
#
# Cost: the arm64 release build of all functions takes ~19 min of both cores from scratch (less
# when target/ already holds it). Not part of `make test`. Run it niced on a shared machine:
#   nice -n 19 env CARGO_BUILD_JOBS=1 make package
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.venv"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
ARCHES="${ARCH:-arm64}"
SMOKE="${SMOKE:-1}"
TOOLS="$ROOT/.local/package/bin"
cd "$ROOT"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
started=$SECONDS

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else
    echo "!! need root to run: $* (no sudo here); install it by hand and re-run" >&2
    return 1
  fi
}

for a in $ARCHES; do
  case "$a" in
    arm64|x86_64) ;;
    *) echo "!! ARCH must be arm64, x86_64 or both (\"arm64 x86_64\"), not $a" >&2; exit 2 ;;
  esac
done

echo "==> tools"
bash "$ROOT/scripts/tools.sh"
CARGO_LAMBDA="$VENV/bin/cargo-lambda"
mkdir -p "$TOOLS"
export PATH="$TOOLS:$VENV/bin:$PATH"

if [[ " $ARCHES " == *" arm64 "* ]]; then
  if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    echo "--> rustup target add aarch64-unknown-linux-gnu"
    rustup target add aarch64-unknown-linux-gnu
  fi
  if ! "$VENV/bin/python" -c 'import ziglang' 2>/dev/null; then
    echo "--> zig from PyPI into .venv (a ~100 MB wheel)"
    # python -m pip: the venv's own interpreter (a venv copied from another folder keeps pip
    # scripts that name the original's).
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/infra/local/package-requirements.txt"
  fi
  # cargo-lambda looks for `zig` on PATH: the wheel's binary, through its own module.
  printf '#!/bin/sh\nexec "%s" -m ziglang "$@"\n' "$VENV/bin/python" >"$TOOLS/zig"
  chmod +x "$TOOLS/zig"
  zig_version="$(zig version)" || { echo "!! zig does not run (ziglang in $VENV?)" >&2; exit 1; }
  echo "    zig $zig_version"
  if [ "$SMOKE" != 0 ] && { ! command -v qemu-aarch64 >/dev/null 2>&1 || [ ! -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]; }; then
    echo "--> apt-get install qemu-user libc6-arm64-cross (to run the arm64 binaries here)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user libc6-arm64-cross >/dev/null
  fi
fi

if [ "${TOOLS_ONLY:-0}" = 1 ]; then
  # For `sam build` (infra/DEPLOY.md): cargo-lambda, zig and the target, without building here.
  echo "==> tools ready; for sam build put them on PATH:"
  echo "    export PATH=\"$TOOLS:$VENV/bin:\$PATH\""
  exit 0
fi

# The functions: workspace members whose manifest lives in functions/<dir>/.
mapfile -t FUNCTIONS < <(cargo metadata --no-deps --format-version 1 | "$VENV/bin/python" -c '
import json, os, sys
meta = json.load(sys.stdin)
functions = os.path.join(meta["workspace_root"], "functions") + os.sep
members = set(meta["workspace_members"])
for p in sorted(meta["packages"], key=lambda p: p["name"]):
    if p["id"] in members and p["manifest_path"].startswith(functions):
        print(p["name"])
')
if [ "${#FUNCTIONS[@]}" -eq 0 ]; then
  echo "!! found no function under functions/ in the workspace" >&2
  exit 1
fi
echo "    functions: ${FUNCTIONS[*]}"
packages=()
for f in "${FUNCTIONS[@]}"; do packages+=(--package "$f"); done

# Every zip: one entry `bootstrap`, executable, an ELF of the right machine needing at most
# GLIBC 2.34. (Without the local token verifier: proven by the smoke test's probe.)
check_zip() { # zip arch
  "$VENV/bin/python" - "$1" "$2" "$ROOT" <<'PY'
import os, re, sys, zipfile
path, arch, root = sys.argv[1:4]
machine = {"arm64": 0xB7, "x86_64": 0x3E}[arch]
with zipfile.ZipFile(path) as z:
    names = z.namelist()
    if names != ["bootstrap"]:
        sys.exit(f"{path}: holds {names}, expected only bootstrap")
    info = z.getinfo("bootstrap")
    mode = (info.external_attr >> 16) & 0o777
    if not mode & 0o111:
        sys.exit(f"{path}: bootstrap is not executable (mode {oct(mode)})")
    data = z.read("bootstrap")
if data[:4] != b"\x7fELF" or int.from_bytes(data[18:20], "little") != machine:
    sys.exit(f"{path}: bootstrap is not an ELF executable for {arch}")
newest = max((int(m.group(1)) for m in re.finditer(rb"GLIBC_2\.(\d+)", data)), default=0)
if newest > 34:
    sys.exit(f"{path}: needs GLIBC 2.{newest}, newer than Amazon Linux 2023's 2.34")
print(f"{len(data)}\t{os.path.getsize(path)}\t2.{newest}")
PY
}

built=()
for arch in $ARCHES; do
  lambda_dir="$CARGO_TARGET_DIR/lambda-$arch"
  if [ "$arch" = arm64 ]; then
    flags=(--arm64)
  else
    flags=(--x86-64 --compiler cargo)
  fi
  echo "==> cargo lambda build --release ${flags[*]} (${#FUNCTIONS[@]} functions, no extra features)"
  t0=$SECONDS
  rm -f "$lambda_dir"/*/bootstrap.zip
  "$CARGO_LAMBDA" lambda build --release "${flags[@]}" --output-format zip --lambda-dir "$lambda_dir" "${packages[@]}"
  echo "    built in $((SECONDS - t0)) s"
  echo "==> $arch zips"
  printf '    %-16s %12s %12s %8s  %s\n' function bootstrap zip glibc path
  for f in "${FUNCTIONS[@]}"; do
    zip="$lambda_dir/$f/bootstrap.zip"
    if [ ! -f "$zip" ]; then
      echo "!! $zip was not produced" >&2
      exit 1
    fi
    IFS=$'\t' read -r raw size glibc < <(check_zip "$zip" "$arch")
    printf '    %-16s %12s %12s %8s  %s\n' "$f" "$raw" "$size" "$glibc" "${zip#"$ROOT"/}"
  done
  built+=("$arch")
done

if [ "$SMOKE" = 0 ]; then
  echo "==> SMOKE=0: the zips were NOT run"
  exit 0
fi

echo "==> smoke test: the local data store and the runner"
cargo build -q -p bench --bin smoke
cargo build -q -p store --bin local-setup
# The attachments bucket of the local stack (scripts/stack.sh setup_table runs it too).
if [ -f "$ROOT/shared/objects/Cargo.toml" ]; then cargo build -q -p objects --bins; fi
source "$ROOT/scripts/stack.sh"
STATE="$ROOT/.local/package-$$"
trap 'stack_stop; rm -rf "$STATE/unpacked"' EXIT INT TERM
export TABLE_NAME="incident-desk-smoke"
start_dynamodb "$(free_port)"
export AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL_DYNAMODB"
setup_table
# The functions refuse to start without a cursor key (>= 32 characters): a random one.
export CURSOR_KEY="$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(32))')"
# Each HTTP function must also refuse a request that bypassed the JWT authorizer (no claims,
# an unsigned bearer token): the functions verify no token themselves.
probe="--unsigned-probe"
for arch in "${built[@]}"; do
  unpacked="$STATE/unpacked/$arch"
  for f in "${FUNCTIONS[@]}"; do
    mkdir -p "$unpacked/$f"
    "$VENV/bin/python" - "$CARGO_TARGET_DIR/lambda-$arch/$f/bootstrap.zip" "$unpacked/$f" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    info = z.getinfo("bootstrap")
    z.extract(info, sys.argv[2])
    os.chmod(os.path.join(sys.argv[2], "bootstrap"), (info.external_attr >> 16) & 0o777)
PY
  done
  runner=""
  [ "$arch" = arm64 ] && [ "$(uname -m)" != aarch64 ] && runner="qemu-aarch64 -L /usr/aarch64-linux-gnu"
  echo "==> smoke test, $arch${runner:+ (under $runner)}: one request each"
  "$CARGO_TARGET_DIR/debug/smoke" --dir "$unpacked" --events "$ROOT/tests/events/smoke" \
    --logs "$STATE/logs-$arch" ${runner:+--runner "$runner"} ${probe:+"$probe"} "${FUNCTIONS[@]}"
done
echo "==> make package: ${built[*]} built and smoke-tested in $((SECONDS - started)) s"
