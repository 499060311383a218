#!/usr/bin/env bash
# The app's CPU while it sits on the Environments screen with 20 environments listed and one
# deploy running (started by the command, whose job sleeps): what the window costs when nobody
# touches it. Needs a built app (target/debug or $STAGECRAFT_APP), the command beside it, a
# Docker engine, busybox-static and xvfb-run. Prints the app's and its web process's CPU time
# over SECONDS_MEASURED (default 30) as a share of one core. Bounded: the job sleeps 150 s, and
# everything this script made is torn down at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
app_bin="${STAGECRAFT_APP:-target/debug/stagecraft-desktop}"
cli_bin="${STAGECRAFT_CLI:-target/debug/stagecraft}"
seconds="${SECONDS_MEASURED:-30}"
work="$(mktemp -d)"
export STAGECRAFT_DATA_DIR="$work/data" STAGECRAFT_KEYCHAIN=0
name="idle$$"
repo="$work/$name"
mkdir -p "$repo/.release" "$repo/worker"
cp /bin/busybox "$repo/worker/busybox"
printf '%s\n' 'FROM scratch' 'COPY busybox /bin/busybox' 'RUN ["/bin/busybox", "--install", "-s", "/bin"]' \
  'CMD ["sh", "-c", "trap '"'"'exit 0'"'"' TERM; sleep 100000 & wait"]' >"$repo/worker/Dockerfile"
cat >"$repo/.release/application_template.yaml" <<YAML
app: $name
environment_templates: [{name: ephemeral}]
services:
- {name: worker, build: {context: worker}}
jobs:
- {name: wait, from_services: worker, command: [sh, -c, 'sleep 150']}
workflows:
- {name: setup, order_from: [services.worker, jobs.wait]}
- {name: patch, order_from: [services.worker]}
- {name: teardown, order_from: [release.remove_environment]}
YAML
echo 'defaults: []' >"$repo/.release/environment_variables.yaml"

pids=()
app_session=""
cleanup() {
  [[ -n "$app_session" ]] && kill -- "-$app_session" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for id in $(docker ps -aq --filter "label=dev.stagecraft.app=$name"); do docker rm -f "$id" >/dev/null; done
  for id in $(docker network ls -q --filter "label=dev.stagecraft.app=$name"); do docker network rm "$id" >/dev/null; done
  for ref in $(docker images --filter "reference=stagecraft/$name/*" --format '{{.Repository}}:{{.Tag}}'); do
    docker rmi -f "$ref" >/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

"$cli_bin" apps add "$repo" >/dev/null
envs=()
for _ in $(seq 20); do
  envs+=("$("$cli_bin" environments create --app "$name" --skip-deploy --output json | sed -n 's/.*"env_id": *"\([^"]*\)".*/\1/p' | head -1)")
done
"$cli_bin" deploys create --environment "${envs[0]}" --wait >/dev/null 2>&1 &
pids+=($!)

# In a session of its own, so that its whole tree (Xvfb, WebKit's processes, which outlive a
# killed app) goes at the end.
setsid xvfb-run -a -s "-screen 0 1280x800x24" "$app_bin" >/dev/null 2>&1 &
app_session=$!
# The measurement starts once the deploy's job sleeps and the window has settled.
for _ in $(seq 120); do
  [[ -n "$(docker ps -q --filter "label=dev.stagecraft.app=$name" --filter "label=dev.stagecraft.workload=jobs.wait")" ]] && break
  sleep 1
done
sleep 10

# CPU ticks (user + system) of a process.
ticks_of() { [[ -r /proc/$1/stat ]] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
root=$(pgrep -f "^$app_bin" | head -1)
children=$(pgrep -P "$root" | tr '\n' ' ')
measure() { # the app's ticks, then its child processes' (WebKit's web and network processes)
  local kids=0
  for pid in $children; do kids=$((kids + $(ticks_of "$pid"))); done
  echo "$(ticks_of "$root") $kids"
}
read -r app_before kids_before <<<"$(measure)"
sleep "$seconds"
read -r app_after kids_after <<<"$(measure)"
hz=$(getconf CLK_TCK)
share() { awk -v t="$1" -v hz="$hz" -v s="$seconds" 'BEGIN { printf "%.1f %%", 100 * t / hz / s }'; }
echo "over $seconds s, as a share of one core: the app $(share $((app_after - app_before))), its web and network processes $(share $((kids_after - kids_before)))"
"$cli_bin" deploys list --environment "${envs[0]}" | tail -1
