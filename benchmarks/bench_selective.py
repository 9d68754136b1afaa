"""Selective joint fine-tuning against fine-tuning without source and joint training with all source.

What is measured
----------------
The rows of Ge & Yu's tables (the seed's 004 lecture), on the MNIST task split. For each
seed, ``load_mnist_tasks(random_state=seed)`` gives the source task (digits 0-4, 400
training rows per digit) and the target task (digits 5-9, ``--n-target`` training rows
per digit, default 10), 100 held-out test rows per digit each. The MLP 784-256-128-5 of
``bench_finetune.py`` is pretrained on the source task, then
``SelectiveJointFineTuningClassifier`` (a new target head beside the source head, every
layer trained, loss CE_target + lambda CE_source, lambda = 1) is fitted with

* ``fine-tuning w/o source``: ``sample_domain=None`` (the target rows only);
* ``joint, all source``: ``n_neighbors=None`` (every source row);
* ``joint, random source``: as many source rows as the selective fit below took, drawn at
  random (the paper's "random source samples" control);
* ``selective joint (pixels)``: ``n_neighbors=K`` nearest source rows per target row on the
  raw pixels;
* ``selective joint (layer 1)``: the same on the outputs of layer ``"1"`` (the first
  hidden layer after its ReLU: low-level features).

All: Adam, lr 1e-3, batch 32, 30 epochs, ``random_state=seed``. The paper's iterative
retrieval (more neighbours for hard target rows) is not implemented. Reported: target test
accuracy, mean +- std over the seeds, and the number of source rows trained on.

Run
---
    python benchmarks/bench_selective.py              # 3 seeds
    python benchmarks/bench_selective.py --quick      # 1 seed
    python benchmarks/bench_selective.py --save       # also benchmarks/results/bench_selective[_quick].json
"""

import argparse
import time

import numpy as np
import torch
from bench_finetune import pretrain
from sklearn.frozen import FrozenEstimator

from skdomain.datasets import load_mnist_tasks
from skdomain.transfer import SelectiveJointFineTuningClassifier

from _common import print_table, save_json


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--n-target", type=int, default=10)
    parser.add_argument("--k", type=int, default=10, help="neighbours per target row")
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = [0] if args.quick else [0, 1, 2]
    records = []
    t0 = time.perf_counter()
    for seed in seeds:
        data = load_mnist_tasks(n_target_per_class=args.n_target, random_state=seed)
        net, _ = pretrain(data, seed)
        X = np.r_[data.X_target, data.X_source]
        y = np.r_[data.y_target, data.y_source]
        sd = np.r_[np.full(len(data.y_target), -1), np.full(len(data.y_source), 1)]
        kw = dict(lr=1e-3, batch_size=32, max_epochs=30, random_state=seed)

        def run(name, est, X=X, y=y, sd=sd):
            est.fit(X, y, sample_domain=sd)
            n_src = 0 if sd is None else est.selected_.size
            acc = float(est.score(data.X_target_test, data.y_target_test))
            records.append(dict(seed=seed, method=name, acc=acc, n_source=n_src))
            return est

        pre = FrozenEstimator(net)
        src_classes = dict(source_classes=net.classes_)
        run(
            "fine-tuning w/o source",
            SelectiveJointFineTuningClassifier(pre, **src_classes, **kw),
            X=data.X_target,
            y=data.y_target,
            sd=None,
        )
        run(
            "joint, all source",
            SelectiveJointFineTuningClassifier(pre, n_neighbors=None, **src_classes, **kw),
        )
        sel = run(
            "selective joint (pixels)",
            SelectiveJointFineTuningClassifier(pre, n_neighbors=args.k, **src_classes, **kw),
        )
        run(
            "selective joint (layer 1)",
            SelectiveJointFineTuningClassifier(
                pre, n_neighbors=args.k, selection_layer="1", **src_classes, **kw
            ),
        )
        # the random control: as many source rows as the selective fit (pixels) took
        n_t = len(data.y_target)
        rng = np.random.RandomState(seed)
        keep = np.r_[np.arange(n_t), n_t + rng.choice(len(data.y_source), sel.selected_.size, replace=False)]
        run(
            "joint, random source",
            SelectiveJointFineTuningClassifier(pre, n_neighbors=None, **src_classes, **kw),
            X=X[keep],
            y=y[keep],
            sd=sd[keep],
        )
        print(f"seed {seed} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    rows = []
    for name in dict.fromkeys(r["method"] for r in records):
        rs = [r for r in records if r["method"] == name]
        acc = [r["acc"] for r in rs]
        rows.append(
            dict(
                method=name,
                acc=f"{np.mean(acc):.3f} +- {np.std(acc):.3f}",
                n_source=f"{np.mean([r['n_source'] for r in rs]):.0f}",
            )
        )
    print()
    print(
        f"target task (5-9) test accuracy, {args.n_target} target rows per digit, K = {args.k}, seeds {seeds}"
    )
    print_table(
        rows, [("method", "method", "{}"), ("accuracy", "acc", "{}"), ("source rows", "n_source", "{}")]
    )
    print(f"total {time.perf_counter() - t0:.0f} s")
    if args.save:
        payload = {"records": records, "n_target": args.n_target, "k": args.k}
        print("saved", save_json("bench_selective", payload, quick=args.quick))


if __name__ == "__main__":
    main()
