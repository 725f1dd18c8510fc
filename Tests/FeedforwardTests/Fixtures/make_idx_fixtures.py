#!/usr/bin/env python3
"""Writes small gzip IDX fixtures with Python's own gzip (real deflate streams, unlike the
stored blocks the Swift tests build) for the IDX tests.

tiny-images-idx3-ubyte.gz: 3 images of 2x2 unsigned bytes, values 0, 10, ..., 110.
tiny-labels-idx1-ubyte.gz: 3 labels 2, 0, 1.
"""
import gzip
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
images = bytes([0, 0, 8, 3]) + struct.pack(">III", 3, 2, 2) + bytes(range(0, 120, 10))
labels = bytes([0, 0, 8, 1]) + struct.pack(">I", 3) + bytes([2, 0, 1])
for name, payload in [("tiny-images-idx3-ubyte.gz", images), ("tiny-labels-idx1-ubyte.gz", labels)]:
    with open(os.path.join(here, name), "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
            f.write(payload)
