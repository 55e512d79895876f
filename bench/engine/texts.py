"""Writes the benchmark's input: {"id", "text"} lines of the default `tingjian bench` texts,
repeated, and how many bytes of text they hold."""
import json
import sys
from pathlib import Path

FILES = ("corpus/eval/dev.jsonl", "corpus/train/app_feedback.jsonl")


def texts():
    return [json.loads(l)["text"] for p in FILES
            for l in Path(p).read_text(encoding="utf-8").splitlines() if l.strip()]


if __name__ == "__main__":
    out, repeat = Path(sys.argv[1]), int(sys.argv[2])
    ts = texts()
    with open(out / "in.jsonl", "w", encoding="utf-8") as f:
        for r in range(repeat):
            for i, t in enumerate(ts):
                f.write(json.dumps({"id": f"{r}-{i}", "text": t}, ensure_ascii=False) + "\n")
    (out / "text_bytes").write_text(str(repeat * sum(len(t.encode("utf-8")) for t in ts)))
