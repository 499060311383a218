#!/usr/bin/env bash
# Sets up this machine when needed, builds Stagecraft (the app and the `stagecraft` command)
# and opens the app.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
(cd ui && npm run build)
cargo build --release --locked -p stagecraft-desktop -p stagecraft-cli
# Static services' file server, where the app and the command look for it: beside them.
cp "$(bash scripts/static-server.sh)" target/release/stagecraft-static-server

if [[ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  echo "No display: to run headless, use xvfb-run -a -s '-screen 0 1280x800x24' $0" >&2
  exit 1
fi
exec target/release/stagecraft-desktop
