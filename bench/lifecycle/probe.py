"""A writer beside the data lifecycle: commits one small row to a Tingjian SQLite database
every ~5 ms (its own transaction, synchronous=FULL, as the service writes) until the file
STOP exists, then prints how long the commits took. Usage: probe.py DB STOP
(docs/performance.md, "The data lifecycle beside writers")."""
import sqlite3, time, sys, os
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL")
lat = []
stop = sys.argv[2]
while not os.path.exists(stop):
    t = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT OR REPLACE INTO service_setting(key, value, updated_at) VALUES ('probe', ?, '2026-12-07T00:00:00+00:00')", (str(t),))
    db.execute("COMMIT")
    lat.append((time.perf_counter() - t) * 1000)
    time.sleep(0.005)
lat.sort()
print(f"writes={len(lat)} p50={lat[len(lat)//2]:.1f}ms p99={lat[int(len(lat)*0.99)]:.1f}ms max={lat[-1]:.1f}ms")
