#!/usr/bin/env bash
# Data-parallel training under Open MPI, end to end on the built `feedforward` binary:
#   - 2 and 3 ranks end with bit-identical parameters on every rank (the CLI checks and says so) that
#     equal single-process training with the same global batch to rounding, on a data set whose last
#     batch holds one example (so some ranks have none);
#   - a distributed run resumed from its checkpoint ends bit for bit where an uninterrupted one does;
#   - an error on one rank, or a killed rank, ends the job with a non-zero status within seconds;
#   - with the MPI library hidden, training works and --distributed fails with a clear message.
# Usage: scripts/mpi_tests.sh [path/to/feedforward]   (default: .build/debug/feedforward)
set -euo pipefail
cd "$(dirname "$0")/.."
binary="$(realpath "${1:-.build/debug/feedforward}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

hidden_mpi() {
    FEEDFORWARD_MPI=/nonexistent/libmpi.so "$binary" "$@"
}
# MPI hidden: plain training works, --distributed explains what is missing.
if hidden_mpi train --dataset xor --hidden 2 --epochs 2 --batch-size 4 >"$work/plain.out" 2>&1; then
    pass "training without MPI"
else
    fail "training without MPI: $(cat "$work/plain.out")"
fi
if hidden_mpi train --dataset xor --hidden 2 --epochs 2 --batch-size 4 --distributed >"$work/hidden.out" 2>&1; then
    fail "--distributed with MPI hidden succeeded"
elif grep -q "distributed training needs Open MPI: no Open MPI library found (tried /nonexistent/libmpi.so)" "$work/hidden.out"; then
    pass "--distributed with MPI hidden: $(tail -n 1 "$work/hidden.out")"
else
    fail "--distributed with MPI hidden: unclear message: $(cat "$work/hidden.out")"
fi

if ! command -v mpirun >/dev/null 2>&1; then
    echo "mpirun not found: skipping the multi-rank tests (install openmpi-bin)"
    exit $((failures > 0))
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpi() { timeout 120 mpirun -np "$@"; }

# 101 examples of 5 features and 3 classes: 81 train after the 80/20 test split, so batches of 16
# leave a last batch of one example (no share for rank 0, nor rank 1 of 3).
python3 - "$work/data.csv" <<'PY'
import random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    f.write("a,b,c,d,e,label\n")
    for i in range(101):
        x = [random.gauss(0, 1) for _ in range(5)]
        label = 0 if x[0] + x[1] < -0.5 else (1 if x[2] - x[3] < 0.3 else 2)
        f.write(",".join(f"{v:.6f}" for v in x) + f",{label}\n")
PY
data=(--dataset "csv:$work/data.csv" --threads 1)
train=(train "${data[@]}" --hidden 8,8 --optimizer momentum --learning-rate 0.05 --batch-size 16 --seed 3)
# A resumed run takes its network and training settings from the checkpoint (giving them is refused).
resume=(train "${data[@]}")

