#!/usr/bin/env bash
# The GraphQL server benchmark (BENCHMARKS.md): the typical page query on a
# 10,000-page synthetic corpus, side by side with a bare axum handler that
# returns the same bytes and a graphql-yoga server over the same files.
# Needs wrk (Debian package) and Node.js. Run from the repository root.
set -euo pipefail
corpus=${CORPUS:-target/bench-pages}
duration=${DURATION:-15s}
connections=${CONNECTIONS:-32}

cargo build --release --quiet
cargo build --release --quiet -p tessera-graphql --example bare_axum
[ -d "$corpus" ] || ./target/release/tessera gen-corpus --items 25000 --locales en,fr --seed 3 "$corpus"
(cd bench/yoga && npm ci --silent --no-audit --no-fund)

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT
wait_for() { for _ in $(seq 100); do curl -fs -o /dev/null -X POST -H 'content-type: application/json' -d @bench/page-query.json "$1" && return; sleep 0.2; done; echo "no answer from $1" >&2; exit 1; }
rss() { awk '/VmHWM/ {print $2 " kB peak"} /VmRSS/ {print $2 " kB now"}' "/proc/$1/status" | tr '\n' ' '; }

./target/release/tessera serve --content "$corpus" --addr 127.0.0.1:18401 2>/dev/null & pids+=($!); tessera=$!
./target/release/tessera serve --content "$corpus" --addr 127.0.0.1:18402 --no-response-cache 2>/dev/null & pids+=($!); uncached=$!
wait_for http://127.0.0.1:18401/graphql
wait_for http://127.0.0.1:18402/graphql
answer=$(mktemp)
curl -fs -X POST -H 'content-type: application/json' -d @bench/page-query.json http://127.0.0.1:18401/graphql > "$answer"
echo "page query answer: $(wc -c < "$answer") bytes of JSON"
./target/release/examples/bare_axum "$answer" 127.0.0.1:18403 2>/dev/null & pids+=($!); bare=$!
node bench/yoga/server.mjs "$corpus" 18404 >/dev/null & pids+=($!); yoga=$!
wait_for http://127.0.0.1:18403/graphql
wait_for http://127.0.0.1:18404/graphql
if ! diff <(jq -S . "$answer") <(curl -fs -X POST -H 'content-type: application/json' -d @bench/page-query.json http://127.0.0.1:18404/graphql | jq -S .) >/dev/null; then
  echo "graphql-yoga does not give the same answer" >&2; exit 1
fi
echo "graphql-yoga gives the same answer"

for target in "bare-axum 18403 $bare" "tessera 18401 $tessera" "tessera-uncached 18402 $uncached" "graphql-yoga 18404 $yoga"; do
  set -- $target
  echo
  echo "== $1"
  wrk -t1 -c"$connections" -d"$duration" --latency -s bench/post.lua "http://127.0.0.1:$2/graphql" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
  echo "RSS: $(rss "$3")"
done
