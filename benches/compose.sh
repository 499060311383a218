#!/usr/bin/env bash
# Stagecraft against docker-compose on the same Docker engine and the same images
# (BENCHMARKS.md). Installs what is missing (Debian's docker-compose 1.29 and busybox-static),
# makes sure an engine answers, builds the `stagecraft` command and the harness in release mode,
# and runs it:
#
#   benches/compose.sh            9 measured runs after one warm-up
#   benches/compose.sh --runs 5   any of the harness's options (--help lists them)
#
# Figures: the table on standard output, every run in target/bench/compose.json.
set -euo pipefail
cd "$(dirname "$0")/.."
as_root() { if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

bash scripts/setup.sh
missing=()
for package in docker-compose busybox-static; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$package")
done
if ((${#missing[@]})); then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cargo build --release --locked -p stagecraft-cli -p stagecraft-bench
exec target/release/stagecraft-bench "$@"
