#!/usr/bin/env bash
# Installs the .deb that scripts/package.sh builds as a user would (`apt-get install ./….deb`),
# starts the installed app under Xvfb from its desktop entry's Exec line and waits for its
# window, runs the installed `stagecraft` from the PATH (--version, gitops validate), removes
# the package, and checks that nothing of it is left but the user's data folder. Prints the
# packages' sizes and the installed app's cold start beside the one in target/release.
# Installing a package needs root: without it, this says so and does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

if [[ "$(id -u)" -ne 0 ]]; then
  echo "Skipped: the package test installs a .deb, which needs root (CI runs it as root)."
  exit 0
fi

mapfile -t built < <(bash scripts/package.sh)
deb="${built[0]}"
rpm="${built[1]}"
name="$(dpkg-deb -f "$deb" Package)"
version="$(dpkg-deb -f "$deb" Version)"
workspace_version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)"
[[ "$version" == "$workspace_version" ]] || fail "the .deb is $version, the workspace $workspace_version"
[[ "$(dpkg-deb -f "$deb" Suggests)" == *docker* ]] || fail "the .deb suggests no container engine"
contents="$(dpkg-deb -c "$deb")"
grep -q ' ./usr/bin/stagecraft$' <<< "$contents" || fail "the .deb holds no /usr/bin/stagecraft"
grep -q ' ./usr/bin/stagecraft-static-server$' <<< "$contents" \
  || fail "the .deb holds no /usr/bin/stagecraft-static-server"
icons="$(grep -c '/usr/share/icons/hicolor/.*/apps/' <<< "$contents" || true)"
(( icons >= 2 )) || fail "the .deb holds $icons icons"

data="$(mktemp -d)"
export data
export STAGECRAFT_DATA_DIR="$data/stagecraft"
export STAGECRAFT_KEYCHAIN=0
cleanup() { dpkg -s "$name" >/dev/null 2>&1 && apt-get remove -y -qq --purge "$name" >/dev/null; rm -rf "$data"; }
trap cleanup EXIT

step "Installing $(basename "$deb")"
[[ ! -e /usr/bin/stagecraft ]] || fail "/usr/bin/stagecraft exists before the install: remove it first"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb"
mapfile -t owned < <(dpkg -L "$name")

step "The installed command, from the PATH"
[[ "$(command -v stagecraft)" == /usr/bin/stagecraft ]] || fail "stagecraft is not /usr/bin/stagecraft"
stagecraft --version | grep -q "$version" || fail "stagecraft --version does not say $version"
repo="$data/repo"
mkdir -p "$repo"
stagecraft gitops init "$repo" >/dev/null || fail "stagecraft gitops init failed"
stagecraft gitops validate "$repo" | grep -q '^valid: 0 error' || fail "stagecraft gitops validate failed"

# Mapped: xwininfo lists a top-level window named Stagecraft. Milliseconds from the start.
window_after() {
  local start now
  start="$(date +%s%N)"
  "$@" >"$data/app.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 1500); do
    if xwininfo -root -tree 2>/dev/null | grep -q '"Stagecraft"'; then
      now="$(date +%s%N)"
      # Then its database, which it opens beside the window: the app works, not only draws.
      for _ in $(seq 1 500); do
        [[ -f "$STAGECRAFT_DATA_DIR/stagecraft.db" ]] && break
        sleep 0.02
      done
      kill "$pid"; wait "$pid" 2>/dev/null || true
      echo $(( (now - start) / 1000000 ))
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$data/app.log" >&2; return 1; }
    sleep 0.02
  done
  kill "$pid"; cat "$data/app.log" >&2; return 1
}
# xvfb-run goes through sh, which drops exported functions: the function is passed as text.
under_xvfb() {
  xvfb-run -a -s "-screen 0 1280x800x24" bash -c "$(declare -f window_after); window_after \"\$@\"" _ "$@"
}

step "The installed app, started from its desktop entry"
desktop="$(printf '%s\n' "${owned[@]}" | grep '/usr/share/applications/.*\.desktop$' | head -n 1)"
[[ -n "$desktop" ]] || fail "the package has no desktop entry"
exec_line="$(sed -n 's/^Exec=//p' "$desktop" | head -n 1 | sed 's/ %[fFuU]//g')"
[[ -n "$exec_line" ]] || fail "$desktop has no Exec line"
read -r -a exec_words <<< "$exec_line"
installed_ms="$(under_xvfb "${exec_words[@]}")" \
  || fail "the installed app showed no window"
built_ms="$(under_xvfb target/release/stagecraft-desktop)" \
  || fail "target/release/stagecraft-desktop showed no window"
[[ -f "$STAGECRAFT_DATA_DIR/stagecraft.db" ]] || fail "the app made no database in its data folder"

step "Removing the package"
apt-get remove -y -qq --purge "$name" >/dev/null
left=()
for path in "${owned[@]}"; do
  [[ -f "$path" || -L "$path" ]] && left+=("$path")
done
(( ${#left[@]} == 0 )) || fail "left after removal: ${left[*]}"
[[ -d "$STAGECRAFT_DATA_DIR" ]] || fail "the removal took the user's data folder"

printf 'Packages: %s %s KiB, %s %s KiB (download); installed size %s KiB\n' \
  "$(basename "$deb")" "$(( $(stat -c %s "$deb") / 1024 ))" \
  "$(basename "$rpm")" "$(( $(stat -c %s "$rpm") / 1024 ))" \
  "$(dpkg-deb -f "$deb" Installed-Size)"
printf 'Cold start to a mapped window: installed %s ms, target/release %s ms\n' \
  "$installed_ms" "$built_ms"
