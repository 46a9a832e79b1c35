"""Stage 1: segment every training document once with segmentForModel.

Writes <work>/segmented.jsonl (one document per line with its segmented
paragraphs, reused by pair mining) and <work>/fasttext.txt (normalised
pre-tokens, one paragraph per line, the fastText training input)."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from common import paragraphs, pretokens, read_docs, segment_jsonl


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpora", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    docs = read_docs(args.corpora, args.corpus)
    t0 = time.time()
    raw = args.work / "docs.jsonl"
    with open(raw, "w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps({"source": doc.source, "id": doc.doc_id, "title": doc.title,
                                 "paras": paragraphs(doc.text)}, ensure_ascii=False) + "\n")
    segment_jsonl(raw, args.work / "segmented.jsonl")
    chars = 0
    with open(args.work / "segmented.jsonl", encoding="utf-8") as seg, open(
        args.work / "fasttext.txt", "w", encoding="utf-8"
    ) as ft_out:
        for line in seg:
            rec = json.loads(line)
            chars += sum(len(p) for p in rec["paras"])
            for s in rec["segs"]:
                ft_out.write(" ".join(pretokens(s)) + "\n")
    print(f"prepare: {len(docs)} docs, {chars} chars in {time.time() - t0:.0f}s")

if __name__ == "__main__":
    main()
