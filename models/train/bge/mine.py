"""Fine-tuning pairs: models/train/pairs.py's structure mining (topic sentence -> its paragraph,
law chapter -> article), 80 % from the national reports that are not held out (every fifth is: the
eval's automatic set) and 20 % from laws; never the five sample reports, which the dev sets judge.

Usage: python3 mine.py <corpora dir> <out.jsonl> <pairs>"""
import json
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # models/train, for its mining
from common import paragraphs, read_docs  # noqa: E402
from pairs import law_pairs, partition, report_pairs  # noqa: E402

corpora, out, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
docs = [{"source": d.source, "id": d.doc_id, "title": d.title, "paras": paragraphs(d.text)} for d in read_docs(corpora, Path("/nonexistent"))]
for d in docs:
    d["segs"] = d["paras"]
train, _held_out = partition(docs)
rng = random.Random(13)
reports, laws = [], []
for doc in train:
    if doc["source"] in ("gwr", "cpc"):
        reports.extend(report_pairs(doc, rng))
    elif doc["source"] == "law":
        laws.extend(law_pairs(doc, rng))
rng.shuffle(reports)
rng.shuffle(laws)
pairs = reports[: int(n * 0.8)] + laws[: n - int(n * 0.8)]
rng.shuffle(pairs)
with open(out, "w", encoding="utf-8") as fh:
    for p in pairs:
        fh.write(json.dumps(p.__dict__, ensure_ascii=False) + "\n")
print(f"{len(pairs)} pairs -> {out}", dict(Counter(p.kind for p in pairs)))
