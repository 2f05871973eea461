#!/usr/bin/env bash
# Latency and throughput of the programme dashboard and of a client's certification page on a
# large body, next to /healthz measured on the same server in the same run. wrk shares the
# cores with gunicorn, so read the ratios to /healthz rather than the raw figures.
# Loopback only.
#
# Usage: bench/pages.sh [body.sqlite3] [workers] [seconds per page and round]
#   Without a database file a body is generated first (bench/generate.py, about 20 s).
#   3 sync workers suit a 2-core machine: one can wait on SQLite while two compute.
#   BENCH_CONNECTIONS (default 6), BENCH_ROUNDS (default 3) and BENCH_PORT (default 5078)
#   change the load, the number of rounds and the port.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DB=${1:-}
WORKERS=${2:-3}
SECONDS_PER_RUN=${3:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-6}
PORT=${BENCH_PORT:-5078}
BASE="http://127.0.0.1:$PORT"
MANAGER=manager@bench.auditkit.test
PASSWORD=$(python -c 'import sys; sys.path.insert(0, sys.argv[1]); import generate; print(generate.PASSWORD)' "$HERE")
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
command -v gunicorn >/dev/null || { echo "gunicorn is missing: pip install -e '.[test]'" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "$DB" ]; then
  DB="$WORK/body.sqlite3"
  python "$HERE/generate.py" "sqlite:///$DB" | tail -n 3
fi
DB=$(realpath "$DB")
export AUDITKIT_DATABASE_URL="sqlite:///$DB"
export AUDITKIT_INSTANCE_DIR="$WORK/instance"
# Every worker must sign sessions with the same key.
AUDITKIT_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')
export AUDITKIT_SECRET_KEY

gunicorn --chdir "$HERE/.." -w "$WORKERS" -b "127.0.0.1:$PORT" --log-level warning wsgi:app &
SERVER=$!
for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done

# Log in as the programme manager: the login form's CSRF token, then the session cookie.
JAR="$WORK/cookies"
TOKEN=$(curl -fsS -c "$JAR" "$BASE/login" \
  | sed -nE 's/.*name="csrf_token"[^>]*value="([^"]+)".*/\1/p' | head -n 1)
STATUS=$(curl -sS -b "$JAR" -c "$JAR" -o /dev/null -w '%{http_code}' \
  --data-urlencode "email=$MANAGER" --data-urlencode "password=$PASSWORD" \
  --data-urlencode "csrf_token=$TOKEN" --data-urlencode "next=" "$BASE/login")
[ "$STATUS" = 302 ] || { echo "login failed (HTTP $STATUS)" >&2; exit 1; }
COOKIE="auditkit=$(awk -F'\t' '$6 == "auditkit" { print $7 }' "$JAR")"

# A representative programme: an active certification with a full current cycle of audits.
read -r CERTIFICATION CLIENT < <(python - "$DB" <<'PY'
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute(
    "SELECT c.id, c.client_id FROM certification c WHERE c.state = 'active' AND "
    "(SELECT count(*) FROM audit a WHERE a.certification_id = c.id) >= 6 "
    "ORDER BY c.id LIMIT 1").fetchone()
print(*row)
PY
)
PAGES=(/healthz /dashboard "/certifications/$CERTIFICATION" "/clients/$CLIENT")
for page in "${PAGES[@]}"; do
  for _ in $(seq $((WORKERS * 2))); do  # every worker warms up its templates and caches
    code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$BASE$page")
    [ "$code" = 200 ] || { echo "$page answered HTTP $code" >&2; exit 1; }
  done
done

BODY=$(python - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
count = lambda table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
print(f"{count('client')} clients, {count('certification')} certifications, "
      f"{count('audit')} audits, {count('user_role WHERE role = ' + repr('auditor'))} auditors")
PY
)
echo "Body: $BODY"
echo "gunicorn $WORKERS sync workers on SQLite; wrk 2 threads, $CONNECTIONS connections," \
     "$ROUNDS rounds of ${SECONDS_PER_RUN}s per page; load average before:" \
     "$(cut -d' ' -f1-3 /proc/loadavg)"
echo "Pages: dashboard as the programme manager; certification $CERTIFICATION (programmes" \
     "certification page with its cycle timeline); client $CLIENT (clients page)"
RESULTS="$WORK/results"
# The machine is shared with the load generator (and maybe other work): the pages take turns
# in several short rounds, and the table shows the median of the rounds.
for round in $(seq "$ROUNDS"); do
  for page in "${PAGES[@]}"; do
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --timeout 20s --latency \
      -s "$HERE/latency.lua" -H "Cookie: $COOKIE" "$BASE$page" \
      | awk -v page="$page" '/^RESULT/ { print page, $0 }' >> "$RESULTS"
  done
done
python - "$RESULTS" <<'PY'
import statistics, sys
rounds = {}
for line in open(sys.argv[1]):
    page, _result, requests, rps, p50, p95, p99, non_200, socket_errors = line.split()
    rounds.setdefault(page, []).append(
        (float(rps), float(p50), float(p95), int(non_200) + int(socket_errors)))
median = {page: [statistics.median(values) for values in zip(*found)]
          for page, found in rounds.items()}
errors = {page: sum(found[3] for found in rounds[page]) for page in rounds}
base_rps, base_p50 = median["/healthz"][0], median["/healthz"][1]
print(f"{'page':<24}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}"
      f"{'req/s vs /healthz':>19}{'p50 vs /healthz':>17}")
for page, (rps, p50, p95, _errors) in median.items():
    print(f"{page:<24}{rps:>9.1f}{p50:>9.1f}{p95:>9.1f}{errors[page]:>8}"
          f"{rps / base_rps:>18.3f}x{p50 / base_p50:>16.1f}x")
PY
