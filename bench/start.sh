#!/usr/bin/env bash
# Time from `tessera serve` starting to /readyz answering, and its peak RSS.
#
#   bench/start.sh BINARY CONTENT [RUNS] [-- extra serve arguments]
#
# The parse cache goes where TESSERA_CACHE_DIR says (set it to a scratch
# folder; delete it to time a cold start). Prints one line per run:
# seconds to ready, and the server's peak RSS in KB once ready.
set -euo pipefail
bin=$1 content=$2 runs=${3:-3}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
port=18431
for _ in $(seq "$runs"); do
  start=$(date +%s.%N)
  "$bin" serve --content "$content" --addr "127.0.0.1:$port" "$@" > /dev/null 2>&1 &
  pid=$!
  ready=
  for _ in $(seq 30000); do
    if curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; then ready=1; break; fi
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.01
  done
  end=$(date +%s.%N)
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2> /dev/null || echo '?')
  kill "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  if [ -z "$ready" ]; then echo "not ready (exited or 300 s)" >&2; exit 1; fi
  echo "ready $(echo "$end - $start" | bc) s, peak RSS $rss KB"
done
