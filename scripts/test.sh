#!/usr/bin/env bash
# Runs every check and test: formatting, lints, UI unit tests, Rust tests against real SQLite
# and a real Docker engine, and the real app window under Xvfb. Sets the machine up first.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-always}"
# A one-time build gains nothing from incremental compilation's caches, which are most of the
# disk a debug build takes (tens of GB here); CI runs once on a fresh clone.
if [[ "${CI:-}" == "true" ]]; then
  export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
fi

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

bash scripts/setup.sh --for-tests

step "UI: lint, type-check, unit tests, build"
(cd ui && npm run lint && npm run check && npm test && npm run build)

step "The macOS and Windows workflow, against GitHub's workflow schema"
target/tools/python/bin/check-jsonschema --builtin-schema vendor.github-workflows \
  .github/workflows/bundles.yml

step "Rust: format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust: build everything once"
cargo build --workspace --all-targets --locked

step "The file server of static services, built to run FROM scratch"
STAGECRAFT_STATIC_SERVER="$(bash scripts/static-server.sh)"
export STAGECRAFT_STATIC_SERVER

step "Rust: tests (real SQLite, real Docker)"
cargo test --workspace --locked --no-fail-fast

step "The OS keychain: a throwaway D-Bus session with an unlocked gnome-keyring"
# Its own session bus and keyring (the password only unlocks this throwaway one), so the test
# never touches the keychain of the person running it. `--workspace` keeps the features the
# build above unified, so nothing is compiled again.
keyring_home="$(mktemp -d)"
XDG_DATA_HOME="$keyring_home" dbus-run-session -- bash -c '
  printf stagecraft-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  cargo test --workspace --locked --test api -- --ignored --exact \
    secrets::the_key_lives_in_the_os_keychain_when_one_answers
'
rm -rf "$keyring_home"

if [[ -n "${STAGECRAFT_TEST_KUBECONFIG:-}" ]]; then
  step "The scenario on the real cluster of $STAGECRAFT_TEST_KUBECONFIG"
  cargo test --workspace --locked --test api -- --ignored kube_real::
fi

step "The app window under Xvfb"
xvfb-run -a -s "-screen 0 1280x800x24" \
  cargo test --workspace --locked --test e2e -- --ignored --skip frames:: \
    --skip terminal::terminal_keystrokes_and_a_large_output_in_the_window
echo "Screenshots: target/e2e/"

step "The .deb installed, started, used from the PATH and removed (root only)"
bash scripts/package-test.sh
