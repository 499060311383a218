#!/usr/bin/env bash
# Runs every check and test: formatting, lints, UI unit tests, Rust tests against real SQLite
# and a real Docker engine, and the real app window under Xvfb. Sets the machine up first.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-always}"

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

bash scripts/setup.sh --for-tests

step "UI: lint, type-check, unit tests, build"
(cd ui && npm run lint && npm run check && npm test && npm run build)

step "Rust: format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust: build everything once"
cargo build --workspace --all-targets --locked

step "Rust: tests (real SQLite, real Docker)"
cargo test --workspace --locked --no-fail-fast

step "The app window under Xvfb"
xvfb-run -a -s "-screen 0 1280x800x24" \
  cargo test --workspace --locked --test e2e -- --ignored --skip frames::
echo "Screenshots: target/e2e/"
