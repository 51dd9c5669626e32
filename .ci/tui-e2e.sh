#!/usr/bin/env bash
# The terminal browser driven as a person drives it, through tmux: on the
# bundled content, against a server, and offline once the server is gone.
# usage: .ci/tui-e2e.sh [path/to/tessera]
set -euo pipefail
# A private tmux server: the developer's own sessions are never touched.
tmux() { command tmux -L tessera-e2e "$@"; }
cd "$(dirname "$0")/.."
bin=${1:-./target/release/tessera}
port=18288
work=$(mktemp -d)
server=""
cleanup() {
  tmux kill-server 2>/dev/null || true
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

screen() { tmux capture-pane -p -t tui; }
# Waits until the screen shows $1 (a fixed string), or fails showing the screen.
expect() {
  for _ in $(seq 100); do
    if screen | grep -qF -- "$1"; then return 0; fi
    sleep 0.1
  done
  echo "--- expected to see: $1" >&2
  screen >&2
  exit 1
}
keys() { tmux send-keys -t tui "$@"; }

journey() {
  local label=$1
  shift
  echo "== $label"
  tmux new-session -d -s tui -x 80 -y 24 "$*"
  expect "New enhanced search"
  keys Tab Enter
  expect "Photo: UNICEF Goodwill Ambassador"
  # The page says its measures in full; its first link is the story "from
  # the field", below the screen: Tab scrolls to it.
  keys Tab Enter
  expect "Country: Montenegro"
  # Back returns to where the reader was: at the story, not the top.
  keys b
  expect "From the field"
  keys / && keys -l "Montenegro" && keys Enter
  expect "Search: Montenegro"
  expect "It's about ability"
  # The filters come first, then the hit.
  keys Tab Tab Tab Enter
  expect "Country: Montenegro"
  keys q
  for _ in $(seq 50); do tmux has-session -t tui 2>/dev/null || break; sleep 0.1; done
  if tmux has-session -t tui 2>/dev/null; then echo "q did not quit" >&2; exit 1; fi
  echo "ok"
}

export TESSERA_CACHE_DIR="$work/cache"
journey "local, 80x24" "$bin browse"
journey "local, NO_COLOR" "NO_COLOR=1 $bin browse"

# The second start draws the home screen kept at the first while the
# content loads, then the content as it is now.
echo "== local, the kept home screen gives way to the content as it is now"
cp -r content "$work/content"
tmux new-session -d -s tui -x 80 -y 24 "$bin browse --content $work/content"
expect "New enhanced search"
keys q
for _ in $(seq 50); do tmux has-session -t tui 2>/dev/null || break; sleep 0.1; done
ls "$TESSERA_CACHE_DIR"/home/*.json >/dev/null || { echo "the home screen was not kept" >&2; exit 1; }
sed -i 's/^title = .*/title = "Renamed since the last start"/' "$work/content/site.toml"
tmux new-session -d -s tui -x 80 -y 24 "$bin browse --content $work/content"
expect "Renamed since the last start"
sleep 0.3
if screen | grep -qF "loading the content"; then echo "still says it is loading" >&2; screen >&2; exit 1; fi
keys q
for _ in $(seq 50); do tmux has-session -t tui 2>/dev/null || break; sleep 0.1; done
echo "ok"

"$bin" serve --addr "127.0.0.1:$port" 2>/dev/null &
server=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
journey "remote" "$bin browse --server http://127.0.0.1:$port"

echo "== remote, bytes on the status bar"
tmux new-session -d -s tui -x 80 -y 24 "$bin browse --server http://127.0.0.1:$port"
expect "New enhanced search"
screen | tail -1 | grep -qE "[0-9]+ (B|KB) " || { echo "no byte count on the status bar" >&2; screen >&2; exit 1; }
keys q
sleep 0.3

kill "$server"
wait "$server" 2>/dev/null || true
server=""
echo "== offline: the server is gone, the cache is not"
journey "offline" "$bin browse --server http://127.0.0.1:$port"
tmux new-session -d -s tui -x 80 -y 24 "$bin browse --server http://127.0.0.1:$port"
expect "OFFLINE"
keys q
echo "tui end-to-end: ok"
