#!/usr/bin/env bash
# Infrastructure and contract checks, run by `make test` after the tests while the local stack is
# still up (scripts/test.sh exports INCIDENT_DESK_URL and the provider's OIDC_ISSUER/OIDC_KEY_FILE):
#   1. cfn-lint on infra/template.yaml
#   2. sam validate --lint (offline, no credentials)
#   2b. infra/checks/template_checks.py on the SAM-translated template: the JWT authorizer on
#      every route but the webhook, the CORS origin, each role's actions = what its function's
#      code calls, every alarm notifying the alarm topic (with --self-test: each check is shown
#      to fail on a broken input)
#   3. infra/openapi.yaml is a valid OpenAPI 3.1 document (openapi-spec-validator)
#   4. schemathesis fuzzes the running API from infra/openapi.yaml: no 5xx, every status, content
#      type, header and body as documented. Bounded: 25 examples per operation and round, rounds
#      of fuzzing and stateful scenarios until 150 s are spent (ST_MAX_EXAMPLES, ST_MAX_TIME).
# Exits non-zero on any failure. Extra arguments go to `st run` (e.g. --seed 123 to replay a run).
# Standalone: start `make dev` in another terminal, then
#   INCIDENT_DESK_URL=http://127.0.0.1:9000 bash scripts/infra-checks.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.venv"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
REPORTS="$ROOT/.local/schemathesis"
cd "$ROOT"
# --static-only (make template-checks): the file checks (1 to 3), no running stack needed.
STATIC_ONLY=0
if [ "${1:-}" = --static-only ]; then STATIC_ONLY=1; shift; fi

for tool in "$VENV/bin/cfn-lint" "$VENV/bin/st" "$VENV/sam/bin/sam"; do
  if [ ! -x "$tool" ]; then
    echo "!! $tool is missing: run scripts/tools.sh (make test does)" >&2
    exit 1
  fi
done

echo "--> cfn-lint infra/template.yaml"
"$VENV/bin/cfn-lint" infra/template.yaml

echo "--> sam validate --lint"
SAM_CLI_TELEMETRY=0 "$VENV/sam/bin/sam" validate --lint --region us-east-1 -t infra/template.yaml

# deploy (issue 20): the translated template against the code (infra/checks/template_checks.py).
echo "--> template checks: authorizer on every route, CORS origin, roles = code's calls, alarms"
"$VENV/sam/bin/python" infra/checks/template_checks.py --self-test

# openapi-spec-validator arrives with moto; schemathesis checks the document too when it loads it.
if [ -x "$VENV/bin/openapi-spec-validator" ]; then
  echo "--> OpenAPI document"
  "$VENV/bin/openapi-spec-validator" infra/openapi.yaml
fi

if [ "$STATIC_ONLY" = 1 ]; then
  echo "--> static checks passed"
  exit 0
fi

if [ -z "${INCIDENT_DESK_URL:-}" ]; then
  echo "!! INCIDENT_DESK_URL is not set: start the local stack (make dev) and point it there" >&2
  exit 1
fi
if [ ! -x "$TARGET/debug/dev-tokens" ]; then
  echo "!! $TARGET/debug/dev-tokens is missing: cargo build --workspace --bins" >&2
  exit 1
fi
# One identity in both staff groups, so staff routes are exercised past their 403. It is an
# account of its own too: it buys packs and submits, answers and closes incidents.
TOKEN="$("$TARGET/debug/dev-tokens" | sed -n 's/^export ADMIN=//p')"
if [ -z "$TOKEN" ]; then
  echo "!! dev-tokens printed no ADMIN token" >&2
  exit 1
fi

# The emulator starts each function on its first request (and may compile it): warm them all
# so the first fuzzed requests do not time out.
echo "--> warming the functions at $INCIDENT_DESK_URL"
for probe in "GET /products" "GET /queue" "GET /account" "POST /incidents/warm-up/resolution" "GET /reports/sla"; do
  method="${probe% *}" path="${probe#* }"
  code="$(curl -s -o /dev/null -w '%{http_code}' -m 180 -X "$method" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' "$INCIDENT_DESK_URL$path" || true)"
  case "$code" in
    2??|4??) ;;
    *)
      echo "!! $method $path answered ${code:-nothing}: is the local stack up? (A function left idle" >&2
      echo "   longer than \`cargo lambda watch --timeout\` stops answering: see infra/DEPLOY.md, Local checks.)" >&2
      exit 1 ;;
  esac
done

echo "--> schemathesis against $INCIDENT_DESK_URL"
mkdir -p "$REPORTS"
# --workers 1: schemathesis' coverage phase trips a CPython 3.11 `ast` race with several workers
# ("AST constructor recursion depth mismatch"). The hooks keep emulator artefacts out of the
# verdict (see infra/schemathesis_hooks.py).
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$ROOT/infra${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=schemathesis_hooks \
  "$VENV/bin/st" run infra/openapi.yaml \
  --url "$INCIDENT_DESK_URL" \
  -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing,stateful \
  --mode all \
  --max-examples "${ST_MAX_EXAMPLES:-25}" \
  --max-time "${ST_MAX_TIME:-150}" \
  --workers 1 \
  --request-timeout 30 \
  --suppress-health-check too_slow,filter_too_much \
  --no-color \
  --report junit --report-junit-path "$REPORTS/junit.xml" \
  "$@"
