#!/usr/bin/env bash
# nginx (the Debian package) serves an export of the fixture site with
# deploy/nginx/export.conf: old addresses that moved are 301s, pending ones
# 404s with the "moving" page, retired ones 410s with the "gone" page, and
# current pages 200s. Usage: .ci/nginx-export.sh path/to/tessera
set -euo pipefail
tessera="$1"
work="$(mktemp -d)"
port=18190
cleanup() { [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$tessera" export --content tests/fixtures/valid-site --out "$work/site" >/dev/null
# nginx's workers may run as another user: let them read the export.
chmod -R a+rX "$work"
sed -e "s|/srv/tessera-site|$work/site|g" -e "s|listen 8080;|listen 127.0.0.1:$port;|" deploy/nginx/export.conf >"$work/site.conf"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
error_log $work/error.log;
pid $work/nginx.pid;
events {}
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path $work;
  proxy_temp_path $work;
  fastcgi_temp_path $work;
  uwsgi_temp_path $work;
  scgi_temp_path $work;
  include $work/site.conf;
}
CONF
nginx -t -c "$work/nginx.conf"
nginx -c "$work/nginx.conf"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

fail=0
expect() { # path status [text in body | Location]
  local path="$1" want="$2" needle="${3:-}" got body
  body="$(curl -s -D "$work/headers" "http://127.0.0.1:$port$path")"
  got="$(head -1 "$work/headers" | cut -d' ' -f2)"
  if [ "$got" != "$want" ]; then
    echo "FAIL $path: status $got, want $want"; fail=1; return
  fi
  if [ -n "$needle" ] && ! { grep -qiF "$needle" "$work/headers" || grep -qF "$needle" <<<"$body"; }; then
    echo "FAIL $path: no \"$needle\" in the answer"; fail=1; return
  fi
  echo "ok   $path $got ${needle:+($needle)}"
}
expect /pages/welcome/ 200 "<h1>Welcome</h1>"
expect /old/welcome.html 301 "location: http://127.0.0.1:$port/pages/welcome/"
expect /welcome 301 "location: http://127.0.0.1:$port/pages/welcome/"
expect /old/press/2009.html 404 "<h1>This page is moving</h1>"
expect /about/history.html 404 "Our history"
expect /old/campaign-2008.html 410 "<h1>This page is gone</h1>"
expect /old/flash-intro.html 410 "taken off the site for good"
expect /old/review.html 404
expect /no/such/page.html 404
expect /_tessera_old/pages/welcome/index.html 404
exit $fail
