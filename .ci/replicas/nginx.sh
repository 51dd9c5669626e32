#!/usr/bin/env bash
# Start nginx (the Debian package, as root, as .ci/nginx-export.sh does) with
# deploy/nginx/tessera.conf, the one source: only the cache folder, the two
# replicas' ports and the listen address are replaced. Its files, pid and
# logs go to WORK; stop it with `kill "$(cat WORK/nginx.pid)"`.
# Usage: .ci/replicas/nginx.sh WORK LISTEN_PORT REPLICA_A_PORT REPLICA_B_PORT
# NGINX_WORKERS sets worker_processes (1 unless set; `auto` for benchmarks).
set -euo pipefail
work="$1" port="$2" a="$3" b="$4"
# nginx's workers may run as another user (nobody): let them reach the cache.
chmod 755 "$work"
sed -e "s|/var/cache/nginx/tessera|$work/cache|" \
    -e "s|127.0.0.1:8081|127.0.0.1:$a|" \
    -e "s|127.0.0.1:8082|127.0.0.1:$b|" \
    -e "s|listen 8080;|listen 127.0.0.1:$port;|" \
    "$(dirname "$0")/../../deploy/nginx/tessera.conf" >"$work/tessera.conf"
if grep -v '^ *#' "$work/tessera.conf" | grep -qE '808[0-9]|/var/cache'; then
  echo "deploy/nginx/tessera.conf changed: the substitutions in $0 no longer apply" >&2
  exit 1
fi
cat >"$work/nginx.conf" <<CONF
worker_processes ${NGINX_WORKERS:-1};
error_log $work/error.log;
pid $work/nginx.pid;
events {}
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path $work/client_temp;
  proxy_temp_path $work/proxy_temp;
  fastcgi_temp_path $work/fastcgi_temp;
  uwsgi_temp_path $work/uwsgi_temp;
  scgi_temp_path $work/scgi_temp;
  include $work/tessera.conf;
}
CONF
nginx -q -t -c "$work/nginx.conf"
nginx -c "$work/nginx.conf"
