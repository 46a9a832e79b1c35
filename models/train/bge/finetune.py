"""Contrastive fine-tuning of bge-small-zh-v1.5 (CLS pooling, L2 norm, query prefix) on mined pairs:
in-batch negatives plus each pair's hard negative, InfoNCE at bge's own temperature 0.02; AdamW,
linear warm-up over the first tenth, then linear decay.

Usage: python3 finetune.py <pairs.jsonl> <init.pt> <out.pt> <steps> <batch> <passage tokens> <lr>"""
import json
import random
import sys
import time

import torch
import torch.nn.functional as F

from bge_model import QUERY_PREFIX, bert, tokenizer

pairs_file, init, out = sys.argv[1:4]
steps, batch, passage_tokens, lr = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
QUERY_TOKENS = 64
torch.manual_seed(0)
random.seed(0)
model = bert()
model.load_state_dict(torch.load(init))
tok = tokenizer()
pairs = [json.loads(line) for line in open(pairs_file, encoding="utf-8")]
random.shuffle(pairs)


def embed(texts: list[str], max_len: int) -> torch.Tensor:
    enc = tok(texts, padding=True, truncation=True, max_length=max_len, return_tensors="pt")
    enc["token_type_ids"] = torch.zeros_like(enc["input_ids"])
    return F.normalize(model(**enc).last_hidden_state[:, 0], dim=-1)


opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
warm = max(1, steps // 10)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (steps - s) / max(1, steps - warm)))
model.train()
started, losses = time.time(), []
for step in range(steps):
    b = [pairs[(step * batch + i) % len(pairs)] for i in range(batch)]
    q = embed([QUERY_PREFIX + p["query"] for p in b], QUERY_TOKENS)
    d = embed([p["positive"] for p in b] + [p["negative"] for p in b], passage_tokens)
    loss = F.cross_entropy(q @ d.T / 0.02, torch.arange(len(b)))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    losses.append(loss.item())
    if step % 10 == 0 or step == steps - 1:
        print(f"step {step} loss {sum(losses[-10:]) / len(losses[-10:]):.3f} {time.time() - started:.0f} s", flush=True)
torch.save(model.state_dict(), out)
