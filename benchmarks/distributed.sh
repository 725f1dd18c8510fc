#!/usr/bin/env bash
# Data parallelism on one machine: one process with T threads against T ranks of one thread each
# (mpirun, bound to cores), and one process with one thread for the per-core compute rate, in
# interleaved rounds (the machine's speed drifts). Each run trains the 784-256-256-10 MLP on
# Fashion-MNIST (the installed set, else the bundled subset) with the default options (batch 128,
# SGD momentum) and prints its median samples/s over the epochs and, for the MPI runs, the share of
# the training time rank 0 spent in allreduce (waiting for the other rank included).
# Usage: benchmarks/distributed.sh [rounds=3] [epochs=3] [threads=2]   (after swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3} epochs=${2:-3} threads=${3:-2}
binary=.build/release/feedforward
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bash /work/shared/tools/machine.sh 2>/dev/null || true
report() {
    python3 -c '
import json, sys
r = json.loads(sys.stdin.read().strip().splitlines()[-1])
rate, seconds, allreduce = r["samples_per_second"], r["train_seconds"], r["allreduce_seconds"]
share = allreduce / seconds if seconds else 0
accuracy = r.get("test_accuracy", 0)
print(f"{sys.argv[1]:<28} {rate:>8.0f} samples/s  {seconds:6.2f} s training, allreduce {allreduce:5.2f} s ({100 * share:4.1f}%),"
      f" test accuracy {accuracy:.4f}")
' "$1"
}
for round in $(seq "$rounds"); do
    echo "== round $round (load: $(cut -d" " -f1-3 /proc/loadavg))"
    "$binary" train --epochs "$epochs" --threads "$threads" --json 2>/dev/null | report "1 process, $threads threads"
    mpirun -np "$threads" --bind-to core "$binary" train --epochs "$epochs" --threads 1 --json 2>/dev/null \
        | report "$threads ranks, 1 thread each"
    "$binary" train --epochs "$epochs" --threads 1 --json 2>/dev/null | report "1 process, 1 thread"
done
