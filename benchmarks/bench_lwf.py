"""Learning without Forgetting against fine-tuning and feature extraction: old and new accuracy.

What is measured
----------------
The layout of Li & Hoiem's tables (the seed's 004 lecture): for each method, the accuracy
on the OLD task (the old head, after training on the new task) and on the NEW task. For each
seed, ``load_mnist_tasks(random_state=seed)`` gives the old task (digits 0-4, 400 training
rows per digit) and the new task (digits 5-9, ``--n-new`` training rows per digit, default
400), 100 held-out test rows per digit each. The MLP 784-256-128-5 of
``bench_finetune.py`` is pretrained on the old task, then, using only new-task rows:

* ``LwF``: ``LwFClassifier(net)`` (T = 2, lambda_o = 1, warm-up 5 epochs);
* ``fine-tuning``: ``LwFClassifier(net, lambda_old=0)``: every layer trained on the new
  task, the old head kept (not trained) to measure forgetting;
* ``feature extraction``: ``LwFClassifier(net, warmup_epochs=max_epochs)``: the new head
  alone, the network frozen (old accuracy unchanged by construction).

All: Adam, lr 1e-3, batch 64, 30 epochs, ``random_state=seed``. Joint training (the
paper's upper bound, which needs the old task's data) is not run. Reported: mean +- std over
the seeds.

Run
---
    python benchmarks/bench_lwf.py                 # 3 seeds
    python benchmarks/bench_lwf.py --quick         # 1 seed, 50 new rows per digit
    python benchmarks/bench_lwf.py --save          # also benchmarks/results/bench_lwf[_quick].json
"""

import argparse
import time

import numpy as np
import torch
from bench_finetune import pretrain
from sklearn.frozen import FrozenEstimator

from skdomain.datasets import load_mnist_tasks
from skdomain.transfer import LwFClassifier

from _common import print_table, save_json


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--n-new", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = [0] if args.quick else [0, 1, 2]
    n_new = args.n_new or (50 if args.quick else 400)
    epochs = 30
    records = []
    t0 = time.perf_counter()
    for seed in seeds:
        data = load_mnist_tasks(n_target_per_class=n_new, random_state=seed)
        net, src_acc = pretrain(data, seed)
        kw = dict(lr=1e-3, batch_size=64, max_epochs=epochs, random_state=seed)
        methods = {
            "LwF": LwFClassifier(FrozenEstimator(net), **kw),
            "fine-tuning": LwFClassifier(FrozenEstimator(net), lambda_old=0.0, **kw),
            "feature extraction": LwFClassifier(FrozenEstimator(net), warmup_epochs=epochs, **kw),
        }
        records.append(dict(seed=seed, method="pretrained (old task only)", old=src_acc, new=None))
        for name, est in methods.items():
            est.fit(data.X_target, data.y_target)
            records.append(
                dict(
                    seed=seed,
                    method=name,
                    old=est.score_old(data.X_source_test, data.y_source_test),
                    new=float(est.score(data.X_target_test, data.y_target_test)),
                )
            )
        print(f"seed {seed} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    rows = []
    for name in dict.fromkeys(r["method"] for r in records):
        rs = [r for r in records if r["method"] == name]
        row = {"method": name}
        for key in ("old", "new"):
            vals = [r[key] for r in rs if r[key] is not None]
            row[key] = f"{np.mean(vals):.3f} +- {np.std(vals):.3f}" if vals else None
        rows.append(row)
    print()
    print(f"old task (0-4) and new task (5-9) test accuracy, {n_new} new rows per digit, seeds {seeds}")
    print_table(rows, [("method", "method", "{}"), ("old task", "old", "{}"), ("new task", "new", "{}")])
    print(f"total {time.perf_counter() - t0:.0f} s")
    if args.save:
        print("saved", save_json("bench_lwf", {"records": records, "n_new": n_new}, quick=args.quick))


if __name__ == "__main__":
    main()
