#!/usr/bin/env bash
# Does fine-tuning on one data source help on that source? From one base
# model, trains STEPS more steps two ways — on the chips of SOURCE only, and
# (the control) on all chips with the same recipe — and scores the base and
# both results on SOURCE's held-out chips (every 10th, the split train
# --val-every 10 makes, so neither run saw them) with line and stroke damage.
# Usage: [LR=5e-5] [DROP_STEP=0 LR_AFTER=1e-5] scripts/finetune_source.sh BASE.safetensors [SOURCE] [STEPS] [OUTDIR]
# DROP_STEP > 0 switches to LR_AFTER at that step (the winner's two stages).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${AEROFILL_SHARED:-$(cd .. && pwd)/shared}"
BASE="$(realpath "$1")"; SOURCE="${2:-neon}"; STEPS="${3:-200}"; OUT="${4:-finetune-$SOURCE}"
mkdir -p "$OUT/$SOURCE-chips"
ln -sf "$SHARED"/data/aerial/chips/"$SOURCE"_*.png "$OUT/$SOURCE-chips/"
go build -o "$OUT/aerofill" ./cmd/aerofill
recipe=(--crop 128 --batch 8 --scale-min 0.6 --scale-max 1.6 --rotate --masks lines:0.6,strokes:0.4
        --lr "${LR:-5e-5}" --lr-drop-step "${DROP_STEP:-0}" --lr-after "${LR_AFTER:-1e-5}" --steps "$STEPS" --validate-every "$STEPS" --checkpoint-every 100 --threads 1)
rm -rf "$OUT/ft-$SOURCE" "$OUT/ft-all"
"$OUT/aerofill" train --init "$BASE" --out "$OUT/ft-$SOURCE" "${recipe[@]}" "$OUT/$SOURCE-chips" > "$OUT/ft-$SOURCE.log" 2>&1 &
"$OUT/aerofill" train --init "$BASE" --out "$OUT/ft-all" "${recipe[@]}" "$SHARED/data/aerial/chips" > "$OUT/ft-all.log" 2>&1 &
wait
cp "$BASE" "$OUT/base.safetensors"
cp "$OUT/ft-$SOURCE/model.safetensors" "$OUT/finetuned-$SOURCE.safetensors"
cp "$OUT/ft-all/model.safetensors" "$OUT/continued-all.safetensors"
"$OUT/aerofill" eval --methods "$OUT/base.safetensors,$OUT/finetuned-$SOURCE.safetensors,$OUT/continued-all.safetensors,idw" \
  --images "$OUT/$SOURCE-chips" --holdout 10 --families lines,strokes --masks-per-image 3 --out "$OUT/eval" | tee "$OUT/eval.md"