# Compares the tensors of two checkpoints: "exact" (bit for bit) or "close" (to rounding, but
# after the parameters moved: not trivially equal to the start).
compare() {
    python3 - "$@" <<'PY'
import json, struct, sys
import numpy as np
def read(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    return {k: np.frombuffer(body[v["data_offsets"][0]:v["data_offsets"][1]], dtype=np.float32)
            for k, v in header.items()}
mode, a, b = sys.argv[1], read(sys.argv[2]), read(sys.argv[3])
names = sorted(k for k in a if mode == "exact" or k.startswith("model."))
assert names and set(names) <= set(b), f"tensor names differ: {sorted(a)} vs {sorted(b)}"
if mode == "exact":
    bad = [k for k in names if a[k].tobytes() != b[k].tobytes()]
    assert not bad, f"tensors differ: {bad}"
    print(f"{len(names)} tensors bit-identical")
else:
    worst = max(float(np.max(np.abs(a[k] - b[k]) / (1e-3 + np.abs(b[k])))) for k in names)
    assert worst < 1e-4, f"largest relative difference {worst}"
    print(f"{len(names)} parameter tensors equal to rounding (largest relative difference {worst:.2e})")
PY
}

"$binary" "${train[@]}" --epochs 4 --save "$work/single.ckpt" >"$work/single.out" 2>&1 || fail "single-process run: $(cat "$work/single.out")"
grep -q ": 81 training," "$work/single.out" || fail "the data set does not hold 81 training examples: $(cat "$work/single.out")"
for ranks in 2 3; do
    if mpi "$ranks" "$binary" "${train[@]}" --epochs 4 --save "$work/ranks$ranks.ckpt" >"$work/ranks$ranks.out" 2>&1 \
        && grep -q "distributed: $ranks ranks, parameters identical on all" "$work/ranks$ranks.out"; then
        if result=$(compare close "$work/ranks$ranks.ckpt" "$work/single.ckpt" 2>&1); then
            pass "$ranks ranks (last batch of one example): identical on every rank; against one process: $result"
        else
            fail "$ranks ranks against one process: $result"
        fi
    else
        fail "$ranks ranks: $(cat "$work/ranks$ranks.out")"
    fi
done

# Resume: 2 epochs, then 2 more from the checkpoint, against the uninterrupted 4 epochs of 2 ranks.
if mpi 2 "$binary" "${train[@]}" --epochs 2 --save "$work/resumed.ckpt" >"$work/first.out" 2>&1 \
    && mpi 2 "$binary" "${resume[@]}" --resume "$work/resumed.ckpt" --epochs 4 --save "$work/resumed.ckpt" >"$work/second.out" 2>&1; then
    if result=$(compare exact "$work/resumed.ckpt" "$work/ranks2.ckpt" 2>&1); then
        pass "resumed 2-rank run ends where the uninterrupted one does: $result"
    else
        fail "resumed 2-rank run: $result"
    fi
else
    fail "resumed 2-rank run: $(cat "$work/first.out" "$work/second.out")"
fi

# An error on rank 1 only (its data file is missing) ends the job, and names the rank.
start=$SECONDS
if mpi 1 "$binary" "${train[@]}" --epochs 50 : -np 1 "$binary" "${train[@]/csv:$work\/data.csv/csv:$work/missing.csv}" --epochs 50 >"$work/error.out" 2>&1; then
    fail "a rank without its data: the job succeeded"
elif grep -q "error on rank 1 of 2: .*missing.csv" "$work/error.out" && ((SECONDS - start < 30)); then
    pass "an error on rank 1 aborts the job in $((SECONDS - start)) s: $(grep -m1 "error on rank 1" "$work/error.out")"
else
    fail "an error on rank 1: $(cat "$work/error.out")"
fi

# Other data on one rank is caught before training.
sed '2s/^[^,]*/9.5/' "$work/data.csv" >"$work/other.csv"
if mpi 1 "$binary" "${train[@]}" : -np 1 "$binary" "${train[@]/csv:$work\/data.csv/csv:$work/other.csv}" >"$work/other.out" 2>&1; then
    fail "ranks with different data: the job succeeded"
elif grep -q "loaded other training data than rank 0" "$work/other.out"; then
    pass "ranks with different data: $(grep -m1 "loaded other" "$work/other.out")"
else
    fail "ranks with different data: $(cat "$work/other.out")"
fi

# A killed rank ends the job with a non-zero status within seconds.
mpirun -np 2 "$binary" "${train[@]}" --epochs 100000 >"$work/killed.out" 2>&1 &
launcher=$!
sleep 3
victim=$(pgrep -P "$launcher" -f feedforward | tail -n 1 || true)
if [[ -z "$victim" ]]; then
    kill "$launcher" 2>/dev/null || true
    fail "killed rank: no rank process found under mpirun $launcher"
else
    kill -9 "$victim"
    killed_at=$SECONDS
    status=0
    for _ in $(seq 100); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$launcher" 2>/dev/null; then
        kill "$launcher"; wait "$launcher" || true
        fail "killed rank: mpirun still running 10 s after the kill"
    else
        wait "$launcher" || status=$?
        if ((status != 0)); then
            pass "killed rank $victim: mpirun exited with status $status within $((SECONDS - killed_at)) s"
        else
            fail "killed rank: mpirun exited with status 0"
        fi
    fi
fi

echo "== $failures failure(s)"
exit $((failures > 0))
