#!/usr/bin/env python3
"""Makes the small Fashion-MNIST subset bundled with Feedforward.

Reads the full Fashion-MNIST IDX files (by default where Debian's `dataset-fashion-mnist`
package installs them) and writes a class-stratified subset as gzip-compressed IDX files:
the first TRAIN_PER_CLASS images of each class from the training set and the first
TEST_PER_CLASS of each class from the test set, kept in their original order.

Usage: scripts/make_fashion_mnist_subset.py [SOURCE_DIR] [OUTPUT_DIR]
Only the Python standard library is used; the output is byte-for-byte reproducible.
"""
import gzip
import os
import struct
import sys

TRAIN_PER_CLASS = 800
TEST_PER_CLASS = 200
CLASSES = 10


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0:2] != b"\0\0" or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    rank = data[3]
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    body = data[4 + 4 * rank:]
    item = 1
    for d in dims[1:]:
        item *= d
    if len(body) != dims[0] * item:
        raise ValueError(f"{path}: size does not match header")
    return dims, [body[i * item:(i + 1) * item] for i in range(dims[0])]


def write_idx_gz(path, dims, items):
    header = bytes([0, 0, 0x08, len(dims)]) + struct.pack(">" + "I" * len(dims), *dims)
    payload = header + b"".join(items)
    tmp = path + ".tmp"
    with open(tmp, "wb") as raw:
        # mtime=0 and no file name keep the output reproducible.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write(payload)
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(tmp, path)


def subset(source, output, split, per_class):
    image_dims, images = read_idx(os.path.join(source, f"{split}-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(source, f"{split}-labels-idx1-ubyte.gz"))
    taken = [0] * CLASSES
    chosen = []
    for index, label in enumerate(labels):
        c = label[0]
        if taken[c] < per_class:
            taken[c] += 1
            chosen.append(index)
    assert all(t == per_class for t in taken), taken
    write_idx_gz(os.path.join(output, f"{split}-images-idx3-ubyte.gz"),
                 (len(chosen),) + tuple(image_dims[1:]), [images[i] for i in chosen])
    write_idx_gz(os.path.join(output, f"{split}-labels-idx1-ubyte.gz"),
                 (len(chosen),), [labels[i] for i in chosen])
    print(f"{split}: {len(chosen)} images ({per_class} per class)")


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    here = os.path.dirname(os.path.abspath(__file__))
    output = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        here, "..", "Sources", "Feedforward", "Resources", "FashionMNISTSubset")
    os.makedirs(output, exist_ok=True)
    subset(source, output, "train", TRAIN_PER_CLASS)
    subset(source, output, "t10k", TEST_PER_CLASS)


if __name__ == "__main__":
    main()
