#!/usr/bin/env python3
"""Side-by-side SGEMM table (GFLOP/s): Feedforward (`feedforward-bench gemm --serve`) against NumPy's
matmul (`gemm_numpy.py --serve`), with the ratios Feedforward / NumPy at 1 and 2 threads.

Usage (from the package root, after `swift build -c release --product feedforward-bench`):
    python3 benchmarks/compare_gemm.py [--bench PATH] [--rounds N] [--json]

The two sides are measured interleaved, sample by sample. A round takes, for each thread count and
shape, one sample (>= 50 ms of back-to-back calls) of NumPy and of each Feedforward backend (automatic
choice, run-time BLAS, built-in kernel), with NumPy next to "auto" and the order reversed every other
round. On these shared machines the speed drifts over seconds (one NumPy process alone: samples 30 ms
apart correlate 0.8, 1 s apart 0.2), so a ratio is taken between samples a fraction of a second apart:
each ratio in the table is the median over rounds (default 9) of the per-round ratios, and each
GFLOP/s figure the median over rounds. The last column, "best", divides the best auto sample of all
rounds by NumPy's best: each side's speed in its least disturbed moment (noise only ever slows a
measurement down).

The processes run without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which slow OpenBLAS on some machines.
Before each two-thread sample, and when the thread count changes, the script sleeps briefly, so that
the idle BLAS worker threads of the process measured before (OpenBLAS's spin with sched_yield for
2^28 clock ticks, 0.11 s here) are asleep when the next one starts; one-thread samples start no workers.
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gemm_numpy  # noqa: E402

BACKENDS = ("blas", "builtin", "auto")
SIDES_NEXT_TO_NUMPY = ("auto", "blas", "builtin")  # auto, the bar's subject, is measured next to NumPy
PAUSE_SECONDS = 0.15


class Server:
    """A benchmark process that answers one request line with one line of GFLOP/s."""

    def __init__(self, cmd, env):
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask_line(self, request):
        self.proc.stdin.write(request + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def ask(self, request, pause):
        if pause:
            time.sleep(PAUSE_SECONDS)
        answer = self.ask_line(request)
        try:
            return float(answer)
        except ValueError:
            sys.exit(f"compare_gemm: request '{request}' got '{answer}'")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def numpy_blas():
    """NumPy's BLAS as threadpoolctl or NumPy's build configuration describes it (name, version, core)."""
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return f"{pool.get('internal_api')} {pool.get('version')}, core {pool.get('architecture')}"
    except ImportError:
        pass
    import numpy
    try:
        blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # older NumPy without mode="dicts"
        return "unknown BLAS"


def main():
    args = sys.argv[1:]
    bench = os.path.join(HERE, "..", ".build", "release", "feedforward-bench")
    if "--bench" in args:
        bench = args[args.index("--bench") + 1]
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 9
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    feedforward = Server([bench, "gemm", "--serve"], env)
    library = feedforward.ask_line("library")
    configuration = feedforward.ask_line("configuration")
    numpy_servers = {t: Server([sys.executable, os.path.join(HERE, "gemm_numpy.py"), "--serve"],
                               gemm_numpy.child_environment(t)) for t in (1, 2)}
    import numpy

    shapes = [s[0] for s in gemm_numpy.SHAPES]
    rates = {}  # (threads, shape index, side) -> [GFLOP/s per round]
    for r in range(rounds):
        for t in (1, 2):
            switched = True
            for i in range(len(shapes)):
                sides = ["numpy", *SIDES_NEXT_TO_NUMPY]
                if (r + i) % 2:
                    sides.reverse()
                for side in sides:
                    pause = t > 1 or switched
                    switched = False
                    if side == "numpy":
                        rate = numpy_servers[t].ask(f"{i} 1", pause)
                    else:
                        rate = feedforward.ask(f"{side} {t} {i} 1", pause)
                    rates.setdefault((t, i, side), []).append(rate)
    feedforward.close()
    for server in numpy_servers.values():
        server.close()

    rows = []
    for t in (1, 2):
        for i, name in enumerate(shapes):
            n = rates[(t, i, "numpy")]
            row = {"threads": t, "shape": name, "numpy": statistics.median(n)}
            for be in BACKENDS:
                v = rates[(t, i, be)]
                row[be] = statistics.median(v)
                row[be + "/numpy"] = statistics.median(a / b for a, b in zip(v, n))
                row[be + "/numpy best"] = max(v) / max(n)
            rows.append(row)
    square = [(r["builtin"], r["blas"]) for r in rows if r["threads"] == 1 and r["shape"] == "square 512"][0]
    builtin_ratio = statistics.median(a / b for a, b in zip(rates[(1, 1, "builtin")], rates[(1, 1, "blas")]))
    if "--json" in args:
        print(json.dumps({"feedforward_blas": library, "feedforward_configuration": configuration,
                          "numpy": "numpy " + numpy.__version__, "numpy_blas": numpy_blas(), "rounds": rounds, "rows": rows,
                          "builtin/blas square 512 1 thread": builtin_ratio}))
        return
    print(f"# Feedforward: {configuration}")
    print(f"# NumPy {numpy.__version__}: {numpy_blas()}")
    print(f"Feedforward BLAS: {library}   NumPy {numpy.__version__}; SGEMM GFLOP/s, medians of {rounds} interleaved rounds; "
          "ratios are medians of per-round ratios")
    print(f"{'thr':>3} {'shape':28s} {'numpy':>7} {'ff-blas':>8} {'ratio':>6} {'builtin':>8} {'ratio':>6} {'auto':>7} {'ratio':>6} {'best':>6}")
    for r in rows:
        print(f"{r['threads']:>3} {r['shape']:28s} {r['numpy']:7.1f} {r['blas']:8.1f} {r['blas/numpy']:6.2f} "
              f"{r['builtin']:8.1f} {r['builtin/numpy']:6.2f} {r['auto']:7.1f} {r['auto/numpy']:6.2f} "
              f"{r['auto/numpy best']:6.2f}")
    print(f"built-in / run-time BLAS, 1 thread, 512^3: {square[0]:.1f} / {square[1]:.1f} GFLOP/s, "
          f"median per-round ratio {builtin_ratio:.2f}")
    for key in ("auto/numpy", "auto/numpy best"):
        lowest = min(rows, key=lambda r: r[key])
        print(f"lowest {key}: {lowest[key]:.2f} ({lowest['threads']} thr, {lowest['shape']})")


if __name__ == "__main__":
    main()
