#!/usr/bin/env bash
# Builds the Linux packages this machine can make without downloading anything, and prints
# their paths: a .deb and an .rpm, each holding the desktop app (its desktop entry and icons at
# every size), the `stagecraft` command at /usr/bin/stagecraft, and the static services' file
# server beside them (/usr/bin/stagecraft-static-server, where both look for it).
#
# The version is the workspace's (Cargo.toml's `workspace.package.version`), given to the
# bundler by scripts/tauri-bundle.sh; tauri.conf.json has none of its own. AppImage is not
# built: Tauri downloads its tools (linuxdeploy, appimagetool) while bundling, and this machine
# reaches no such host.
# macOS and Windows bundles are built by .github/workflows/bundles.yml on their own runners.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

bash scripts/setup.sh >&2

step "The static services' file server (release)"
server="$(bash scripts/static-server.sh)"

# One cargo run for the app and the command: their shared crates are built once, with the
# features both need (the bundler's own `tauri build` would build the graph again).
step "The app and the command (release)"
(cd ui && npm run build) >&2
cargo build --release --locked -p stagecraft-desktop -p stagecraft-cli >&2

step "The app, bundled as .deb and .rpm (Tauri's bundler)"
root="$PWD"
files="{\"/usr/bin/stagecraft\": \"$root/target/release/stagecraft\",
         \"/usr/bin/stagecraft-static-server\": \"$server\"}"
# libdbus: the OS keychain (the Secret Service); Docker suggested, never required (a cluster
# will do, and the user may run Podman or a remote engine).
config="{\"bundle\": {\"linux\": {
  \"deb\": {\"files\": $files, \"depends\": [\"libdbus-1-3\"], \"section\": \"devel\"},
  \"rpm\": {\"files\": $files, \"depends\": [\"dbus-libs\"]}}}}"
bash scripts/tauri-bundle.sh bundle --bundles deb,rpm --config "$config" >&2

bundles="$root/target/release/bundle"
# The newest of each (a folder may hold earlier versions' too); no pipe to cut ls short.
newest() { local listed; listed="$(ls -t "$@")"; echo "${listed%%$'\n'*}"; }
deb="$(newest "$bundles"/deb/*.deb)"
rpm="$(newest "$bundles"/rpm/*.rpm)"

# Tauri's deb has no `Suggests:`: added to its control file, the package rebuilt as it was.
step "Suggesting a container engine in the .deb"
unpacked="$(mktemp -d)"
trap 'rm -rf "$unpacked"' EXIT
chmod 755 "$unpacked"
dpkg-deb -R "$deb" "$unpacked"
grep -q '^Suggests:' "$unpacked/DEBIAN/control" \
  || sed -i '/^Depends:/a Suggests: docker.io | docker-ce | podman' "$unpacked/DEBIAN/control"
dpkg-deb --root-owner-group -Zxz -b "$unpacked" "$deb" >&2
rm -rf "$unpacked"

echo "$deb"
echo "$rpm"
