"""Fine-tuning pairs: models/train/pairs.py's structure mining (topic sentence, heading or one of its
sentences -> the paragraph; law chapter or title -> an article; a fifth from laws) over the national
reports that are not held out (every fifth is: the eval's automatic set) and the laws; never the five
sample reports, which the dev sets judge.

Usage: python3 mine.py <corpora dir> <out.jsonl>"""
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # models/train, for its mining
from common import paragraphs, read_docs  # noqa: E402
from pairs import mine_pairs, partition  # noqa: E402

corpora, out = Path(sys.argv[1]), Path(sys.argv[2])
# No sample-report folder: the mining must not see the reports the dev sets judge.
docs = [{"source": d.source, "id": d.doc_id, "title": d.title, "paras": paragraphs(d.text)} for d in read_docs(corpora, Path("/nonexistent"))]
for d in docs:
    # pairs.py reads the mini model's segmented paragraphs; bge takes the text as written.
    d["segs"] = d["paras"]
train, _held_out = partition(docs)
pairs = mine_pairs(train, seed=13, law_share=0.2)
with open(out, "w", encoding="utf-8") as fh:
    for p in pairs:
        fh.write(json.dumps(p.__dict__, ensure_ascii=False) + "\n")
print(f"{len(pairs)} pairs -> {out}", dict(Counter(p.kind for p in pairs)))
