"""Progressive network vs fine-tuning vs scratch on the MNIST task split (``load_mnist_tasks``).

What is measured
----------------
For each seed, the source column is ``bench_finetune.py``'s: an MLP 784-256-128-5 (ReLU)
pretrained on digits 0-4 (400 training rows per digit; Adam, lr 1e-3, 15 epochs, batch
64). It is passed as ``FrozenEstimator(net)`` to the methods below, each trained on N
labeled rows per digit of the target task (digits 5-9; N in 5, 20, 100, nested training
sets) and scored on the 500 target test rows:

* ``progressive``: ``ProgressiveNetClassifier(net)``: the source column frozen, a new
  column 784-256-128-5 whose layers 2 and 3 read the source column's layers 1 and 2
  through the adapters (alpha_init 0.1, adapter width that of the new layer below);
* ``fine-tune``: ``FineTuningClassifier(net, freeze=0)``: a new head, every layer learns;
* ``scratch``: ``FineTuningClassifier`` on the same architecture freshly initialised.

Every net: Adam, lr 1e-3, batch 32, 60 epochs, no early stopping, ``random_state=seed``.
Reported: target test accuracy mean +- std over the seeds. The progressive net also keeps
the source task intact by construction (its source column is bit-identical; the tests
check that), which fine-tuning does not: not measured here.

Run
---
    python benchmarks/bench_progressive.py          # 3 seeds
    python benchmarks/bench_progressive.py --quick  # 1 seed, N in 5, 100
    python benchmarks/bench_progressive.py --save   # also benchmarks/results/bench_progressive[_quick].json
"""

import argparse
import time
import warnings

import numpy as np
import torch
from bench_finetune import mlp, pretrain
from sklearn.frozen import FrozenEstimator

from skdomain.datasets import load_mnist_tasks
from skdomain.transfer import FineTuningClassifier, ProgressiveNetClassifier

from _common import print_table, save_json


def methods(net, seed):
    ft = dict(lr=1e-3, batch_size=32, max_epochs=60, random_state=seed)
    torch.manual_seed(seed + 1000)
    fresh = mlp()
    pre = FrozenEstimator(net)
    return {
        "progressive": ProgressiveNetClassifier(pre, **ft),
        "fine-tune": FineTuningClassifier(pre, freeze=0, **ft),
        "scratch": FineTuningClassifier(fresh, freeze=0, **ft),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = [0] if args.quick else [0, 1, 2]
    sizes = [5, 100] if args.quick else [5, 20, 100]
    records = []
    t0 = time.perf_counter()
    for seed in seeds:
        data = load_mnist_tasks(random_state=seed)
        net, src_acc = pretrain(data, seed)
        print(f"seed {seed}: pretrained on digits 0-4, source test accuracy {src_acc:.3f}", flush=True)
        for n in sizes:
            sub = load_mnist_tasks(n_target_per_class=n, random_state=seed)
            for name, est in methods(net, seed).items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est.fit(sub.X_target, sub.y_target)
                acc = float(est.score(sub.X_target_test, sub.y_target_test))
                records.append(dict(seed=seed, n=n, method=name, accuracy=acc, source_accuracy=src_acc))
            print(f"  n={n} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    names = list(methods(net, 0))
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
        print("saved", save_json("bench_progressive", {"records": records}, quick=args.quick))


if __name__ == "__main__":
    main()
