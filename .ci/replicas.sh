#!/usr/bin/env bash
# Two replicas following one git repository behind nginx configured with
# deploy/nginx/tessera.conf, under a steady load through nginx:
#   a. a pushed edit reaches both replicas within the poll interval; a signed
#      POST /hooks/git is a 202 (unsigned or wrongly signed: 401) and makes
#      a third replica, C, which polls once an hour, fetch at once; answers
#      through nginx carry only pushed commits and never go back to an older
#      one; the outgoing webhooks arrive, signed, each id once;
#   b. one replica killed (SIGKILL) mid-load: no client sees a failure; it
#      restarts on the same commit;
#   c. a broken commit: both replicas keep serving the last good one,
#      `contentStatus { ok }` is false, /readyz stays 200.
# Usage, from the repository root: bash .ci/replicas.sh path/to/tessera
# (KEEP=1 keeps the temporary folder, with every log.)
set -euo pipefail
tessera="$(realpath "$1")"
work="$(mktemp -d)"
nginx_port=18300 a_port=18301 b_port=18302 receiver_port=18303 c_port=18304
poll=1           # seconds, the replicas' --poll
margin=10        # seconds allowed beyond it for a fetch and a reload
export GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.invalid
export GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.invalid
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

pids=()
a_pid="" b_pid="" c_pid=""
cleanup() {
  touch "$work/stop-load"
  for pid in "${pids[@]}" $a_pid $b_pid $c_pid; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  wait 2>/dev/null || true
  if [ "${KEEP:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

fail=0
pass() { echo "PASS $*"; }
failed() { echo "FAIL $*"; fail=1; }
die() {
  echo "FAIL $*"
  for log in "$work"/a.log "$work"/b.log "$work"/c.log "$work"/error.log; do
    [ -f "$log" ] && { echo "--- tail of $log"; tail -n 20 "$log"; }
  done
  exit 1
}
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }

# What a replica serves, asked directly: X-Content-Version, and contentStatus.
status_query='{ contentStatus { version ok message } }'
served() {
  curl -s -m 5 -o /dev/null -D - -G --data-urlencode "query=$status_query" "http://127.0.0.1:$1/graphql" \
    | tr -d '\r' | awk 'tolower($1) == "x-content-version:" {print $2}'
}
content_status() { # port -> "version ok message", from contentStatus
  curl -s -m 5 -G --data-urlencode "query=$status_query" "http://127.0.0.1:$1/graphql" | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)["data"]["contentStatus"]
    print(s["version"], str(s["ok"]).lower(), s["message"])
except Exception as e:
    print("- - no contentStatus:", e)'
}
wait_ready() { # port seconds [pid: give up when it has exited]
  for _ in $(seq $(($2 * 10))); do
    curl -fs -m 2 -o /dev/null "http://127.0.0.1:$1/readyz" && return 0
    if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}
wait_served() { # commit seconds port...
  local commit="$1" deadline=$(($(date +%s) + $2)) port
  shift 2
  for port in "$@"; do
    until [ "$(served "$port")" = "$commit" ]; do
      [ "$(date +%s)" -lt "$deadline" ] || return 1
      sleep 0.05
    done
  done
}

# The repository to follow: a bare repository and a working clone, holding
# the bundled site under content/.
git init -q --bare -b main "$work/site.git"
git clone -q "$work/site.git" "$work/clone" 2>/dev/null
cp -r content "$work/clone/content"
"$tessera" check "$work/clone/content" >/dev/null || die "the bundled content does not pass tessera check"
commit() { # message: commit everything in the clone and push it; print the commit
  git -C "$work/clone" add -A
  git -C "$work/clone" commit -qm "$1"
  git -C "$work/clone" push -q origin main
  git -C "$work/clone" rev-parse HEAD
}
c1="$(commit "the bundled site")"
page="$work/clone/content/pages/civil-society-partnerships.md"

# Secrets: the forge's hook secret, and the outgoing webhooks' whsec_ key.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/hook-secret.txt"
echo >>"$work/hook-secret.txt"
echo "whsec_$(head -c 24 /dev/urandom | base64)" >"$work/webhook-secret.txt"
cat >"$work/webhooks.toml" <<TOML
[[webhook]]
url = "http://127.0.0.1:$receiver_port/hook"
secret_file = "webhook-secret.txt"
TOML
python3 .ci/replicas/receiver.py "$receiver_port" "$work/webhook-secret.txt" "$work/webhooks.jsonl" &
pids+=($!)

# Replica A is the notifier: only it has --webhooks. Every replica sees every
# commit, so webhooks from both would announce each change twice, under two
# different ids; one notifier with a durable outbox (--state) announces each
# change once. B is the one killed in b, so the "each id once" check is not
# blurred by a redelivery after a crash (which at-least-once delivery allows).
start_replica() { # name port poll [more flags]
  mkdir -p "$work/$1"
  "$tessera" serve --git "$work/site.git" --ref main --poll "$3" \
    --checkout "$work/$1/checkout" --state "$work/$1/state" \
    --hook-secret-file "$work/hook-secret.txt" --addr "127.0.0.1:$2" "${@:4}" >>"$work/$1.log" 2>&1 &
}
start_replica a $a_port "${poll}s" --webhooks "$work/webhooks.toml"; a_pid=$!
start_replica b $b_port "${poll}s"; b_pid=$!
# C, outside nginx, polls once an hour: only a hook can make it fetch, which
# is how the test tells a hook's immediate fetch from polling.
start_replica c $c_port 1h; c_pid=$!

