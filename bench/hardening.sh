#!/usr/bin/env bash
# What the request hardening costs (BENCHMARKS.md): the typical page query
# on a 10,000-page corpus against this build and against an earlier build
# given as OLD (e.g. one built from the commit before the hardening), one
# server at a time, each measured twice, alternating. Also times the most
# expensive request the limits still accept. Needs wrk. Run from the
# repository root: OLD=/path/to/old/tessera bash bench/hardening.sh
set -euo pipefail
old=${OLD:?set OLD to the tessera binary to compare with}
corpus=${CORPUS:-target/bench-pages}
duration=${DURATION:-15s}
connections=${CONNECTIONS:-32}

cargo build --release --quiet
[ -d "$corpus" ] || ./target/release/tessera gen-corpus --items 25000 --locales en,fr --seed 3 "$corpus"

server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null || true; }
trap cleanup EXIT
start() {
  "$1" serve --content "$corpus" --addr 127.0.0.1:18501 "${@:2}" 2>/dev/null &
  server=$!
  for _ in $(seq 300); do curl -fs -o /dev/null -X POST -H 'content-type: application/json' -d @bench/page-query.json http://127.0.0.1:18501/graphql && return; sleep 0.2; done
  echo "no answer from $1" >&2; exit 1
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

for round in 1 2; do
  for build in "old $old" "new ./target/release/tessera"; do
    set -- $build
    start "$2"
    echo "== round $round, $1 build, typical page query, response cache on"
    wrk -t1 -c"$connections" -d"$duration" --latency -s bench/post.lua http://127.0.0.1:18501/graphql | grep -E "Requests/sec|  99%"
    stop
    start "$2" --no-response-cache
    echo "== round $round, $1 build, typical page query, every query executed"
    wrk -t1 -c"$connections" -d"$duration" --latency -s bench/post.lua http://127.0.0.1:18501/graphql | grep -E "Requests/sec|  99%"
    stop
  done
done

# The most expensive request the limits accept: 100 pages with their
# bodies as HTML, every query executed.
start ./target/release/tessera --no-response-cache
big='{"query":"{ pages(first: 100) { edges { node { title summary body { html } measures { title } } } } }"}'
echo "== the most expensive accepted request (100 bodies as HTML), 9 runs"
for _ in $(seq 9); do
  curl -s -o /dev/null -w '%{time_total} %{size_download}\n' -X POST -H 'content-type: application/json' -d "$big" http://127.0.0.1:18501/graphql
done | sort -n | awk '{t[NR]=$1; s=$2} END {printf "median %.1f ms, %d bytes\n", t[5]*1000, s}'
stop
