#!/usr/bin/env bash
# The local ingress under load, against the same container reached directly, on 127.0.0.1
# only, with oha (crates.io): a service serving one small file with Stagecraft's own file
# server (hyper, keep-alive; an image FROM scratch, scripts/static-server.sh builds the
# program) of an environment deployed on the real Docker engine, `stagecraft serve`
# running the ingress; then GET of its page at the port Docker publishes, and the same through
# the ingress by its hostname (Host header): each with one client for 10 s (what a request
# takes, without queueing: the latency the ingress adds), then with 50 clients for 10 s (the
# throughput, the machine saturated). Prints p50, p99, requests per second and statuses of
# each, and what the ingress adds (the targets: under 0.3 ms at p50, and at least 80 % of the
# direct throughput), and the CPU time per request of the ingress (`serve`) and of Docker's
# port proxy (read from /proc, on Linux). Then a patch under a steady loop of requests (4 clients, 400 requests a
# second in all, 25 s): through the ingress while `serve` runs it (the new container started
# beside the old, the ingress switched to it), then, `serve` stopped, at the service's direct
# port (the old container stopped before the new one starts): the failed requests of each,
# and each patch's time (the deploy's start to its end, as the store has it). Bounded in time,
# count and connections; everything it made goes at the end. Usage: benches/ingress.sh
# [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "usage: benches/ingress.sh [--seconds N]" >&2; exit 2 ;;
  esac
done

oha=target/tools/oha/bin/oha
[[ -x "$oha" ]] || cargo install oha --locked --root target/tools/oha
cargo build --release --locked -p stagecraft-cli
stagecraft="$PWD/target/release/stagecraft"
server="$(bash scripts/static-server.sh)"

