#!/usr/bin/env python3
"""Checks that a safetensors file written by Feedforward's Swift writer loads with the reference
Python package (pip install safetensors numpy).

Usage: scripts/check_safetensors_interop.py
Runs the Swift test that exports the file (DataSafeTensorsExport) into a temporary directory, then
loads it with safetensors.numpy.load_file and compares every tensor and the metadata.
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
    path = os.path.join(tmp, "swift.safetensors")
    env = dict(os.environ, FEEDFORWARD_SAFETENSORS_EXPORT=path)
    subprocess.run(["swift", "test", "--filter", "DataSafeTensorsExport"], cwd=root, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    tensors = load_file(path)
    expected = {
        "layer1.weight": np.array([[0.5, -1, 2], [3.25, 0, -0.125]], dtype=np.float32),
        "layer1.bias": np.array([1, 2, 3], dtype=np.float64),
        "step": np.array(42, dtype=np.float32),
        "cube": (np.arange(8, dtype=np.float64) / 8).reshape(2, 2, 2),
        "counts": np.array([1, -1], dtype=np.int32),
    }
    assert sorted(tensors) == sorted(expected), sorted(tensors)
    for name, value in expected.items():
        got = tensors[name]
        assert got.dtype == value.dtype and got.shape == value.shape and np.array_equal(got, value), (name, got)
    with safe_open(path, framework="numpy") as f:
        assert f.metadata() == {"writer": "feedforward"}, f.metadata()
print("OK: the Swift-written file loads with safetensors", __import__("safetensors").__version__)
