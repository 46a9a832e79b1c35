"""Stage 4: contrastive training on mined pairs, dev-set model selection, and
export of models/fazhi-mini-zh.

Candidates: step 0 (plain mean of fastText vectors); training-free variants
(SIF weights, common-direction removal); then, from the best of those, learned
per-token weights, optionally with a learned linear map of the vectors (folded
into the table at export); then one zero-gated transformer block stacked on the
best of all those, so that its step 0 is exactly that model. Word vectors are
not fine-tuned (that hurt in earlier measurements). The candidate with the best
dev score is exported; earlier (simpler) candidates win ties, so each stage must
earn its place."""
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

from common import SPECIAL_TOKENS, UNK_ID, WordPiece, cpu_threads, segment_texts
from model import FazhiEncoder, export_onnx, pool
from pairs import DevSet, Pair, build_dev, load_docs, mine_pairs, partition

SEED = 20240601
MAX_LEN_TRAIN = 128
MAX_LEN_EVAL = 512  # = tokenizer model_max_length, what transformers.js truncates to
VERSION = "0.3.0"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def batch_tensors(seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    t = max(1, max(len(s) for s in seqs))
    ids = torch.zeros(len(seqs), t, dtype=torch.long)
    mask = torch.zeros(len(seqs), t, dtype=torch.long)
    for i, s in enumerate(seqs):
        s = s or [UNK_ID]  # an empty text pools [UNK] rather than dividing by zero
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


def evaluate(model: FazhiEncoder, tok: Tokenized, dev: DevSet) -> dict[str, float]:
    """nDCG@10 / recall@10 / MRR per query kind; "score" (the selection
    criterion) is the mean nDCG@10 over kinds."""
    q = encode(model, tok, dev.queries, MAX_LEN_EVAL)
    p = encode(model, tok, dev.passages, MAX_LEN_EVAL)
    scores = q @ p.T
    target = torch.tensor(dev.targets)
    rank = (scores > scores[torch.arange(len(target)), target][:, None]).sum(1) + 1
    ndcg = torch.where(rank <= 10, 1.0 / torch.log2(rank.float() + 1), torch.zeros(len(rank)))
    out: dict[str, float] = {}
    for kind in sorted(set(dev.kinds)):
        sel = torch.tensor([k == kind for k in dev.kinds])
        out[f"{kind} ndcg@10"] = round(ndcg[sel].mean().item(), 4)
        out[f"{kind} recall@10"] = round((rank[sel] <= 10).float().mean().item(), 4)
        out[f"{kind} mrr"] = round((1.0 / rank[sel].float()).mean().item(), 4)
    out["score"] = round(sum(v for k, v in out.items() if k.endswith("ndcg@10")) / len(set(dev.kinds)), 4)
    return out


def sif_log_weights(freq: np.ndarray, a: float) -> torch.Tensor:
    """Smooth inverse frequency a / (a + p(w)) (Arora et al. 2017); tokens never
    seen as whole words (special tokens, rare characters) keep weight 1."""
    p = freq / freq.sum()
    w = np.where(freq > 0, a / (a + p), 1.0)
    return torch.from_numpy(np.log(w).astype(np.float32))


def without_common_direction(model: FazhiEncoder, tok: Tokenized, texts: list[str]) -> torch.Tensor:
    """The embedding table minus its projection on the first singular vector
    of pooled text embeddings. Pooling is linear, so removing it from every
    row removes it from every text vector: SIF's common-component removal,
    baked into the table at no inference cost."""
    pooled = encode(model, tok, texts, MAX_LEN_TRAIN)
    u = torch.linalg.svd(pooled, full_matrices=False).Vh[0]
    table = model.emb.weight.detach()
    return (table - (table @ u)[:, None] * u[None, :]).half().float()  # the float16 that ships


def make_model(table: torch.Tensor, log_weight: torch.Tensor | None, layers: int,
               proj: bool = False, window: int = 0) -> FazhiEncoder:
    return FazhiEncoder(table, layers=layers, heads=4, ff=2 * table.shape[1], log_weight=log_weight, proj=proj,
                        window=window)


def train_candidate(name: str, table: torch.Tensor, log_weight: torch.Tensor, layers: int, pairs: list[Pair],
                    tok: Tokenized, dev: DevSet, args: argparse.Namespace, log: list[dict], proj: bool = False,
                    lr_weights: float | None = None, window: int = 0) -> tuple[FazhiEncoder, dict]:
    seed_everything(SEED)
    model = make_model(table, log_weight, layers, proj, window)
    model.emb.weight.requires_grad_(False)
    groups = [{"params": model.log_weight.parameters(), "lr": args.lr_weights if lr_weights is None else lr_weights}]
    if layers:
        groups.append({"params": model.blocks.parameters(), "lr": args.lr_blocks})
    if model.proj is not None:
        groups.append({"params": model.proj.parameters(), "lr": args.lr_proj})
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
                if metrics["score"] > best[0]["score"]:
                    best = (metrics, step, {k: v.clone() for k, v in model.state_dict().items()})
    model.load_state_dict(best[2])
    shipped = model.folded()
    return shipped, {"dev": evaluate(shipped, tok, dev), "step": best[1], "seconds": round(time.time() - t0)}


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
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--tau", type=float, default=0.05)
    ap.add_argument("--lr-weights", type=float, default=0.01)
    ap.add_argument("--lr-blocks", type=float, default=1e-3)
    ap.add_argument("--lr-proj", type=float, default=1e-3)
    ap.add_argument("--block-window", type=int, default=0,
                    help="the block's attention span in tokens each side (0 = the whole text)")
    ap.add_argument("--block-lr-weights", type=float, default=0.01,
                    help="token-weight learning rate while the block trains (0: keep the base model's weights)")
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--law-share", type=float, default=0.25)
    ap.add_argument("--pair-kinds", default="topic,item,heading,ict,span,law-title,law-chapter")
    ap.add_argument("--dev-queries", type=int, default=400)
    ap.add_argument("--law-distractors", type=int, default=3000)
    ap.add_argument("--candidates", default="static,weights,proj,block",
                    help="comma list of static,weights,proj,block (proj: a learned linear map folded into the table; block: one zero-gated transformer layer, slow on CPU); empty exports the untrained step 0")
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
    kinds_used = set(args.pair_kinds.split(","))
    pairs = [p for p in mine_pairs(train_docs, SEED, args.law_share) if p.kind in kinds_used]
    kinds: dict[str, int] = {}
    for p in pairs:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    texts = sorted({*dev.queries, *dev.passages, *(t for p in pairs for t in (p.query, p.positive, p.negative))})
    tok = Tokenized(WordPiece(vocab), segment_texts(texts, args.work))
    print(f"dev: {len(dev.queries)} queries over {len(dev.passages)} passages "
          f"({len(dev_docs)} held-out reports); train pairs: {kinds}", flush=True)

    log: list[dict] = []
    results: dict[str, tuple[FazhiEncoder, int, dict]] = {}

    def add(name: str, model: FazhiEncoder, layers: int, result: dict | None = None) -> None:
        result = result or {"dev": evaluate(model, tok, dev), "step": 0, "seconds": 0}
        results[name] = (model, layers, result)
        print(f"{name}: dev {result['dev']}", flush=True)

    wanted = args.candidates.split(",")
    add("step0", make_model(vectors, None, 0), 0)
    if "static" in wanted:
        # Training-free variants of the static average; the best one seeds training.
        freq = np.load(args.work / "freq.npy")
        pc_texts = [p.positive for p in pairs[:4000]]
        for a in (1e-3, 1e-4):
            add(f"sif{a:g}", make_model(vectors, sif_log_weights(freq, a), 0), 0)
        for name in [n for n in results]:
            base = results[name][0]
            table = without_common_direction(base, tok, pc_texts)
            add(f"{name}-pc1", make_model(table, base.log_weight.weight.detach().clone(), 0), 0)
    start = max(results, key=lambda n: results[n][2]["dev"]["score"])
    start_table = results[start][0].emb.weight.detach().clone()
    start_weights = results[start][0].log_weight.weight.detach().clone()
    if "weights" in wanted:
        m, r = train_candidate(f"{start}+weights", start_table, start_weights, 0, pairs, tok, dev, args, log)
        add(f"{start}+weights", m, 0, r)
    if "proj" in wanted:
        m, r = train_candidate(f"{start}+weights+proj", start_table, start_weights, 0, pairs, tok, dev, args, log,
                               proj=True)
        add(f"{start}+weights+proj", m, 0, r)
    if "block" in wanted:
        # Stacked on the best model so far (its map already folded into the table), so the
        # block's step 0 is exactly that model and it is kept only if attention adds to it.
        base = max(results, key=lambda n: results[n][2]["dev"]["score"])
        table = results[base][0].emb.weight.detach().clone()
        weights = results[base][0].log_weight.weight.detach().clone()
        m, r = train_candidate(f"{base}+block", table, weights, 1, pairs, tok, dev, args, log,
                               lr_weights=args.block_lr_weights, window=args.block_window)
        add(f"{base}+block", m, 1, r)

    chosen = "step0"
    for name, (_, _, r) in results.items():
        if r["dev"]["score"] > results[chosen][2]["dev"]["score"]:
            chosen = name
    model, layers, _ = results[chosen]
    info = {
        "chosen": chosen,
        "candidates": {k: {"dev": v[2]["dev"], "step": v[2]["step"]} for k, v in results.items()},
        "dev": {"queries": len(dev.queries), "passages": len(dev.passages), "heldOutReports": len(dev_docs),
                "task": "topic sentence -> rest of its paragraph, and word run -> its paragraph; "
                        "held-out national reports + law article distractors; score = mean nDCG@10"},
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
