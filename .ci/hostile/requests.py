#!/usr/bin/env python3
"""Attacks a running `tessera serve` as a hostile client would.

usage: python3 .ci/hostile/requests.py --base http://127.0.0.1:PORT --pid PID [--report FILE]

Each hostile class is sent (over POST, and over GET where the URL fits) a few
times, and every try must:
  (a) be answered within 2 s;
  (b) not be a 5xx, nor a reset connection;
  (c) carry a JSON body with a non-empty `errors` whose first message has the
      expected words (and the expected status and headers);
  (d) leave /healthz answering 200 within 1 s;
  (e) leave the server process (--pid) alive;
  (f) keep its resident memory under --rss-limit-mb (peak recorded).
Then slow clients (slowloris headers and bodies) and starvation (expensive
queries and fragment bombs in a loop) must not keep ordinary queries waiting,
and the introspection query of graphql-js (introspection.graphql beside this
file) must be answered.

It prints a table (class, transport, median milliseconds to the answer, status,
result), writes it as Markdown with --report, and exits 1 when any check
failed, 2 when the server cannot be reached at all. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import statistics
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent

GQL = "application/graphql-response+json"
JSON = "application/json"

DEPTH = 3000  # nesting of the deep-nesting classes
ANSWER_S = 2.0  # (a)
HEALTH_S = 1.0  # (d)
PROBE_S = 1.0  # an ordinary query while the server is under attack
# Longest request target sent over GET: 8 KiB, the usual URL limit of proxies
# and CDNs and the smallest head buffer hyper allows, so that a server that
# caps its request head (for the 100 KB header class) still sees every GET
# class. A deep-nesting class is sent over GET as deep as fits (over 64 still).
MAX_GET_TARGET = 8 * 1024
SLOW_HEADER_CONNECTIONS = 50
SLOW_BODY_CONNECTIONS = 5
SLOW_STEP_S = 0.5
SLOW_CLOSE_DEADLINE_S = 15.0  # the server's timeout is 10 s
STARVATION_S = 5.0
PAGE_SLUG = "civil-society-partnerships"


# --------------------------------------------------------------------------
# A small HTTP/1.1 client over a raw socket: it must be able to send what
# well-behaved clients refuse to (huge headers, lying Content-Length, bodies
# the server stops reading) and tell a reset from an answer.


class HttpError(Exception):
    """No answer: timeout, refused or reset connection."""


@dataclass
class Answer:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    elapsed_ms: float
    reset_after_head: bool = False  # the head arrived, then the connection was reset

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def json_or_empty(self) -> dict:
        """The body as a JSON object, or {} when it is not one."""
        try:
            doc = self.json()
        except (UnicodeDecodeError, json.JSONDecodeError):
            return {}
        return doc if isinstance(doc, dict) else {}


class Server:
    def __init__(self, base: str):
        url = urllib.parse.urlsplit(base)
        if url.scheme != "http" or not url.hostname:
            raise SystemExit(f"--base must be an http:// URL, not {base!r}")
        self.host = url.hostname
        self.port = url.port or 80
        self.prefix = url.path.rstrip("/")

    def connect(self, timeout: float) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        headers: list[tuple[str, str]] | None = None,
        body: bytes | None = None,
        timeout: float = ANSWER_S,
    ) -> Answer:
        started = time.monotonic()
        deadline = started + timeout
        head = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in headers or []]
        if body is not None:
            head.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (body or b"")
        try:
            sock = self.connect(timeout)
        except OSError as e:
            raise HttpError(f"cannot connect: {e}") from e
        try:
            try:
                sock.sendall(raw)
            except (BrokenPipeError, ConnectionResetError):
                # The server may answer (413, 431) and close before reading all
                # of it; what it answered is still to be read.
                pass
            except socket.timeout as e:
                raise HttpError(f"no answer within {timeout:g} s (still sending)") from e
            return self._read(sock, method, started, deadline, timeout)
        finally:
            sock.close()

    @staticmethod
    def _read(sock: socket.socket, method: str, started: float, deadline: float, timeout: float) -> Answer:
        buf = b""
        head_end = -1
        status, reason, headers = 0, "", []
        expected: int | None = None  # body length, when known
        chunked = False
        reset = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HttpError(f"no answer within {timeout:g} s")
            sock.settimeout(left)
            try:
                data = sock.recv(65536)
            except socket.timeout as e:
                raise HttpError(f"no answer within {timeout:g} s") from e
            except ConnectionResetError as e:
                if head_end < 0:
                    raise HttpError("connection reset by the server (no answer)") from e
                reset = True
                data = b""
            if data:
                buf += data
            if head_end < 0:
                head_end = buf.find(b"\r\n\r\n")
                if head_end >= 0:
                    lines = buf[:head_end].decode("latin-1").split("\r\n")
                    parts = lines[0].split(" ", 2)
                    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
                        raise HttpError(f"not an HTTP answer: {lines[0][:80]!r}")
                    status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
                    for line in lines[1:]:
                        k, _, v = line.partition(":")
                        headers.append((k.strip().lower(), v.strip()))
                    te = ",".join(v for k, v in headers if k == "transfer-encoding").lower()
                    chunked = "chunked" in te
                    cl = [v for k, v in headers if k == "content-length"]
                    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
                        expected = 0
                    elif cl and not chunked:
                        expected = int(cl[0])
            if head_end >= 0:
                body = buf[head_end + 4 :]
                done = not data  # EOF or reset
                if expected is not None and len(body) >= expected:
                    body, done = body[:expected], True
                elif chunked:
                    decoded = _dechunk(body)
                    if decoded is not None:
                        body, done = decoded, True
                if done:
                    return Answer(
                        status, reason, headers, body, (time.monotonic() - started) * 1000, reset_after_head=reset
                    )
            elif not data:
                raise HttpError("connection closed by the server without an answer")


def _dechunk(body: bytes) -> bytes | None:
    """The decoded body when `body` holds the whole chunked encoding, else None."""
    out, i = b"", 0
    while True:
        j = body.find(b"\r\n", i)
        if j < 0:
            return None
        try:
            size = int(body[i:j].split(b";")[0], 16)
        except ValueError:
            return None
        if size == 0:
            return out
        if len(body) < j + 2 + size + 2:
            return None
        out += body[j + 2 : j + 2 + size]
        i = j + 2 + size + 2


# --------------------------------------------------------------------------
# The process watched: alive, and how much memory it holds.


class Process:
    def __init__(self, pid: int):
        self.pid = pid
        self.peak_rss_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def status(self) -> dict[str, str]:
        try:
            text = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return {}
        fields = {}
        for line in text.splitlines():
            k, _, v = line.partition(":")
            fields[k] = v.strip()
        return fields

    def alive(self) -> bool:
        st = self.status()
        return bool(st) and not st.get("State", "").startswith(("Z", "X"))

    def rss_kb(self) -> int:
        st = self.status()
        rss = int(st.get("VmRSS", "0 kB").split()[0])
        hwm = int(st.get("VmHWM", "0 kB").split()[0])
        self.peak_rss_kb = max(self.peak_rss_kb, rss, hwm)
        return rss

    def _sample(self):
        while not self._stop.wait(0.05):
            if self.alive():
                self.rss_kb()

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=1)


# --------------------------------------------------------------------------
# Hostile requests.


def deep_list(depth: int) -> str:
    return "{ nosuch(a: " + "[" * depth + "]" * depth + ") }"


def deep_object(depth: int) -> str:
    return "{ nosuch(a: " + "{a:" * depth + "1" + "}" * depth + ") }"


def deep_selection(depth: int) -> str:
    # Compact on purpose: spaced, 3,000 levels would be over the 16 KiB
    # query limit and be refused for its size, not its depth.
    return "{" + "a{" * (depth - 1) + "a" + "}" * (depth - 1) + "}"


DEEP_VARIABLES_QUERY = "query($v: [String]) { site { title } }"


def deep_variables(depth: int) -> str:
    """The variables as JSON text (json.dumps would hit Python's recursion limit)."""
    return '{"v": ' + "[" * depth + "]" * depth + "}"


def fragment_bomb() -> str:
    lines = ["fragment F0 on Query { site { title } }"]
    lines += [f"fragment F{n} on Query {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, 31)]
    return "{ ...F30 }\n" + "\n".join(lines)


FRAGMENT_CYCLE = "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"


def aliases(n: int) -> str:
    return "{ " + " ".join(f"a{i}: site {{ title }}" for i in range(n)) + " }"


DIRECTIVES = "{ site" + " @include(if: true)" * 5 + " { title } }"
PAGE_SIZE = "{ pages(first: 1000) { totalCount edges { node { title } } } }"
SEARCH_HIT = "search(query: \"children\", first: 100) { edges { node { item { ... on Page { body { html } } } } } }"
COMPLEX = "{ " + " ".join(f"s{i}: {SEARCH_HIT}" for i in range(30)) + " }"
BIG_QUERY = "{ site { title } }\n#" + "x" * (17 * 1024)
MUTATION = "mutation { x }"
NORMAL = "{ site { title } }"
PAGE_QUERY = '{ page(slug: "%s") { title } }' % PAGE_SLUG


def body_of(size: int) -> bytes:
    """A valid GraphQL request of exactly `size` bytes, padded in a variable."""
    start = b'{"query": "{ site { title } }", "variables": {"pad": "'
    end = b'"}}'
    return start + b"x" * (size - len(start) - len(end)) + end


# --------------------------------------------------------------------------
# Cases and checks.


@dataclass
class Case:
    name: str
    transport: str  # POST or GET
    send: Callable[[], Answer]
    statuses: set[int] | range  # accepted status codes
    accept: str = GQL
    words: str | None = None  # expected in the first error's message; None: any error
    errors: bool = True  # the body must be JSON with a non-empty `errors`
    no_data: bool = False  # a request error: no `data` entry
    extra: Callable[[Answer], str | None] | None = None  # more checks; a message when failing
    json_data: Callable[[dict], str | None] | None = None  # checks of a successful answer


@dataclass
class Row:
    name: str
    transport: str
    accept: str
    times: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    result: str = "ok"
    note: str = ""

    def median(self) -> str:
        if not self.times:
            return "-"
        m = statistics.median(self.times)
        return f"{m:.1f}" if m < 10 else f"{m:.0f}"

    def status(self) -> str:
        seen = sorted(set(self.statuses))
        return "/".join(str(s) for s in seen) if seen else "-"


class Attack:
    def __init__(self, server: Server, proc: Process, tries: int, rss_limit_mb: int, only: list[str]):
        self.server = server
        self.proc = proc
        self.tries = tries
        self.rss_limit_kb = rss_limit_mb * 1024
        self.only = only
        self.rows: list[Row] = []
        self.down = False  # the process died: what is left is skipped

    # -- requests --

    def post(self, payload: bytes | str | dict, accept: str = GQL, headers=(), timeout=ANSWER_S) -> Answer:
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        hs = [("Content-Type", "application/json"), ("Accept", accept), *headers]
        return self.server.request("POST", "/graphql", hs, payload, timeout=timeout)

    def get(self, params: dict[str, str], accept: str = GQL, headers=(), timeout=ANSWER_S) -> Answer:
        target = "/graphql?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        return self.server.request("GET", target, [("Accept", accept), *headers], timeout=timeout)

    @staticmethod
    def get_fits(params: dict[str, str]) -> bool:
        return len(urllib.parse.urlencode(params, quote_via=urllib.parse.quote)) + 10 <= MAX_GET_TARGET

    # -- the after-checks (d), (e), (f) --

    def after_checks(self) -> str | None:
        if not self.proc.alive():
            self.down = True
            return f"the server process {self.proc.pid} is gone"
        rss = self.proc.rss_kb()
        if self.proc.peak_rss_kb > self.rss_limit_kb:
            return f"resident memory reached {self.proc.peak_rss_kb // 1024} MB (limit {self.rss_limit_kb // 1024} MB; now {rss // 1024} MB)"
        try:
            h = self.server.request("GET", "/healthz", timeout=HEALTH_S)
        except HttpError as e:
            if not self.proc.alive():
                self.down = True
                return f"the server process {self.proc.pid} is gone"
            return f"/healthz afterwards: {e}"
        if h.status != 200:
            return f"/healthz afterwards answered {h.status}"
        return None

    def selected(self, name: str) -> bool:
        return not self.only or any(o.lower() in name.lower() for o in self.only)

    def fail(self, row: Row, message: str):
        row.result = "FAIL: " + message

    @property
    def failures(self) -> list[str]:
        return [
            f"{r.name} [{r.transport}, {r.accept}]: {r.result[len('FAIL: '):]}" + (f" ({r.note})" if r.note else "")
            for r in self.rows
            if r.result.startswith("FAIL")
        ]

    # -- one class, a few tries --

    def check_answer(self, case: Case, a: Answer) -> str | None:
        if a.status >= 500:
            return f"answered {a.status} {a.reason}: {a.body[:200]!r}"
        if a.status not in case.statuses:
            want = (
                f"{case.statuses.start}-{case.statuses.stop - 1}"
                if isinstance(case.statuses, range)
                else "/".join(map(str, sorted(case.statuses)))
            )
            return f"answered {a.status}, expected {want}: {a.body[:200]!r}"
        if case.errors or case.json_data:
            if a.reset_after_head:
                return f"the connection was reset after the {a.status} head, before its body"
            try:
                doc = a.json()
            except (UnicodeDecodeError, json.JSONDecodeError):
                return f"{a.status} body is not JSON ({a.header('content-type')}): {a.body[:200]!r}"
            if not isinstance(doc, dict):
                return f"{a.status} body is JSON but not an object: {a.body[:200]!r}"
        if case.errors:
            errors = doc.get("errors")
            if not isinstance(errors, list) or not errors:
                return f"{a.status} body has no `errors`: {a.body[:200]!r}"
            first = errors[0].get("message", "") if isinstance(errors[0], dict) else ""
            if case.words and case.words.lower() not in str(first).lower():
                return f"first error is {str(first)[:200]!r}, expected it to mention {case.words!r}"
            if case.no_data and "data" in doc:
                return f"a request error must come without `data` ({case.accept}), got data={doc['data']!r:.80}"
        if case.json_data:
            message = case.json_data(doc)
            if message:
                return message
        if case.extra:
            return case.extra(a)
        return None

    def run_case(self, case: Case):
        row = Row(case.name, case.transport, case.accept.split("/")[1])
        self.rows.append(row)
        if self.down:
            row.result = "skipped: the server is down"
            return
        for _ in range(self.tries):
            try:
                a = case.send()
            except HttpError as e:
                # Say what state it left the server in, too.
                after = self._dead_suffix(wait=0.5) or (
                    f" ({m})" if (m := self.after_checks()) else " (/healthz answers afterwards)"
                )
                self.fail(row, str(e) + after)
                return
            row.times.append(a.elapsed_ms)
            row.statuses.append(a.status)
            message = self.check_answer(case, a)
            if message is None and a.elapsed_ms > ANSWER_S * 1000:
                message = f"answered after {a.elapsed_ms:.0f} ms (limit {ANSWER_S * 1000:.0f})"
            if message is None:
                message = self.after_checks()
            if message:
                self.fail(row, message)
                return

    def _dead_suffix(self, wait: float = 0.0) -> str:
        """A note when the process is gone, waiting up to `wait` s for a dying one."""
        until = time.monotonic() + wait
        while True:
            if not self.proc.alive():
                self.down = True
                return f" (the server process {self.proc.pid} is gone)"
            if time.monotonic() >= until:
                return ""
            time.sleep(0.05)

    # -- the classes --

    def cases(self) -> list[Case]:
        cases: list[Case] = []

        def case(name, transport, payload, params, st, accept, words, **kw):
            if transport == "POST":
                return Case(name, "POST", lambda: self.post(payload, accept), st, accept, words, **kw)
            return Case(name, "GET", lambda: self.get(params, accept), st, accept, words, **kw)

        def both(name, query, words, statuses=None, accept=GQL, no_data=True, **kw):
            """The class over POST, and over GET when its URL fits."""
            gql = accept == GQL
            st = statuses if statuses is not None else ({400} if gql else {200})
            payload = {"query": query}
            params = {"query": query}
            cases.append(case(name, "POST", payload, None, st, accept, words, no_data=no_data and gql, **kw))
            if self.get_fits(params):
                cases.append(case(name, "GET", None, params, st, accept, words, no_data=no_data and gql, **kw))

        def deep(name, build, accept=GQL):
            """Nested DEPTH deep over POST; over GET as deep as fits in the URL."""
            words = "nested deeper than 64"
            st = {400} if accept == GQL else {200}
            no_data = accept == GQL
            cases.append(
                case(f"{name} ({DEPTH:,})", "POST", build(DEPTH)[0], None, st, accept, words, no_data=no_data)
            )
            for depth in range(DEPTH, 64, -50):
                payload, params = build(depth)
                if self.get_fits(params):
                    cases.append(case(f"{name} ({depth:,})", "GET", None, params, st, accept, words, no_data=no_data))
                    break

        def query_only(text_of):
            return lambda depth: ({"query": text_of(depth)}, {"query": text_of(depth)})

        def with_variables(depth):
            # Built as text: json.dumps of the nested list would hit Python's recursion limit.
            body = '{"query": ' + json.dumps(DEEP_VARIABLES_QUERY) + ', "variables": ' + deep_variables(depth) + "}"
            return body, {"query": DEEP_VARIABLES_QUERY, "variables": deep_variables(depth)}

        deep("deep list literal", query_only(deep_list))
        deep("deep object literal", query_only(deep_object))
        deep("deep selection sets", query_only(deep_selection))
        deep("deep selection sets", query_only(deep_selection), accept=JSON)
        deep("deep variables JSON", with_variables)

        both("fragment bomb (2^30 spreads)", fragment_bomb(), "expands to more than")
        both("fragment cycle", FRAGMENT_CYCLE, None)
        both("31 aliases", aliases(31), "aliases (at most 30)")
        both("31 aliases", aliases(31), "aliases (at most 30)", accept=JSON)
        both("5 directives on a field", DIRECTIVES, "directives")
        # A field error on a non-null root field: data is null, so 200 or 400 both follow the spec.
        both("pages(first: 1000)", PAGE_SIZE, "at most 100", statuses={200, 400}, no_data=False)
        both("30 aliased searches of 100 bodies", COMPLEX, "too complex")

        body70 = body_of(70 * 1024)
        cases.append(Case("70 KiB body", "POST", lambda: self.post(body70), {413}, GQL, None))
        both("17 KiB query", BIG_QUERY, None, statuses={413}, no_data=False)
        cases.append(
            Case("batch (array of strings)", "POST", lambda: self.post('["{ site { title } }"]'), {400}, GQL, "batch")
        )
        cases.append(
            Case(
                "batch (array of requests)",
                "POST",
                lambda: self.post('[{"query": "{ site { title } }"}, {"query": "{ site { title } }"}]'),
                {400},
                GQL,
                "batch",
            )
        )

        def allow_post(a: Answer) -> str | None:
            allow = a.header("allow") or ""
            if "POST" not in [m.strip().upper() for m in allow.split(",")]:
                return f"405 without `Allow: POST` (Allow: {allow!r})"
            return None

        cases.append(
            Case("mutation over GET", "GET", lambda: self.get({"query": MUTATION}), {405}, GQL, None, extra=allow_post)
        )
        big_header = [("X-Hostile", "a" * 100_000)]
        cases.append(
            Case(
                "100 KB request header",
                "GET",
                lambda: self.get({"query": NORMAL}, headers=big_header),
                range(400, 500),
                GQL,
                None,
                errors=False,
            )
        )

        # Introspection, as graphql-js (GraphiQL and most client tools) asks it.
        introspection = (HERE / "introspection.graphql").read_text()

        def schema_types(doc: dict) -> str | None:
            if doc.get("errors"):
                return f"introspection answered errors: {json.dumps(doc['errors'])[:300]}"
            types = ((doc.get("data") or {}).get("__schema") or {}).get("types")
            if not isinstance(types, list) or not types:
                return "introspection answered no data.__schema.types"
            return None

        for transport in ("POST", "GET"):
            send = (
                (lambda: self.post({"query": introspection}))
                if transport == "POST"
                else (lambda: self.get({"query": introspection}))
            )
            if transport == "GET" and not self.get_fits({"query": introspection}):
                continue
            cases.append(
                Case(
                    "introspection (graphql-js)",
                    transport,
                    send,
                    {200},
                    GQL,
                    None,
                    errors=False,
                    json_data=schema_types,
                )
            )
        return cases

    # -- slow clients --

    def slow_clients(self):
        row = Row(f"slow clients ({SLOW_HEADER_CONNECTIONS} header + {SLOW_BODY_CONNECTIONS} body)", "GET", "probe")
        self.rows.append(row)
        if self.down:
            row.result = "skipped: the server is down"
            return
        header_text = (
            "GET /graphql?query=%7Bsite%7Btitle%7D%7D HTTP/1.1\r\nHost: hostile\r\nX-Slow: " + "s" * 400
        ).encode()
        body_head = (
            "POST /graphql HTTP/1.1\r\nHost: hostile\r\nContent-Type: application/json\r\n"
            "Accept: application/graphql-response+json\r\nContent-Length: 60000\r\n\r\n"
        ).encode()
        body_text = body_of(60000)

        @dataclass
        class Slow:
            sock: socket.socket
            data: bytes
            opened: float
            sent: int = 0
            closed: float | None = None
            answered: bytes = b""

        slows: list[Slow] = []
        try:
            for i in range(SLOW_HEADER_CONNECTIONS + SLOW_BODY_CONNECTIONS):
                try:
                    s = self.server.connect(ANSWER_S)
                except OSError as e:
                    self.fail(row, f"cannot open slow connection {i + 1}: {e}")
                    return
                s.setblocking(False)
                if i < SLOW_HEADER_CONNECTIONS:
                    slows.append(Slow(s, header_text, time.monotonic()))
                else:
                    s.sendall(body_head)  # a few hundred bytes: fits any socket buffer
                    slows.append(Slow(s, body_text, time.monotonic()))

            def step(now: float):
                for c in slows:
                    if c.closed is not None:
                        continue
                    try:
                        readable, _, _ = select.select([c.sock], [], [], 0)
                        while readable:
                            data = c.sock.recv(65536)
                            if not data:
                                c.closed = now
                                break
                            c.answered += data
                            readable, _, _ = select.select([c.sock], [], [], 0)
                        if c.closed is None and c.sent < len(c.data):
                            c.sent += c.sock.send(c.data[c.sent : c.sent + 1])
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError:  # reset, broken pipe: closed by the server
                        c.closed = now

            stop = threading.Event()

            def drive():
                while not stop.is_set():
                    now = time.monotonic()
                    step(now)
                    if all(c.closed is not None for c in slows):
                        return
                    stop.wait(SLOW_STEP_S)

            driver = threading.Thread(target=drive, daemon=True)
            driver.start()
            opened = max(c.opened for c in slows)
            # Ordinary clients while the slow ones hold their connections.
            for at in (0.5, 2.0, 4.0, 6.0, 8.0):
                time.sleep(max(0.0, opened + at - time.monotonic()))
                try:
                    a = self.post({"query": NORMAL + f" # slow probe {at}"}, timeout=PROBE_S)
                except HttpError as e:
                    self.fail(row, f"an ordinary query {at:g} s into the slow clients: {e}{self._dead_suffix()}")
                    break
                row.times.append(a.elapsed_ms)
                row.statuses.append(a.status)
                if a.status != 200 or b"errors" in a.body:
                    self.fail(row, f"an ordinary query during the slow clients answered {a.status}: {a.body[:200]!r}")
                    break
                if a.elapsed_ms > PROBE_S * 1000:
                    self.fail(row, f"an ordinary query during the slow clients took {a.elapsed_ms:.0f} ms")
                    break
            # The server must have closed them all by the deadline.
            while time.monotonic() < opened + SLOW_CLOSE_DEADLINE_S and driver.is_alive():
                time.sleep(0.1)
            stop.set()
            driver.join(timeout=2)
            step(time.monotonic())
            open_headers = sum(1 for c in slows[:SLOW_HEADER_CONNECTIONS] if c.closed is None)
            open_bodies = sum(1 for c in slows[SLOW_HEADER_CONNECTIONS:] if c.closed is None)
            closed_after = [c.closed - c.opened for c in slows if c.closed is not None]
            statuses = sorted({c.answered[9:12].decode("latin-1", "replace") for c in slows if c.answered})
            row.note = (
                f"closed by the server: {len(closed_after)}/{len(slows)}"
                + (f", after {min(closed_after):.1f}-{max(closed_after):.1f} s" if closed_after else "")
                + (f"; their answers: {', '.join(statuses)}" if statuses else "")
            )
            if (open_headers or open_bodies) and row.result == "ok":
                self.fail(
                    row,
                    f"after {SLOW_CLOSE_DEADLINE_S:g} s the server still held {open_headers} slowloris and "
                    f"{open_bodies} slow-body connection(s) open",
                )
        finally:
            for c in slows:
                c.sock.close()
        if not self.down:
            message = self.after_checks()
            if message and row.result == "ok":
                self.fail(row, message)

    # -- starvation --

    def starvation(self):
        row = Row("starvation (2 expensive + 2 bomb loops)", "POST", "probe")
        self.rows.append(row)
        if self.down:
            row.result = "skipped: the server is down"
            return
        # The most expensive query still accepted: the first candidate answered without errors.
        candidates = [
            "{ pages(first: 100) { edges { node { title body { html text } } } } "
            'search(query: "a", first: 100) { totalCount edges { node { snippetHtml '
            "item { ... on Page { title body { html } } } } } } }",
            '{ pages(first: 100) { edges { node { body { html } } } } search(query: "a", first: 100) '
            "{ edges { node { snippetHtml } } } }",
            "{ pages(first: 100) { edges { node { body { html } } } } }",
        ]
        expensive = None
        for i, q in enumerate(candidates):
            try:
                a = self.post({"query": q + f"\n# calibrate {time.monotonic()}"}, timeout=ANSWER_S)
            except HttpError as e:
                self.fail(row, f"expensive query candidate {i + 1}: {e}{self._dead_suffix()}")
                return
            if a.status == 200 and a.json_or_empty().get("data") and not a.json_or_empty().get("errors"):
                expensive = q
                row.note = f"expensive query: candidate {i + 1} of {len(candidates)}"
                break
        if expensive is None:
            self.fail(row, f"not even {candidates[-1]!r} is accepted")
            return

        bomb = fragment_bomb()
        stop = threading.Event()
        counts = {"expensive": 0, "bomb": 0, "hammer errors": 0}
        lock = threading.Lock()

        def hammer(kind: str, query: str):
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    # A fresh text each time: no cache answers for the server.
                    self.post({"query": f"{query}\n# {kind} {threading.get_ident()} {n}"}, timeout=3.0)
                    with lock:
                        counts[kind] += 1
                except HttpError:
                    with lock:
                        counts["hammer errors"] += 1

        threads = [threading.Thread(target=hammer, args=(k, q), daemon=True) for k, q in
                   [("expensive", expensive), ("expensive", expensive), ("bomb", bomb), ("bomb", bomb)]]
        for t in threads:
            t.start()
        start = time.monotonic()
        health_times: list[float] = []
        n = 0
        try:
            while time.monotonic() < start + STARVATION_S:
                tick = time.monotonic()
                n += 1
                try:
                    a = self.post({"query": PAGE_QUERY + f" # probe {n}"}, timeout=PROBE_S)
                except HttpError as e:
                    self.fail(row, f"page query {n} under load: {e}{self._dead_suffix()}")
                    break
                row.times.append(a.elapsed_ms)
                row.statuses.append(a.status)
                title = (a.json_or_empty().get("data") or {}).get("page") or {}
                if a.status != 200 or not title.get("title"):
                    self.fail(row, f"page query {n} under load answered {a.status}: {a.body[:200]!r}")
                    break
                if a.elapsed_ms > PROBE_S * 1000:
                    self.fail(row, f"page query {n} under load took {a.elapsed_ms:.0f} ms")
                    break
                try:
                    h = self.server.request("GET", "/healthz", timeout=PROBE_S)
                except HttpError as e:
                    self.fail(row, f"/healthz under load: {e}{self._dead_suffix()}")
                    break
                health_times.append(h.elapsed_ms)
                if h.status != 200:
                    self.fail(row, f"/healthz under load answered {h.status}")
                    break
                time.sleep(max(0.0, tick + 0.1 - time.monotonic()))
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=4)
        if row.times:
            row.note += (
                f"; {len(row.times)} probes, max {max(row.times):.0f} ms"
                + (f", /healthz max {max(health_times):.0f} ms" if health_times else "")
                + f"; sent {counts['expensive']} expensive, {counts['bomb']} bombs"
                + (f", {counts['hammer errors']} unanswered" if counts["hammer errors"] else "")
            )
        message = self.after_checks()
        if message and row.result == "ok":
            self.fail(row, message)

    # -- all --

    def run(self) -> int:
        for case in self.cases():
            if self.selected(case.name):
                self.run_case(case)
        if self.selected("slow clients"):
            self.slow_clients()
        if self.selected("starvation"):
            self.starvation()
        return 1 if self.failures else 0


# --------------------------------------------------------------------------
# Output.


def table(rows: list[Row], markdown: bool) -> str:
    header = ["class", "transport", "accept", "median ms", "status", "result"]
    lines = [[r.name, r.transport, r.accept, r.median(), r.status(), r.result + (f" ({r.note})" if r.note else "")]
             for r in rows]
    if markdown:
        esc = lambda s: s.replace("|", "\\|").replace("\n", " ")  # noqa: E731
        out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 3 + ["---:"] * 2 + ["---"]) + "|"]
        out += ["| " + " | ".join(esc(c) for c in line) + " |" for line in lines]
        return "\n".join(out)
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header)]
    widths[-1] = len(header[-1])  # the last column is not padded
    fmt = lambda cells: "  ".join(c.ljust(w) if i < 5 else c for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(line) for line in lines])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="the server, e.g. http://127.0.0.1:18555")
    p.add_argument("--pid", required=True, type=int, help="the server's process id")
    p.add_argument("--report", type=Path, help="also write the table as Markdown to this file")
    p.add_argument("--tries", type=int, default=5, help="tries per class (default 5)")
    p.add_argument("--rss-limit-mb", type=int, default=600, help="most resident memory allowed (default 600)")
    p.add_argument("--only", action="append", default=[], help="run only classes whose name contains this (repeatable)")
    args = p.parse_args()

    server = Server(args.base)
    proc = Process(args.pid)
    if not proc.alive():
        print(f"FAILED: no live process {args.pid} (/proc/{args.pid}/status)", file=sys.stderr)
        return 2
    try:
        h = server.request("GET", "/healthz", timeout=HEALTH_S)
        if h.status != 200:
            raise HttpError(f"answered {h.status}")
    except HttpError as e:
        print(f"FAILED: {args.base}/healthz before any attack: {e}", file=sys.stderr)
        return 2

    started = time.monotonic()
    proc.start()
    attack = Attack(server, proc, args.tries, args.rss_limit_mb, args.only)
    try:
        code = attack.run()
    finally:
        proc.stop()
    elapsed = time.monotonic() - started
    alive = proc.alive()
    if alive:
        proc.rss_kb()
    summary = (
        f"{len(attack.rows)} checks in {elapsed:.1f} s against {args.base} (pid {args.pid}, "
        f"{'alive' if alive else 'GONE'}); peak resident memory {proc.peak_rss_kb / 1024:.0f} MB "
        f"(limit {args.rss_limit_mb} MB)"
    )
    print(table(attack.rows, markdown=False))
    print()
    print(summary)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(
            "# Hostile requests\n\n" + summary + "\n\n" + table(attack.rows, markdown=True) + "\n"
            + ("\n## Failures\n\n" + "\n".join(f"- {f}" for f in attack.failures) + "\n" if attack.failures else "")
        )
    if attack.failures:
        print(f"\nFAILED: {len(attack.failures)} hostile check(s):", file=sys.stderr)
        for f in attack.failures:
            print(f"  - {f}", file=sys.stderr)
        return code
    print("all hostile checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
