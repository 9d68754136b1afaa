"""Domain confusion with soft labels against DANN on MNIST -> UCI digits, 10% labeled target rows.

What is measured
----------------
``load_mnist_digits("mnist->digits", n_target_labeled=180)``: 5,000 MNIST rows
(source) and the 1,797 UCI digits rows (target), of which 180 (10%, 18 per digit,
drawn by the seed) are labeled; inputs ``x / 16``. Every net is scored on the
1,617 target rows whose label it never saw, with the held-back labels.

The same network and training for every net: skdomain's default
``DomainMLP(hidden_units=(64, 128, 64))`` (seeded by ``random_state=seed``, so
for a seed every net starts from the same weights and draws the same batches),
Adam, lr 1e-3, 64 source + 64 target rows per step, ``--epochs`` epochs (20).

* ``DANN``: ``DANNClassifier(random_state=seed)`` (defaults: mu 0.3, the reversal
  coefficient on Ganin's schedule, Adam betas (0.5, 0.999));
* ``confusion``: ``DomainConfusionClassifier(random_state=seed, nu=0)`` (the
  confusion loss alone, mu 0.3);
* ``confusion + soft``: ``DomainConfusionClassifier(random_state=seed)`` (nu 1,
  T 2: the soft labels recomputed each epoch);
* ``labeled only``: ``DANNClassifier`` on the source and the labeled target rows,
  without the unlabeled ones (``mu=0``: no adversarial term).

Reported: target accuracy mean +- std over the seeds, and the median time per
epoch (skorch's ``history[:, "dur"]``: the median over epochs, then over seeds).

Results (3 seeds, 20 epochs; per seed 0, 1, 2)
---------------------------------------------
labeled only 0.935, 0.932, 0.910; DANN 0.922, 0.904, 0.912; confusion 0.915, 0.883,
0.912; confusion + soft 0.926, 0.915, 0.923 (docs/user_guide/deep.rst, "What was
measured"). Times per epoch depend on the machine's load; compare them within a run.

Run
---
    python benchmarks/bench_confusion.py               # 3 seeds, 20 epochs
    python benchmarks/bench_confusion.py --quick       # 1 seed, 3 epochs
"""

import argparse
import time

import numpy as np
import torch

from skdomain.datasets import load_mnist_digits
from skdomain.deep import DANNClassifier, DomainConfusionClassifier

N_LABELED = 180  # 10% of the 1,797 digits rows


def load(seed):
    X, y, sd, y_true = load_mnist_digits(
        "mnist->digits", n_target_labeled=N_LABELED, return_target_labels=True, random_state=seed
    )
    return (X / 16.0).astype(np.float32), y, sd, y_true


def methods(seed, epochs):
    common = dict(random_state=seed, max_epochs=epochs)
    return {
        "labeled only": lambda: DANNClassifier(mu=0.0, **common),
        "DANN": lambda: DANNClassifier(**common),
        "confusion": lambda: DomainConfusionClassifier(nu=0.0, **common),
        "confusion + soft": lambda: DomainConfusionClassifier(**common),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="1 seed, 3 epochs")
    args = parser.parse_args()
    seeds, epochs = (1, 3) if args.quick else (args.seeds, args.epochs)
    torch.set_num_threads(1)
    rows = {}
    for seed in range(seeds):
        X, y, sd, y_true = load(seed)
        scored = (sd < 0) & (y == -1)
        for name, make in methods(seed, epochs).items():
            if name == "labeled only":
                keep = (sd >= 0) | (y != -1)  # the labeled target rows only: no unlabeled target row
                Xf, yf, sdf = X[keep], y[keep], sd[keep]
            else:
                Xf, yf, sdf = X, y, sd
            t0 = time.perf_counter()
            net = make().fit(Xf, yf, sample_domain=sdf)
            wall = time.perf_counter() - t0
            acc = float((net.predict(X[scored]) == y_true[scored]).mean())
            dur = float(np.median(net.history[:, "dur"]))
            rows.setdefault(name, []).append((acc, dur))
            print(f"seed {seed} {name:18s} acc {acc:.4f} epoch {dur:.3f} s fit {wall:.1f} s", flush=True)
    print(f"\nmnist->digits, {N_LABELED} labeled target rows, {seeds} seeds, {epochs} epochs")
    print(f"{'method':18s} {'target acc':>16s} {'s / epoch':>10s}")
    for name, vals in rows.items():
        acc = np.array([a for a, _ in vals])
        dur = np.median([d for _, d in vals])
        print(f"{name:18s} {acc.mean():.4f} +- {acc.std():.4f} {dur:10.3f}")


if __name__ == "__main__":
    main()
