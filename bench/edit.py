#!/usr/bin/env python3
"""Time from saving a one-line edit to readers seeing it.

Tessera: `tessera serve --watch`, the edited page's text over GraphQL and
the new word found by search. Hugo: `hugo server` (which renders to
memory), the edited page. Same corpus (a copy of CORPUS), same machine, same run; RUNS edits
each, one at a time, a second apart. Prints each time and the medians.

usage: bench/edit.py TESSERA CORPUS [RUNS]
Needs hugo (Debian package `hugo`) for the comparison; without it, Tessera
alone is measured. EDIT_LOG=FILE keeps the server's log.
"""

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

TESSERA_PORT = 18201
HUGO_PORT = 18202


def get(url, data=None, timeout=5):
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


def wait_for(url, deadline_s, process):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if process.poll() is not None:
            sys.exit(f"the server for {url} exited with status {process.returncode}")
        if get(url)[0] == 200:
            return
        time.sleep(0.2)
    sys.exit(f"{url} did not answer within {deadline_s} s")


def graphql(query):
    status, body = get(f"http://127.0.0.1:{TESSERA_PORT}/graphql", json.dumps({"query": query}).encode())
    return body if status == 200 else ""


def edit(path, word):
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"\nAn edit: {word}.\n")
    return time.perf_counter()


def until(seen, start, limit_s=60):
    while not seen():
        if time.perf_counter() - start > limit_s:
            return float("nan")
        time.sleep(0.002)
    return (time.perf_counter() - start) * 1000


def main():
    tessera, corpus = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    work = tempfile.mkdtemp(prefix="tessera-edit-")
    content = os.path.join(work, "content")
    shutil.copytree(corpus, content)
    pages = sorted(p for p in os.listdir(os.path.join(content, "pages")) if p.count(".") == 1)
    slug = pages[len(pages) // 2][: -len(".md")]
    page = os.path.join(content, "pages", f"{slug}.md")
    results = {}
    try:
        server = subprocess.Popen(
            [tessera, "serve", "--watch", "--content", content, "--addr", f"127.0.0.1:{TESSERA_PORT}"],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(work, "tessera.log"), "w"),
        )
        try:
            started = time.perf_counter()
            wait_for(f"http://127.0.0.1:{TESSERA_PORT}/readyz", 900, server)
            print(f"tessera ready in {time.perf_counter() - started:.2f} s ({slug})", flush=True)
            times = []
            for run in range(runs):
                time.sleep(1)
                word = f"zqxedit{run}w{os.getpid()}"
                start = edit(page, word)
                api = until(lambda: word in graphql(f'{{ page(slug: "{slug}") {{ body {{ text }} }} }}'), start)
                found = until(lambda: '"totalCount":1' in graphql(f'{{ search(query: "{word}") {{ totalCount }} }}'), start)
                times.append(max(api, found))
                print(f"  tessera edit {run + 1}: GraphQL {api:.0f} ms, search {found:.0f} ms", flush=True)
            results["tessera"] = times
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if shutil.which("hugo"):
            here = os.path.dirname(os.path.abspath(__file__))
            hugo = subprocess.Popen(
                ["hugo", "server", "--source", os.path.join(here, "hugo"), "--contentDir", content,
                 "--port", str(HUGO_PORT), "--bind", "127.0.0.1", "--disableLiveReload",
                 "--disableFastRender", "--quiet"],
                stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(work, "hugo.log"), "w"),
            )
            try:
                url = f"http://127.0.0.1:{HUGO_PORT}/pages/{slug}/"
                started = time.perf_counter()
                wait_for(url, 900, hugo)
                print(f"hugo server ready in {time.perf_counter() - started:.2f} s", flush=True)
                times = []
                for run in range(runs):
                    time.sleep(1)
                    word = f"zqxhugo{run}w{os.getpid()}"
                    start = edit(page, word)
                    t = until(lambda: word in get(url)[1], start)
                    times.append(t)
                    print(f"  hugo edit {run + 1}: page {t:.0f} ms", flush=True)
                results["hugo"] = times
            finally:
                hugo.send_signal(signal.SIGTERM)
                hugo.wait(timeout=30)
    finally:
        # EDIT_LOG=FILE keeps the server's log (with RUST_LOG=tessera_graphql=debug
        # it says how long each reload step took).
        if os.environ.get("EDIT_LOG"):
            shutil.copyfile(os.path.join(work, "tessera.log"), os.environ["EDIT_LOG"])
        shutil.rmtree(work, ignore_errors=True)
    for name, times in results.items():
        print(f"{name}: median {statistics.median(times):.0f} ms over {len(times)} edits")


if __name__ == "__main__":
    main()
