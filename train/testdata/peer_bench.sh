#!/bin/sh
# Side-by-side training-step benchmark: `aerofill bench --train` and PyTorch
# (torch_train_bench.py, the same architecture, masked MSE and Adam)
# alternating for ROUNDS rounds, so both see the same machine load; each
# reports its median wall and CPU time per step and its peak RSS. Run from
# the repository root:
#
#	NGF=64 DOWN=3 BLOCKS=9 SIZE=256 BATCH=4 ROUNDS=3 RUNS=3 sh train/testdata/peer_bench.sh
set -e
NGF=${NGF:-64}; DOWN=${DOWN:-3}; BLOCKS=${BLOCKS:-9}; SIZE=${SIZE:-256}; BATCH=${BATCH:-4}; ROUNDS=${ROUNDS:-3}; RUNS=${RUNS:-3}; THREADS=${THREADS:-2}
bin=$(mktemp -d)/aerofill
go build -o "$bin" ./cmd/aerofill
for r in $(seq "$ROUNDS"); do
	echo "round $r: $(uptime | sed 's/.*load/load/')"
	"$bin" bench --train --config "ngf=$NGF,down=$DOWN,blocks=$BLOCKS" --size "$SIZE" --batch "$BATCH" \
		--runs "$RUNS" --threads "$THREADS" | grep -E '^step|^peak|^train_step'
	/usr/bin/python3 train/testdata/torch_train_bench.py --ngf "$NGF" --down "$DOWN" --blocks "$BLOCKS" \
		--size "$SIZE" --batch "$BATCH" --runs "$RUNS" --threads "$THREADS"
done
