#!/usr/bin/env bash
# Group commit under load (issue 15), against the release binary on a fresh database, each
# phase beside the same binary's /healthz in the same run, the server's resident memory read
# every second throughout:
#   1. signed single-item Standard Webhooks deliveries, each new (its own webhook-id and item),
#      for SECONDS (60 by default);
#   2. signed deliveries of 1,000 items each, for BATCH_SECONDS (20);
#   3. public survey submissions (JSON, one NPS and one text answer), for BATCH_SECONDS.
# wrk -t2 replays pre-signed requests (make_requests.py, replay.lua), each once, on CONNS
# connections (32 by default).
#   cargo build --release && bench/webhooks/load.sh [sqlite|postgres] [SECONDS] [BATCH_SECONDS]
#   ONLY=survey bench/webhooks/load.sh sqlite 20   # one phase alone, 20 s
# PostgreSQL: a database tj_bench is made afresh on TINGJIAN_BENCH_PG's server
# (postgres://postgres@127.0.0.1:5432 by default) and dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
STORE=${1:-sqlite}; SECS=${2:-60}; BSECS=${3:-20}
BIN=${BIN:-target/release/tingjian}
CONNS=${CONNS:-32}
PG=${TINGJIAN_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DIR=$(mktemp -d); PORT=18081; URL=http://127.0.0.1:$PORT
SERVER=; SAMPLER=
cleanup() {
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null || true
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  wait 2>/dev/null || true
  [ "$STORE" = postgres ] && psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS tj_bench WITH (FORCE)' >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
if [ "$STORE" = postgres ]; then
  psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS tj_bench WITH (FORCE)' -c 'CREATE DATABASE tj_bench' >/dev/null
  export DATABASE_URL="$PG/tj_bench"
fi
read -r WS KEY < <($BIN --data-dir "$DIR" workspace create 压测 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["workspace_id"], d["api_key"])')
RUST_LOG=warn $BIN --data-dir "$DIR" serve --bind 127.0.0.1:$PORT --no-poller --no-delivery \
  --survey-rate 4000000000 >"$DIR/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fs $URL/healthz >/dev/null && break; sleep 0.2; done
# Resident memory (kB), once a second, to the end.
( while kill -0 $SERVER 2>/dev/null; do
    awk '/VmRSS/ {print $2}' /proc/$SERVER/status 2>/dev/null || true; sleep 1
  done ) > "$DIR/rss" &
SAMPLER=$!
post() { curl -fs -X POST "$URL$1" -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d "$2"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
SRC=$(post /api/v1/sources '{"kind":"webhook","name":"压测"}')
SRC_ID=$(echo "$SRC" | field id); SECRET=$(echo "$SRC" | field secret)
SURVEY=$(post /api/v1/surveys '{"title":"压测问卷","max_responses_per_hour":1000000,"questions":[
  {"id":"q1","type":"nps","title":"您有多大可能推荐我们？","required":true},
  {"id":"q2","type":"text","title":"原因是什么？"}]}' | field id)

items() {
  case $STORE in
    sqlite) sqlite3 "$DIR/tingjian.db" 'SELECT count(*) FROM feedback' ;;
    postgres) psql "$DATABASE_URL" -tAc 'SELECT count(*) FROM feedback' ;;
  esac
}
run() { # label, seconds, wrk arguments…
  local label=$1 secs=$2; shift 2
  local out rps p50 p99 non2xx
  out=$(wrk -t2 -c"$CONNS" -d"${secs}s" --latency "$@")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  total=$(echo "$out" | awk '/requests in/ {print $1}')
  printf '%-10s %8s req/s  p50 %-9s p99 %-9s requests %-8s non-2xx %-4s peak RSS %s MB\n' \
    "$label" "$rps" "$p50" "$p99" "$total" "${non2xx:-0}" \
    "$(awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/$SERVER/status)"
}
replay() { # label, seconds, file; then waits for the requests still in flight
  THREADS=2 REQUESTS="$3" run "$1" "$2" -s bench/webhooks/replay.lua "$URL"
  sleep 3
}

# ONLY=webhook, batch or survey runs that phase alone (on the fresh database, SECONDS long).
ONLY=${ONLY:-}
phase() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
[ -n "$ONLY" ] && BSECS=$SECS
echo "store: $STORE  binary: $BIN  connections: $CONNS  $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run healthz 10 "$URL/healthz"
if phase webhook; then
  python3 bench/webhooks/make_requests.py standard "$SRC_ID" "$SECRET" $((16000 * SECS)) w > "$DIR/single.tsv"
  before=$(items)
  replay webhook "$SECS" "$DIR/single.tsv"
  echo "           items stored: $(( $(items) - before ))"
  [ -z "$ONLY" ] && run healthz 10 "$URL/healthz"
fi
if phase batch; then
  python3 bench/webhooks/make_requests.py batch "$SRC_ID" "$SECRET" $((100 * BSECS)) b > "$DIR/batch.tsv"
  before=$(items)
  replay batch "$BSECS" "$DIR/batch.tsv"
  echo "           items stored: $(( $(items) - before )) ($(( ($(items) - before) / BSECS )) items/s)"
fi
if phase survey; then
  python3 bench/webhooks/make_requests.py survey "$SURVEY" - $((12000 * BSECS)) s > "$DIR/survey.tsv"
  before=$(items)
  replay survey "$BSECS" "$DIR/survey.tsv"
  echo "           items stored: $(( $(items) - before ))"
fi
run healthz 10 "$URL/healthz"
sort -n "$DIR/rss" | tail -1 | awk '{printf "resident memory: at most %.0f MB (sampled every second)\n", $1/1024}'
grep -c ' ERROR ' "$DIR/server.log" | awk '{print "server errors logged: " $1}' || true
