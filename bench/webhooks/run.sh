#!/usr/bin/env bash
# Ingest speed of a preset delivery against a standard one, in one run, with /healthz as the
# ceiling: a fresh SQLite workspace, one standard and one Typeform source, N distinct signed
# single-item deliveries of each, replayed by wrk in alternating rounds.
#   cargo build --release && bench/webhooks/run.sh [N] [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-40000}; SECS=${2:-10}; ROUNDS=${3:-3}
BIN=target/release/tingjian
DIR=$(mktemp -d); PORT=18080; URL=http://127.0.0.1:$PORT
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DIR"' EXIT
read -r WS KEY < <($BIN --data-dir "$DIR" workspace create 压测 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["workspace_id"], d["api_key"])')
RUST_LOG=warn $BIN --data-dir "$DIR" serve --bind 127.0.0.1:$PORT --no-poller --no-delivery &
SERVER=$!
for _ in $(seq 1 50); do curl -fs $URL/healthz >/dev/null && break; sleep 0.2; done
create() { curl -fs -X POST $URL/api/v1/sources -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d "$1"; }
STD=$(create '{"kind":"webhook","name":"standard"}')
STD_ID=$(echo "$STD" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
STD_SECRET=$(echo "$STD" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
TF_ID=$(create '{"kind":"webhook","name":"typeform","preset":"typeform","signing_secret":"bench-secret"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
results=()
for round in $(seq 1 "$ROUNDS"); do
  python3 bench/webhooks/make_requests.py standard "$STD_ID" "$STD_SECRET" "$N" "r$round" > "$DIR/standard.tsv"
  python3 bench/webhooks/make_requests.py typeform "$TF_ID" bench-secret "$N" "r$round" > "$DIR/typeform.tsv"
  for kind in healthz standard typeform; do
    if [ "$kind" = healthz ]; then
      out=$(wrk -t2 -c32 -d"${SECS}s" --latency $URL/healthz)
    else
      out=$(THREADS=2 REQUESTS="$DIR/$kind.tsv" wrk -t2 -c32 -d"${SECS}s" --latency -s bench/webhooks/replay.lua $URL)
    fi
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    echo "round $round  $kind  ${rps} req/s  p99 ${p99}  non-2xx ${non2xx:-0}"
  done
done
curl -fs "$URL/api/v1/feedback?limit=1" -H "authorization: Bearer $KEY" >/dev/null