bash .ci/replicas/nginx.sh "$work" $nginx_port $a_port $b_port || die "nginx does not start with deploy/nginx/tessera.conf"

wait_ready $a_port 60 "$a_pid" || die "replica A exited or was not ready within 60 s"
wait_ready $b_port 60 "$b_pid" || die "replica B exited or was not ready within 60 s"
wait_ready $c_port 60 "$c_pid" || die "replica C exited or was not ready within 60 s"
wait_ready $nginx_port 10 || die "nginx does not answer /readyz"
wait_served "$c1" 10 $a_port $b_port || die "the replicas do not serve $c1 (A: $(served $a_port), B: $(served $b_port))"
pass "both replicas ready on the first commit ${c1:0:12}, nginx in front"
echo "0 $c1" >"$work/marks"

# The server-sent events stream through nginx, open for the whole run.
curl -s -N -D "$work/events.headers" -o "$work/events.txt" "http://127.0.0.1:$nginx_port/events" &
pids+=($!)

python3 .ci/replicas/load.py run "http://127.0.0.1:$nginx_port" "$work/load.log" "$work/stop-load" 4 &
pids+=($!)
sleep 2

echo "== a. an edit is pushed"
sed -i 's/^title = "Civil Society Partnerships"$/title = "Civil Society Partnerships (edited)"/' "$page"
grep -q '(edited)' "$page" || die "the page's title line was not found"
pushed="$(now)"
c2="$(commit "a new title")"
if wait_served "$c2" $((poll + margin)) $a_port $b_port; then
  pass "both replicas serve ${c2:0:12} $(since "$pushed") s after the push (poll ${poll} s)"
  echo "$(now) $c2" >>"$work/marks"
else
  die "the replicas do not serve ${c2:0:12} within $((poll + margin)) s (A: $(served $a_port), B: $(served $b_port))"
fi
if curl -s -G --data-urlencode 'query={ page(slug: "civil-society-partnerships") { title } }' \
    --data-urlencode "n=$RANDOM" "http://127.0.0.1:$nginx_port/graphql" | grep -q '(edited)'; then
  pass "the new title through nginx"
else
  failed "the new title does not show through nginx"
fi

echo "== a. POST /hooks/git"
sign() { # body -> X-Hub-Signature-256 value
  printf '%s' "$1" | python3 -c 'import hashlib, hmac, sys
key = open(sys.argv[1], encoding="utf-8").read().rstrip("\n").encode()
print("sha256=" + hmac.new(key, sys.stdin.buffer.read(), hashlib.sha256).hexdigest())' "$work/hook-secret.txt"
}
hook() { # url body [signature] -> status
  curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \
    ${3:+-H "X-Hub-Signature-256: $3"} --data-binary "$2" "$1"
}
body='{"ref":"refs/heads/main"}'
[ "$(served $c_port)" = "$c1" ] || failed "replica C (--poll 1h) fetched without a hook: it serves $(served $c_port)"
got="$(hook "http://127.0.0.1:$a_port/hooks/git" "$body")"
[ "$got" = 401 ] && pass "unsigned hook: 401" || failed "unsigned hook: $got, want 401"
got="$(hook "http://127.0.0.1:$a_port/hooks/git" "$body" "sha256=$(printf '0%.0s' $(seq 64))")"
[ "$got" = 401 ] && pass "wrongly signed hook: 401" || failed "wrongly signed hook: $got, want 401"
got="$(hook "http://127.0.0.1:$a_port/hooks/git" "$body" "$(sign "${body} ")")"
[ "$got" = 401 ] && pass "hook signed for another body: 401" || failed "hook signed for another body: $got, want 401"
sed -i 's/(edited)"$/(edited again)"/' "$page"
c3="$(commit "another title")"
body="{\"ref\":\"refs/heads/main\",\"after\":\"$c3\"}"
pushed="$(now)"
got_a="$(hook "http://127.0.0.1:$a_port/hooks/git" "$body" "$(sign "$body")")"
got_b="$(hook "http://127.0.0.1:$b_port/hooks/git" "$body" "$(sign "$body")")"
got_n="$(hook "http://127.0.0.1:$nginx_port/hooks/git" "$body" "$(sign "$body")")"
got_c="$(hook "http://127.0.0.1:$c_port/hooks/git" "$body" "$(sign "$body")")"
if [ "$got_a$got_b$got_n$got_c" = 202202202202 ]; then
  pass "signed hook: 202 from A, B, C and through nginx"
else
  failed "signed hook: A $got_a, B $got_b, C $got_c, nginx $got_n, want 202"
fi
if wait_served "$c3" 5 $c_port; then
  pass "replica C (--poll 1h) serves ${c3:0:12} $(since "$pushed") s after the signed hook: the hook fetched at once"
