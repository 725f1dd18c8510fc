#!/usr/bin/env python3
"""Checks that the TensorBoard event files `feedforward train --tensorboard DIR` writes are read by
the reference reader, TensorBoard's EventAccumulator (pip install tensorboard numpy), with the same
numbers as the run's JSON Lines log and final JSON figures.

Usage: scripts/check_tensorboard_interop.py [PATH_TO_FEEDFORWARD]
Without an argument it uses the debug `feedforward` of `swift build --show-bin-path` (build first).
Prints one line on success; any mismatch raises an AssertionError that names it.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
if len(sys.argv) > 1:
    binary = sys.argv[1]
else:
    bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=root, check=True,
                             capture_output=True, text=True).stdout.strip()
    binary = os.path.join(bin_dir, "feedforward")

epochs = 4
with tempfile.TemporaryDirectory() as tmp:
    # Three classes in four features, 300 rows.
    rng = np.random.default_rng(0)
    features = rng.normal(size=(300, 4))
    labels = np.argmax(features[:, :3] + 0.3 * rng.normal(size=(300, 3)), axis=1)
    csv = os.path.join(tmp, "data.csv")
    with open(csv, "w") as f:
        f.write("a,b,c,d,label\n")
        for row, label in zip(features, labels):
            f.write(",".join(f"{v:.6f}" for v in row) + f",{label}\n")
    logdir = os.path.join(tmp, "runs")
    log = os.path.join(tmp, "log.jsonl")
    result = subprocess.run(
        [binary, "train", "--dataset", f"csv:{csv}", "--hidden", "8", "--epochs", str(epochs),
         "--batch-size", "32", "--validation-fraction", "0.2", "--schedule", "step:5:0.5",
         "--log", log, "--tensorboard", logdir, "--json"],
        check=True, capture_output=True, text=True)
    final = json.loads(result.stdout.strip().splitlines()[-1])
    records = [json.loads(line) for line in open(log)]
    files = os.listdir(logdir)
    assert len(files) == 1 and ".tfevents." in files[0], files

    accumulator = EventAccumulator(logdir, size_guidance={"scalars": 0})
    accumulator.Reload()
    tags = set(accumulator.Tags()["scalars"])
    expected_tags = {f"{split}/{figure}" for split in ("train", "validation", "test")
                     for figure in ("loss", "accuracy", "macro_f1")} | {"learning_rate", "train/penalty"}
    assert tags == expected_tags, f"tags {sorted(tags)}, expected {sorted(expected_tags)}"

    def series(tag):
        events = accumulator.Scalars(tag)
        assert [e.step for e in events] == list(range(1, epochs + 1)), (tag, [e.step for e in events])
        return np.array([e.value for e in events], dtype=np.float32)

    def close(tag, expected):
        got = series(tag)
        expected = np.array(expected, dtype=np.float32)
        assert np.array_equal(got, expected), f"{tag}: TensorBoard read {got}, the run logged {expected}"

    close("train/loss", [r["trainLoss"] for r in records])
    close("train/penalty", [r["trainPenalty"] for r in records])  # the CSV default's L2 penalty, reported apart
    close("train/accuracy", [r["train"]["classification"]["confusionMatrix"] and
                             np.trace(r["train"]["classification"]["confusionMatrix"]) /
                             np.sum(r["train"]["classification"]["confusionMatrix"]) for r in records])
    close("validation/loss", [r["validation"]["loss"] for r in records])
    close("learning_rate", [r["learningRate"] for r in records])
    assert series("test/loss")[-1] == np.float32(final["test_loss"]), (series("test/loss"), final)
    assert series("test/accuracy")[-1] == np.float32(final["test_accuracy"]), (series("test/accuracy"), final)
    assert series("test/macro_f1")[-1] == np.float32(final["test_macro_f1"]), (series("test/macro_f1"), final)
print("OK: TensorBoard", __import__("tensorboard").__version__, "reads the event file:",
      ", ".join(sorted(expected_tags)), f"over {epochs} epochs")
