#!/usr/bin/env bash
# Publishes the console to a deployed stack (infra/DEPLOY.md, "Publish the console"):
#   1. reads the stack's outputs (aws cloudformation describe-stacks)
#   2. builds web/ (npm ci && npm run build -> web/dist) unless SKIP_BUILD=1
#   3. writes web/dist/config.json from the outputs: apiUrl, issuer, clientId, region, authDomain,
#      redirectUri, logoutUri (the fields the console reads; /work INTERFACES: deploy, config.json)
#   4. uploads web/dist to the console bucket: hashed assets cached for a year, index.html and
#      config.json with Cache-Control no-cache; removes files of older builds
#   5. invalidates CloudFront's copy of / , /index.html and /config.json
# Usage: scripts/deploy-console.sh <stack name> [--client-id ID]   (AWS CLI credentials and region
# from the environment). --client-id: the console's client id when the stack trusts an external
# issuer (JwtIssuer), which has no UserPoolClientId output.
# CONFIG_ONLY=1 writes config.json to stdout from the outputs and uploads nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STACK="${1:?usage: scripts/deploy-console.sh <stack name> [--client-id ID]}"
shift
CLIENT_ID=""
while [ $# -gt 0 ]; do
  case "$1" in
    --client-id) CLIENT_ID="${2:?--client-id needs a value}"; shift 2 ;;
    *) echo "!! unknown argument $1" >&2; exit 2 ;;
  esac
done
PY="$(command -v python3)"

outputs="$(aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].Outputs' --output json)"

config() {
  OUTPUTS="$outputs" CLIENT_ID="$CLIENT_ID" "$PY" - <<'PY'
import json, os, sys
out = {o["OutputKey"]: o["OutputValue"] for o in json.loads(os.environ["OUTPUTS"]) or []}
client = os.environ.get("CLIENT_ID") or out.get("UserPoolClientId", "")
if not client:
    sys.exit("!! the stack has no UserPoolClientId output (external issuer): pass --client-id")
console = out["ConsoleUrl"]
origin = out["ConsoleOrigin"].rstrip("/") + "/"
config = {
    "apiUrl": out["ApiUrl"].rstrip("/"),
    "issuer": out["Issuer"],
    "clientId": client,
    "region": out["Region"],
    "authDomain": out.get("AuthDomain", ""),
    "redirectUri": origin,
    "logoutUri": origin,
}
print(json.dumps(config, indent=2))
PY
}

if [ "${CONFIG_ONLY:-0}" = 1 ]; then
  config
  exit 0
fi

value() { # output key
  OUTPUTS="$outputs" "$PY" -c 'import json, os, sys
out = {o["OutputKey"]: o["OutputValue"] for o in json.loads(os.environ["OUTPUTS"]) or []}
print(out[sys.argv[1]])' "$1"
}
BUCKET="$(value ConsoleBucketName)"
DISTRIBUTION="$(value ConsoleDistributionId)"

if [ ! -f "$ROOT/web/package.json" ]; then
  echo "!! web/package.json is missing: there is no console to publish in this checkout" >&2
  exit 1
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "==> building the console (web/)"
  (cd "$ROOT/web" && npm ci && npm run build)
fi
DIST="$ROOT/web/dist"
[ -f "$DIST/index.html" ] || { echo "!! $DIST/index.html is missing: the build produced no console" >&2; exit 1; }

echo "==> config.json from the outputs of $STACK"
config >"$DIST/config.json"
cat "$DIST/config.json"

echo "==> uploading to s3://$BUCKET"
aws s3 sync "$DIST" "s3://$BUCKET" --delete --exclude index.html --exclude config.json \
  --cache-control "public, max-age=31536000, immutable"
aws s3 cp "$DIST/index.html" "s3://$BUCKET/index.html" --cache-control "no-cache" --content-type "text/html; charset=utf-8"
aws s3 cp "$DIST/config.json" "s3://$BUCKET/config.json" --cache-control "no-cache" --content-type "application/json"

echo "==> invalidating CloudFront $DISTRIBUTION"
aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION" --paths / /index.html /config.json \
  --query Invalidation.Id --output text
echo "==> console: $(value ConsoleUrl)"
