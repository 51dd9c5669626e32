#!/usr/bin/env bash
# Fuzzes a running `tessera serve` with Schemathesis (property-based GraphQL
# queries generated from the schema) and fails on any 5xx, on a resolver
# failure hidden in a 200 (`internal error`), on any request that gets no
# answer within 15 s, and when /healthz is not 200 afterwards.
#
# usage: .ci/hostile/schemathesis.sh BASE_URL      e.g. http://127.0.0.1:18555
# env:   SCHEMATHESIS_MAX_TIME  seconds of fuzzing (default 120; the run fills it)
#        SCHEMATHESIS_SEED      replay a run (its seed is printed at the end)
#        SCHEMATHESIS_CHECKS    checks to run (default tessera_not_a_server_error,
#                               from schemathesis_hooks.py; Schemathesis's own
#                               not_a_server_error also fails every field error
#                               without extensions.code, such as a bad locale)
#
# The schema is the SDL the server itself serves at /schema.graphql (the
# committed schema/tessera.graphql when that cannot be fetched), not
# introspection, so the fuzzing does not depend on the introspection query
# passing the depth limit (requests.py checks introspection separately).
set -euo pipefail

base="${1:?usage: $0 BASE_URL (e.g. http://127.0.0.1:18555)}"
base="${base%/}"
here="$(cd "$(dirname "$0")" && pwd)"
version="4.32.5"
venv="${TMPDIR:-/tmp}/tessera-schemathesis-venv"
max_time="${SCHEMATHESIS_MAX_TIME:-120}"
checks="${SCHEMATHESIS_CHECKS:-tessera_not_a_server_error}"
export SCHEMATHESIS_HOOKS="$here/schemathesis_hooks.py"

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version $version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi
"$venv/bin/schemathesis" --version

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if curl -fsS --max-time 5 "$base/schema.graphql" -o "$work/schema.graphql"; then
  echo "schema: $base/schema.graphql"
else
  cp "$here/../../schema/tessera.graphql" "$work/schema.graphql"
  echo "schema: schema/tessera.graphql (the server did not serve /schema.graphql)"
fi

seed=()
[ -n "${SCHEMATHESIS_SEED:-}" ] && seed=(--seed "$SCHEMATHESIS_SEED")

# Run from an empty folder: nothing is read from or left in the work tree.
status=0
(
  cd "$work"
  "$venv/bin/schemathesis" run "$work/schema.graphql" \
    --url "$base/graphql" \
    --checks "$checks" \
    --max-examples 100 \
    --max-time "$max_time" \
    --workers 2 \
    --request-timeout 15 \
    --generation-database none \
    --no-color \
    "${seed[@]}"
) || status=$?

health="$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$base/healthz" || true)"
if [ "$health" != "200" ]; then
  echo "FAILED: $base/healthz answered ${health:-nothing} after the fuzzing" >&2
  exit 1
fi
echo "/healthz still answers 200"
if [ "$status" -ne 0 ]; then
  echo "FAILED: schemathesis found server errors or unanswered requests (exit $status)" >&2
  exit "$status"
fi
echo "schemathesis: no server error"
