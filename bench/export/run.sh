#!/usr/bin/env bash
# Exports a million feedback items as CSV and as XLSX from a fresh SQLite workspace and reports
# each export's time, size and rows, and the server's resident memory (VmHWM, the peak) before
# and after. The server runs under /usr/bin/time -v, whose "Maximum resident set size" closes
# the run.
#   cargo build --bin tingjian && bench/export/run.sh [target/debug/tingjian]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/debug/tingjian}
DIR=$(mktemp -d); PORT=18181; URL=http://127.0.0.1:$PORT
PID=
trap '[ -n "$PID" ] && kill -INT $PID 2>/dev/null; sleep 1; rm -rf "$DIR"' EXIT
read -r WS KEY < <($BIN --data-dir "$DIR" workspace create 导出压测 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["workspace_id"], d["api_key"])')
start=$(date +%s)
sqlite3 "$DIR/tingjian.db" ".parameter set :ws '$WS'" ".read bench/export/seed.sql"
echo "seeded 1,000,000 items in $(( $(date +%s) - start )) s"
RUST_LOG=warn /usr/bin/time -v -o "$DIR/time.txt" $BIN --data-dir "$DIR" serve --bind 127.0.0.1:$PORT --no-poller --no-delivery &
SERVER=$!
for _ in $(seq 1 100); do curl -fs $URL/healthz >/dev/null && break; sleep 0.2; done
PID=$(pgrep -P $SERVER)
hwm() { awk '/VmHWM|VmRSS/ {printf "%s %d MB  ", $1, $2/1024}' /proc/$PID/status; echo; }
echo -n "server idle:  "; hwm
for format in csv xlsx; do
  start=$(date +%s.%N)
  curl -fsS "$URL/api/v1/feedback/export?format=$format" -H "authorization: Bearer $KEY" -o "$DIR/export.$format"
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  size=$(du -m "$DIR/export.$format" | cut -f1)
  if [ $format = csv ]; then rows=$(python3 -c "import csv,sys; print(sum(1 for _ in csv.reader(open('$DIR/export.csv', encoding='utf-8-sig'))) - 1)"); else rows="(see below)"; fi
  printf "%s: %.0f s, %s MB, %s rows;  " $format "$secs" "$size" "$rows"; hwm
done
python3 - "$DIR/export.xlsx" <<'PY' || true
import sys, zipfile, re
z = zipfile.ZipFile(sys.argv[1])
sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
rows = 0
for s in sheets:
    with z.open(s) as f:
        tail = b""
        for chunk in iter(lambda: f.read(1 << 20), b""):
            # Count in the chunk with the previous one's last bytes, for a tag split between.
            buf = tail + chunk
            rows += buf.count(b"<row ")
            tail = buf[-4:]
print(f"xlsx: {len(sheets)} sheet(s), {rows - len(sheets)} data rows")
PY
kill -INT $PID; wait $SERVER || true; PID=
grep -E "Maximum resident|Elapsed" "$DIR/time.txt"
