"""bge-small-zh-v1.5's fp32 ONNX -> a PyTorch BertModel state dict, checked against onnxruntime.

Usage: python3 convert.py <model.onnx> <out.pt>"""
import sys

import numpy as np
import onnx
import onnx.numpy_helper as nh
import onnxruntime as ort
import torch

from bge_model import QUERY_PREFIX, bert, tokenizer

src, out = sys.argv[1], sys.argv[2]
graph = onnx.load(src).graph
inits = {i.name: nh.to_array(i) for i in graph.initializer}
model = bert()
state = {k: torch.tensor(v) for k, v in inits.items() if not k.startswith("onnx::")}
# The export kept the named tensors (embeddings, biases, LayerNorms) but left each layer's six
# weight matrices as anonymous MatMul inputs, in graph order and transposed.
matmuls = [n.input[1] for n in graph.node if n.op_type == "MatMul" and n.input[1] in inits]
names = ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense"]
if len(matmuls) != len(names) * model.config.num_hidden_layers:
    sys.exit(f"{src}: {len(matmuls)} weight matrices, expected {len(names) * model.config.num_hidden_layers}")
for i, name in enumerate(matmuls):
    layer, j = divmod(i, len(names))
    state[f"encoder.layer.{layer}.{names[j]}.weight"] = torch.tensor(inits[name]).T.contiguous()
model.load_state_dict(state, strict=True)
model.eval()
enc = tokenizer()([QUERY_PREFIX + "领导干部述法", "推行“双随机、一公开”监管，全面提升执法规范化水平。"], padding=True, return_tensors="np")
feeds = {"input_ids": enc["input_ids"].astype(np.int64), "attention_mask": enc["attention_mask"].astype(np.int64),
         "token_type_ids": np.zeros_like(enc["input_ids"], dtype=np.int64)}
expected = ort.InferenceSession(src).run(None, feeds)[0][:, 0]
with torch.no_grad():
    got = model(**{k: torch.tensor(v) for k, v in feeds.items()}).last_hidden_state[:, 0].numpy()
diff = float(np.abs(expected - got).max())
if diff > 1e-4:
    sys.exit(f"{src}: converted model's CLS differs from onnxruntime's by {diff}")
torch.save(model.state_dict(), out)
print(f"converted {src} -> {out} (CLS within {diff:.1e} of onnxruntime)")
