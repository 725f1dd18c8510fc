#!/usr/bin/env python3
"""Feedforward's CSV defaults against scikit-learn on the same train/test split of public tables.

For every table bundled with scikit-learn (iris, wine, breast_cancer, digits for classes; diabetes
for values), tables from scikit-learn's generators (friedman1-3, a linear make_regression, two
make_classification tables; drawn anew for every seed) and two synthetic tables (string labels with
a categorical column and unscaled features; a regression with a categorical column), the script
writes train.csv and test.csv (a stratified 80/20 split, seed per run), runs

    feedforward train --dataset csv:TRAIN --test-dataset csv:TEST --label-column label [--regression] --json

at DEFAULT settings, and fits on the same split:
  - MLPClassifier() / MLPRegressor() with scikit-learn's defaults on the raw features,
  - the same after StandardScaler (the usual pipeline; the stronger reference),
  - LinearRegression for regression tables.

Usage: python3 benchmarks/compare_tabular.py [--feedforward .build/debug/feedforward] [--seeds 0 1 2 3 4]
Needs scikit-learn (pip install scikit-learn). Prints, per table and per Feedforward variant, the mean
over seeds and the worst seed's figure, the difference to each reference (mean, and the worst seed's),
and whether the bar holds on every seed: accuracy within 0.02 of both MLPs, R² above LinearRegression.

--feedforward and --extra may be given several times: every binary runs with every extra-argument
string on the same splits (to compare builds or settings; the bar is the defaults). An extra string
may hold Python expressions of the training row count `rows` and of `regression` in braces:
--extra "--weight-decay {3/rows}" --extra "--batch-size {200 if regression else 32}".
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def synthetic_classes(seed=0, count=1500):
    """12 unscaled features (x·scale + offset), a categorical colour, string labels alpha/beta/gamma."""
    rng = np.random.default_rng(1000 + seed)
    y = rng.integers(0, 3, count)
    centers = rng.normal(0, 1.2, (3, 12))
    x = centers[y] + rng.normal(0, 1, (count, 12))
    x = x * np.linspace(1, 400, 12) + np.linspace(-50, 3000, 12)
    colours = np.array(["red", "green", "blue", "black"])
    colour = np.where(rng.random(count) < 0.6, colours[y], colours[rng.integers(0, 4, count)])
    names = np.array(["alpha", "beta", "gamma"])[y]
    columns = {f"f{i}": x[:, i] for i in range(12)}
    columns["colour"] = colour
    return columns, names


def synthetic_values(seed=0, count=1500):
    """A regression with targets in the thousands, an interaction and a categorical region."""
    rng = np.random.default_rng(2000 + seed)
    x = rng.normal(0, 1, (count, 6)) * [1, 10, 100, 0.1, 5, 50]
    region = rng.choice(["north", "south", "east", "west"], count)
    effect = {"north": 300.0, "south": -200.0, "east": 0.0, "west": 150.0}
    y = 5000 + 400 * x[:, 0] + 30 * x[:, 1] * x[:, 0] + 2 * x[:, 2] + np.array([effect[r] for r in region]) \
        + 200 * np.sin(x[:, 4]) + rng.normal(0, 100, count)
    columns = {f"x{i}": x[:, i] for i in range(6)}
    columns["region"] = region
    return columns, y


def generated(x, y):
    return {f"c{i}": x[:, i] for i in range(x.shape[1])}, y


def tables(seed):
    """(name, columns dict, targets, is_regression) for every table."""
    for name, loader in [("iris", datasets.load_iris), ("wine", datasets.load_wine),
                         ("breast_cancer", datasets.load_breast_cancer), ("digits", datasets.load_digits)]:
        data = loader()
        yield name, {f"c{i}": data.data[:, i] for i in range(data.data.shape[1])}, data.target.astype(str), False
    columns, labels = synthetic_classes(seed)
    yield "synthetic (strings, categorical)", columns, labels, False
    data = datasets.load_diabetes()
    yield "diabetes", {f"c{i}": data.data[:, i] for i in range(data.data.shape[1])}, data.target, True
    x, y = datasets.make_friedman1(n_samples=1000, noise=1.0, random_state=3000 + seed)
    yield "friedman1 (generated)", {f"c{i}": x[:, i] for i in range(x.shape[1])}, y, True
    columns, values = synthetic_values(seed)
    yield "synthetic regression (categorical)", columns, values, True
    yield ("friedman2 (generated)", *generated(*datasets.make_friedman2(n_samples=600, noise=50.0, random_state=4000 + seed)), True)
    yield ("friedman3 (generated)", *generated(*datasets.make_friedman3(n_samples=600, noise=0.1, random_state=5000 + seed)), True)
    yield ("linear, 20 features (make_regression)", *generated(*datasets.make_regression(
        n_samples=400, n_features=20, n_informative=8, noise=30.0, random_state=6000 + seed)), True)
    x, y = datasets.make_classification(n_samples=1000, n_features=20, n_informative=6, n_redundant=4, n_classes=3,
                                        n_clusters_per_class=2, flip_y=0.03, random_state=7000 + seed)
    yield ("3 classes, 20 features (make_classification)", *generated(x, y.astype(str)), False)
    x, y = datasets.make_classification(n_samples=300, n_features=8, n_informative=3, n_redundant=2, flip_y=0.05,
                                        class_sep=0.8, random_state=8000 + seed)
    yield ("2 classes, 300 rows (make_classification)", *generated(x, y.astype(str)), False)


def write_csv(path, columns, targets, rows):
    names = list(columns)
    with open(path, "w") as f:
        f.write(",".join(names + ["label"]) + "\n")
        for r in rows:
            f.write(",".join([repr(float(columns[n][r])) if columns[n].dtype.kind == "f" else str(columns[n][r]) for n in names]
                             + [str(targets[r])]) + "\n")


def design_matrix(columns, rows_train, rows_test):
    """Numeric columns as they are, string columns one-hot (categories from the training rows)."""
    numeric = [n for n in columns if columns[n].dtype.kind == "f"]
    text = [n for n in columns if columns[n].dtype.kind != "f"]
    def part(rows):
        return np.column_stack([columns[n][rows] for n in numeric]) if numeric else np.zeros((len(rows), 0))
    train, test = part(rows_train), part(rows_test)
    if text:
        encoder = OneHotEncoder(handle_unknown="ignore")
        encoder.fit(np.column_stack([columns[n][rows_train] for n in text]))
        train = np.hstack([train, encoder.transform(np.column_stack([columns[n][rows_train] for n in text])).toarray()])
        test = np.hstack([test, encoder.transform(np.column_stack([columns[n][rows_test] for n in text])).toarray()])
    return train, test


def run_feedforward(binary, train, test, regression, extra):
    arguments = [binary, "train", "--dataset", f"csv:{train}", "--test-dataset", f"csv:{test}", "--label-column", "label", "--json"] + extra
    if regression:
        arguments.append("--regression")
    result = subprocess.run(arguments, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"feedforward failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def expand(extra, rows, regression):
    """`extra` with every {expression} replaced by its value for `rows` training rows and `regression`."""
    return re.sub(r"\{([^}]*)\}", lambda m: str(eval(m.group(1), {"rows": rows, "regression": regression})), extra).split()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feedforward", action="append", help="the binary (default .build/debug/feedforward); several to compare")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--tables", nargs="+", help="only the tables whose names start with these")
    parser.add_argument("--extra", action="append",
                        help="extra feedforward train arguments (to compare settings; the bar is the defaults); several to compare")
    args = parser.parse_args()
    binaries = args.feedforward or [".build/debug/feedforward"]
    extras = args.extra or [""]
    variants = [(binary, extra) for binary in binaries for extra in extras]
    def label(variant):
        binary, extra = variant
        return " ".join(([binary] if len(binaries) > 1 else []) + ([extra or "defaults"] if len(extras) > 1 else [])) or "Feedforward"
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        for seed in args.seeds:
            for name, columns, targets, regression in tables(seed):
                if args.tables and not any(name.startswith(t) for t in args.tables):
                    continue
                rows = np.arange(len(targets))
                rows_train, rows_test = train_test_split(
                    rows, test_size=0.2, random_state=seed, stratify=None if regression else targets)
                train_path, test_path = os.path.join(directory, "train.csv"), os.path.join(directory, "test.csv")
                write_csv(train_path, columns, targets, rows_train)
                write_csv(test_path, columns, targets, rows_test)
                ours = [run_feedforward(binary, train_path, test_path, regression, expand(extra, len(rows_train), regression))
                        for binary, extra in variants]
                x_train, x_test = design_matrix(columns, rows_train, rows_test)
                y_train, y_test = targets[rows_train], targets[rows_test]
                row = results.setdefault(name, {"regression": regression, "n": (len(rows_train), len(rows_test)), "figures": []})
                if regression:
                    raw = MLPRegressor(random_state=seed).fit(x_train, y_train)
                    scaled = make_pipeline(StandardScaler(), MLPRegressor(random_state=seed)).fit(x_train, y_train)
                    linear = LinearRegression().fit(x_train, y_train)
                    references = (r2_score(y_test, raw.predict(x_test)), r2_score(y_test, scaled.predict(x_test)),
                                  r2_score(y_test, linear.predict(x_test)))
                    row["figures"].append(([o["test_r2"] for o in ours], references, [o["epochs"] for o in ours]))
                else:
                    raw = MLPClassifier(random_state=seed).fit(x_train, y_train)
                    scaled = make_pipeline(StandardScaler(), MLPClassifier(random_state=seed)).fit(x_train, y_train)
                    references = (accuracy_score(y_test, raw.predict(x_test)), accuracy_score(y_test, scaled.predict(x_test)), np.nan)
                    row["figures"].append(([o["test_accuracy"] for o in ours], references, [o["epochs"] for o in ours]))
                print(f"seed {seed} {name}: ours {row['figures'][-1][0]} references {references}", file=sys.stderr, flush=True)
    print(f"seeds {args.seeds}; Feedforward: mean over seeds (worst seed); Δ = Feedforward - reference: mean (worst seed);")
    print("bar: every seed within 0.02 of both MLPs (classes) or above LinearRegression (values)\n")
    print("| table | train/test rows | metric | variant | Feedforward | sklearn MLP raw | MLP scaled | LinearRegression | Δ raw | Δ scaled | Δ linear | bar |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, row in results.items():
        ours = np.array([f[0] for f in row["figures"]], dtype=float)          # seeds x variants
        references = np.array([f[1] for f in row["figures"]], dtype=float)    # seeds x 3
        for v, variant in enumerate(variants):
            mine = ours[:, v]
            deltas = [mine - references[:, r] for r in range(3)]
            def cell(delta):
                return "-" if np.isnan(delta).all() else f"{delta.mean():+.3f} ({delta.min():+.3f})"
            if row["regression"]:
                holds = bool((deltas[2] > 0).all())
            else:
                holds = bool((deltas[0] >= -0.02).all() and (deltas[1] >= -0.02).all())
            linear = "-" if np.isnan(references[:, 2]).all() else f"{references[:, 2].mean():.3f}"
            print(f"| {name} | {row['n'][0]}/{row['n'][1]} | {'R²' if row['regression'] else 'accuracy'} | {label(variant)} | "
                  f"{mine.mean():.3f} ({mine.min():.3f}) | {references[:, 0].mean():.3f} | {references[:, 1].mean():.3f} | {linear} | "
                  f"{cell(deltas[0])} | {cell(deltas[1])} | {cell(deltas[2])} | {'yes' if holds else 'NO'} |")


if __name__ == "__main__":
    main()
