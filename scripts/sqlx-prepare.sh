#!/usr/bin/env bash
# Regenerates the committed `.sqlx/` offline query data after a query or a migration changed.
# Needs sqlx-cli: cargo install sqlx-cli --locked --no-default-features --features sqlite
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export DATABASE_URL="sqlite://$tmp/prepare.db"
sqlx database create
sqlx migrate run --source crates/store/migrations
SQLX_OFFLINE=false cargo sqlx prepare --workspace -- --all-targets
