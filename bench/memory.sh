#!/usr/bin/env bash
# Two Tessera servers and graphql-yoga over the same content: peak RSS once
# ready, page-query throughput (wrk, one thread, 32 connections, 10 s, twice
# each), peak RSS after the load.
#
#   bench/memory.sh OLD_BINARY NEW_BINARY CONTENT [SEARCH_CACHE]
#
# Needs wrk and node (bench/yoga installed with npm). The servers run with
# --no-response-cache, so each request is resolved; set TESSERA_CACHE_DIR to
# a parse cache warmed by an earlier run (or OLD_CACHE_DIR and NEW_CACHE_DIR,
# one each, when the two binaries keep different formats), and pass a search
# cache folder holding the content's index, so that neither server builds
# one at start.
set -euo pipefail
old=$1 new=$2 content=$3 search=${4:-$(mktemp -d)}
here=$(cd "$(dirname "$0")" && pwd)
TESSERA_CACHE_DIR=${OLD_CACHE_DIR:-${TESSERA_CACHE_DIR:-}} "$old" serve --content "$content" --addr 127.0.0.1:18501 --no-response-cache --search-cache "$search" 2> /dev/null &
a=$!
sleep 8
TESSERA_CACHE_DIR=${NEW_CACHE_DIR:-${TESSERA_CACHE_DIR:-}} "$new" serve --content "$content" --addr 127.0.0.1:18502 --no-response-cache --search-cache "$search" 2> /dev/null &
b=$!
sleep 8
node "$here/yoga/server.mjs" "$content" 18503 > /dev/null 2>&1 &
y=$!
trap 'kill $a $b $y 2> /dev/null || true' EXIT
for port in 18501 18502; do
  for _ in $(seq 600); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.2; done
done
for _ in $(seq 300); do
  curl -fs -o /dev/null -X POST -H 'content-type: application/json' -d @"$here/page-query.json" \
    http://127.0.0.1:18503/graphql && break
  sleep 0.2
done
sleep 2
rss() { grep -E 'VmHWM|VmRSS' "/proc/$1/status" | tr -s ' \t' ' ' | tr '\n' ' '; }
echo "old ready: $(rss $a)"
echo "new ready: $(rss $b)"
echo "yoga ready: $(rss $y)"
for round in 1 2; do
  for server in "old 18501" "new 18502" "yoga 18503"; do
    set -- $server
    echo "$1 round $round: $(wrk -t1 -c32 -d10s -s "$here/post.lua" "http://127.0.0.1:$2/graphql" 2> /dev/null | grep Requests/sec)"
  done
done
echo "old after: $(rss $a)"
echo "new after: $(rss $b)"
echo "yoga after: $(rss $y)"
