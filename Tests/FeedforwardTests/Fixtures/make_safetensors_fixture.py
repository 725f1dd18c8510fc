#!/usr/bin/env python3
"""Writes fixture.safetensors with the reference `safetensors` package (pip install safetensors numpy).

The Swift test SafeTensorsTests checks the names, dtypes, shapes and values written here.
"""
import os

import numpy as np
from safetensors.numpy import save_file

tensors = {
    "scalar": np.array(3.5, dtype=np.float32),                                  # rank 0, F32
    "vector": np.array([1.0, -2.0, 0.25], dtype=np.float64),                    # rank 1, F64
    "matrix": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,                 # rank 2, F32
    "cube": (np.arange(24, dtype=np.float64).reshape(2, 3, 4) - 12) * 0.5,      # rank 3, F64
    "labels": np.array([0, 7, -1], dtype=np.int64),                             # rank 1, I64
}
here = os.path.dirname(os.path.abspath(__file__))
save_file(tensors, os.path.join(here, "fixture.safetensors"), metadata={"format": "np", "source": "feedforward-tests"})
