"""Stage 3: choose the tokenizer vocabulary and take its fastText vectors.

Vocabulary = special tokens + every single character seen (so WordPiece can
always fall back to characters) + the most frequent jieba words + the domain
user dictionary. Vectors come from `fasttext print-word-vectors`, which also
covers words below fastText's minCount through their character n-grams."""
from __future__ import annotations

import argparse
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np

from common import SPECIAL_TOKENS, USER_DICT, normalize


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--max-words", type=int, default=40000)
    ap.add_argument("--min-count", type=int, default=5)
    args = ap.parse_args()

    counts: Counter[str] = Counter()
    with open(args.work / "fasttext.txt", encoding="utf-8") as fh:
        for line in fh:
            counts.update(line.split())
    chars: Counter[str] = Counter()
    for w, c in counts.items():
        for ch in w:
            chars[ch] += c

    vocab = list(SPECIAL_TOKENS)
    seen = set(vocab)
    for ch, _ in sorted(chars.items(), key=lambda kv: (-kv[1], kv[0])):
        if ch not in seen:
            vocab.append(ch)
            seen.add(ch)
    words = [w for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
             if c >= args.min_count and len(w) > 1]
    for line in USER_DICT.read_text(encoding="utf-8").splitlines():
        if line.strip():
            w = normalize(line.split()[0])
            if w not in seen:
                vocab.append(w)
                seen.add(w)
    for w in words:
        if len(vocab) - len(SPECIAL_TOKENS) >= len(chars) + args.max_words:
            break
        if w not in seen:
            vocab.append(w)
            seen.add(w)

    words_in = "\n".join(vocab[len(SPECIAL_TOKENS):]) + "\n"
    out = subprocess.run(["fasttext", "print-word-vectors", str(args.work / "fasttext.bin")],
                         input=words_in.encode("utf-8"), capture_output=True, check=True).stdout
    lines = out.decode("utf-8").rstrip("\n").split("\n")
    assert len(lines) == len(vocab) - len(SPECIAL_TOKENS), (len(lines), len(vocab))
    vecs = np.array([[float(x) for x in l.rstrip().split(" ")[1:]] for l in lines], dtype=np.float32)
    dim = vecs.shape[1]
    # [UNK] gets the mean direction so an all-unknown text still has a defined
    # (if uninformative) embedding; [PAD]/[CLS]/[SEP]/[MASK] never reach pooling.
    special = np.zeros((len(SPECIAL_TOKENS), dim), dtype=np.float32)
    special[1] = vecs.mean(axis=0)
    table = np.concatenate([special, vecs])
    freq = np.array([0] * len(SPECIAL_TOKENS) + [counts.get(w, 0) for w in vocab[len(SPECIAL_TOKENS):]],
                    dtype=np.int64)
    (args.work / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    np.save(args.work / "vectors.npy", table)
    np.save(args.work / "freq.npy", freq)
    print(f"vocab: {len(vocab)} tokens ({len(chars)} chars), dim {dim}")


if __name__ == "__main__":
    main()
