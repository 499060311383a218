#!/usr/bin/env bash
# Checks the .rpm scripts/package.sh builds (its files and requirements, and its command run
# from a scratch root it is installed into), then installs the .deb as a user would
# (`apt-get install ./….deb`),
# starts the installed app under Xvfb from its desktop entry's Exec line and waits for its
# window to be viewable and its database made, runs the installed `stagecraft` from the PATH
# (--version, gitops init and validate), checks that the app keeps its data and its log where
# the OS's conventions put them (XDG), removes the package, and checks that none of its files is
# left while the user's data folder and log are. Prints the packages' sizes and the installed app's
# cold start beside the one in target/release (each with a data folder and a HOME of its own).
# Installing a package needs root: without it, this says so and does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

if [[ "$(id -u)" -ne 0 ]]; then
  echo "Skipped: the package test installs a .deb, which needs root (CI runs it as root)."
  exit 0
fi
for tool in Xvfb xwininfo setsid; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup.sh --for-tests first"
done

packages="$(bash scripts/package.sh)" || fail "scripts/package.sh failed"
mapfile -t built <<< "$packages"
(( ${#built[@]} == 2 )) || fail "scripts/package.sh printed ${#built[@]} paths, not 2"
deb="${built[0]}"
rpm="${built[1]}"
name="$(dpkg-deb -f "$deb" Package)"
version="$(dpkg-deb -f "$deb" Version)"
workspace_version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)"
[[ "$version" == "$workspace_version" ]] || fail "the .deb is $version, the workspace $workspace_version"
[[ "$(dpkg-deb -f "$deb" Suggests)" == *docker* ]] || fail "the .deb suggests no container engine"
[[ "$(dpkg-deb -f "$deb" Depends)" == *libwebkit2gtk-4.1* ]] || fail "the .deb does not depend on WebKitGTK"
contents="$(dpkg-deb -c "$deb")"
grep -q ' ./usr/bin/stagecraft$' <<< "$contents" || fail "the .deb holds no /usr/bin/stagecraft"
grep -q ' ./usr/bin/stagecraft-static-server$' <<< "$contents" \
  || fail "the .deb holds no /usr/bin/stagecraft-static-server"
for size in 32x32 64x64 128x128 256x256@2 512x512; do
  grep -q " ./usr/share/icons/hicolor/$size/apps/" <<< "$contents" \
    || fail "the .deb holds no $size icon"
done

# Nothing of a user's is touched: an installed Stagecraft or a stagecraft command is left alone.
if dpkg -s "$name" >/dev/null 2>&1 || [[ -e /usr/bin/stagecraft ]]; then
  fail "$name is installed, or /usr/bin/stagecraft exists, already: remove it first"
fi
data="$(mktemp -d)"
xvfb_pid=""
cleanup() {
  if [[ -n "$xvfb_pid" ]]; then kill "$xvfb_pid" 2>/dev/null; wait "$xvfb_pid" 2>/dev/null || true; fi
  if dpkg -s "$name" >/dev/null 2>&1; then apt-get remove -y -qq --purge "$name" >/dev/null; fi
  rm -rf "$data"
}
trap cleanup EXIT

step "The .rpm, read and installed into a scratch root"
# The .rpm: its version, files and requirements read by rpm itself, then installed into a
# scratch root (this is Debian: rpm's own database is empty, so dependencies are not checked)
# and its command run from there.
command -v rpm >/dev/null || fail "rpm is missing: run scripts/setup.sh --for-tests first"
[[ "$(rpm -qp --queryformat '%{VERSION}' "$rpm")" == "$version" ]] || fail "the .rpm is not $version"
rpm_files="$(rpm -qpl "$rpm")"
for file in /usr/bin/stagecraft /usr/bin/stagecraft-desktop /usr/bin/stagecraft-static-server \
  /usr/share/icons/hicolor/512x512/apps/stagecraft-desktop.png; do
  grep -qx "$file" <<< "$rpm_files" || fail "the .rpm holds no $file"
done
grep -q '^/usr/share/applications/.*\.desktop$' <<< "$rpm_files" || fail "the .rpm has no desktop entry"
rpm_requires="$(rpm -qp --requires "$rpm")"
for required in 'libwebkit2gtk-4.1.so.0' 'dbus-libs'; do
  grep -q "$required" <<< "$rpm_requires" || fail "the .rpm does not require $required"
done
rpm_root="$data/rpm-root"
rpm -i --nodeps --root "$rpm_root" "$rpm"
[[ "$("$rpm_root/usr/bin/stagecraft" --version)" == *"$version"* ]] \
  || fail "the .rpm's stagecraft does not say $version"
rm -rf "$rpm_root"

# Every run of the app and the command keeps its files under $data, not in root's home.
export HOME="$data/home" XDG_DATA_HOME="$data/home/.local/share" \
  XDG_CONFIG_HOME="$data/home/.config" XDG_CACHE_HOME="$data/home/.cache" \
  XDG_STATE_HOME="$data/home/.local/state"
export STAGECRAFT_KEYCHAIN=0
mkdir -p "$HOME"

step "Installing $(basename "$deb")"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb"
mapfile -t owned < <(dpkg -L "$name")

step "The installed command, from the PATH"
export STAGECRAFT_DATA_DIR="$data/command"
[[ "$(command -v stagecraft)" == /usr/bin/stagecraft ]] || fail "stagecraft is not /usr/bin/stagecraft"
[[ "$(stagecraft --version)" == *"$version"* ]] || fail "stagecraft --version does not say $version"
repo="$data/repo"
mkdir -p "$repo"
stagecraft gitops init "$repo" >/dev/null || fail "stagecraft gitops init failed"
[[ "$(stagecraft gitops validate "$repo")" == "valid: 0 error"* ]] || fail "stagecraft gitops validate failed"

# One X server for both starts, owned by this script and waited for when it ends. Xvfb picks a
# free display itself (-displayfd) and writes its number once it accepts connections: two
# xvfb-run calls back to back raced, the second server taking the display the first was still
# leaving, whose exit then removed the new server's socket (GTK: "Failed to initialize").
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$data/display" 2>"$data/xvfb.err" &
xvfb_pid=$!
for _ in $(seq 1 500); do
  [[ -s "$data/display" ]] && break
  kill -0 "$xvfb_pid" 2>/dev/null || { cat "$data/xvfb.err" >&2; fail "Xvfb did not start"; }
  sleep 0.02
done
[[ -s "$data/display" ]] || fail "Xvfb gave no display within 10 s"
export DISPLAY=":$(head -n1 "$data/display")"

# Milliseconds from the start until a top-level window named Stagecraft is viewable; then the
# database it opens beside the window ($DATABASE) is waited for (the app works, not only
# draws). The app runs in a session of its own, so its WebKit processes go with it, and the
# session is gone before this returns; its standard error goes to $OUTPUT.
window_after() {
  local start now pid
  # The window of an earlier start is gone first, so it is never taken for this one's.
  for _ in $(seq 1 250); do
    xwininfo -name Stagecraft >/dev/null 2>&1 || break
    sleep 0.02
  done
  ! xwininfo -name Stagecraft >/dev/null 2>&1 || { echo "an earlier Stagecraft window stays" >&2; return 1; }
  start="$(date +%s%N)"
  setsid "$@" >"$OUTPUT" 2>&1 &
  pid=$!
  stop() {
    kill -- "-$pid" 2>/dev/null
    for _ in $(seq 1 250); do kill -0 -- "-$pid" 2>/dev/null || return 0; sleep 0.02; done
    kill -9 -- "-$pid" 2>/dev/null
    for _ in $(seq 1 250); do kill -0 -- "-$pid" 2>/dev/null || return 0; sleep 0.02; done
  }
  for _ in $(seq 1 1500); do
    if xwininfo -name Stagecraft 2>/dev/null | grep -q IsViewable; then
      now="$(date +%s%N)"
      for _ in $(seq 1 500); do
        [[ -f "$DATABASE" ]] && break
        sleep 0.02
      done
      stop
      [[ -f "$DATABASE" ]] || { echo "no database at $DATABASE" >&2; return 1; }
      echo $(( (now - start) / 1000000 ))
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$OUTPUT" >&2; return 1; }
    sleep 0.02
  done
  stop; cat "$OUTPUT" >&2; return 1
}

step "The installed app, started from its desktop entry"
desktop="$(printf '%s\n' "${owned[@]}" | grep '/usr/share/applications/.*\.desktop$' || true)"
desktop="${desktop%%$'\n'*}"
[[ -n "$desktop" ]] || fail "the package has no desktop entry"
exec_line="$(sed -n 's/^Exec=//p' "$desktop" | sed 's/ %[fFuU]//g')"
exec_line="${exec_line%%$'\n'*}"
[[ -n "$exec_line" ]] || fail "$desktop has no Exec line"
read -r -a exec_words <<< "$exec_line"
# As a user starts it: no STAGECRAFT_DATA_DIR, so its data and its log go where the OS keeps
# them (the XDG folders, under $data/home here).
unset STAGECRAFT_DATA_DIR
user_data="$XDG_DATA_HOME/stagecraft"
user_logs="$XDG_STATE_HOME/stagecraft/logs"
export DATABASE="$user_data/stagecraft.db" OUTPUT="$data/installed.out"
installed_ms="$(window_after "${exec_words[@]}")" || fail "the installed app showed no window"
log_file="$(ls "$user_logs"/stagecraft.*.log 2>/dev/null || true)"
[[ -n "$log_file" ]] || fail "the installed app wrote no log file in $user_logs"
grep -q "INFO" "$log_file" || fail "$log_file holds no line"
export STAGECRAFT_DATA_DIR="$data/built"
export DATABASE="$STAGECRAFT_DATA_DIR/stagecraft.db" OUTPUT="$data/built.out"
built_ms="$(window_after target/release/stagecraft-desktop)" \
  || fail "target/release/stagecraft-desktop showed no window"

step "Removing the package"
apt-get remove -y -qq --purge "$name" >/dev/null
left=()
for path in "${owned[@]}"; do
  [[ -f "$path" || -L "$path" ]] && left+=("$path")
done
(( ${#left[@]} == 0 )) || fail "left after removal: ${left[*]}"
[[ -f "$user_data/stagecraft.db" && -f "$log_file" ]] \
  || fail "the removal took the user's data folder or log"

printf 'Packages: %s %s KiB, %s %s KiB (download); installed size %s KiB\n' \
  "$(basename "$deb")" "$(( $(stat -c %s "$deb") / 1024 ))" \
  "$(basename "$rpm")" "$(( $(stat -c %s "$rpm") / 1024 ))" \
  "$(dpkg-deb -f "$deb" Installed-Size)"
printf 'Cold start to a viewable window: installed %s ms, target/release %s ms\n' \
  "$installed_ms" "$built_ms"
