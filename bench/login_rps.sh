#!/usr/bin/env bash
# Requests per second of the login page under gunicorn on SQLite, next to /healthz measured in
# the same run (the load generator shares the 2 cores with the server, so the ratio matters).
# Loopback only. Usage: bench/login_rps.sh [workers] [seconds]
set -euo pipefail
WORKERS=${1:-3}
SECONDS_PER_RUN=${2:-15}
PORT=${BENCH_PORT:-5077}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
WORK=$(mktemp -d)
export AUDITKIT_INSTANCE_DIR="$WORK/instance"
auditkit demo >/dev/null
gunicorn -w "$WORKERS" -b "127.0.0.1:$PORT" --log-level warning wsgi:app &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
echo "gunicorn $WORKERS sync workers, SQLite, wrk 2 threads 16 connections, ${SECONDS_PER_RUN}s each"
for path in /healthz /login; do
  echo "== GET $path"
  wrk -t2 -c16 -d"${SECONDS_PER_RUN}s" --latency "http://127.0.0.1:$PORT$path" \
    | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors" || true
done
