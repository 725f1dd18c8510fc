#!/usr/bin/env python3
"""Loads a 100k x 201 CSV (200 float features + an integer label) with Feedforward, pandas and NumPy.

Feedforward is measured twice: as `feedforward train --dataset csv:FILE` loads it (DataSplits.load:
schema fitted, features encoded, 80/20 train/test split; "feedforward load") and through the
column reader alone (CSV.readDataset; "feedforward reader").

Generates the file if it is missing, then runs each loader in its own process, interleaved over
several rounds (the machine is shared: report ranges), and prints load seconds and peak resident
memory (VmHWM of the process, and its Float32 feature bytes). Usage, from the package root:

    swift build -c release --product feedforward-bench
    python3 benchmarks/compare_csv.py [--rows 100000] [--rounds 3] [--file /tmp/ff-bench-100k.csv] [--loadtxt]
"""
import argparse
import json
import os
import subprocess
import sys

PANDAS = r"""
import json, sys, time
def peak():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024
import pandas as pd, numpy as np
before = peak()
t = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
features = frame.iloc[:, :-1].to_numpy(dtype=np.float32)
labels = frame.iloc[:, -1].to_numpy()
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "rows": len(labels), "features": features.shape[1],
                  "peak_rss_mb_before": before, "peak_rss_mb": peak()}))
"""

LOADTXT = r"""
import json, sys, time
def peak():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024
import numpy as np
before = peak()
t = time.perf_counter()
data = np.loadtxt(sys.argv[1], delimiter=',', skiprows=1, dtype=np.float32)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "rows": data.shape[0], "features": data.shape[1] - 1,
                  "peak_rss_mb_before": before, "peak_rss_mb": peak()}))
"""


def generate(path, rows, features, seed=16):
    import numpy as np
    rng = np.random.default_rng(seed)
    header = ",".join([f"x{i}" for i in range(features)] + ["label"])
    with open(path, "w") as f:
        f.write(header + "\n")
        for start in range(0, rows, 10000):
            n = min(10000, rows - start)
            block = rng.standard_normal((n, features)).astype(np.float32)
            labels = rng.integers(0, 10, n)
            lines = [",".join(f"{v:.7f}" for v in row) + f",{label}" for row, label in zip(block, labels)]
            f.write("\n".join(lines) + "\n")


def run(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--features", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--file", default="/tmp/ff-bench-100k.csv")
    parser.add_argument("--bench", default=".build/release/feedforward-bench")
    parser.add_argument("--loadtxt", action="store_true", help="also time numpy.loadtxt (slow)")
    args = parser.parse_args()
    if not os.path.exists(args.file):
        generate(args.file, args.rows, args.features)
    size = os.path.getsize(args.file)
    float32_mb = args.rows * args.features * 4 / 2**20
    print(f"{args.file}: {size / 2**20:.1f} MiB, {args.rows} rows x {args.features} features + label; "
          f"Float32 features {float32_mb:.1f} MiB")
    loaders = {
        "feedforward load": [args.bench, "csv", args.file],
        "feedforward reader": [args.bench, "csv", args.file, "--reader"],
        "pandas": [sys.executable, "-c", PANDAS, args.file],
    }
    if args.loadtxt:
        loaders["numpy.loadtxt"] = [sys.executable, "-c", LOADTXT, args.file]
    results = {name: [] for name in loaders}
    for round in range(args.rounds):
        for name, command in loaders.items():
            result = run(command)
            results[name].append(result)
            print(f"  round {round + 1} {name:18s} {result['seconds']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MiB")
    for name, runs in results.items():
        if not runs:
            continue
        seconds = sorted(r["seconds"] for r in runs)
        peaks = sorted(r["peak_rss_mb"] for r in runs)
        base = min(r["peak_rss_mb_before"] for r in runs)
        print(f"{name:18s} {seconds[0]:.2f}-{seconds[-1]:.2f} s (median {seconds[len(seconds) // 2]:.2f}), "
              f"peak RSS {peaks[0]:.0f}-{peaks[-1]:.0f} MiB (process before loading: {base:.0f} MiB)")


if __name__ == "__main__":
    main()
