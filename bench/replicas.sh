#!/usr/bin/env bash
# Two git-following replicas behind nginx (deploy/nginx/tessera.conf), on the
# benchmark corpus (`gen-corpus --items 25000 --locales en,fr --seed 3`,
# committed into a bare repository):
#   1. the typical page query as a persisted-query GET (bench/page-query.json
#      by its sha256 hash), wrk through nginx's cache and straight to one
#      replica: requests/s and latency percentiles;
#   2. from a push (the moment `git push` returns) to both replicas serving
#      the new commit, RUNS one-line edits, the signed /hooks/git sent to
#      each replica right after the push (HOOK=0: polling alone);
#   3. from the same push to the outgoing webhook (item.updated for the
#      edited page) reaching a receiver.
# Needs wrk, nginx (Debian nginx-light, run as root like CI), git, python3.
# Usage, from the repository root:
#   bash bench/replicas.sh path/to/tessera
# Settings: CORPUS (an existing corpus folder to copy instead of generating
# one), DURATION (15s), CONNECTIONS (32), RUNS (5), POLL (--poll, 5s), HOOK (1),
# NGINX_WORKERS (auto).
set -euo pipefail
tessera="$(realpath "$1")"
duration=${DURATION:-15s}
connections=${CONNECTIONS:-32}
runs=${RUNS:-5}
poll=${POLL:-5s}
hook=${HOOK:-1}
nginx_port=18310 a_port=18311 b_port=18312 receiver_port=18313
work="$(mktemp -d)"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
rss() { awk '/VmHWM/ {print $2 " kB peak"} /VmRSS/ {print $2 " kB now"}' "/proc/$1/status" | tr '\n' ' '; }

echo "== the repository"
git init -q --bare -b main "$work/site.git"
git init -q -b main "$work/clone"
if [ -n "${CORPUS:-}" ]; then
  cp -r "$CORPUS" "$work/clone/content"
else
  "$tessera" gen-corpus --items 25000 --locales en,fr --seed 3 "$work/clone/content" >/dev/null
fi
start=$(date +%s.%N)
git -C "$work/clone" add -A
git -C "$work/clone" commit -qm "the benchmark corpus"
git -C "$work/clone" remote add origin "$work/site.git"
git -C "$work/clone" push -q origin main
echo "corpus: $(find "$work/clone/content" -type f | wc -l) files, $(du -sh "$work/clone/content" | cut -f1); committed and pushed in $(python3 -c "import time; print(f'{time.time() - $start:.1f}')") s; bare repository $(du -sh "$work/site.git" | cut -f1)"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/hook-secret.txt"
echo "whsec_$(head -c 24 /dev/urandom | base64)" >"$work/webhook-secret.txt"
cat >"$work/webhooks.toml" <<TOML
[[webhook]]
url = "http://127.0.0.1:$receiver_port/hook"
secret_file = "webhook-secret.txt"
events = ["item.updated"]
TOML
python3 .ci/replicas/receiver.py "$receiver_port" "$work/webhook-secret.txt" "$work/webhooks.jsonl" &
pids+=($!)

echo "== two replicas (A notifies) and nginx"
start=$(date +%s.%N)
for replica in "a $a_port --webhooks $work/webhooks.toml" "b $b_port"; do
  set -- $replica
  mkdir -p "$work/$1"
  "$tessera" serve --git "$work/site.git" --ref main --poll "$poll" \
    --checkout "$work/$1/checkout" --state "$work/$1/state" \
    --hook-secret-file "$work/hook-secret.txt" --addr "127.0.0.1:$2" "${@:3}" >"$work/$1.log" 2>&1 &
  pids+=($!)
  eval "${1}_pid=$!"
done
NGINX_WORKERS=${NGINX_WORKERS:-auto} bash .ci/replicas/nginx.sh "$work" $nginx_port $a_port $b_port
for port in $a_port $b_port; do
  for _ in $(seq 3000); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
  curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" || { echo "replica on $port not ready in 300 s" >&2; tail "$work"/*.log >&2; exit 1; }
done
echo "both ready $(python3 -c "import time; print(f'{time.time() - $start:.1f}')") s after starting them together (clone, load, index)"

echo "== the page query as a persisted-query GET (bench/page-query.json)"
# Register the query on each replica (automatic persisted queries live in a
# replica's memory), then ask by hash only.
path="$(python3 - "$a_port" "$b_port" <<'PY'
import hashlib, json, sys, urllib.parse, urllib.request
q = json.load(open("bench/page-query.json"))
ext = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(q["query"].encode()).hexdigest()}}, separators=(",", ":"))
var = json.dumps(q["variables"], separators=(",", ":"))
common = {"operationName": q["operationName"], "variables": var, "extensions": ext}
for port in sys.argv[1:]:
    register = f"http://127.0.0.1:{port}/graphql?" + urllib.parse.urlencode({"query": q["query"], **common})
    assert urllib.request.urlopen(register).status == 200
