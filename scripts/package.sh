#!/usr/bin/env bash
# Builds the Linux packages this machine can make without downloading anything, and prints
# their paths: a .deb and an .rpm, each holding the desktop app (its desktop entry and icons at
# every size), the `stagecraft` command at /usr/bin/stagecraft, and the static services' file
# server beside them (/usr/bin/stagecraft-static-server, where both look for it).
#
# The version is the workspace's (Cargo.toml's `workspace.package.version`): tauri.conf.json
# has none of its own (the app reads its crate's), and the bundler is given it here. AppImage is not built: Tauri downloads
# its tools (linuxdeploy, appimagetool) while bundling, and this machine reaches no such host.
# macOS and Windows bundles are built by .github/workflows/bundles.yml on their own runners.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

bash scripts/setup.sh >&2

step "The static services' file server and the command (release)"
server="$(bash scripts/static-server.sh)"
cargo build --release --locked -p stagecraft-cli >&2

step "The app, bundled as .deb and .rpm (Tauri's bundler)"
root="$PWD"
files="{\"/usr/bin/stagecraft\": \"$root/target/release/stagecraft\",
         \"/usr/bin/stagecraft-static-server\": \"$server\"}"
# libdbus: the OS keychain (the Secret Service); Docker suggested, never required (a cluster
# will do, and the user may run Podman or a remote engine).
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)"
config="{\"version\": \"$version\", \"bundle\": {\"linux\": {
  \"deb\": {\"files\": $files, \"depends\": [\"libdbus-1-3\"], \"section\": \"devel\"},
  \"rpm\": {\"files\": $files, \"depends\": [\"dbus-libs\"]}}}}"
# Tauri's CLI wants its config beside the app crate's Cargo.toml (the root one is the
# workspace's): a copy of tauri.conf.json with its paths rebased goes there for the bundling,
# and is removed after. The app itself is built from the root one, as always.
(cd ui && npm run build) >&2
bundling_config=src-tauri/tauri.conf.json
trap 'rm -f "$bundling_config"' EXIT
python3 - "$bundling_config" <<'PY'
import json, sys
config = json.load(open("tauri.conf.json"))
config["build"]["frontendDist"] = "../" + config["build"]["frontendDist"]
config["build"]["beforeBuildCommand"] = ""
config["bundle"]["icon"] = ["../" + icon for icon in config["bundle"]["icon"]]
json.dump(config, open(sys.argv[1], "w"), indent=2)
PY
(cd src-tauri && ../ui/node_modules/.bin/tauri build --ci --bundles deb,rpm --config "$config") >&2
rm -f "$bundling_config"

bundles="$root/target/release/bundle"
deb="$(ls -t "$bundles"/deb/*.deb | head -n 1)"
rpm="$(ls -t "$bundles"/rpm/*.rpm | head -n 1)"

# Tauri's deb has no `Suggests:`: added to its control file, the package rebuilt as it was.
step "Suggesting a container engine in the .deb"
unpacked="$(mktemp -d)"
dpkg-deb -R "$deb" "$unpacked"
grep -q '^Suggests:' "$unpacked/DEBIAN/control" \
  || sed -i '/^Depends:/a Suggests: docker.io | docker-ce | podman' "$unpacked/DEBIAN/control"
dpkg-deb --root-owner-group -Zxz -b "$unpacked" "$deb" >&2
rm -rf "$unpacked"

echo "$deb"
echo "$rpm"
