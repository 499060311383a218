#!/usr/bin/env bash
# Builds `stagecraft-static-server`, the file server of static services, as a Linux program
# that needs no library (it runs in an image FROM scratch), and prints its path.
#
# On a Linux host with glibc: glibc linked in statically (`crt-static`; glibc's static
# library comes with its development files, `libc6-dev`). Elsewhere, or with `--musl`: the
# musl target of the engine's machine (`rustup target add x86_64-unknown-linux-musl`, or
# aarch64 for Apple silicon and ARM engines). Stagecraft finds the program through
# STAGECRAFT_STATIC_SERVER, or beside its own executable.
set -euo pipefail
cd "$(dirname "$0")/.."

host="$(rustc -vV | sed -n 's/^host: //p')"
profile="${STAGECRAFT_STATIC_SERVER_PROFILE:-release}"
if [[ "${1:-}" == "--musl" || "$host" != *-linux-gnu ]]; then
  arch="${STAGECRAFT_ENGINE_ARCH:-${host%%-*}}"
  [[ "$arch" == arm64 ]] && arch=aarch64
  target="$arch-unknown-linux-musl"
  cargo build --locked -p stagecraft-static-server --profile "$profile" --target "$target" >&2
else
  # `--target` keeps the flag off build scripts and the workspace's other builds.
  target="$host"
  RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --locked -p stagecraft-static-server --profile "$profile" --target "$target" >&2
fi
dir="$profile"
[[ "$profile" == dev ]] && dir=debug
echo "$PWD/target/$target/$dir/stagecraft-static-server"
