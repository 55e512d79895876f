#!/usr/bin/env python3
"""Writes N pre-signed webhook deliveries for wrk to replay (replay.lua), one per line:
path, headers and body separated by tabs. Each delivery is distinct (its own id), so every
request is a new item to store, as a tool's real traffic is.

  python3 bench/webhooks/make_requests.py standard SRC_ID WHSEC_SECRET N > standard.tsv
  python3 bench/webhooks/make_requests.py typeform SRC_ID SECRET N > typeform.tsv
  python3 bench/webhooks/make_requests.py batch SRC_ID WHSEC_SECRET N > batch.tsv    # 1,000 items each
  python3 bench/webhooks/make_requests.py survey SURVEY_ID - N > survey.tsv          # public, unsigned

Standard Webhooks signatures carry a timestamp that must be within 5 minutes of the server's
clock: generate just before running wrk.
"""
import base64, hashlib, hmac, json, sys, time

kind, source, secret, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
tag = sys.argv[5] if len(sys.argv) > 5 else ""
texts = ["支付失败了三次，钱扣了订单没成功", "物流太慢了，一周还没到", "界面挺好看的，就是有点卡",
         "客服态度很好，问题解决得很快", "希望能支持导出 Excel 报表"]
now = int(time.time())
for i in range(n):
    text = texts[i % len(texts)] + f"（第{i}条）"
    if kind in ("standard", "batch"):
        if kind == "standard":
            body = json.dumps({"text": text, "external_id": f"bench-{now}{tag}-{i}",
                               "scores": {"nps": i % 11}}, ensure_ascii=False, separators=(",", ":"))
        else:
            body = json.dumps({"items": [
                {"text": texts[(i + j) % len(texts)] + f"（第{i}批第{j}条）",
                 "external_id": f"bench-{now}{tag}-{i}-{j}", "scores": {"nps": j % 11}}
                for j in range(1000)]}, ensure_ascii=False, separators=(",", ":"))
        msg = f"msg_{now}{tag}_{i}"
        key = base64.b64decode(secret.removeprefix("whsec_"))
        mac = hmac.new(key, f"{msg}.{now}.".encode() + body.encode(), hashlib.sha256).digest()
        headers = {"content-type": "application/json", "webhook-id": msg,
                   "webhook-timestamp": str(now),
                   "webhook-signature": "v1," + base64.b64encode(mac).decode()}
    elif kind == "typeform":
        body = json.dumps({"event_id": f"evt{now}{tag}{i}", "event_type": "form_response",
            "form_response": {"form_id": "bench", "token": f"tok{now}{tag}x{i}",
                "submitted_at": "2026-11-20T08:30:05Z", "landed_at": "2026-11-20T08:29:00Z",
                "hidden": {"user_id": f"u{i % 1000}"},
                "definition": {"id": "bench", "title": "bench", "fields": [
                    {"id": "f1", "ref": "nps", "type": "nps", "title": "推荐意愿"},
                    {"id": "f2", "ref": "why", "type": "long_text", "title": "原因"}]},
                "answers": [
                    {"type": "number", "number": i % 11, "field": {"id": "f1", "type": "nps"}},
                    {"type": "text", "text": text, "field": {"id": "f2", "type": "long_text"}}]}},
            ensure_ascii=False, separators=(",", ":"))
        mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
        headers = {"content-type": "application/json",
                   "typeform-signature": "sha256=" + base64.b64encode(mac).decode()}
    elif kind == "survey":
        body = json.dumps({"answers": {"q1": i % 11, "q2": text},
                           "response_id": f"bench-{now}{tag}-{i}"},
                          ensure_ascii=False, separators=(",", ":"))
        headers = {"content-type": "application/json"}
        print(f"/s/{source}/responses\t" + "\t".join(f"{k}: {v}" for k, v in headers.items())
              + f"\t{body}")
        continue
    else:
        sys.exit(f"unknown kind {kind}")
    head = "\t".join(f"{k}: {v}" for k, v in headers.items())
    print(f"/hooks/{source}\t{head}\t{body}")
