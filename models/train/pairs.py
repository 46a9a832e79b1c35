"""Training pairs and the automatic dev set, mined from document structure.

Pairs look like the real search jobs over 法治政府建设年度报告: a short topic
sentence or heading should retrieve the passage it introduces. Work-report
paragraphs are the main source; law text (chapter heading -> article, law
title -> its purpose article) is a minority share. Each pair carries a hard
negative: another passage from the same document."""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

# Enumerators that open report paragraphs: （一） 一、 1. （1） 第一， 一是 ①
_ENUM = re.compile(r"^\s*(（[一二三四五六七八九十\d]+）|[一二三四五六七八九十]+[、是]|\d+[.、．]|"
                   r"（\d+）|第[一二三四五六七八九十]+[，,、]|[①-⑳])\s*")
_TOPIC_END = re.compile(r"[。；！？]")
_ITEM = re.compile(r"[一二三四五六七八九十]是")
_LAW_CHAPTER = re.compile(r"^第[一二三四五六七八九十百]+[章节]\s*(.+)$")
_LAW_ARTICLE = re.compile(r"^第[一二三四五六七八九十百零]+条\s*")

REPORT_SOURCES = ("gwr", "cpc", "sample")


@dataclass
class Pair:
    query: str
    positive: str
    negative: str
    kind: str


def strip_enum(text: str) -> str:
    return _ENUM.sub("", text, count=1).strip()


def split_topic(para: str) -> tuple[str, str] | None:
    """'Topic sentence。rest…' -> (topic, rest) when both are of useful size."""
    m = _TOPIC_END.search(para)
    if not m:
        return None
    topic = strip_enum(para[: m.start()])
    rest = para[m.end():].strip()
    if 6 <= len(topic) <= 40 and len(rest) >= 40:
        return topic, rest
    return None


def split_items(para: str) -> tuple[str, list[str]] | None:
    """'Topic。一是…；二是…。' -> (topic, items)."""
    marks = list(_ITEM.finditer(para))
    if len(marks) < 2:
        return None
    head = para[: marks[0].start()]
    topic_end = _TOPIC_END.search(head)
    topic = strip_enum(head[: topic_end.start()] if topic_end else head).rstrip("，：:")
    if not (6 <= len(topic) <= 40):
        return None
    items = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(para)
        item = para[m.end(): end].strip("，。；： ")
        if len(item) >= 15:
            items.append(item)
    return (topic, items) if items else None


def is_heading(line: str) -> bool:
    return 4 <= len(line) <= 30 and not _TOPIC_END.search(line)


