"""Freeze or fine-tune? A learning curve on the MNIST task split (``load_mnist_tasks``).

What is measured
----------------
For each seed, ``load_mnist_tasks(random_state=seed)`` splits the 5,000-image MNIST
sample into a source task (digits 0-4, 400 training rows per digit) and a target task
(digits 5-9), 100 held-out test rows per digit. An MLP 784-256-128-5 (ReLU) is
pretrained on the source task (skorch ``NeuralNetClassifier``, Adam, lr 1e-3, 15 epochs,
batch 64), then passed as
``FrozenEstimator(net)`` to the methods below, each trained on N labeled target rows
per digit (N in 5, 10, 20, 50, 100, 200; the training sets are nested) and scored on the
500 target test rows:

* ``pixels+LR``: ``LogisticRegression(max_iter=1000)`` on the raw pixels (no transfer);
* ``layer1+LR``: the same on ``NetFeatures(net, layers="1")``, the 256 outputs of the
  first ReLU (a lower layer);
* ``features+LR``: ``make_pipeline(NetFeatures(net), LogisticRegression(max_iter=1000))``
  (the 128 penultimate features, off the shelf);
* ``frozen``: ``FineTuningClassifier(net, freeze="all")``: the new head alone;
* ``fine-tune``: ``FineTuningClassifier(net, freeze=0)``: every layer;
* ``layer-wise``: ``FineTuningClassifier(net, lr_decay=0.1)``: the layer k steps below
  the head at lr * 0.1**k;
* ``scratch``: ``FineTuningClassifier`` on the same architecture freshly initialised
  (no transfer; the reference that transfer must beat).

Every FineTuningClassifier: Adam, lr 1e-3, batch 32, 60 epochs, no early stopping (with 5
rows per digit a validation split would take a fifth of them), ``random_state=seed``.
Reported: target test accuracy mean +- std over the seeds.

Run
---
    python benchmarks/bench_finetune.py             # 3 seeds
    python benchmarks/bench_finetune.py --quick     # 1 seed, N in 5, 50
    python benchmarks/bench_finetune.py --save      # also benchmarks/results/bench_finetune[_quick].json
    python benchmarks/bench_finetune.py --methods pixels+LR layer1+LR --save   # a subset
"""

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from skorch import NeuralNetClassifier

from skdomain.datasets import load_mnist_tasks
from skdomain.transfer import FineTuningClassifier, NetFeatures

from _common import print_table, save_json


def mlp(n_out=5):
    return torch.nn.Sequential(
        torch.nn.Linear(784, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, n_out),
    )


def pretrain(data, seed):
    torch.manual_seed(seed)
    net = NeuralNetClassifier(
        mlp(),
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=15,
        batch_size=64,
        train_split=None,
        verbose=0,
    )
    net.fit(data.X_source.astype(np.float32), data.y_source)
    acc = float((net.predict(data.X_source_test.astype(np.float32)) == data.y_source_test).mean())
    return net, acc


def methods(net, seed):
    ft = dict(lr=1e-3, batch_size=32, max_epochs=60, random_state=seed)
    torch.manual_seed(seed + 1000)
    fresh = mlp()
    pre = FrozenEstimator(net)
    return {
        "pixels+LR": LogisticRegression(max_iter=1000),
        "layer1+LR": make_pipeline(NetFeatures(pre, layers="1"), LogisticRegression(max_iter=1000)),
        "features+LR": make_pipeline(NetFeatures(pre), LogisticRegression(max_iter=1000)),
        "frozen": FineTuningClassifier(pre, freeze="all", **ft),
        "fine-tune": FineTuningClassifier(pre, freeze=0, **ft),
        "layer-wise": FineTuningClassifier(pre, lr_decay=0.1, **ft),
        "scratch": FineTuningClassifier(fresh, freeze=0, **ft),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--methods", nargs="+", default=None, help="run these methods only")
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = [0] if args.quick else [0, 1, 2]
    sizes = [5, 50] if args.quick else [5, 10, 20, 50, 100, 200]
    records = []
    t0 = time.perf_counter()
    for seed in seeds:
        data = load_mnist_tasks(random_state=seed)
        net, src_acc = pretrain(data, seed)
        print(f"seed {seed}: pretrained on digits 0-4, source test accuracy {src_acc:.3f}", flush=True)
        for n in sizes:
            sub = load_mnist_tasks(n_target_per_class=n, random_state=seed)
            for name, est in methods(net, seed).items():
                if args.methods and name not in args.methods:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est.fit(sub.X_target, sub.y_target)
                acc = float(est.score(sub.X_target_test, sub.y_target_test))
                records.append(dict(seed=seed, n=n, method=name, accuracy=acc, source_accuracy=src_acc))
            print(f"  n={n} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    names = [m for m in methods(net, 0) if not args.methods or m in args.methods]
    rows = []
    for n in sizes:
        row = {"n": n}
        for name in names:
            a = [r["accuracy"] for r in records if r["n"] == n and r["method"] == name]
            row[name] = f"{np.mean(a):.3f} +- {np.std(a):.3f}"
        rows.append(row)
    print()
    print("target test accuracy (digits 5-9, 500 test rows), mean +- std over seeds", seeds)
    print_table(rows, [("N/class", "n", "{}")] + [(name, name, "{}") for name in names])
    print(f"total {time.perf_counter() - t0:.0f} s")
    if args.save:
        name = "bench_finetune" + ("_" + "_".join(args.methods).replace("+", "") if args.methods else "")
        print("saved", save_json(name, {"records": records}, quick=args.quick))


if __name__ == "__main__":
    main()
