#!/usr/bin/env bash
# The engine at its edges, all on one core (taskset -c 0) in one run, on the same texts as
# `tingjian bench` (the `text` of corpus/eval/dev.jsonl and corpus/train/app_feedback.jsonl):
#   1. `tingjian bench`: the bare jieba-rs cut and end-to-end `Analyzer::analyze`;
#   2. `tingjian analyze` (JSON lines in and out) on those texts repeated REPEAT times, as a
#      whole process (start-up included) and less the start-up of an empty run;
#   3. `POST /api/v1/analyze`: a server pinned to the same core, 1,000 items a request, sent
#      by a Python client with keep-alive on the other core;
#   4. Python jieba's bare `lcut` (HMM on) over the same texts.
# Every rate is bytes of UTF-8 text (the `text` fields, not the JSON around them) per second.
#   cargo build --release && bench/engine/run.sh [target/release/tingjian] [rounds]
# Needs python3 with jieba (pip install jieba) and taskset (util-linux).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/tingjian}
ROUNDS=${2:-3}
REPEAT=${REPEAT:-300}
DIR=$(mktemp -d); PORT=${PORT:-18383}; URL=http://127.0.0.1:$PORT
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
python3 bench/engine/texts.py "$DIR" "$REPEAT"
TEXT_BYTES=$(cat "$DIR/text_bytes")
echo "analyze input: $(wc -l < "$DIR/in.jsonl") lines, $TEXT_BYTES bytes of text"

$BIN --data-dir "$DIR/data" workspace create bench > "$DIR/ws.json" 2>/dev/null
KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"])' "$DIR/ws.json")
RUST_LOG=warn taskset -c 0 $BIN --data-dir "$DIR/data" serve --bind 127.0.0.1:$PORT --no-poller --no-delivery &
SERVER=$!
for _ in $(seq 1 100); do curl -fs $URL/healthz >/dev/null && break; sleep 0.2; done

now() { date +%s.%N; }
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round"
  taskset -c 0 $BIN bench --seconds "${SECONDS_PER:-5}" --runs "${RUNS:-5}" | grep -E "bare jieba|end-to-end|JSON line"
  t0=$(now); taskset -c 0 $BIN analyze < /dev/null > /dev/null; t1=$(now)
  taskset -c 0 $BIN analyze < "$DIR/in.jsonl" > "$DIR/out.jsonl"; t2=$(now)
  python3 - "$TEXT_BYTES" "$t0" "$t1" "$t2" <<'PY'
import sys
b, t0, t1, t2 = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"tingjian analyze:          {b / (t2 - t1) / 1e6:6.2f} MB/s whole process, "
      f"{b / (t2 - t1 - (t1 - t0)) / 1e6:6.2f} MB/s less start-up ({(t1 - t0) * 1000:.0f} ms)")
PY
  taskset -c 1 python3 bench/engine/api.py "$URL" "$KEY" "${API_SECONDS:-10}"
  taskset -c 0 python3 bench/engine/jieba_cut.py "${JIEBA_SECONDS:-5}"
done
test "$(wc -l < "$DIR/out.jsonl")" = "$(wc -l < "$DIR/in.jsonl")"
