"""Shared pieces of the fazhi-mini-zh training pipeline: corpus reading,
segmentation through pipeline/segment.ts segmentForModel, and a Python mirror of the WordPiece tokenizer that transformers.js applies, so
training sees exactly the token ids the TypeScript encoder will produce."""
from __future__ import annotations

import json
import os
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
USER_DICT = REPO / "pipeline" / "dict" / "user.dict.utf8"

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
UNK_ID = 1


def segment_jsonl(src: Path, dst: Path) -> None:
    """Adds "segs" to every {"paras": [...]} line, using the TypeScript
    segmentForModel itself (nodejieba + the domain dictionary): a Python jieba
    mirror would disagree on ~2% of tokens."""
    subprocess.run(["npx", "tsx", str(REPO / "models" / "train" / "segment.ts"), str(src), str(dst)],
                   cwd=REPO, check=True)


def segment_texts(texts: list[str], work: Path) -> dict[str, str]:
    src, dst = work / "segment_in.jsonl", work / "segment_out.jsonl"
    with open(src, "w", encoding="utf-8") as fh:
        for i in range(0, len(texts), 1000):
            fh.write(json.dumps({"paras": texts[i: i + 1000]}, ensure_ascii=False) + "\n")
    segment_jsonl(src, dst)
    out: dict[str, str] = {}
    with open(dst, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            out.update(zip(rec["paras"], rec["segs"]))
    return out


def normalize(text: str) -> str:
    """The tokenizer.json normalizer: NFKC then lowercase."""
    return unicodedata.normalize("NFKC", text).lower()


def pretokens(segmented: str) -> list[str]:
    """normalizer + WhitespaceSplit pre-tokenizer."""
    return normalize(segmented).split()


@dataclass
class Doc:
    source: str  # 'law' | 'gwr' | 'cpc' | 'sample'
    doc_id: str
    title: str
    text: str


_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)


def read_docs(corpora: Path, sample_corpus: Path) -> list[Doc]:
    """All training documents, in a stable order."""
    docs: list[Doc] = []
    for path in sorted((corpora / "lawrefbook").rglob("*.md")):
        if path.name == "_index.md":
            continue
        text = _FRONT_MATTER.sub("", path.read_text(encoding="utf-8"))
        text = "\n".join(l.lstrip("#").strip() for l in text.splitlines())
        if len(text) > 200:
            docs.append(Doc("law", str(path.relative_to(corpora)), path.stem, text))
    for name, source in (("government_work_reports.jsonl", "gwr"), ("cpc_congress_reports.jsonl", "cpc")):
        with open(corpora / name, encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                rec = json.loads(line)
                docs.append(Doc(source, f"{name}:{i}", rec.get("title", ""), rec["content"]))
    for path in sorted(sample_corpus.glob("*.txt")):
        docs.append(Doc("sample", str(path.name), path.stem, path.read_text(encoding="utf-8")))
    return docs


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.splitlines() if p.strip()]


class WordPiece:
    """Mirror of @huggingface/tokenizers WordPiece with an empty
    continuing_subword_prefix: a word missing from the vocabulary is split
    greedily into the longest vocabulary words / characters."""

    def __init__(self, vocab: list[str], max_chars: int = 100):
        self.vocab = vocab
        self.ids = {w: i for i, w in enumerate(vocab)}
        self.max_chars = max_chars

    def word_ids(self, word: str) -> list[int]:
        chars = list(word)
        if len(chars) > self.max_chars:
            return [UNK_ID]
        out, start = [], 0
        while start < len(chars):
            end = len(chars)
            found = None
            while start < end:
                sub = "".join(chars[start:end])
                if sub in self.ids:
                    found = self.ids[sub]
                    break
                end -= 1
            if found is None:
                return [UNK_ID]
            out.append(found)
            start = end
        return out

    def encode(self, segmented: str, max_len: int) -> list[int]:
        ids: list[int] = []
        for w in pretokens(segmented):
            ids.extend(self.word_ids(w))
            if len(ids) >= max_len:
                return ids[:max_len]
        return ids


def read_vocab(model_dir: Path) -> list[str]:
    tok = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    v = tok["model"]["vocab"]
    out = [""] * len(v)
    for w, i in v.items():
        out[i] = w
    return out


def cpu_threads() -> int:
    return int(os.environ.get("FAZHI_TRAIN_THREADS", "2"))
