#!/usr/bin/env bash
# Instructions the SQLite writer spends on N requests sent one after another, counted by
# valgrind's callgrind: repeatable to a few parts in a million for the same binary and
# requests, whatever else the machine is doing, where requests a second under load vary by a
# third from one run to the next on this machine. Only the writer's cycle is counted
# (`commit_lite`, its statements and commit; not the HTTP, the analysis nor the fsync).
#   cargo build --release && bench/webhooks/instructions.sh batch 30     # 30 deliveries of 1,000 items
#   bench/webhooks/instructions.sh survey 1000                          # 1,000 survey submissions
#   bench/webhooks/instructions.sh webhook 500                          # 500 single-item deliveries
#   BIN=/tmp/tingjian-before bench/webhooks/instructions.sh batch 30    # the baseline binary
#   WHAT=--collect-atstart=yes bench/webhooks/instructions.sh webhook 500  # the whole process
# Each request is sent alone, so each is its own commit (under load the writer merges several).
set -euo pipefail
cd "$(dirname "$0")/../.."
KIND=${1:-batch}; N=${2:-30}
BIN=${BIN:-target/release/tingjian}
WHAT=${WHAT:---toggle-collect=tingjian::store::writer::commit_lite*}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
DIR=$(mktemp -d); PORT=18092; URL=http://127.0.0.1:$PORT; SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
read -r _ KEY < <($BIN --data-dir "$DIR" workspace create 计数 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["workspace_id"], d["api_key"])')
RUST_LOG=warn valgrind --tool=callgrind "$WHAT" --callgrind-out-file="$DIR/callgrind.out" \
  $BIN --data-dir "$DIR" serve --bind 127.0.0.1:$PORT --no-poller --no-delivery \
  --survey-rate 4000000000 >"$DIR/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 600); do curl -fs $URL/healthz >/dev/null && break; sleep 0.5; done
post() { curl -fs -X POST "$URL$1" -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d "$2"; }
SRC=$(post /api/v1/sources '{"kind":"webhook","name":"计数"}')
SRC_ID=$(echo "$SRC" | field id); SECRET=$(echo "$SRC" | field secret)
SURVEY=$(post /api/v1/surveys '{"title":"计数问卷","max_responses_per_hour":1000000,"questions":[
  {"id":"q1","type":"nps","title":"您有多大可能推荐我们？","required":true},
  {"id":"q2","type":"text","title":"原因是什么？"}]}' | field id)
case $KIND in
  batch) python3 bench/webhooks/make_requests.py batch "$SRC_ID" "$SECRET" "$N" i ;;
  webhook) python3 bench/webhooks/make_requests.py standard "$SRC_ID" "$SECRET" "$N" i ;;
  survey) python3 bench/webhooks/make_requests.py survey "$SURVEY" - "$N" i ;;
  *) echo "KIND is batch, webhook or survey" >&2; exit 2 ;;
esac > "$DIR/requests.tsv"
# Each line: path, headers, body, tab-separated (as replay.lua reads them); each must be 2xx.
python3 - "$URL" "$DIR/requests.tsv" <<'PY'
import sys, urllib.request
url, path = sys.argv[1], sys.argv[2]
for line in open(path, encoding="utf-8"):
    parts = line.rstrip("\n").split("\t")
    headers = dict(h.split(": ", 1) for h in parts[1:-1])
    req = urllib.request.Request(url + parts[0], data=parts[-1].encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=600) as r:
        assert 200 <= r.status < 300, r.status
PY
kill -TERM $SERVER; wait $SERVER || true; SERVER=
echo "$KIND x $N, $BIN: $(callgrind_annotate "$DIR/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {print $1}') instructions"
