"""What the fine-tuning scripts share: the repo, the installed model and its architecture."""
import json
from pathlib import Path

from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

REPO = Path(__file__).resolve().parents[3]
INSTALLED = REPO / "models" / "bge-small-zh-v1.5"
QUERY_PREFIX = json.loads((INSTALLED / "fazhi.json").read_text(encoding="utf-8"))["queryPrefix"]


def bert() -> BertModel:
    """bge-small-zh-v1.5's architecture, from the install manifest (CLS pooling: no pooler)."""
    cfg = json.loads((REPO / "models" / "install" / "bge-small-zh-v1.5.json").read_text(encoding="utf-8"))["config"]
    return BertModel(BertConfig(**{k: v for k, v in cfg.items() if k not in ("model_type", "architectures")}), add_pooling_layer=False)


def tokenizer() -> PreTrainedTokenizerFast:
    """The installed tokenizer: the jar's copy does not lowercase (see models/README.md)."""
    return PreTrainedTokenizerFast(tokenizer_file=str(INSTALLED / "tokenizer.json"), pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", unk_token="[UNK]", mask_token="[MASK]")
