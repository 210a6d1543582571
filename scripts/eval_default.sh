#!/usr/bin/env bash
# Measures a model (default: the embedded default model) against the
# classical fillers on imagery it was not trained on, as MODEL_CARD.md and
# BENCHMARKS.md report it:
#   1. the chips training held out (every 10th of each source: train
#      --val-every 10), line and stroke damage, TTA 1 and 8;
#   2. "unseen": 256² windows of two scenes from sources absent from the
#      training chips (the NAIP scene, 5 m, and RGB.byte.tif, a 300 m
#      Landsat composite), cut with GDAL;
#   3. TTA 1/2/4/8 on the held-out chips with line damage (PSNR and time).
# Usage: scripts/eval_default.sh [OUTDIR] [MODEL]   (needs gdal_translate)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${AEROFILL_SHARED:-$(cd .. && pwd)/shared}"
OUT="${1:-eval-default}"
MODEL="${2:-default}"
THREADS="${THREADS:-2}"
mkdir -p "$OUT/unseen-chips"
go build -o "$OUT/aerofill" ./cmd/aerofill
AF="$OUT/aerofill"

# The unseen chips: a 3×3 grid over the NAIP scene (RGB bands), three
# windows inside RGB.byte.tif's valid area.
naip="$SHARED/data/aerial/naip/m_4709963_se_14_1_20200831.tif"
i=0
for y in 0 233 467; do for x in 0 339 678; do
  i=$((i+1)); gdal_translate -q -of PNG -b 1 -b 2 -b 3 -srcwin $x $y 256 256 "$naip" "$OUT/unseen-chips/naip_$(printf %04d $i).png"
done; done
for xy in "250 250" "400 300" "300 420"; do
  set -- $xy; i=$((i+1))
  gdal_translate -q -of PNG -srcwin "$1" "$2" 256 256 "$SHARED/data/aerial/scenes/RGB.byte.tif" "$OUT/unseen-chips/landsatbyte_$(printf %04d $i).png"
done
rm -f "$OUT"/unseen-chips/*.aux.xml

"$AF" eval --methods "$MODEL,idw,telea,ns" --images "$SHARED/data/aerial/chips" --holdout 10 \
  --families lines,strokes --tta 1,8 --threads "$THREADS" --out "$OUT/holdout" | tee "$OUT/holdout.md"
"$AF" eval --methods "$MODEL,idw,telea,ns" --images "$OUT/unseen-chips" \
  --families lines,strokes --tta 1,8 --threads "$THREADS" --out "$OUT/unseen" | tee "$OUT/unseen.md"
"$AF" eval --methods "$MODEL,idw" --images "$SHARED/data/aerial/chips" --holdout 10 \
  --families lines --tta 1,2,4,8 --workers 1 --threads "$THREADS" --out "$OUT/tta" | tee "$OUT/tta.md"
