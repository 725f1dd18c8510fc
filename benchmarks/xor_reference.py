"""Reference for `feedforward-bench xor`: framework overhead on a 2-2-1 network (ReLU hidden, linear
output, mean squared error) trained on the four XOR points as one batch with plain SGD lr 0.1.
Measures gradient steps per second (forward + backward + parameter update): median, min and max of
7 samples of about 1 s each. Uses PyTorch eager (zero_grad / backward / optimizer step) when torch is
importable, else a hand-written NumPy step (no autodiff: a lower bound on Python overhead).

Usage: python3 benchmarks/xor_reference.py [--impl auto|torch|numpy] [--threads 2] [--seconds 1.0]"""
import argparse
import json
import os
import statistics
import time

p = argparse.ArgumentParser()
p.add_argument("--impl", default="auto", choices=["auto", "torch", "numpy"])
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seconds", type=float, default=1.0)
args = p.parse_args()
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
import numpy as np  # noqa: E402

impl = args.impl
if impl == "auto":
    try:
        import torch  # noqa: F401
        impl = "torch"
    except ImportError:
        impl = "numpy"

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
Y = np.array([[0], [1], [1], [0]], np.float32)
rng = np.random.default_rng(1)
W1 = rng.uniform(-1, 1, (2, 2)).astype(np.float32)
B1 = np.full(2, 0.1, np.float32)
W2 = rng.uniform(-1, 1, (2, 1)).astype(np.float32)
B2 = np.zeros(1, np.float32)


def rate(run_n):
    """Steps per second of run_n(n): median, min, max of 7 samples of about args.seconds each."""
    run_n(50)
    start = time.perf_counter()
    run_n(200)
    n = max(1, int(args.seconds / (time.perf_counter() - start) * 200))
    rates = []
    for _ in range(7):
        start = time.perf_counter()
        run_n(n)
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates), min(rates), max(rates)


if impl == "torch":
    import torch
    torch.set_num_threads(args.threads)
    x, y = torch.from_numpy(X), torch.from_numpy(Y)
    params = [torch.tensor(t, requires_grad=True) for t in (W1, B1, W2, B2)]
    optimizer = torch.optim.SGD(params, lr=0.1)

    def loss():
        hidden = torch.relu(x @ params[0] + params[1])
        return ((hidden @ params[2] + params[3] - y) ** 2).mean()

    def run_n(n):
        for _ in range(n):
            optimizer.zero_grad(set_to_none=True)
            value = loss()
            value.backward()
            optimizer.step()

    median, low, high = rate(run_n)
    final, version = loss().item(), torch.__version__
else:
    params = [W1.copy(), B1.copy(), W2.copy(), B2.copy()]

    def run_n(n):
        w1, b1, w2, b2 = params
        for _ in range(n):
            a = X @ w1 + b1
            h = np.maximum(a, 0)
            out = h @ w2 + b2
            d_out = (out - Y) * np.float32(2 / 4)
            d_h = (d_out @ w2.T) * (a > 0)
            w2 -= 0.1 * (h.T @ d_out)
            b2 -= 0.1 * d_out.sum(0)
            w1 -= 0.1 * (X.T @ d_h)
            b1 -= 0.1 * d_h.sum(0)

    median, low, high = rate(run_n)
    h = np.maximum(X @ params[0] + params[1], 0)
    final, version = float(((h @ params[2] + params[3] - Y) ** 2).mean()), np.__version__

print(json.dumps(dict(bench="xor_2-2-1", impl=impl, version=version, threads=args.threads,
                      steps_per_s_median=median, min=low, max=high, us_per_step=1e6 / median, final_loss=final)))
