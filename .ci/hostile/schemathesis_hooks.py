"""Schemathesis hooks for schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

Schemathesis's own `not_a_server_error` check, on a GraphQL API, also fails
every `errors` entry that carries a `path` and no `extensions.code` (its
ST113, "GraphQL server error"). Tessera answers bad arguments that way: an
unknown locale, a negative `first`, a cursor it never gave. Those are the
client's mistakes, answered as the GraphQL spec says, so that check would
fail on the fuzzer's own nonsense. This one fails on what is the server's
fault: any 5xx, and a resolver failure hidden in a 200, which Tessera
reports as the error message `internal error` (a panic caught and masked).
"""

import schemathesis

# The message server.rs puts in place of a panicking resolver's.
MASKED_PANIC = "internal error"


@schemathesis.check
def tessera_not_a_server_error(ctx, response, case):
    """No 5xx, and no panicking resolver behind a 200."""
    if response.status_code >= 500:
        raise AssertionError(f"server error: HTTP {response.status_code}: {response.text[:300]}")
    try:
        payload = response.json()
    except ValueError:
        return None
    errors = payload.get("errors") if isinstance(payload, dict) else None
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict) and error.get("message") == MASKED_PANIC:
            raise AssertionError(f"a resolver failed (answered `{MASKED_PANIC}`) at {error.get('path')}")
    return None
