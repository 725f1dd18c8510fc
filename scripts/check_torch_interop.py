#!/usr/bin/env python3
"""Checks that a model saved by Feedforward's `saveParameters(to:)` loads in Python.

Usage: scripts/check_torch_interop.py
Runs the Swift test that exports a Sequential of two Dense layers (3 -> 5 relu -> 2) plus an
input/output pair, then:
  - with PyTorch importable: loads the file into nn.Sequential(nn.Linear(3, 5), nn.ReLU(),
    nn.Linear(5, 2)) with load_state_dict(strict=True) and compares the forward pass;
  - otherwise (pip install safetensors numpy): loads it with safetensors.numpy and checks the names
    ("0.weight", "0.bias", "2.weight", ...), the [out, in] shapes and the forward pass in numpy.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "model.safetensors")
    env = dict(os.environ, FEEDFORWARD_MODEL_EXPORT=path)
    subprocess.run(["swift", "test", "--filter", "ModelSerializationTests/exportForPythonInterop"],
                   cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)
    # Feedforward names layers by position in the Sequential: the Dense layers are 0 and 1. In the
    # PyTorch Sequential the ReLU is a separate module, so the second Linear is "2".
    state = load_file(path)
    io = load_file(path + ".io")
    with safe_open(path, framework="numpy") as f:
        assert f.metadata() == {"format": "pt"}, f.metadata()
    expected_shapes = {"0.weight": (5, 3), "0.bias": (5,), "1.weight": (2, 5), "1.bias": (2,)}
    assert {k: v.shape for k, v in state.items()} == expected_shapes, {k: v.shape for k, v in state.items()}
    assert all(v.dtype == np.float32 for v in state.values())
    x, y = io["x"], io["y"]
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        from safetensors.torch import load_file as load_torch
        tensors = load_torch(path)
        model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
        renamed = {k.replace("1.", "2.", 1) if k.startswith("1.") else k: v for k, v in tensors.items()}
        model.load_state_dict(renamed, strict=True)
        with torch.no_grad():
            out = model(torch.from_numpy(x)).numpy()
        how = "torch " + torch.__version__
    else:
        h = np.maximum(x @ state["0.weight"].T + state["0.bias"], 0)
        out = h @ state["1.weight"].T + state["1.bias"]
        how = "numpy (torch not importable)"
    assert np.allclose(out, y, rtol=1e-5, atol=1e-6), (out, y)
print("OK: the Feedforward model loads with safetensors", __import__("safetensors").__version__, "via", how)
