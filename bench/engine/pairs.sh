#!/usr/bin/env bash
# `tingjian analyze` and `POST /api/v1/analyze` against `tingjian bench`'s end-to-end figure,
# taken in alternation so that a shared machine's changing speed falls on all alike: PAIRS
# times, one `tingjian bench` of one slice of SECONDS, then one `tingjian analyze` run over the
# bench's texts repeated REPEAT times (start-up of an empty run subtracted), all on core 0;
# with API=1, then API_SECONDS of `POST /api/v1/analyze` (bench/engine/api.py) against a
# server pinned to core 0, the client on core 1. Prints each pair's ratios and the medians.
#   cargo build --release && [API=1] bench/engine/pairs.sh [target/release/tingjian] [pairs]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/tingjian}
PAIRS=${2:-9}
REPEAT=${REPEAT:-40}
API=${API:-0}
DIR=$(mktemp -d); PORT=${PORT:-18384}; SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
python3 bench/engine/texts.py "$DIR" "$REPEAT"
BYTES=$(cat "$DIR/text_bytes")
if [ "$API" = 1 ]; then
  KEY=$($BIN --data-dir "$DIR/data" workspace create bench 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
  RUST_LOG=warn taskset -c 0 $BIN --data-dir "$DIR/data" serve --bind 127.0.0.1:$PORT \
    --no-poller --no-delivery &
  SERVER=$!
  for _ in $(seq 1 100); do curl -fs http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
fi
now() { date +%s.%N; }
for i in $(seq 1 "$PAIRS"); do
  e2e=$(taskset -c 0 $BIN bench --seconds "${SECONDS_PER:-2}" --runs 1 | sed -n 's/^end-to-end analyze: *\([0-9.]*\) MB.*/\1/p')
  t0=$(now); taskset -c 0 $BIN analyze < /dev/null > /dev/null; t1=$(now)
  taskset -c 0 $BIN analyze < "$DIR/in.jsonl" > /dev/null; t2=$(now)
  api=0
  if [ "$API" = 1 ]; then
    api=$(PYTHONPATH=bench/engine taskset -c 1 python3 bench/engine/api.py \
      http://127.0.0.1:$PORT "$KEY" "${API_SECONDS:-4}" | sed -n 's/^POST[^:]*: *\([0-9.]*\) MB.*/\1/p')
  fi
  python3 -c "
import sys
b, e2e, api, t0, t1, t2 = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), *map(float, sys.argv[4:])
cli = b / ((t2 - t1) - (t1 - t0)) / 1e6
line = f'pair $i: bench end-to-end {e2e:.2f} MB/s, tingjian analyze {cli:.2f} MB/s, ratio {cli / e2e:.3f}'
if api:
    line += f'; POST /api/v1/analyze {api:.2f} MB/s, api ratio {api / e2e:.3f}'
print(line)
" "$BYTES" "$e2e" "$api" "$t0" "$t1" "$t2"
done | tee "$DIR/pairs"
python3 -c "
import re, statistics, sys
text = open(sys.argv[1]).read()
for name, pattern in (('tingjian analyze', r'MB/s, ratio ([0-9.]+)'), ('POST /api/v1/analyze', r'api ratio ([0-9.]+)')):
    r = [float(m) for m in re.findall(pattern, text)]
    if r:
        print(f'{name} ÷ end-to-end, median over {len(r)} pairs: {statistics.median(r):.3f} (range {min(r):.3f}–{max(r):.3f})')
" "$DIR/pairs"
