#!/usr/bin/env bash
# Times every console page on a workspace of a million analysed feedback items (seeded by
# `tingjian bench-digest`: twelve weeks, five channels, six pain points), signed in as a member
# through the login form like a browser. Each page is fetched RUNS times after one warm-up;
# the median and the slowest are printed beside `/healthz` and `/api/v1/feedback/count` (the
# baseline: one COUNT over the workspace) from the same server in the same run.
#   cargo build --release && bench/console/run.sh [target/release/tingjian] [runs]
# DATABASE_URL=postgres://… uses PostgreSQL instead of a SQLite file (the database must exist).
# RESPONSES=N also seeds a hosted survey with N responses (each with a text answer, one more
# item) and times its results, responses and text-answer pages.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/tingjian}
RUNS=${2:-7}
# DATA_DIR=… WS=ws_… times a workspace seeded by an earlier run (its data directory is kept).
PORT=18282; URL=http://127.0.0.1:$PORT
SERVER=
if [ -n "${DATA_DIR:-}" ]; then
  DIR=$DATA_DIR; trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null' EXIT
else
  DIR=$(mktemp -d); trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
fi
DB=(--data-dir "$DIR"); [ -n "${DATABASE_URL:-}" ] && DB+=(--database-url "$DATABASE_URL")
start=$(date +%s)
if [ -z "${WS:-}" ]; then
  SEEDED=$($BIN "${DB[@]}" bench-digest --items "${ITEMS:-1000000}" --survey-responses "${RESPONSES:-0}" --runs 1 2>&1 >/dev/null)
  WS=$(echo "$SEEDED" | grep -o 'ws_[0-9a-f]*' | head -1)
  SV=$(echo "$SEEDED" | grep -o 'sv_[0-9a-f]*' | head -1 || true)
  echo "seeded ${ITEMS:-1000000} items and ${RESPONSES:-0} survey responses in $(( $(date +%s) - start )) s (workspace $WS)"
fi
SV=${SV:-${SURVEY:-}}
$BIN "${DB[@]}" member add --workspace "$WS" --email bench@example.com --role admin --password 'bench password 1' >/dev/null 2>&1 || true
KEY=$($BIN "${DB[@]}" key create --workspace "$WS" --name bench --scopes read 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])' || true)
RUST_LOG=warn $BIN "${DB[@]}" serve --bind 127.0.0.1:$PORT --no-poller --no-delivery &
SERVER=$!
for _ in $(seq 1 100); do curl -fs $URL/healthz >/dev/null && break; sleep 0.2; done
JAR=$DIR/cookies
TOKEN=$(curl -fs -c "$JAR" $URL/console/login | grep -o 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//; s/"$//')
curl -fs -b "$JAR" -c "$JAR" -o /dev/null -X POST $URL/console/login \
  --data-urlencode email=bench@example.com --data-urlencode 'password=bench password 1' --data-urlencode "csrf_token=$TOKEN"
ITEM=$(curl -fs -b "$JAR" "$URL/console/w/$WS/inbox" | grep -o "/inbox/fb_[0-9a-f]*" | head -1)
W=/console/w/$WS
pages=(
  "/healthz"
  "$W"
  "$W?period=month"
  "$W?period=week&seg=channel:survey"
  "$W/charts/nps.png?period=week&w=560"
  "$W/charts/volume.png?period=month&w=560"
  "$W/pain-points"
  "$W/pain-points/payment"
  "$W/pain-points/payment?period=month"
  "$W/inbox"
  "$W/inbox?sentiment=negative&pain_point=crash"
  "$W/inbox?q=%E9%97%AA%E9%80%80"
  "$W$ITEM"
  "$W/surveys"
  "$W/manage/sources"
  "$W/manage/subscriptions"
)
if [ -n "$SV" ]; then
  pages+=("$W/surveys/$SV" "$W/surveys/$SV/nps/nps.png" "$W/surveys/$SV/responses" "$W/surveys/$SV/answers/reason?page=50")
fi
printf "%-58s %10s %10s %10s\n" page "first ms" "median ms" "max ms"
time_one() { curl -fs -b "$JAR" -o /dev/null -w '%{time_total}\n' "$URL$1"; }
for p in "${pages[@]}"; do
  first=$(time_one "$p") || { printf "%-58s %s\n" "$p" "FAILED"; continue; }
  ts=$(for _ in $(seq 1 "$RUNS"); do time_one "$p"; done | sort -n)
  med=$(echo "$ts" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]*1000}')
  max=$(echo "$ts" | tail -1 | awk '{print $1*1000}')
  printf "%-58s %10.0f %10.0f %10.0f\n" "${p/$W/…}" "$(echo "$first" | awk '{print $1*1000}')" "$med" "$max"
done
if [ -n "$KEY" ]; then
  ts=$(for _ in $(seq 1 "$RUNS"); do curl -fs -o /dev/null -w '%{time_total}\n' -H "authorization: Bearer $KEY" "$URL/api/v1/feedback/count"; done | sort -n)
  printf "%-58s %10.0f\n" "baseline: GET /api/v1/feedback/count" "$(echo "$ts" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]*1000}')"
fi
