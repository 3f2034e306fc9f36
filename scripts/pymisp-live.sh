#!/usr/bin/env bash
# Runs PyMISP's live test suite (tests/testlive_comprehensive.py) against a fresh Cairn on a
# loopback port, and prints pytest's summary.
#
#   scripts/pymisp-live.sh /path/to/PyMISP-checkout [pytest args...]
#
# Needs python3 with requests, python-dateutil, deprecated and pytest (Debian: python3-requests
# python3-dateutil python3-deprecated python3-pytest). The checkout's pymisp/data/misp-objects
# must hold the misp-objects templates (a submodule upstream; a link to a checkout will do).
set -euo pipefail

pymisp=$(cd "${1:?usage: $0 PYMISP_CHECKOUT [pytest args]}" && pwd)
shift
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/cairn" "$repo/cmd/cairn"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
key=$(python3 -c 'import secrets,string; a=string.ascii_letters+string.digits; print("".join(secrets.choice(a) for _ in range(40)))')

CAIRN_ADMIN_KEY=$key CAIRN_LOG_LEVEL=${CAIRN_LOG_LEVEL:-warn} \
  "$work/cairn" serve --listen "127.0.0.1:$port" --data-dir "$work/data" \
  ${CAIRN_LIBRARY_DIR:+--library-dir "$CAIRN_LIBRARY_DIR"} >"$work/cairn.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done

# The suite imports url and key from a module named keys; never let it fall back to its
# built-in address. It also wants tests/viper-test-files, which it would otherwise clone.
mkdir -p "$work/keys" "$pymisp/tests/viper-test-files"
printf 'url = "http://127.0.0.1:%s"\nkey = "%s"\n' "$port" "$key" >"$work/keys/keys.py"
site="$work/site/pymisp-0.dist-info"
mkdir -p "$site"
printf 'Metadata-Version: 2.1\nName: pymisp\nVersion: 2.5.34\n' >"$site/METADATA"

cd "$pymisp"
status=0
PYTHONPATH="$work/keys:$pymisp:$work/site" "${PYTHON:-python3}" -m pytest -q -p no:cacheprovider \
  tests/testlive_comprehensive.py "$@" || status=$?
if [ -n "${CAIRN_KEEP_LOG:-}" ]; then cp "$work/cairn.log" "$CAIRN_KEEP_LOG"; fi
exit $status
