#!/usr/bin/env bash
# Lists the mail the local SES accepted (moto's /moto-api/data.json), by default of `make dev`'s
# stack. Usage: scripts/outbox.sh [--body] [--to ADDRESS] [--grep TEXT] [--json]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export AWS_ENDPOINT_URL_DYNAMODB="${AWS_ENDPOINT_URL_DYNAMODB:-http://127.0.0.1:${DYNAMODB_PORT:-8000}}"
exec "$ROOT/.venv/bin/python" "$ROOT/infra/local/notifications.py" outbox "$@"
