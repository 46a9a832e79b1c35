#!/usr/bin/env bash
# Regenerates models/fazhi-mini-zh from public corpora, fully offline.
# Usage: bash models/train/train.sh [CORPORA_DIR] [WORK_DIR] [OUT_DIR]
#   CORPORA_DIR defaults to ../shared/corpora (LawRefBook + report jsonl files)
#   WORK_DIR    defaults to .tmp/fazhi-train (intermediate files, not committed)
#   OUT_DIR     defaults to models/fazhi-mini-zh (the committed model)
# Deterministic: single-threaded fastText with a fixed seed, fixed torch seeds.
set -euo pipefail
cd "$(dirname "$0")/../.."
CORPORA="${1:-../shared/corpora}"
WORK="${2:-.tmp/fazhi-train}"
OUT="${3:-models/fazhi-mini-zh}"
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
mkdir -p "$WORK"
T=models/train

$PY $T/prepare.py --corpora "$CORPORA" --corpus corpus --work "$WORK"
fasttext skipgram -input "$WORK/fasttext.txt" -output "$WORK/fasttext" \
  -dim 128 -minCount 3 -minn 1 -maxn 3 -bucket 200000 -epoch 5 -ws 5 -neg 5 \
  -thread 1 -seed 0 -verbose 1
$PY $T/vocab.py --work "$WORK"
$PY $T/train.py --work "$WORK" --out "$OUT"
