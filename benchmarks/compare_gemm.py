#!/usr/bin/env python3
"""Runs `feedforward-bench gemm --json` and `gemm_numpy.py --json` one after the other and prints a
side-by-side SGEMM table (GFLOP/s) with the ratios Feedforward / NumPy at 1 and 2 threads.

Usage (from the package root, after `swift build -c release --product feedforward-bench`):
    python3 benchmarks/compare_gemm.py [--bench PATH] [--rounds N] [--json]

With --rounds N both benchmarks run N times, alternating, and each figure is the median over rounds
(fairer when other work shares the machine).

Both processes run without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which slow OpenBLAS on some machines.
"""
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd):
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    args = sys.argv[1:]
    bench = os.path.join(HERE, "..", ".build", "release", "feedforward-bench")
    if "--bench" in args:
        bench = args[args.index("--bench") + 1]
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 1
    ffs, nps = [], []
    for _ in range(rounds):
        ffs.append(run_json([bench, "gemm", "--json"]))
        nps.append(run_json([sys.executable, os.path.join(HERE, "gemm_numpy.py"), "--json"]))
    ff, np_ = ffs[0], nps[0]
    for t in np_["threads"]:
        for s in np_["threads"][t]:
            np_["threads"][t][s] = statistics.median(r["threads"][t][s] for r in nps)
    for be in ff["results"]:
        for t in ff["results"][be]:
            for s in ff["results"][be][t]:
                ff["results"][be][t][s] = statistics.median(r["results"][be][t][s] for r in ffs)
    shapes = list(np_["threads"]["1"].keys())
    rows = []
    for t in ("1", "2"):
        for s in shapes:
            n = np_["threads"][t][s]
            row = {"threads": int(t), "shape": s, "numpy": n}
            for be in ("blas", "builtin", "auto"):
                v = ff["results"].get(be, {}).get(t, {}).get(s)
                row[be] = v
                row[be + "/numpy"] = v / n if v else None
            rows.append(row)
    if "--json" in args:
        print(json.dumps({"feedforward_blas": ff["library"], "numpy": np_["library"], "rows": rows}))
        return
    print(f"Feedforward BLAS: {ff['library']}   NumPy: {np_['library']}   (SGEMM GFLOP/s, medians)")
    head = f"{'thr':>3} {'shape':28s} {'numpy':>7} {'ff-blas':>8} {'ratio':>6} {'builtin':>8} {'ratio':>6} {'auto':>7} {'ratio':>6}"
    print(head)
    for r in rows:
        print(f"{r['threads']:>3} {r['shape']:28s} {r['numpy']:7.1f} {r['blas']:8.1f} {r['blas/numpy']:6.2f} "
              f"{r['builtin']:8.1f} {r['builtin/numpy']:6.2f} {r['auto']:7.1f} {r['auto/numpy']:6.2f}")
    b1 = ff["results"]["builtin"]["1"]["square 512"]
    o1 = ff["results"]["blas"]["1"]["square 512"]
    print(f"built-in / run-time BLAS, 1 thread, 512^3: {b1:.1f} / {o1:.1f} = {b1 / o1:.2f}")


if __name__ == "__main__":
    main()
