#!/usr/bin/env python3
"""NumPy float32 matmul GFLOP/s for the shapes of `feedforward-bench gemm`, at 1 and 2 threads.

Usage: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 benchmarks/gemm_numpy.py [--json] [--threads 1,2]
       (`--serve` answers one shape at a time on stdin, for compare_gemm.py)

The BLAS thread count is fixed per process: with threadpoolctl installed it is set in-process,
otherwise each thread count runs in a child process started with OPENBLAS_NUM_THREADS (and the
OMP/MKL equivalents) set before NumPy is imported. Each figure is the median of several samples,
each sample at least ~50 ms of back-to-back calls into a preallocated output.
"""
import json
import os
import statistics
import subprocess
import sys
import time

# name, M, K, N, transpose A, transpose B: C (M x N) = op(A) (M x K) . op(B) (K x N).
# The names match `feedforward-bench gemm`.
SHAPES = [
    ("square 256", 256, 256, 256, False, False),
    ("square 512", 512, 512, 512, False, False),
    ("square 1024", 1024, 1024, 1024, False, False),
    ("fwd 128x784.784x256", 128, 784, 256, False, False),
    ("fwd 128x256.256x256", 128, 256, 256, False, False),
    ("fwd 128x256.256x10", 128, 256, 10, False, False),
    ("dW XT.dY 784x128.128x256", 784, 128, 256, True, False),
    ("dX dY.WT 128x256.256x784", 128, 256, 784, False, True),
    ("dW XT.dY 256x128.128x256", 256, 128, 256, True, False),
    ("dX dY.WT 128x256.256x256", 128, 256, 256, False, True),
    ("dW XT.dY 256x128.128x10", 256, 128, 10, True, False),
    ("dX dY.WT 128x10.10x256", 128, 10, 256, False, True),
]
SAMPLES = 9
SAMPLE_SECONDS = 0.05


def shape_rate(shape, samples=SAMPLES):
    """GFLOP/s of one entry of SHAPES: the median of `samples` samples into a preallocated output."""
    import numpy as np

    name, m, k, n, ta, tb = shape
    rng = np.random.default_rng(0)
    a_store = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b_store = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    a = a_store.T if ta else a_store
    b = b_store.T if tb else b_store
    c = np.empty((m, n), np.float32)
    flops = 2.0 * m * n * k
    for _ in range(3):
        np.matmul(a, b, out=c)
    t0 = time.perf_counter()
    np.matmul(a, b, out=c)
    dt = max(time.perf_counter() - t0, 1e-7)
    reps = max(1, int(SAMPLE_SECONDS / dt))
    rates = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        rates.append(flops * reps / (time.perf_counter() - t0) / 1e9)
    return statistics.median(rates)


def measure(threads):
    return {shape[0]: shape_rate(shape) for shape in SHAPES}


def serve():
    """Answers each stdin line `SHAPE_INDEX [SAMPLES]` with one line of GFLOP/s (median of SAMPLES samples,
    default 9), at the thread count the process was started with (compare_gemm.py interleaves these with
    Feedforward's)."""
    for line in sys.stdin:
        fields = [int(f) for f in line.split()]
        samples = fields[1] if len(fields) > 1 else SAMPLES
        print(f"{shape_rate(SHAPES[fields[0]], samples):.3f}", flush=True)


def child_environment(threads):
    """The environment of a child process whose BLAS uses `threads` threads."""
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    # These make NumPy's bundled OpenBLAS pick a slower kernel on some machines.
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


def child_main(threads):
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        with threadpool_limits(limits=threads, user_api="blas"):
            res = measure(threads)
    else:
        res = measure(threads)
    print(json.dumps(res))


def main():
    args = sys.argv[1:]
    if "--child" in args:
        child_main(int(args[args.index("--child") + 1]))
        return
    if "--serve" in args:
        serve()
        return
    as_json = "--json" in args
    threads = [1, 2]
    if "--threads" in args:
        threads = [int(t) for t in args[args.index("--threads") + 1].split(",")]
    results = {}
    for t in threads:
        proc = subprocess.run([sys.executable, __file__, "--child", str(t)], env=child_environment(t),
                              capture_output=True, text=True, check=True)
        results[str(t)] = json.loads(proc.stdout.strip().splitlines()[-1])
    import numpy as np

    if as_json:
        print(json.dumps({"library": "numpy " + np.__version__, "unit": "GFLOP/s", "threads": results}))
        return
    print(f"NumPy {np.__version__} float32 matmul, GFLOP/s (median of {SAMPLES})")
    header = f"{'shape':28s}" + "".join(f"{str(t) + ' thr':>10s}" for t in threads)
    print(header)
    for name, *_ in SHAPES:
        print(f"{name:28s}" + "".join(f"{results[str(t)][name]:10.1f}" for t in threads))


if __name__ == "__main__":
    main()
