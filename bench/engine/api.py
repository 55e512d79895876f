"""POST /api/v1/analyze with 1,000 of the benchmark's texts a request, over CONNECTIONS
keep-alive connections (2 by default, one thread each), for N seconds: bytes of text analysed
per second of wall time. With one connection the server's core waits while the client sends
the next body and reads the last answer, so the figure was the client's round trip rather
than what the server does; two keep its core busy, as any two callers would."""
import http.client
import json
import os
import sys
import threading
import time
from urllib.parse import urlparse

from texts import texts

url, key, seconds = urlparse(sys.argv[1]), sys.argv[2], float(sys.argv[3])
ts = texts()
bodies = []
for at in range(0, len(ts), 1000):
    part = ts[at:at + 1000]
    body = json.dumps({"items": [{"id": i, "text": t} for i, t in enumerate(part)]},
                      ensure_ascii=False).encode("utf-8")
    bodies.append((body, sum(len(t.encode("utf-8")) for t in part), len(part)))
headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
connections = int(os.environ.get("CONNECTIONS", "2"))


def post(conn, body):
    conn.request("POST", "/api/v1/analyze", body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    assert r.status == 200, (r.status, data[:300])
    return data


warm = http.client.HTTPConnection(url.hostname, url.port)
for body, _, n in bodies:  # warm-up: the workspace's profile is loaded once
    assert len(json.loads(post(warm, body))["items"]) == n
warm.close()
done = []  # (bytes, requests) of each connection
lock = threading.Lock()


def run(offset):
    conn = http.client.HTTPConnection(url.hostname, url.port)
    nbytes = requests = 0
    order = bodies[offset:] + bodies[:offset]
    while time.perf_counter() - start < seconds or requests == 0:
        for body, b, _ in order:
            post(conn, body)
            nbytes += b
            requests += 1
            if time.perf_counter() - start >= seconds:
                break
    with lock:
        done.append((nbytes, requests, time.perf_counter()))


start = time.perf_counter()
threads = [threading.Thread(target=run, args=(i * len(bodies) // connections,))
           for i in range(connections)]
for t in threads:
    t.start()
for t in threads:
    t.join()
secs = max(end for _, _, end in done) - start
nbytes, requests = sum(d[0] for d in done), sum(d[1] for d in done)
print(f"POST /api/v1/analyze:      {nbytes / secs / 1e6:6.2f} MB/s ({requests} requests, "
      f"{connections} connections)")
