"""Python jieba's bare cut (`jieba.lcut`, HMM on) over the benchmark's texts for N seconds."""
import sys
import time

import jieba

from texts import texts

jieba.setLogLevel(60)
ts = texts()
nbytes = sum(len(t.encode("utf-8")) for t in ts)
jieba.initialize()
seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5
start, rounds = time.perf_counter(), 0
while time.perf_counter() - start < seconds or rounds == 0:
    for t in ts:
        jieba.lcut(t)
    rounds += 1
secs = time.perf_counter() - start
print(f"python jieba lcut:         {nbytes * rounds / secs / 1e6:6.3f} MB/s, "
      f"{len(ts) * rounds / secs:.0f} items/s")
