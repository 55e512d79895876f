#!/usr/bin/env bash
# Times the drivers, segments and a respondent list on a workspace of a million analysed
# feedback items (seeded by `tingjian bench-digest`: twelve weeks, five channels, six pain
# points, respondent attributes app_version and plan, no survey responses), through the API
# with a read key. Each
# request is made once ("first": it may scan days the cache does not hold yet) and RUNS times
# more; the median and the slowest are printed. WARM=N waits N seconds after the start, for
# the warmer's first pass, before the first request.
#   cargo build --release && bench/why/run.sh [target/release/tingjian] [runs]
# DATABASE_URL=postgres://… uses PostgreSQL instead of a SQLite file (the database must exist).
# DATA_DIR=… WS=ws_… reuse a data directory seeded before (it is then kept).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/tingjian}
RUNS=${2:-5}
PORT=${PORT:-18283}; URL=http://127.0.0.1:$PORT
SERVER=
if [ -n "${DATA_DIR:-}" ]; then
  DIR=$DATA_DIR
  trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null' EXIT
else
  DIR=$(mktemp -d)
  trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
fi
DB=(--data-dir "$DIR"); [ -n "${DATABASE_URL:-}" ] && DB+=(--database-url "$DATABASE_URL")
if [ -z "${WS:-}" ]; then
  start=$(date +%s)
  WS=$($BIN "${DB[@]}" bench-digest --items "${ITEMS:-1000000}" --runs 1 2>&1 >/dev/null | grep -o 'ws_[0-9a-f]*' | head -1)
  echo "seeded ${ITEMS:-1000000} items in $(( $(date +%s) - start )) s (workspace $WS)"
fi
KEY=$($BIN "${DB[@]}" key create --workspace "$WS" --name bench --scopes read 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
RUST_LOG=warn $BIN "${DB[@]}" serve --bind 127.0.0.1:$PORT --no-poller --no-delivery &
SERVER=$!
for _ in $(seq 1 100); do curl -fs $URL/healthz >/dev/null && break; sleep 0.2; done
sleep "${WARM:-0}"
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
D7=$(date -u -d '7 days ago' +%Y-%m-%dT%H:%M:%SZ)
D84=$(date -u -d '84 days ago' +%Y-%m-%dT%H:%M:%SZ)
A=/api/v1
requests=(
  "$A/insights/drivers?metric=nps&from=$D7&to=$NOW"
  "$A/insights/drivers?metric=nps"
  "$A/insights/drivers?metric=sentiment"
  "$A/insights/drivers?metric=nps&from=$D84&to=$NOW"
  "$A/insights/segments?attr=channel&metric=nps&from=$D7&to=$NOW"
  "$A/insights/segments?attr=channel&metric=nps"
  "$A/insights/segments?attr=channel&metric=nps&from=$D84&to=$NOW"
  "$A/insights/segments?attr=app_version&metric=nps"
  "$A/insights/pain-points"
  "$A/feedback/count"
)
printf "%-72s %10s %10s %10s\n" request "first ms" "median ms" "max ms"
time_one() { curl -fs -H "authorization: Bearer $KEY" -o /dev/null -w '%{time_total}\n' "$URL$1"; }
for r in "${requests[@]}"; do
  first=$(time_one "$r") || { printf "%-72s %s\n" "$r" "FAILED"; continue; }
  ts=$(for _ in $(seq 1 "$RUNS"); do time_one "$r"; done | sort -n)
  med=$(echo "$ts" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]*1000}')
  max=$(echo "$ts" | tail -1 | awk '{print $1*1000}')
  label=${r//$D7/-7d}; label=${label//$D84/-84d}; label=${label//$NOW/now}
  printf "%-72s %10.0f %10.0f %10.0f\n" "$label" "$(echo "$first" | awk '{print $1*1000}')" "$med" "$max"
done