work="$(mktemp -d)"
serve_pid=""
id=""
app="ingressbench$$"
cleanup() {
  if [[ -n "$serve_pid" ]]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  if [[ -n "$id" ]]; then "$stagecraft" environments delete "$id" >/dev/null 2>&1 || true; fi
  "$stagecraft" apps remove "$app" >/dev/null 2>&1 || true
  [[ -n "${KEEP_BENCH:-}" ]] && cp "$work"/*.json "$work"/*.cpu /tmp/ 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export STAGECRAFT_DATA_DIR="$work/data" STAGECRAFT_KEYCHAIN=0 STAGECRAFT_INGRESS_PORT="$port"

# The app: one service with a node_port, Stagecraft's file server serving one small file.
repo="$work/$app"
mkdir -p "$repo/.release" "$repo/web/www"
cp "$server" "$repo/web/server"
printf 'hello through the ingress\n' > "$repo/web/www/index.html"
cat > "$repo/web/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY server /server
COPY www /www
CMD ["/server", "--site", "/www"]
# Ignored: a stop takes the whole grace period (10 s), as it does for busybox httpd and other
# servers that are PID 1 without a SIGTERM handler, or that drain their connections first.
STOPSIGNAL SIGWINCH
DOCKERFILE
cat > "$repo/.release/application_template.yaml" <<TEMPLATE
app: $app
environment_templates: [{name: ephemeral}]
services:
- {name: web, build: {context: web}, ports: [{type: node_port, port: '80', target_port: '8080'}]}
workflows:
- {name: setup, order_from: [services.web]}
- {name: patch, order_from: [services.web]}
- {name: teardown, order_from: [release.remove_environment]}
TEMPLATE
printf 'defaults: []\n' > "$repo/.release/environment_variables.yaml"
git -C "$repo" init -q -b main
git -C "$repo" -c user.name=bench -c user.email=bench@stagecraft.invalid add .
git -C "$repo" -c user.name=bench -c user.email=bench@stagecraft.invalid commit -q -m first
"$stagecraft" apps add "$repo" >/dev/null
created="$("$stagecraft" environments create --app "$app" -o json)"
read -r id direct host < <(python3 -c '
import json, sys
e = json.load(sys.stdin)["environment"]
h = e["hostnames"][0]
print(e["id"], h["direct"], h["url"].split("//")[1].split(":")[0])
' <<<"$created")

"$stagecraft" serve --no-api 2>"$work/serve.err" &
serve_pid=$!
for _ in $(seq 1 100); do
  grep -q "the ingress answers on" "$work/serve.err" && break
  sleep 0.1
done
grep -q "the ingress answers on" "$work/serve.err" || { cat "$work/serve.err" >&2; exit 1; }
curl -sf -H "Host: $host" "http://127.0.0.1:$port/" >/dev/null

run() {
  local clients="$1"; shift
  "$oha" -z "${seconds}s" --wait-ongoing-requests-after-deadline -c "$clients" --no-tui --output-format json "$@"
}
# The CPU time (user and system, in clock ticks) of `serve` and of Docker's port proxy of the
# service (where the engine runs one on this machine) while a run goes on: what each costs per
# request, a figure steadier than throughput on a shared machine. `serve` works during the
# direct run too (it follows the service's log): what it takes more through the ingress is the
# ingress's cost.
docker_proxy="$(pgrep -f "docker-proxy.*-host-port ${direct##*:}( |$)" | head -1 || true)"
# utime and stime (the stat line's 14th and 15th fields, counted after the command's name,
# which may hold spaces), or nothing where there is no such process or no /proc.
ticks() {
  [[ -n "$1" ]] || return 0
  { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; } 2>/dev/null || true
}
cpu_of() {
  local name="$1"; shift
  local serve0 proxy0 serve1 proxy1
  serve0="$(ticks "$serve_pid")"; proxy0="$(ticks "$docker_proxy")"
  run "$@" >"$work/$name.json"
  serve1="$(ticks "$serve_pid")"; proxy1="$(ticks "$docker_proxy")"
  if [[ -n "$serve0" && -n "$serve1" ]]; then
    echo "$(( serve1 - serve0 )) $(( ${proxy1:-0} - ${proxy0:-0} )) $(getconf CLK_TCK) ${proxy0:+proxy}" >"$work/$name.cpu"
  else
    echo none >"$work/$name.cpu"
  fi
}
for clients in 1 50; do
  cpu_of "direct-$clients" "$clients" "$direct/"
  cpu_of "ingress-$clients" "$clients" -H "Host: $host" "http://127.0.0.1:$port/"
done
# A patch under a steady loop of requests to $2 (a new commit, a new image): the loop's
# answers and the deploy as the store has it.
patch() {
  local version="$1"; shift
  printf 'version %s\n' "$version" > "$repo/web/www/index.html"
  git -C "$repo" -c user.name=bench -c user.email=bench@stagecraft.invalid commit -q -am "$version"
  "$oha" -z 25s -c 4 -q 400 --wait-ongoing-requests-after-deadline --no-tui --output-format json "$@" >"$work/loop-$version.json" &
  local loop=$!
  sleep 2
  local start
  start="$(date +%s%N)"
  "$stagecraft" deploys create --environment "$id" --wait -o json >"$work/patch-$version.json"
  echo $(( ($(date +%s%N) - start) / 1000000 )) >"$work/command-$version.ms"
  wait "$loop"
}
patch behind-the-ingress -H "Host: $host" "http://127.0.0.1:$port/"
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=""
direct="$("$stagecraft" environments get "$id" -o json | python3 -c 'import json, sys; print(json.load(sys.stdin)["hostnames"][0]["direct"])')"
patch at-the-direct-port "$direct/"

python3 - "$work" <<'PY'
import json, sys
def read(path):
    d = json.load(open(path))
    s, p = d["summary"], d["latencyPercentiles"]
    return s["requestsPerSec"], p["p50"] * 1000, p["p99"] * 1000, d.get("statusCodeDistribution", {}), d.get("errorDistribution", {})
work = sys.argv[1]
for clients in (1, 50):
    direct, ingress = read(f"{work}/direct-{clients}.json"), read(f"{work}/ingress-{clients}.json")
    for name, (rps, p50, p99, codes, errors) in (("direct", direct), ("through the ingress", ingress)):
        print("%d client(s), %s: %.0f requests/s, p50 %.3f ms, p99 %.3f ms, statuses %s, errors %s"
              % (clients, name, rps, p50, p99, codes, errors or "none"))
    print("%d client(s): the ingress adds %.3f ms at p50, %.3f ms at p99, and keeps %.0f %% of the direct throughput"
          % (clients, ingress[1] - direct[1], ingress[2] - direct[2], 100 * ingress[0] / direct[0]))
    def per_request(name):
        d = json.load(open(f"{work}/{name}.json"))
        answered = sum(d.get("statusCodeDistribution", {}).values()) or 1
        read = open(f"{work}/{name}.cpu").read().split()
        if read == ["none"]:
            return None
        serve, proxy, hz = (int(x) for x in read[:3])
        return 1e6 * serve / hz / answered, (1e6 * proxy / hz / answered if len(read) > 3 else None)
    direct_cpu, ingress_cpu = per_request(f"direct-{clients}"), per_request(f"ingress-{clients}")
    if direct_cpu is None or ingress_cpu is None:
        print("%d client(s), CPU per request: not measured (no /proc here)" % clients)
        continue
    (serve_direct, proxy_direct), (serve_ingress, proxy_ingress) = direct_cpu, ingress_cpu
    proxy = ("no port proxy found" if proxy_direct is None or proxy_ingress is None else
             "Docker's port proxy %.0f us direct, %.0f us through the ingress" % (proxy_direct, proxy_ingress))
    print("%d client(s), CPU per request: the ingress %.0f us (serve %.0f us through it, %.0f us "
          "in the direct run), %s"
          % (clients, serve_ingress - serve_direct, serve_ingress, serve_direct, proxy))
from datetime import datetime
def at(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
for version, how in (("behind-the-ingress", "through the ingress, serve running"),
                     ("at-the-direct-port", "at the direct port, no ingress")):
    d = json.load(open(f"{work}/loop-{version}.json"))
    codes, errors = d.get("statusCodeDistribution", {}), d.get("errorDistribution", {})
    ok = codes.get("200", 0)
    failed = sum(codes.values()) - ok + sum(errors.values())
    deploy = json.load(open(f"{work}/patch-{version}.json"))["deploy"]
    took = (at(deploy["finished_at"]) - at(deploy["started_at"])).total_seconds()
    command = int(open(f"{work}/command-{version}.ms").read()) / 1000
    print("patch %s: %s in %.1f s (the command returned after %.1f s: it waits for the old "
          "container's stop before it exits); the loop: %d answered 200, %d failed (statuses %s, "
          "errors %s)" % (how, deploy["status"], took, command, ok, failed, codes, errors or "none"))
PY
