#!/usr/bin/env bash
# Installs what Stagecraft needs on Debian or Ubuntu, skipping whatever is already there, and
# makes sure a Docker engine answers. Safe to run again.
#
#   scripts/setup.sh              what building and running the app needs
#   scripts/setup.sh --for-tests  plus what the tests need (Xvfb, WebKitWebDriver, tauri-driver,
#                                 busybox-static, kubernetes-validate in target/tools/python,
#                                 Debian's registry binary in target/tools/registry)
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=false
if [[ "${1:-}" == "--for-tests" ]]; then for_tests=true; fi

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }
as_root() { if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

app_packages=(
  build-essential pkg-config curl wget file libssl-dev libdbus-1-dev
  libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev
)
test_packages=(xvfb xauth x11-utils rpm webkit2gtk-driver fonts-dejavu-core busybox-static dbus-daemon gnome-keyring jq)

# --- toolchains: these come from their own installers, not from this script -----------------
command -v cargo >/dev/null || fail "Rust is missing: install it with rustup (https://rustup.rs), then run this again"
command -v node >/dev/null || fail "Node.js is missing: install Node.js 20.19 or newer, then run this again"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || fail "Node.js $(node --version) is too old: the UI build (Vite 7) needs 20.19 or newer"

# --- system packages -------------------------------------------------------------------------
wanted=("${app_packages[@]}")
if $for_tests; then wanted+=("${test_packages[@]}"); fi
if command -v apt-get >/dev/null; then
  missing=()
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$package")
  done
  if ((${#missing[@]})); then
    say "Installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
else
  say "Not a Debian or Ubuntu system: install the packages listed in README.md yourself"
fi

# --- a Docker engine -------------------------------------------------------------------------
docker_answers() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }
docker_answers_as_root() { command -v docker >/dev/null && as_root docker info >/dev/null 2>&1; }

if ! docker_answers && ! docker_answers_as_root; then
  if ! command -v dockerd >/dev/null; then
    command -v apt-get >/dev/null || fail "no Docker engine answers: install Docker, then run this again"
    say "No Docker engine answers: installing Debian's docker.io"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io
  fi
  if [[ -d /run/systemd/system ]]; then
    say "Starting the Docker service"
    as_root systemctl start docker
  else
    say "Starting dockerd (log: /var/log/stagecraft-dockerd.log)"
    as_root sh -c 'nohup setsid dockerd >/var/log/stagecraft-dockerd.log 2>&1 &'
  fi
  for _ in $(seq 60); do docker_answers_as_root && break; sleep 1; done
  docker_answers_as_root || fail "dockerd did not answer within 60 s: see /var/log/stagecraft-dockerd.log"
fi
if ! docker_answers; then
  say "Docker runs, but your user may not use it: sudo usermod -aG docker \"$USER\", then log in again"
fi

# --- UI dependencies, reinstalled only when the lock file changed ----------------------------
lock_hash=$(sha256sum ui/package-lock.json | cut -d' ' -f1)
if [[ "$(cat ui/node_modules/.stagecraft-lock 2>/dev/null)" != "$lock_hash" ]]; then
  say "Installing the UI's npm packages"
  (cd ui && npm ci --no-audit --no-fund)
  echo "$lock_hash" > ui/node_modules/.stagecraft-lock
fi

# --- kubernetes-validate (PyPI), in a virtual environment of its own -------------------------
# The Kubernetes manifests are checked against Kubernetes' schemas by it. A venv keeps it off
# the system's Python (Debian refuses a system-wide pip install).
if $for_tests; then
  venv=target/tools/python
  if ! "$venv/bin/python" -c 'import kubernetes_validate, check_jsonschema' 2>/dev/null; then
    say "Installing kubernetes-validate and check-jsonschema into $venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv
      rm -rf "$venv"
      python3 -m venv "$venv"
    fi
    # check-jsonschema: the CI workflow checked against GitHub's schema, which it carries.
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      kubernetes-validate==1.37.0 check-jsonschema==0.33.0
  fi
fi

# --- a container registry the push tests run on 127.0.0.1 -----------------------------------
# Debian's docker-registry package, unpacked rather than installed: installing it starts a
# registry service on every interface, and the tests start their own.
if $for_tests; then
  registry=target/tools/registry/usr/bin/docker-registry
  if [[ ! -x "$registry" ]]; then
    command -v apt-get >/dev/null || fail "the push tests need a registry binary: put Distribution's \`registry\` at $registry"
    say "Unpacking Debian's docker-registry into target/tools/registry"
    mkdir -p target/tools/registry
    ( cd target/tools/registry && rm -f docker-registry_*.deb \
      && { apt-get download -q docker-registry >/dev/null 2>&1 \
           || { as_root apt-get update -qq && apt-get download -q docker-registry >/dev/null; }; } \
      && dpkg-deb -x docker-registry_*.deb . && rm -f docker-registry_*.deb )
    [[ -x "$registry" ]] || fail "unpacking docker-registry did not give $registry"
  fi
fi

# --- test drivers ----------------------------------------------------------------------------
if $for_tests && ! command -v tauri-driver >/dev/null; then
  say "Installing tauri-driver"
  cargo install tauri-driver --version 2.1.0 --locked
fi
