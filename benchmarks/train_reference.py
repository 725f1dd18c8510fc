"""Reference for `feedforward-bench train`: the same Fashion-MNIST MLP and protocol in PyTorch eager
when torch is importable, else a hand-written NumPy forward/backward.

784-256-256-10 ReLU, softmax cross-entropy, batch 128 with the last partial batch dropped (468 steps,
59904 samples per epoch), reshuffled each epoch, SGD momentum 0.9 lr 0.05 (or --opt adam, lr 1e-3),
float32, 2 threads. Epoch time = wall time of the training steps including the batch gather;
evaluation excluded. Throughput = median over epochs 2..N. Test accuracy once at the end. Peak RSS is
VmHWM of /proc/self/status. Per-epoch lines go to stderr; the last line on stdout is a JSON summary.

Usage: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 benchmarks/train_reference.py \
           [--epochs 5] [--opt sgd|adam] [--impl auto|torch|numpy] [--threads 2]"""
import argparse
import gzip
import json
import os
import statistics
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--opt", default="sgd", choices=["sgd", "adam"])
p.add_argument("--impl", default="auto", choices=["auto", "torch", "numpy"])
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--data", default=os.environ.get("FEEDFORWARD_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
args = p.parse_args()

# BLAS thread count must be set before NumPy loads its BLAS.
for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[name] = str(args.threads)
import numpy as np  # noqa: E402

impl = args.impl
if impl == "auto":
    try:
        import torch  # noqa: F401
        impl = "torch"
    except ImportError:
        impl = "numpy"


def memory_mb():
    """(VmRSS, VmHWM) of this process in MB."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def read_idx(path):
    """An IDX file (optionally gzip-compressed) of unsigned bytes as a NumPy array."""
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: expected an IDX file of unsigned bytes")
    rank = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def load(directory):
    def images(name):
        return read_idx(os.path.join(directory, name)).reshape(-1, 784).astype(np.float32) / np.float32(255)

    def labels(name):
        return read_idx(os.path.join(directory, name)).astype(np.int64)

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


BATCH, SIZES = 128, [784, 256, 256, 10]
xtr, ytr, xte, yte = load(args.data)
steps = len(xtr) // BATCH


def run_torch():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    Xtr, Ytr, Xte, Yte = map(torch.from_numpy, (xtr, ytr, xte, yte))
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = (torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9) if args.opt == "sgd"
           else torch.optim.Adam(model.parameters(), lr=1e-3))
    rss0 = memory_mb()[0]
    generator = torch.Generator().manual_seed(args.seed)
    times, losses = [], []
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(len(Xtr), generator=generator)
        start = time.perf_counter()
        total = torch.zeros(())
        for i in range(steps):
            idx = perm[i * BATCH:(i + 1) * BATCH]
            xb, yb = Xtr[idx], Ytr[idx]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.detach()
        times.append(time.perf_counter() - start)
        losses.append(total.item() / steps)
        report(epoch, times[-1], losses[-1])
    with torch.no_grad():
        accuracy = (model(Xte).argmax(1) == Yte).float().mean().item()
    return dict(lib="torch", version=torch.__version__, mode="eager"), times, losses, accuracy, rss0


def run_numpy():
    rng = np.random.default_rng(args.seed)
    W = [(rng.uniform(-1, 1, (SIZES[i], SIZES[i + 1])) / np.sqrt(SIZES[i])).astype(np.float32) for i in range(3)]
    B = [(rng.uniform(-1, 1, SIZES[i + 1]) / np.sqrt(SIZES[i])).astype(np.float32) for i in range(3)]
    adam = args.opt == "adam"
    M = [np.zeros_like(t) for t in W + B]
    V = [np.zeros_like(t) for t in W + B] if adam else None
    rss0 = memory_mb()[0]

    def forward(x):
        h1 = np.maximum(x @ W[0] + B[0], 0)
        h2 = np.maximum(h1 @ W[1] + B[1], 0)
        return h1, h2, h2 @ W[2] + B[2]

    times, losses, t = [], [], 0
    rows = np.arange(BATCH)
    for epoch in range(1, args.epochs + 1):
        perm = rng.permutation(len(xtr))
        start = time.perf_counter()
        total = 0.0
        for i in range(steps):
            idx = perm[i * BATCH:(i + 1) * BATCH]
            x, y = xtr[idx], ytr[idx]
            h1, h2, z = forward(x)
            z -= z.max(1, keepdims=True)
            e = np.exp(z)
            prob = e / e.sum(1, keepdims=True)
            total += float(-np.log(prob[rows, y] + 1e-12).mean())
            dz = prob
            dz[rows, y] -= 1
            dz /= BATCH
            dh2 = (dz @ W[2].T) * (h2 > 0)
            dh1 = (dh2 @ W[1].T) * (h1 > 0)
            grads = [x.T @ dh1, h1.T @ dh2, h2.T @ dz, dh1.sum(0), dh2.sum(0), dz.sum(0)]
            params = W + B
            t += 1
            for j, g in enumerate(grads):
                if adam:
                    M[j] *= 0.9; M[j] += 0.1 * g
                    V[j] *= 0.999; V[j] += 0.001 * g * g
                    mhat = M[j] / (1 - 0.9 ** t)
                    vhat = V[j] / (1 - 0.999 ** t)
                    params[j] -= 1e-3 * mhat / (np.sqrt(vhat) + 1e-8)
                else:
                    M[j] *= 0.9; M[j] += g
                    params[j] -= 0.05 * M[j]
        times.append(time.perf_counter() - start)
        losses.append(total / steps)
        report(epoch, times[-1], losses[-1])
    accuracy = float((forward(xte)[2].argmax(1) == yte).mean())
    return dict(lib="numpy-manual", version=np.__version__, mode="manual"), times, losses, accuracy, rss0


def report(epoch, seconds, loss):
    print(f"epoch {epoch:3d} time {seconds:7.3f}s  {steps * BATCH / seconds:9.0f} samples/s  train_loss {loss:.4f}",
          file=sys.stderr, flush=True)


info, times, losses, accuracy, rss0 = run_torch() if impl == "torch" else run_numpy()
steady = times[1:] if len(times) > 1 else times
median = statistics.median(steady)
result = dict(info, hidden=256, opt=args.opt, threads=args.threads, epochs=args.epochs,
              samples_per_epoch=steps * BATCH, median_epoch_s=median, first_epoch_s=times[0],
              median_samples_per_s=steps * BATCH / median, test_acc=accuracy, final_train_loss=losses[-1],
              rss_after_setup_mb=rss0, peak_rss_mb=memory_mb()[1], n_epochs_in_median=len(steady))
print(json.dumps(result))
