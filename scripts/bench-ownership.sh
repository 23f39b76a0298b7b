#!/usr/bin/env bash
# The ownership rows of `make bench` alone (bench/src/main.rs `ownership`): the store calls and
# round trips of taking and handing off an incident, of the filtered lists and of the engineers
# registry, against a private local data store that records its calls. Debug binaries: the calls
# a request makes do not depend on the build profile (latency does; `make bench` measures it).
#   bash scripts/bench-ownership.sh [N]      # N requests of each route (default 10)
set -euo pipefail
source "$(dirname "$0")/stack.sh"
STATE="$ROOT/.local/bench-ownership-$$"
trap stack_stop EXIT INT TERM
mkdir -p "$STATE"
bash "$ROOT/scripts/tools.sh"
cargo build --quiet -p intake -p response -p pack-purchase -p bench --bin bench
export LOCAL_DYNAMODB_RECORD=1
start_dynamodb "$(free_port)"
unset LOCAL_DYNAMODB_RECORD
"$CARGO_TARGET_DIR/debug/bench" --only-ownership --extras "${1:-10}" --logs "$STATE/logs"