path = "/graphql?" + urllib.parse.urlencode(common)
for port in sys.argv[1:]:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").read()
    assert b'"page":{' in body, body[:200]
print(path)
PY
)"
# Warm the cache with the headers wrk sends (none of Accept, User-Agent,
# Accept-Encoding): tessera's answer varies on Accept, so a request with
# other headers fills another entry, and wrk's first requests would wait on
# nginx's cache lock (re-checked every 500 ms) and spoil the percentiles.
curl -s -o /dev/null -H 'Accept:' -H 'User-Agent:' "http://127.0.0.1:$nginx_port$path"
echo "through nginx, second request: X-Cache-Status $(curl -s -o /dev/null -D - -H 'Accept:' -H 'User-Agent:' "http://127.0.0.1:$nginx_port$path" | tr -d '\r' | awk 'tolower($1) == "x-cache-status:" {print $2}')"
for target in "nginx-cache $nginx_port" "replica-A-direct $a_port"; do
  set -- $target
  echo "-- $1: wrk -t1 -c$connections -d$duration --latency"
  wrk -t1 -c"$connections" -d"$duration" --latency "http://127.0.0.1:$2$path" | grep -E "Requests/sec|Latency |50%|90%|99%|Non-2xx|Socket errors"
done
echo "RSS replica A: $(rss "$a_pid"); replica B: $(rss "$b_pid")"

echo "== push -> both replicas serve the commit, push -> webhook received ($runs edits, --poll $poll, hook $hook)"
python3 - "$work" "$runs" "$hook" "$a_port" "$b_port" <<'PY'
import hashlib, hmac, http.client, json, os, statistics, subprocess, sys, time
work, runs, hook = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
ports = [int(p) for p in sys.argv[4:]]
clone = os.path.join(work, "clone")
page = os.path.join(clone, "content/pages/page-005000.md")
secret = open(os.path.join(work, "hook-secret.txt")).read().rstrip("\n").encode()
hooks_log = os.path.join(work, "webhooks.jsonl")

def git(*args):
    return subprocess.run(["git", "-C", clone, *args], check=True, capture_output=True, text=True).stdout.strip()

def served(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", "/healthz")
        r = c.getresponse(); r.read()
        return r.getheader("x-content-version")
    except OSError:
        return None
    finally:
        c.close()

def webhook_seen(commit):
    if not os.path.exists(hooks_log):
        return False
    for line in open(hooks_log):
        d = json.loads(line)["payload"].get("data", {})
        if d.get("version") == commit and d.get("slug") == "page-005000":
            return True
    return False

results = {"A": [], "B": [], "both": [], "webhook": []}
for run in range(1, runs + 1):
    text = open(page).read()
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("title = "):
            lines[i] = f'title = "Edited page, run {run}"'
            break
    open(page, "w").write("\n".join(lines))
    git("commit", "-qam", f"edit {run}")
    commit = git("rev-parse", "HEAD")
    git("push", "-q", "origin", "main")
    pushed = time.time()
    if hook:
        body = json.dumps({"ref": "refs/heads/main", "after": commit}).encode()
        sig = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        for port in ports:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("POST", "/hooks/git", body, {"Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": sig})
            r = c.getresponse(); r.read(); c.close()
            assert r.status == 202, f"hook on {port}: {r.status}"
    got = {}
    deadline = pushed + 120
    while len(got) < 3 and time.time() < deadline:
        for name, port in zip("AB", ports):
            if name not in got and served(port) == commit:
                got[name] = time.time() - pushed
        if "webhook" not in got and webhook_seen(commit):
            got["webhook"] = time.time() - pushed
        time.sleep(0.005)
    if len(got) < 3:
        sys.exit(f"run {run}: not everything within 120 s: {got}")
    got["both"] = max(got["A"], got["B"])
    for k in results:
        results[k].append(got[k])
    print(f"run {run}: A {got['A']*1000:.0f} ms, B {got['B']*1000:.0f} ms, both {got['both']*1000:.0f} ms, webhook {got['webhook']*1000:.0f} ms")
    time.sleep(1)
for k, v in results.items():
    print(f"median push -> {k}: {statistics.median(v)*1000:.0f} ms (min {min(v)*1000:.0f}, max {max(v)*1000:.0f})")
PY
