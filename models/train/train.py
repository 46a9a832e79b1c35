"""Stage 4: contrastive training on mined pairs, dev-set model selection, and
export of models/fazhi-mini-zh.

Candidates: step 0 (plain mean of fastText vectors), learned per-token
weights, and learned weights + one zero-gated transformer block. Word vectors
stay frozen (fine-tuning them hurt in earlier measurements). The candidate with
the best dev nDCG@10 is exported; step 0 wins ties, so training must earn its
place."""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from common import SPECIAL_TOKENS, WordPiece, cpu_threads, segment_texts
from model import FazhiEncoder, export_onnx, pool
from pairs import DevSet, Pair, build_dev, load_docs, mine_pairs, partition

SEED = 20240601
MAX_LEN_TRAIN = 128
MAX_LEN_EVAL = 512  # = tokenizer model_max_length, what transformers.js truncates to
VERSION = "0.2.0"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def batch_tensors(seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    t = max(1, max(len(s) for s in seqs))
    ids = torch.zeros(len(seqs), t, dtype=torch.long)
    mask = torch.zeros(len(seqs), t, dtype=torch.long)
    for i, s in enumerate(seqs):
        s = s or [1]  # an empty text pools [UNK] rather than dividing by zero
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask, torch.zeros_like(ids)


class Tokenized:
    """segmentForModel (precomputed) + WordPiece, cached: the same texts recur
    across epochs and evals."""

    def __init__(self, wp: WordPiece, segmented: dict[str, str]):
        self.wp = wp
        self.segmented = segmented
        self.cache: dict[tuple[str, int], list[int]] = {}

    def __call__(self, text: str, max_len: int) -> list[int]:
        key = (text, max_len)
        if key not in self.cache:
            self.cache[key] = self.wp.encode(self.segmented[text], max_len)
        return self.cache[key]


@torch.no_grad()
def encode(model: FazhiEncoder, tok: Tokenized, texts: list[str], max_len: int) -> torch.Tensor:
    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = torch.zeros(len(texts), model.emb.weight.shape[1])
    for s in range(0, len(order), 64):
        chunk = order[s: s + 64]
        ids, mask, types = batch_tensors([tok(texts[i], max_len) for i in chunk])
        out[chunk] = pool(model(ids, mask, types), mask)
    return out


def evaluate(model: FazhiEncoder, tok: Tokenized, dev: DevSet, passage_vecs: torch.Tensor | None = None
             ) -> dict[str, float]:
    q = encode(model, tok, dev.queries, MAX_LEN_EVAL)
    p = passage_vecs if passage_vecs is not None else encode(model, tok, dev.passages, MAX_LEN_EVAL)
    scores = q @ p.T
    target = torch.tensor(dev.targets)
    rank = (scores > scores[torch.arange(len(target)), target][:, None]).sum(1) + 1
    ndcg = torch.where(rank <= 10, 1.0 / torch.log2(rank.float() + 1), torch.zeros_like(rank, dtype=torch.float))
    return {"ndcg@10": round(ndcg.mean().item(), 4),
            "recall@10": round((rank <= 10).float().mean().item(), 4),
            "mrr": round((1.0 / rank.float()).mean().item(), 4)}


def train_candidate(name: str, vectors: torch.Tensor, layers: int, pairs: list[Pair], tok: Tokenized,
                    dev: DevSet, args: argparse.Namespace, log: list[dict]) -> tuple[FazhiEncoder, dict]:
    seed_everything(SEED)
    model = FazhiEncoder(vectors, layers=layers, heads=4, ff=2 * vectors.shape[1])
    model.emb.weight.requires_grad_(False)
    groups = [{"params": model.log_weight.parameters(), "lr": args.lr_weights}]
    if layers:
        groups.append({"params": model.blocks.parameters(), "lr": args.lr_blocks})
    opt = torch.optim.Adam(groups)
    best = (evaluate(model, tok, dev), 0, {k: v.clone() for k, v in model.state_dict().items()})
    log.append({"candidate": name, "step": 0, **best[0]})
    print(f"{name}: step 0 dev {best[0]}", flush=True)
    rng = random.Random(SEED)
    step, t0 = 0, time.time()
    for epoch in range(args.epochs):
        order = list(range(len(pairs)))
        rng.shuffle(order)
        for s in range(0, len(order) - args.batch + 1, args.batch):
            batch = [pairs[i] for i in order[s: s + args.batch]]
            model.train()
            qi = batch_tensors([tok(p.query, MAX_LEN_TRAIN) for p in batch])
            di = batch_tensors([tok(p.positive, MAX_LEN_TRAIN) for p in batch]
                               + [tok(p.negative, MAX_LEN_TRAIN) for p in batch])
            q = pool(model(*qi), qi[1])
            d = pool(model(*di), di[1])
            logits = q @ d.T / args.tau
            loss = F.cross_entropy(logits, torch.arange(len(batch)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % args.eval_every == 0:
                metrics = evaluate(model, tok, dev)
                log.append({"candidate": name, "step": step, "loss": round(loss.item(), 4), **metrics})
                print(f"{name}: step {step} epoch {epoch} loss {loss.item():.3f} dev {metrics} "
                      f"({time.time() - t0:.0f}s)", flush=True)
                if metrics["ndcg@10"] > best[0]["ndcg@10"]:
                    best = (metrics, step, {k: v.clone() for k, v in model.state_dict().items()})
    model.load_state_dict(best[2])
    return model, {"dev": best[0], "step": best[1], "seconds": round(time.time() - t0)}


def write_model_dir(out: Path, model: FazhiEncoder, vocab: list[str], layers: int, info: dict) -> None:
    if out.exists():
        shutil.rmtree(out)
    (out / "onnx").mkdir(parents=True)
    export_onnx(model, str(out / "onnx" / "model.onnx"))
    dim = model.emb.weight.shape[1]
    (out / "config.json").write_text(json.dumps({
        "model_type": "bert", "architectures": ["BertModel"], "hidden_size": dim,
        "num_hidden_layers": layers, "num_attention_heads": 4, "intermediate_size": 2 * dim,
        "vocab_size": len(vocab), "max_position_embeddings": MAX_LEN_EVAL, "type_vocab_size": 2,
        "pad_token_id": 0,
    }, indent=2) + "\n", encoding="utf-8")
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(SPECIAL_TOKENS)],
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        # No [CLS]/[SEP]: mean pooling must average only the text's own tokens.
        "post_processor": None,
        "decoder": {"type": "WordPiece", "prefix": "", "cleanup": False},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "",
                  "max_input_chars_per_word": 100, "vocab": {w: i for i, w in enumerate(vocab)}},
    }
    (out / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": MAX_LEN_EVAL,
        "pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
        "mask_token": "[MASK]", "padding_side": "right", "clean_up_tokenization_spaces": False,
    }, indent=2) + "\n", encoding="utf-8")
    digest = hashlib.sha256((out / "onnx" / "model.onnx").read_bytes()).hexdigest()[:12]
    info = {"pretokenize": "jieba", "modelId": f"fazhi-mini-zh@{VERSION}+{digest}", **info}
    (out / "fazhi.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--tau", type=float, default=0.05)
    ap.add_argument("--lr-weights", type=float, default=0.01)
    ap.add_argument("--lr-blocks", type=float, default=3e-4)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--law-share", type=float, default=0.25)
    ap.add_argument("--dev-queries", type=int, default=400)
    ap.add_argument("--law-distractors", type=int, default=3000)
    ap.add_argument("--candidates", default="step0,weights,weights+block",
                    help="comma list; step0 alone exports the untrained baseline")
    args = ap.parse_args()
    torch.set_num_threads(cpu_threads())
    seed_everything(SEED)
    t_start = time.time()

    vocab = (args.work / "vocab.txt").read_text(encoding="utf-8").rstrip("\n").split("\n")
    # Train and evaluate on exactly the fp16-rounded table that ships.
    vectors = torch.from_numpy(np.load(args.work / "vectors.npy").astype(np.float16).astype(np.float32))
    docs = load_docs(args.work)
    train_docs, dev_docs = partition(docs)
    laws = [d for d in docs if d["source"] == "law"]
    dev = build_dev(dev_docs, laws, SEED, args.dev_queries, args.law_distractors)
    pairs = mine_pairs(train_docs, SEED, args.law_share)
    kinds: dict[str, int] = {}
    for p in pairs:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    texts = sorted({*dev.queries, *dev.passages, *(t for p in pairs for t in (p.query, p.positive, p.negative))})
    tok = Tokenized(WordPiece(vocab), segment_texts(texts, args.work))
    print(f"dev: {len(dev.queries)} queries over {len(dev.passages)} passages "
          f"({len(dev_docs)} held-out reports); train pairs: {kinds}", flush=True)

    log: list[dict] = []
    results: dict[str, tuple[FazhiEncoder, int, dict]] = {}
    step0 = FazhiEncoder(vectors, layers=0, heads=4, ff=2 * vectors.shape[1])
    results["step0"] = (step0, 0, {"dev": evaluate(step0, tok, dev), "step": 0, "seconds": 0})
    print(f"step0 dev {results['step0'][2]['dev']}", flush=True)
    wanted = args.candidates.split(",")
    if "weights" in wanted:
        m, r = train_candidate("weights", vectors, 0, pairs, tok, dev, args, log)
        results["weights"] = (m, 0, r)
    if "weights+block" in wanted:
        m, r = train_candidate("weights+block", vectors, 1, pairs, tok, dev, args, log)
        results["weights+block"] = (m, 1, r)

    chosen = "step0"
    for name, (_, _, r) in results.items():
        if r["dev"]["ndcg@10"] > results[chosen][2]["dev"]["ndcg@10"]:
            chosen = name
    model, layers, _ = results[chosen]
    info = {
        "chosen": chosen,
        "candidates": {k: {"dev": v[2]["dev"], "step": v[2]["step"]} for k, v in results.items()},
        "dev": {"queries": len(dev.queries), "passages": len(dev.passages), "heldOutReports": len(dev_docs),
                "task": "topic sentence -> rest of its paragraph, held-out national reports + law distractors"},
        "trainPairs": kinds,
        "hyper": {k: v for k, v in vars(args).items() if k not in ("work", "out")},
    }
    write_model_dir(args.out, model, vocab, layers, info)
    timing = {k: v[2]["seconds"] for k, v in results.items()} | {"total": round(time.time() - t_start)}
    (args.work / "train_log.json").write_text(json.dumps({"seconds": timing, "evals": log}, indent=1) + "\n",
                                              encoding="utf-8")
    print(f"exported {chosen} to {args.out}: {json.dumps(info['candidates'], ensure_ascii=False)}")


if __name__ == "__main__":
    main()