def load_docs(work: Path) -> list[dict]:
    with open(work / "segmented.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def is_dev_doc(doc: dict, index_in_source: int) -> bool:
    """Every fifth national report is held out for the dev set."""
    return doc["source"] in ("gwr", "cpc") and index_in_source % 5 == 0


def partition(docs: list[dict]) -> tuple[list[dict], list[dict]]:
    train, dev, seen = [], [], {"gwr": 0, "cpc": 0}
    for doc in docs:
        if doc["source"] in seen:
            (dev if is_dev_doc(doc, seen[doc["source"]]) else train).append(doc)
            seen[doc["source"]] += 1
        else:
            train.append(doc)
    return train, dev


def report_pairs(doc: dict, rng: random.Random) -> list[Pair]:
    paras = [p for p in doc["paras"] if len(p) >= 40]
    if len(paras) < 2:
        return []
    out: list[Pair] = []
    lines = doc["paras"]

    def negative(exclude: str) -> str:
        for _ in range(5):
            cand = rng.choice(paras)
            if cand != exclude:
                return cand
        return rng.choice(paras)

    for i, para in enumerate(lines):
        tr = split_topic(para)
        if tr:
            out.append(Pair(tr[0], tr[1], negative(para), "topic"))
        it = split_items(para)
        if it:
            for item in it[1]:
                out.append(Pair(it[0], item, negative(para), "item"))
        if is_heading(para) and i + 1 < len(lines) and len(lines[i + 1]) >= 60:
            out.append(Pair(strip_enum(para), lines[i + 1], negative(lines[i + 1]), "heading"))
        ict = inverse_cloze(para, rng)
        if ict:
            out.append(Pair(ict[0], ict[1], negative(para), "ict"))
        span = phrase_span(para, doc["segs"][i], rng)
        if span:
            out.append(Pair(span, para, negative(para), "span"))
    return out


_WORDLIKE = re.compile(r"^[\w\u4e00-\u9fff]+$")


def phrase_span(para: str, seg: str, rng: random.Random) -> str | None:
    """1-4 consecutive words of the paragraph (4-10 characters, no
    punctuation) -> the paragraph: the shape of a measure-name query, which
    the passage that answers it contains verbatim."""
    if len(para) < 60:
        return None
    words = seg.split(" ")
    for _ in range(5):
        k = rng.randint(1, 4)
        i = rng.randrange(0, max(1, len(words) - k + 1))
        run = words[i: i + k]
        text = "".join(run)
        if all(_WORDLIKE.match(w) and not w.isdigit() for w in run) and 4 <= len(text) <= 10:
            return text
    return None


def inverse_cloze(para: str, rng: random.Random) -> tuple[str, str] | None:
    """A random later sentence of a paragraph -> the paragraph without it: the
    inverse cloze task, for many more (noisier) pairs than topic sentences."""
    sents = [s for s in re.split(r"(?<=[。；！？])", para) if s.strip()]
    if len(sents) < 3:
        return None
    k = rng.randrange(1, len(sents))
    query = sents[k].strip().rstrip("。；！？")
    rest = "".join(sents[:k] + sents[k + 1:])
    if 8 <= len(query) <= 60 and len(rest) >= 40:
        return query, rest
    return None


def law_pairs(doc: dict, rng: random.Random) -> list[Pair]:
    articles: list[tuple[str, str]] = []  # (chapter title, article text)
    chapter = ""
    for line in doc["paras"]:
        m = _LAW_CHAPTER.match(line)
        if m and len(line) <= 30:
            chapter = m.group(1).strip()
            continue
        if _LAW_ARTICLE.match(line):
            text = _LAW_ARTICLE.sub("", line)
            if len(text) >= 30:
                articles.append((chapter, text))
    if len(articles) < 3:
        return []
    texts = [a for _, a in articles]
    out = [Pair(doc["title"].split("(")[0], texts[0], rng.choice(texts[1:]), "law-title")]
    by_chapter: dict[str, list[str]] = {}
    for ch, text in articles:
        if ch and ch not in ("总则", "附则"):
            by_chapter.setdefault(ch, []).append(text)
    for ch, arts in by_chapter.items():
        others = [t for t in texts if t not in arts]
        if not others:
            continue
        for art in rng.sample(arts, min(2, len(arts))):
            out.append(Pair(ch, art, rng.choice(others), "law-chapter"))
    return out


def mine_pairs(train_docs: list[dict], seed: int, law_share: float) -> list[Pair]:
    rng = random.Random(seed)
    reports: list[Pair] = []
    laws: list[Pair] = []
    for doc in train_docs:
        if doc["source"] in REPORT_SOURCES:
            reports.extend(report_pairs(doc, rng))
        else:
            laws.extend(law_pairs(doc, rng))
    rng.shuffle(laws)
    keep_laws = int(len(reports) * law_share / (1.0 - law_share))
    pairs = reports + laws[:keep_laws]
    rng.shuffle(pairs)
    return pairs


@dataclass
class DevSet:
    queries: list[str]
    targets: list[int]  # index into passages
    kinds: list[str]  # 'topic' | 'span'
    passages: list[str]


def build_dev(dev_docs: list[dict], law_docs: list[dict], seed: int, max_queries: int,
              law_distractors: int) -> DevSet:
    """Two query kinds over held-out reports, among every paragraph of those
    reports plus law articles: topic sentence -> rest of its paragraph (the
    paragraph is indexed without it), and a 4-10 character word run -> the
    paragraph containing it (the shape of a measure-name query)."""
    rng = random.Random(seed)
    found: dict[str, list[tuple[str, int]]] = {"topic": [], "span": []}
    passages: list[str] = []
    for doc in dev_docs:
        for para, seg in zip(doc["paras"], doc["segs"]):
            tr = split_topic(para)
            if tr:
                found["topic"].append((tr[0], len(passages)))
                passages.append(tr[1])
            elif len(para) >= 40:
                span = phrase_span(para, seg, rng)
                if span:
                    found["span"].append((span, len(passages)))
                passages.append(para)
    law_paras = [p for d in law_docs for p in d["paras"] if len(p) >= 40 and _LAW_ARTICLE.match(p)]
    passages.extend(rng.sample(law_paras, min(law_distractors, len(law_paras))))
    # A run that also occurs in another passage has more than one right answer.
    found["span"] = [(q, t) for q, t in found["span"] if sum(q in p for p in passages) == 1]
    queries, targets, kinds = [], [], []
    for kind, items in found.items():
        for q, t in sorted(rng.sample(items, min(max_queries // 2, len(items))), key=lambda x: x[1]):
            queries.append(q)
            targets.append(t)
            kinds.append(kind)
    return DevSet(queries, targets, kinds, passages)
