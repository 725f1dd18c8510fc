#!/usr/bin/env python3
"""Runs `feedforward-bench train --json` and `train_reference.py` one after the other (same epochs,
optimizer and threads) and prints a side-by-side table with the ratios Feedforward / reference, next
to the bars of the benchmark issue (throughput >= 1.3x PyTorch eager, peak RSS < 200 MB, test accuracy
>= 0.89 after 30 epochs). With --xor it also compares `feedforward-bench xor` with xor_reference.py,
both its eager figure and its captured one (CapturedGradient).

Usage (from the package root, after `swift build -c release --product feedforward-bench`):
    python3 benchmarks/compare_train.py [--epochs 5] [--rounds 3] [--opt sgd|adam] [--compact-data | --session]
        [--python /tmp/torchenv/bin/python] [--impl auto|torch|numpy] [--bench PATH] [--xor] [--omp-passive] [--json]

--python chooses the interpreter of the reference (one where torch is importable for PyTorch eager;
otherwise the reference falls back to NumPy). Both processes run without OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE, which slow OpenBLAS on some machines.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--rounds", type=int, default=3, help="interleaved runs of each side; ratios are medians of per-round ratios")
p.add_argument("--opt", default="sgd", choices=["sgd", "adam"])
p.add_argument("--compact-data", action="store_true", help="Feedforward keeps the pixels as bytes")
p.add_argument("--session", action="store_true", help="Feedforward trains through its own loop, TrainingSession")
p.add_argument("--python", default=sys.executable)
p.add_argument("--impl", default="auto", choices=["auto", "torch", "numpy"])
p.add_argument("--bench", default=os.path.join(HERE, "..", ".build", "release", "feedforward-bench"))
p.add_argument("--xor", action="store_true")
p.add_argument("--omp-passive", action="store_true",
               help="OMP_WAIT_POLICY=PASSIVE for the reference: on an oversubscribed machine PyTorch's OpenMP "
                    "threads otherwise spin while waiting (measured 1.2k instead of 8.8k samples/s)")
p.add_argument("--json", action="store_true")
args = p.parse_args()


def run_json(cmd, extra_env=None):
    env = dict(os.environ, **(extra_env or {}))
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    print("running:", " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


ff_cmd = [args.bench, "train", "--json", "--epochs", str(args.epochs), "--optimizer", args.opt]
if args.compact_data:
    ff_cmd.append("--compact-data")
if args.session:
    ff_cmd.append("--session")
reference_env = {"OMP_WAIT_POLICY": "PASSIVE"} if args.omp_passive else None
ref_cmd = [args.python, os.path.join(HERE, "train_reference.py"), "--epochs", str(args.epochs),
           "--opt", args.opt, "--impl", args.impl]
# Rounds interleave the two sides (the order alternates) and the ratio is the median of the per-round
# ratios: on shared or virtual machines the speed of the whole machine drifts over minutes (the same
# binary measured 68k-92k samples/s within ten minutes), so one run of each side, minutes apart,
# compares the drift as much as the code.
ff_runs, ref_runs, ratios = [], [], []
for round_index in range(args.rounds):
    if round_index % 2 == 0:
        ff_runs.append(run_json(ff_cmd))
        ref_runs.append(run_json(ref_cmd, reference_env))
    else:
        ref_runs.append(run_json(ref_cmd, reference_env))
        ff_runs.append(run_json(ff_cmd))
    ratios.append(ff_runs[-1]["median_samples_per_s"] / ref_runs[-1]["median_samples_per_s"])


def median_run(runs):
    """The run whose throughput is the median of the rounds' (the lower middle one for an even count)."""
    ordered = sorted(runs, key=lambda run: run["median_samples_per_s"])
    return ordered[(len(ordered) - 1) // 2]


ff, ref = median_run(ff_runs), median_run(ref_runs)
summary = dict(feedforward=ff, reference=ref, rounds=args.rounds,
               throughput_ratio=statistics.median(ratios),
               throughput_ratios=ratios,
               peak_rss_ratio=max(r["peak_rss_mb"] for r in ff_runs) / ref["peak_rss_mb"])
if args.xor:
    fx = run_json([args.bench, "xor", "--json"])
    rx = run_json([args.python, os.path.join(HERE, "xor_reference.py"), "--impl", args.impl], reference_env)
    summary.update(xor_feedforward=fx, xor_reference=rx,
                   xor_ratio=fx["steps_per_s_median"] / rx["steps_per_s_median"],
                   xor_captured_ratio=fx["captured_steps_per_s_median"] / rx["steps_per_s_median"])
if args.json:
    print(json.dumps(summary))
    sys.exit(0)

name = f"{ref['lib']} {ref['version']}"
print(f"Fashion-MNIST 784-256-256-10 ReLU, batch 128 drop_last, {args.opt}, float32, 2 threads, "
      f"{args.epochs} epochs (median of epochs 2..{args.epochs}); {args.rounds} interleaved rounds: each side's median "
      f"round, the median of the per-round throughput ratios ({', '.join(f'{r:.2f}' for r in ratios)}), peak RSS the "
      f"largest of the rounds")
environment = ff.get("environment", {})
print(f"# Feedforward: CPU {environment.get('cpu')}; kernel {environment.get('kernel_variant')} "
      f"({environment.get('vector_bits')}-bit); BLAS {environment.get('blas')}; route: {environment.get('blas_route')}")
print(f"Feedforward data: {ff['data']}" + ("; reference with OMP_WAIT_POLICY=PASSIVE" if args.omp_passive else ""))
rows = [
    ("samples/s (median epoch)", ff["median_samples_per_s"], ref["median_samples_per_s"], "%.0f",
     summary["throughput_ratio"], ">= 1.3x PyTorch eager"),
    ("median epoch (s)", ff["median_epoch_s"], ref["median_epoch_s"], "%.3f", ff["median_epoch_s"] / ref["median_epoch_s"], ""),
    ("first epoch (s)", ff["first_epoch_s"], ref["first_epoch_s"], "%.3f", ff["first_epoch_s"] / ref["first_epoch_s"], ""),
    ("peak RSS (MB)", max(r["peak_rss_mb"] for r in ff_runs), ref["peak_rss_mb"], "%.0f", summary["peak_rss_ratio"], "< 200 MB"),
    ("RSS after data load (MB)", ff["rss_after_setup_mb"], ref["rss_after_setup_mb"], "%.0f",
     ff["rss_after_setup_mb"] / ref["rss_after_setup_mb"], ""),
    ("test accuracy", ff["test_acc"], ref["test_acc"], "%.4f", ff["test_acc"] / ref["test_acc"], ">= 0.89 after 30 epochs"),
    ("final train loss", ff["final_train_loss"], ref["final_train_loss"], "%.4f", None, ""),
]
width = max(len(name), 12)
print(f"{'':28}{'Feedforward':>14}{name:>{width + 2}}{'FF/ref':>9}  bar")
for label, a, b, fmt, ratio, bar in rows:
    r = f"{ratio:9.2f}" if ratio is not None else " " * 9
    print(f"{label:28}{fmt % a:>14}{fmt % b:>{width + 2}}{r}  {bar}")
print(f"Feedforward step {ff['step_ms']:.3f} ms; its 8 GEMMs alone {ff['gemm_step_ms']:.3f} ms "
      f"({ff['gemm_gflops']:.1f} GFLOP/s): training runs at {100 * ff['fraction_of_gemm_bound']:.0f}% of the GEMM bound "
      f"({ff['gemm_bound_samples_per_s']:.0f} samples/s)")
if args.xor:
    fx, rx = summary["xor_feedforward"], summary["xor_reference"]
    print(f"XOR 2-2-1 steps/s: Feedforward eager {fx['steps_per_s_median']:.0f}, {rx['impl']} {rx['steps_per_s_median']:.0f}: "
          f"{summary['xor_ratio']:.1f}x (bar >= 20x PyTorch eager)")
    print(f"XOR 2-2-1 steps/s: Feedforward captured (CapturedGradient) {fx['captured_steps_per_s_median']:.0f}, "
          f"{rx['impl']} {rx['steps_per_s_median']:.0f}: {summary['xor_captured_ratio']:.1f}x (bar >= 20x PyTorch eager); "
          f"captured and eager models after {fx['steps_compared']} steps: "
          f"{'bitwise the same' if fx['captured_same_model'] else 'DIFFERENT'}")
