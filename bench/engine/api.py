"""POST /api/v1/analyze with 1,000 of the benchmark's texts a request, over one keep-alive
connection, for N seconds: bytes of text analysed per second of wall time."""
import http.client
import json
import sys
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
conn = http.client.HTTPConnection(url.hostname, url.port)
headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def post(body):
    conn.request("POST", "/api/v1/analyze", body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    assert r.status == 200, (r.status, data[:300])
    return data


for body, _, n in bodies:  # warm-up: the workspace's profile is loaded once
    assert len(json.loads(post(body))["items"]) == n
start, nbytes, requests = time.perf_counter(), 0, 0
while time.perf_counter() - start < seconds or requests == 0:
    for body, b, _ in bodies:
        post(body)
        nbytes += b
        requests += 1
secs = time.perf_counter() - start
print(f"POST /api/v1/analyze:      {nbytes / secs / 1e6:6.2f} MB/s ({requests} requests)")
