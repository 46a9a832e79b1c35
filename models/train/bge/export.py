"""A fine-tuned state dict -> ONNX (last_hidden_state) -> int8 by dynamic quantisation, as a
transformers.js model directory with the installed model's tokenizer and settings under its own
model id: the given name and the quantised weights' hash, because stores and the eval's embedding
cache key vectors by model id, and another run under the same name must not reuse them.
Per tensor: the untuned weights exported and quantised this way score dense nDCG@10 dev / dev2 /
auto 0.702 / 0.671 / 0.301 on the reduced eval haystack (the shipped int8 artifact: 0.710 / 0.703 /
0.311); per channel, as that artifact's zero points are, only 0.604 / 0.571 / 0.259.

Usage: python3 export.py <state.pt> <out dir> <model name>"""
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch
from onnxruntime.quantization import QuantType, quantize_dynamic

from bge_model import INSTALLED, bert

state, out, model_name = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
model = bert()
model.load_state_dict(torch.load(state))
model.eval()
weights = out / "onnx" / "model_quantized.onnx"
weights.parent.mkdir(parents=True, exist_ok=True)
for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
    shutil.copy(INSTALLED / name, out / name)


class LastHiddenState(torch.nn.Module):
    def __init__(self, bert_model: torch.nn.Module):
        super().__init__()
        self.bert = bert_model

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state


names = ["input_ids", "attention_mask", "token_type_ids"]
ids = torch.ones(2, 8, dtype=torch.long)
with tempfile.TemporaryDirectory() as tmp:
    fp32 = str(Path(tmp) / "model.onnx")
    torch.onnx.export(LastHiddenState(model), (ids, ids, torch.zeros_like(ids)), fp32, input_names=names, output_names=["last_hidden_state"],
                      dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}, opset_version=14, dynamo=False)
    quantize_dynamic(fp32, str(weights), weight_type=QuantType.QInt8)
settings = json.loads((INSTALLED / "fazhi.json").read_text(encoding="utf-8"))
model_id = f"{model_name}@{hashlib.sha256(weights.read_bytes()).hexdigest()[:12]}"
settings.update(modelId=model_id, source="BAAI/bge-small-zh-v1.5 (MIT licence), fp32 ONNX as packaged by langchain4j (Apache-2.0), "
                "fine-tuned and quantised to int8 by models/train/bge/finetune.sh")
settings.pop("artifact", None)
(out / "fazhi.json").write_text(json.dumps(settings, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
print(f"wrote {out} ({model_id})")
