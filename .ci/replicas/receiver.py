#!/usr/bin/env python3
"""A Standard Webhooks receiver for .ci/replicas.sh and bench/replicas.sh.

Checks every delivery's signature (`webhook-signature: v1,<base64 of
HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, key = the base64 part of the
`whsec_...` secret) and timestamp (within 5 minutes). A good delivery is
answered 204 and appended to OUT as one JSON line (id, timestamp, the
payload, and when it arrived); a bad one is answered 401 and appended to
OUT.bad, which the test treats as a failure.

usage: receiver.py PORT SECRET_FILE OUT
"""

import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, secret_file, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
secret = open(secret_file, encoding="utf-8").read().strip()
assert secret.startswith("whsec_"), "the secret must start with whsec_"
key = base64.b64decode(secret[len("whsec_"):])
lock = threading.Lock()


def append(path, record):
    with lock, open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def problem(headers, body):
    """Why a delivery is not acceptable, or None."""
    wid = headers.get("webhook-id")
    ts = headers.get("webhook-timestamp")
    sig = headers.get("webhook-signature")
    if not wid or not ts or not sig:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        if abs(time.time() - int(ts)) > 300:
            return f"timestamp {ts} is more than 5 minutes off"
    except ValueError:
        return f"timestamp {ts!r} is not a number"
    signed = f"{wid}.{ts}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # The header may hold several space-separated signatures (key rotation).
    for candidate in sig.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return None
    return f"no valid v1 signature in {sig!r}"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        arrived = time.time()
        why = problem(self.headers, body)
        if why is None:
            try:
                payload = json.loads(body)
            except ValueError:
                why = "the body is not JSON"
        if why is not None:
            append(out + ".bad", {"path": self.path, "problem": why, "arrived": arrived})
            self.send_response(401)
            self.end_headers()
            return
        append(out, {
            "id": self.headers["webhook-id"],
            "timestamp": self.headers["webhook-timestamp"],
            "payload": payload,
            "arrived": arrived,
        })
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
