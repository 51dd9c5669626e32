#!/usr/bin/env python3
"""Steady, bounded load through nginx for .ci/replicas.sh, and its checks.

run: THREADS clients (keep-alive connections) send GETs in a loop, a short
pause between requests, until the file STOP exists. Half of the requests
can be answered from nginx's cache (a fixed query, site pages), half cannot
(a query string that changes every time), so the replicas serve real work.
Only GETs: nginx may retry them on the other replica, which is the point.
Every answer is logged, one tab-separated line: start, end, kind (cached or
uncached), cache key, status, X-Content-Version, X-Cache-Status, error.

  load.py run BASE LOG STOP [THREADS]

check: reads LOG and MARKS (lines "<unix time> <commit>": from that time on
both replicas served that commit, in the order the commits were pushed)
and fails unless every request got a 200, every answer carries a known
commit, no uncached answer requested after a mark is older than the mark's
commit, and no cache key goes back to an older commit once it has shown a
newer one.

  load.py check LOG MARKS
"""

import http.client
import itertools
import os
import sys
import threading
import time
import urllib.parse

QUERY = "{ contentStatus { version ok } page(slug: \"civil-society-partnerships\") { title } }"
CACHED = [
    "/graphql?" + urllib.parse.urlencode({"query": QUERY}),
    "/",
    "/pages/civil-society-partnerships/",
]


def uncached(n):
    # A parameter the server ignores makes a new cache key every time.
    if n % 2:
        return "/graphql?" + urllib.parse.urlencode({"query": QUERY, "n": n})
    return f"/pages/civil-society-partnerships/?n={n}"


def run(base, log, stop, threads):
    url = urllib.parse.urlsplit(base)
    counter = itertools.count()
    lock = threading.Lock()
    out = open(log, "w", encoding="utf-8", buffering=1)

    def client(index):
        conn = None
        i = 0
        while not os.path.exists(stop):
            n = next(counter)
            if i % 2:
                kind, path = "cached", CACHED[(i // 2) % len(CACHED)]
                key = path
            else:
                kind, path = "uncached", uncached(n)
                key = "-"
            i += 1
            start = time.time()
            status, version, cache, error = 0, "", "", ""
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=15)
                conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                response.read()
                status = response.status
                version = response.getheader("x-content-version") or ""
                cache = response.getheader("x-cache-status") or ""
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except Exception as e:  # every failure counts, whatever it is
                error = f"{type(e).__name__}: {e}".replace("\t", " ").replace("\n", " ")
                if conn is not None:
                    conn.close()
                conn = None
            end = time.time()
            with lock:
                out.write(f"{start:.6f}\t{end:.6f}\t{kind}\t{key}\t{status}\t{version}\t{cache}\t{error}\n")
            time.sleep(0.005)

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.close()


def check(log, marks_file):
    marks = []
    for line in open(marks_file, encoding="utf-8"):
        t, commit = line.split()
        marks.append((float(t), commit))
    order = {}
    for _, commit in marks:
        order.setdefault(commit, len(order))
    commit_at = {i: c for c, i in order.items()}
    rows = [line.rstrip("\n").split("\t") for line in open(log, encoding="utf-8")]
    failures, unknown, regressions, stale_uncached = [], [], [], []
    newest_by_key = {}
    counts = {}
    for start, end, kind, key, status, version, cache, error in sorted(rows, key=lambda r: float(r[1])):
        start = float(start)
        counts[kind] = counts.get(kind, 0) + 1
        counts[cache or "(none)"] = counts.get(cache or "(none)", 0) + 1
        if status != "200" or error:
            failures.append(f"{start:.3f} {kind} {key} status {status} {error}")
            continue
        if version not in order:
            unknown.append(f"{start:.3f} {kind} {key} version {version!r}")
            continue
        if kind == "uncached":
            due = max((order[c] for t, c in marks if t <= start), default=0)
            if order[version] < due:
                stale_uncached.append(f"{start:.3f} {version[:12]} older than {commit_at[due][:12]} ({cache})")
        else:
            seen = newest_by_key.get(key, 0)
            if order[version] < seen:
                regressions.append(f"{start:.3f} {key} back to {version[:12]} ({cache})")
            newest_by_key[key] = max(seen, order[version])
    versions = {}
    for r in rows:
        versions[r[5][:12] or "(none)"] = versions.get(r[5][:12] or "(none)", 0) + 1
    span = max(float(r[1]) for r in rows) - min(float(r[0]) for r in rows) if rows else 0
    print(f"load: {len(rows)} requests in {span:.0f} s; " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print("load: versions seen: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    ok = True
    for name, problems in [
        ("failed requests (not 200, or no answer)", failures),
        ("answers with an unknown X-Content-Version", unknown),
        ("uncached answers older than what both replicas served when asked", stale_uncached),
        ("cached answers that went back to an older commit", regressions),
    ]:
        if problems:
            ok = False
            print(f"FAIL {len(problems)} {name}, e.g.:")
            for p in problems[:5]:
                print("     " + p)
        else:
            print(f"ok   0 {name}")
    return ok


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 4)
    elif sys.argv[1] == "check":
        sys.exit(0 if check(sys.argv[2], sys.argv[3]) else 1)
    else:
        sys.exit(__doc__)
