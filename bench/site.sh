#!/usr/bin/env bash
# The web site benchmark (BENCHMARKS.md): a page and a search results page
# served by `tessera serve`, side by side in one run with nginx serving the
# exported file of the same page from disk, and the bytes of a page view.
# Needs wrk and nginx (Debian packages wrk, nginx-light). Run from the
# repository root, after `cargo build --release`.
set -euo pipefail
bin=${BIN:-target/release/tessera}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}
runs=${RUNS:-3}
work="$(mktemp -d)"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$bin" export --format html --absolute-links --out "$work/site" >/dev/null
# nginx's workers read the files as another user.
chmod -R a+rX "$work"
"$bin" serve --addr 127.0.0.1:18501 2>/dev/null & pids+=($!)
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  include /etc/nginx/mime.types;
  gzip on; gzip_types text/css image/svg+xml;
  etag on;
  server { listen 127.0.0.1:18502; root $work/site; }
}
CONF
nginx -c "$work/nginx.conf" & pids+=($!)
for port in 18501 18502; do
  for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

page=/pages/civil-society-partnerships/
search="/search?q=children"
echo "== bytes of a page view (gzip, as a browser asks)"
for what in "tessera $page" "tessera $search" "nginx $page" "tessera /style.css" "nginx /style.css"; do
  set -- $what
  port=18501; [ "$1" = nginx ] && port=18502
  curl -s -o /dev/null -H 'accept-encoding: gzip, br' -w "$1 $2: %{size_header} B headers + %{size_download} B body\n" "http://127.0.0.1:$port$2"
done
etag=$(curl -s -D - -o /dev/null "http://127.0.0.1:18501$page" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')
curl -s -o /dev/null -H "if-none-match: $etag" -w "tessera $page revalidated: %{http_code}, %{size_header} B headers + %{size_download} B body\n" "http://127.0.0.1:18501$page"

for run in $(seq "$runs"); do
  for target in "tessera-page 18501 $page" "nginx-page 18502 ${page}index.html" "tessera-search 18501 $search"; do
    set -- $target
    printf 'run %s %-15s ' "$run" "$1"
    wrk -t2 -c"$connections" -d"$duration" --latency -H 'accept-encoding: gzip' "http://127.0.0.1:$2$3" \
      | awk '/Requests\/sec/ {rps=$2} / 99%/ {p99=$2} /Non-2xx/ {bad=$NF} END {printf "%s req/s, p99 %s%s\n", rps, p99, bad ? ", non-2xx " bad : ""}'
  done
done
