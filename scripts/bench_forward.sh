#!/usr/bin/env bash
# Side-by-side forward-pass benchmark: aerofill vs PyTorch (Debian's
# python3-torch) on the full LaMa-Fourier shape (ngf 64, 3 downsamplings,
# 9 blocks), random weights, batch 1, 2 threads. The two alternate, REPEATS
# rounds each, so machine noise hits both alike; we report medians and the
# ratio. Usage: scripts/bench_forward.sh [SIZE...]   (default: 256 512)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${AEROFILL_SHARED:-$(cd .. && pwd)/shared}"
REPEATS="${REPEATS:-3}"
THREADS="${THREADS:-2}"
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(256 512)
go build -o /tmp/aerofill-bench ./cmd/aerofill
for s in "${sizes[@]}"; do
  af=(); pt=(); afm=(); ptm=()
  for r in $(seq "$REPEATS"); do
    line=$(/tmp/aerofill-bench bench --config lama-fourier --size "$s" --threads "$THREADS" --runs 5 | tail -1)
    af+=("$(sed -E 's/.*forward_ms_median=([0-9.]+).*/\1/' <<<"$line")"); afm+=("$(sed -E 's/.*peak_rss_mb=([0-9.]+).*/\1/' <<<"$line")")
    line=$(/usr/bin/python3 "$SHARED/tools/torch_lama.py" bench --size "$s" --threads "$THREADS" --runs 5 | tail -1)
    pt+=("$(sed -E 's/.*forward_ms_median=([0-9.]+).*/\1/' <<<"$line")"); ptm+=("$(sed -E 's/.*peak_rss_mb=([0-9.]+).*/\1/' <<<"$line")")
  done
  /usr/bin/python3 - "$s" "${af[*]}" "${pt[*]}" "${afm[*]}" "${ptm[*]}" "$THREADS" <<'PY'
import statistics as st, sys
s = sys.argv[1]; af, pt, afm, ptm = ([float(v) for v in a.split()] for a in sys.argv[2:6]); th = int(sys.argv[6])
# This machine kind measured 117 GFLOP/s of fp32 FMA per core (gemm/NOTES.md).
ceil = 117 * th
gflop = {256: 63.7, 512: 254.6}.get(int(s))
ma, mp = st.median(af), st.median(pt)
print(f"size {s}: aerofill {ma:.0f} ms (runs {af}), PyTorch {mp:.0f} ms (runs {pt}), ratio {ma/mp:.2f}")
if gflop: print(f"  aerofill {gflop/(ma/1000):.0f} GFLOP/s = {100*gflop/(ma/1000)/ceil:.0f}% of the {ceil} GFLOP/s {th}-thread ceiling; PyTorch {gflop/(mp/1000):.0f} GFLOP/s")
print(f"  peak RSS: aerofill {max(afm):.0f} MB, PyTorch {max(ptm):.0f} MB")
PY
done
