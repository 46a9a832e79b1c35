"""The fazhi-mini-zh network and its ONNX export.

Output = gated transformer over static word vectors, scaled by a learnable
per-token weight. With the gates at zero and the weights at one, the output
is exactly the embedding table rows, so transformers.js mean pooling yields
the plain average of fastText vectors ("step 0")."""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class GatedBlock(nn.Module):
    def __init__(self, dim: int, heads: int, ff: int):
        super().__init__()
        self.heads = heads
        self.scale = 1.0 / math.sqrt(dim // heads)
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.ff1 = nn.Linear(dim, ff)
        self.ff2 = nn.Linear(ff, dim)
        # Zero gates: the block is an exact identity until training opens them.
        self.gate_attn = nn.Parameter(torch.zeros(dim))
        self.gate_ff = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor, mask_bias: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        dh = d // self.heads
        qkv = self.qkv(self.ln1(x)).reshape(b, t, 3, self.heads, dh).permute(2, 0, 3, 1, 4)
        # Scaling q rather than the scores: same function, (t/dh)× fewer multiplications.
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        att = torch.softmax(q @ k.transpose(-1, -2) + mask_bias, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.gate_attn * self.proj(y)
        return x + self.gate_ff * self.ff2(F.gelu(self.ff1(self.ln2(x))))


class FazhiEncoder(nn.Module):
    def __init__(self, vectors: torch.Tensor, layers: int, heads: int, ff: int,
                 log_weight: torch.Tensor | None = None, proj: bool = False, window: int = 0):
        super().__init__()
        # Attention span in tokens each side (0 = the whole text). A local window gives a word
        # the same context in a short query as in a long passage.
        self.window = window
        vocab, dim = vectors.shape
        self.emb = nn.Embedding(vocab, dim, padding_idx=0)
        self.emb.weight.data.copy_(vectors)
        # log of the per-token pooling weight; 0 = uniform mean.
        self.log_weight = nn.Embedding(vocab, 1)
        nn.init.zeros_(self.log_weight.weight)
        if log_weight is not None:
            self.log_weight.weight.data.copy_(log_weight.reshape(vocab, 1))
        # Present so the graph has BERT's three inputs; always zero, never trained.
        self.register_buffer("type_emb", torch.zeros(2, dim))
        self.blocks = nn.ModuleList(GatedBlock(dim, heads, ff) for _ in range(layers))
        # Optional linear map of the word vectors (identity at init). It acts on each row,
        # so after training it is folded into the table: no cost at inference.
        self.proj = nn.Linear(dim, dim, bias=False) if proj else None
        if self.proj is not None:
            self.proj.weight.data.copy_(torch.eye(dim))

    def folded(self) -> "FazhiEncoder":
        """The same function with proj folded into the embedding table, the table
        rounded to the float16 that ships."""
        table = self.emb.weight.detach()
        if self.proj is not None:
            table = table @ self.proj.weight.detach().T
        table = table.half().float()
        out = FazhiEncoder(table, len(self.blocks), self.blocks[0].heads if self.blocks else 4,
                           self.blocks[0].ff1.out_features if self.blocks else 2 * table.shape[1],
                           self.log_weight.weight.detach().clone(), window=self.window)
        out.blocks.load_state_dict(self.blocks.state_dict())
        return out

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        x = self.emb(input_ids)
        if self.proj is not None:
            x = self.proj(x)
        x = x + F.embedding(token_type_ids, self.type_emb)
        mask_bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        if self.window and self.blocks:
            pos = torch.arange(input_ids.shape[1], device=x.device)
            far = (pos[None, :] - pos[:, None]).abs() > self.window
            mask_bias = mask_bias + far.to(x.dtype) * -10000.0
        for block in self.blocks:
            x = block(x, mask_bias)
        # Zeroing padding also keeps attention_mask a graph input when there are no blocks.
        keep = attention_mask.unsqueeze(-1).to(x.dtype)
        return x * torch.exp(self.log_weight(input_ids)) * keep


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """transformers.js mean pooling followed by L2 normalisation."""
    m = attention_mask.unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
    return F.normalize(mean, dim=-1)


def export_onnx(model: FazhiEncoder, path: str) -> None:
    """Exports with dynamic batch/sequence axes, then stores the embedding
    table as float16 behind a Cast: halves the committed size, and fp16
    keeps ~3 significant digits, far below what retrieval can notice."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model.eval()
    ids = torch.tensor([[5, 6, 7]], dtype=torch.long)
    mask = torch.ones_like(ids)
    types = torch.zeros_like(ids)
    torch.onnx.export(
        model, (ids, mask, types), path, opset_version=14,
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={n: {0: "batch", 1: "sequence"} for n in
                      ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
        do_constant_folding=True,
    )
    m = onnx.load(path)
    vocab, dim = model.emb.weight.shape
    inits = {i.name: i for i in m.graph.initializer}
    table = next(n for n, i in inits.items() if list(i.dims) == [vocab, dim])
    arr = numpy_helper.to_array(inits[table]).astype("float16")
    inits[table].CopyFrom(numpy_helper.from_array(arr, table))
    nodes = list(m.graph.node)
    for idx, node in enumerate(nodes):
        if node.op_type == "Gather" and node.input[0] == table:
            half_out = node.output[0] + "_fp16"
            cast = helper.make_node("Cast", [half_out], [node.output[0]], to=TensorProto.FLOAT,
                                    name=node.name + "_to_fp32")
            node.output[0] = half_out
            nodes.insert(idx + 1, cast)
            break
    else:
        raise RuntimeError("embedding Gather not found in exported graph")
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    onnx.checker.check_model(m)
    onnx.save(m, path)
