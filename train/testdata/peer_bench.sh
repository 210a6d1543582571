#!/bin/sh
# Side-by-side training-step benchmark: aerofill's BenchmarkTrainStep and
# PyTorch (torch_train_bench.py) alternating for ROUNDS rounds, so both see
# the same machine load. Run from the repository root:
#
#	NGF=64 BLOCKS=9 SIZE=256 BATCH=4 ROUNDS=3 sh train/testdata/peer_bench.sh
set -e
NGF=${NGF:-64}; BLOCKS=${BLOCKS:-9}; SIZE=${SIZE:-256}; BATCH=${BATCH:-4}; ROUNDS=${ROUNDS:-3}; RUNS=${RUNS:-3}
bin=$(mktemp -d)/train.test
go test -c -o "$bin" ./train/
for r in $(seq "$ROUNDS"); do
	echo "round $r: $(uptime | sed 's/.*load/load/')"
	(cd "$(dirname "$bin")" && "$bin" -test.run XXX -test.bench TrainStep -test.benchtime "${RUNS}x" \
		-train.ngf "$NGF" -train.blocks "$BLOCKS" -train.size "$SIZE" -train.batch "$BATCH") | grep ms/step
	/usr/bin/python3 train/testdata/torch_train_bench.py --ngf "$NGF" --blocks "$BLOCKS" --size "$SIZE" --batch "$BATCH" --runs "$RUNS" | tail -1
done
