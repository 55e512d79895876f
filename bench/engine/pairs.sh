#!/usr/bin/env bash
# `tingjian analyze` against `tingjian bench`'s end-to-end figure, taken in alternation so that a
# shared machine's changing speed falls on both alike: PAIRS times, one `tingjian bench` of one
# slice of SECONDS, then one `tingjian analyze` run over the bench's texts repeated REPEAT times
# (start-up of an empty run subtracted), all on core 0. Prints each pair's ratio and the median.
#   cargo build --release && bench/engine/pairs.sh [target/release/tingjian] [pairs]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/tingjian}
PAIRS=${2:-9}
REPEAT=${REPEAT:-40}
DIR=$(mktemp -d); trap 'rm -rf "$DIR"' EXIT
python3 bench/engine/texts.py "$DIR" "$REPEAT"
BYTES=$(cat "$DIR/text_bytes")
now() { date +%s.%N; }
for i in $(seq 1 "$PAIRS"); do
  e2e=$(taskset -c 0 $BIN bench --seconds "${SECONDS_PER:-2}" --runs 1 | sed -n 's/^end-to-end analyze: *\([0-9.]*\) MB.*/\1/p')
  t0=$(now); taskset -c 0 $BIN analyze < /dev/null > /dev/null; t1=$(now)
  taskset -c 0 $BIN analyze < "$DIR/in.jsonl" > /dev/null; t2=$(now)
  python3 -c "
import sys
b, e2e, t0, t1, t2 = int(sys.argv[1]), float(sys.argv[2]), *map(float, sys.argv[3:])
cli = b / ((t2 - t1) - (t1 - t0)) / 1e6
print(f'pair $i: bench end-to-end {e2e:.2f} MB/s, tingjian analyze {cli:.2f} MB/s, ratio {cli / e2e:.3f}')
" "$BYTES" "$e2e" "$t0" "$t1" "$t2"
done | tee "$DIR/pairs"
python3 -c "
import re, statistics, sys
r = [float(m) for m in re.findall(r'ratio ([0-9.]+)', open(sys.argv[1]).read())]
print(f'median ratio over {len(r)} pairs: {statistics.median(r):.3f} (range {min(r):.3f}–{max(r):.3f})')
" "$DIR/pairs"
