#!/usr/bin/env bash
# The HTTP API of `stagecraft serve` under load, on 127.0.0.1 only, with oha (crates.io):
#   1. GET of one environment by 50 concurrent clients for 10 s: p50, p99, requests per second,
#      and every status seen (the target: p99 under 10 ms, no error);
#   2. 1,000 requests without a token (10 clients): every one refused (401).
# Everything is bounded (time, count, connections) and stops by itself; `serve` runs with a
# data folder of its own, and goes at the end. No Docker needed: the environment is created
# without being set up. Usage: benches/api.sh [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "usage: benches/api.sh [--seconds N]" >&2; exit 2 ;;
  esac
done

oha=target/tools/oha/bin/oha
[[ -x "$oha" ]] || cargo install oha --locked --root target/tools/oha
cargo build --release --locked -p stagecraft-cli
stagecraft="$PWD/target/release/stagecraft"

work="$(mktemp -d)"
serve_pid=""
cleanup() {
  if [[ -n "$serve_pid" ]]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export STAGECRAFT_DATA_DIR="$work/data" STAGECRAFT_KEYCHAIN=0

# An app: a git repository with Release files.
repo="$work/shop"
mkdir -p "$repo"
"$stagecraft" gitops init "$repo" >/dev/null
git -C "$repo" init -q -b main
git -C "$repo" -c user.name=bench -c user.email=bench@stagecraft.invalid add .
git -C "$repo" -c user.name=bench -c user.email=bench@stagecraft.invalid commit -q -m first
app="$("$stagecraft" apps add "$repo" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')"
token="$("$stagecraft" auth token create bench -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"

"$stagecraft" serve --api-port 0 --api-rate-limit 1000000 2>"$work/serve.err" &
serve_pid=$!
port=""
for _ in $(seq 1 300); do
  port="$(sed -n 's|^stagecraft serve: the API answers on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/serve.err")"
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { cat "$work/serve.err" >&2; echo "serve gave no port" >&2; exit 1; }
base="http://127.0.0.1:$port"

id="$(curl -sf -H "X-User-Token: $token" -H 'Content-Type: application/json' \
  -d '{"branch": "main", "skip_deploy": true}' "$base/api/apps/$app/environments" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["environment"]["id"])')"

report() {
  python3 -c '
import json, sys
name = sys.argv[1]
d = json.load(sys.stdin)
s = d["summary"]; p = d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
errors = d.get("errorDistribution", {})
rps, p50, p99 = s["requestsPerSec"], p["p50"] * 1000, p["p99"] * 1000
print("%s: %.0f requests/s, p50 %.2f ms, p99 %.2f ms, statuses %s, errors %s"
      % (name, rps, p50, p99, codes, errors or "none"))
' "$1"
}

"$oha" -z "${seconds}s" --wait-ongoing-requests-after-deadline -c 50 --no-tui --output-format json -H "X-User-Token: $token" \
  "$base/api/v1/environments/$id" | report "GET /api/v1/environments/{id}, 50 clients, ${seconds} s"
"$oha" -n 1000 -c 10 --no-tui --output-format json "$base/api/v1/environments/$id" |
  report "1,000 requests without a token, 10 clients"
sleep 1 # the request log is written every half second
refused="$("$stagecraft" auth requests --limit 1 -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["refused"])' || true)"
echo "refused, as the API counted them so far: $refused"
