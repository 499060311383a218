#!/usr/bin/env bash
# Runs Tauri's bundler on any OS with bash and Python 3 (Linux; macOS; Windows through Git
# Bash): `scripts/tauri-bundle.sh build ARGS…` builds the app and bundles it (`tauri build`),
# `scripts/tauri-bundle.sh bundle ARGS…` bundles the app already built in target/release
# (`tauri bundle`; scripts/package.sh builds it with the command in one cargo run).
# Tauri's CLI wants its config beside the app crate's Cargo.toml, and the root Cargo.toml is the
# workspace's: a copy of tauri.conf.json with its paths rebased goes to src-tauri/ for the run
# and is removed after. For `build` the UI is built first (the copy has no
# beforeBuildCommand); the app itself is built from the root config, as always.
# The version is the workspace's (`workspace.package.version`): tauri.conf.json has none.
set -euo pipefail
cd "$(dirname "$0")/.."

subcommand="${1:-}"
case "$subcommand" in
  build) (cd ui && npm run build) >&2 ;;
  bundle) ;;
  *) echo "usage: scripts/tauri-bundle.sh build|bundle [tauri's arguments…]" >&2; exit 2 ;;
esac
shift
python="$(command -v python3 || command -v python)"
bundling_config=src-tauri/tauri.conf.json
trap 'rm -f "$bundling_config"' EXIT
"$python" - "$bundling_config" <<'PY'
import json, re, sys
config = json.load(open("tauri.conf.json"))
workspace = open("Cargo.toml").read().split("[workspace.package]", 1)[1]
config["version"] = re.search(r'^version = "([^"]+)"', workspace, re.M).group(1)
config["build"]["frontendDist"] = "../" + config["build"]["frontendDist"]
config["build"]["beforeBuildCommand"] = ""
config["bundle"]["icon"] = ["../" + icon for icon in config["bundle"]["icon"]]
json.dump(config, open(sys.argv[1], "w"), indent=2)
PY
cd src-tauri
../ui/node_modules/.bin/tauri "$subcommand" --ci "$@"