else
  failed "replica C (--poll 1h) does not serve ${c3:0:12} within 5 s of the signed hook (it serves $(served $c_port))"
fi
if wait_served "$c3" $((poll + margin)) $a_port $b_port; then
  pass "both replicas serve ${c3:0:12} $(since "$pushed") s after the signed hook"
  echo "$(now) $c3" >>"$work/marks"
else
  die "the replicas do not serve ${c3:0:12} after the hook (A: $(served $a_port), B: $(served $b_port))"
fi

echo "== b. replica B killed mid-load"
sleep 1
kill -KILL "$b_pid"
wait "$b_pid" 2>/dev/null || true
killed="$(now)"
sleep 3
start_replica b $b_port "${poll}s"; b_pid=$!
wait_ready $b_port 60 "$b_pid" || die "replica B exited or did not come back within 60 s"
pass "replica B back $(since "$killed") s after SIGKILL"
if [ "$(served $b_port)" = "$c3" ]; then
  pass "replica B restarted on the same commit ${c3:0:12}"
else
  failed "replica B restarted on $(served $b_port), want ${c3:0:12}"
fi
sleep 2 # nginx tries B again after fail_timeout; the load goes on meanwhile

echo "== c. a broken commit"
sed -i '1a titel = "Typo"' "$page"
if "$tessera" check "$work/clone/content" >/dev/null 2>&1; then die "tessera check accepts the broken page: the test proves nothing"; fi
c4="$(commit "a broken page (unknown field titel)")"
deadline=$(($(date +%s) + poll + margin))
for port in $a_port $b_port; do
  until [ "$(content_status "$port" | cut -d' ' -f2)" = false ]; do
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.1
  done
  name=$([ "$port" = $a_port ] && echo A || echo B)
  read -r version ok message < <(content_status "$port")
  if [ "$ok" = false ]; then
    pass "replica $name reports the broken commit: contentStatus { ok: false, message: \"$message\" }"
  else
    failed "replica $name does not report ok: false for ${c4:0:12}: contentStatus { ok: $ok, message: \"$message\" }"
  fi
  got="$(served "$port")"
  [ "$got" = "$c3" ] && pass "replica $name still serves ${c3:0:12}" || failed "replica $name serves $got, want ${c3:0:12}"
  [ "$version" = "$c3" ] && pass "replica $name: contentStatus.version is ${c3:0:12}" \
    || failed "replica $name: contentStatus.version is $version, want ${c3:0:12}"
  got="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")"
  [ "$got" = 200 ] && pass "replica $name: /readyz 200" || failed "replica $name: /readyz $got, want 200"
done
sleep 2

echo "== under load, through nginx, the whole time"
touch "$work/stop-load"
sleep 0.5
if python3 .ci/replicas/load.py check "$work/load.log" "$work/marks"; then
  pass "load through nginx"
else
  failed "load through nginx"
fi
if tr -d '\r' <"$work/events.headers" | grep -qi '^content-type: text/event-stream'; then
  pass "/events streams through nginx ($(wc -c <"$work/events.txt") bytes received)"
else
  failed "/events through nginx: $(head -1 "$work/events.headers")"
fi

echo "== outgoing webhooks"
sleep 1
python3 - "$work/webhooks.jsonl" "$c1" "$c2" "$c3" "$c4" <<'PY' || fail=1
import collections, json, os, sys, time
log, c1, c2, c3, c4 = sys.argv[1:]
deadline = time.time() + 10
want = {(c2, c1), (c3, c2)}
while True:
    events = [json.loads(l) for l in open(log)] if os.path.exists(log) else []
    got = {(e["payload"]["data"].get("version"), e["payload"]["data"].get("previous")) for e in events
           if e["payload"].get("type") == "item.updated"
           and e["payload"]["data"].get("slug") == "civil-society-partnerships"}
    if want <= got or time.time() > deadline:
        break
    time.sleep(0.2)
ok = True
def check(cond, text):
    global ok
    print(("PASS " if cond else "FAIL ") + text)
    ok &= cond
check(not os.path.exists(log + ".bad"), "every delivery's signature and timestamp valid"
      + ("" if not os.path.exists(log + ".bad") else ": " + open(log + ".bad").read().strip()))
for version, previous in sorted(want):
    check((version, previous) in got, f"item.updated for the page, {previous[:12]} -> {version[:12]}")
ids = collections.Counter(e["id"] for e in events)
twice = [i for i, n in ids.items() if n > 1]
check(not twice, f"each webhook-id once ({len(events)} deliveries, {len(ids)} ids)" + (f"; twice: {twice[:3]}" if twice else ""))
check(all(e["payload"]["data"].get("version") != c4 for e in events), "nothing announced for the broken commit")
sys.exit(0 if ok else 1)
PY

if [ "$fail" = 0 ]; then
  echo "PASS replicas: all checks"
else
  for log in "$work"/a.log "$work"/b.log "$work"/c.log "$work"/error.log; do
    [ -f "$log" ] && { echo "--- tail of $log"; tail -n 20 "$log"; }
  done
  echo "FAIL replicas: see the FAIL lines above"
fi
exit "$fail"
