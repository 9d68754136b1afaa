"""GTA against DANN and their source-only nets on MNIST -> digits: time per epoch, target accuracy.

What is measured
----------------
``load_mnist_digits("mnist->digits", standardize="per_domain")`` (5,000 MNIST rows as
source, the 1,797 UCI digits rows as target, 64 features, every domain centred and
scaled with its own moments; no labeled target row). Every net has the same module
(``DomainMLP``, 64-128-64 features, the default), Adam at lr 1e-3, batches of 64 source
+ 64 target rows, ``--epochs`` epochs (10; ``--quick`` 3), ``random_state=seed``:

* ``source only``: ``DANNClassifier(mu=0)`` (DANN's own source-only net);
* ``DANN``: ``DANNClassifier()`` at its defaults (mu 0.3, 256-256 discriminator);
* ``GTA source only``: ``GTAClassifier(alpha=0, beta=0)``: the same three phases, ``F``
  and ``C`` learn the task loss alone (GTA's own baseline, its cost included);
* ``GTA``: ``GTAClassifier()`` at its defaults (alpha 0.1, beta 0.03, MLP generator and
  discriminator of 128-128 units, noise of 16).

Reported per method: the median time per epoch (skorch's ``history[:, "dur"]``, median
over epochs, then over seeds) and the target accuracy (all 1,797 target rows) mean +- std
over the seeds. Timings are wall clock on whatever the machine is doing.

Run
---
    python benchmarks/bench_gta.py                 # 3 seeds, 10 epochs
    python benchmarks/bench_gta.py --quick         # 2 seeds, 3 epochs
    python benchmarks/bench_gta.py --save          # also write benchmarks/results/bench_gta.json
    python benchmarks/bench_gta.py --methods GTA --alpha 0.3 --beta 0.3   # other weights
"""

import argparse
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from skdomain.datasets import load_mnist_digits
from skdomain.deep import DANNClassifier, GTAClassifier

from _common import print_load_at_start, print_table, print_total, save_json

METHODS = {
    "source only": (DANNClassifier, {"mu": 0.0}),
    "DANN": (DANNClassifier, {}),
    "GTA source only": (GTAClassifier, {"alpha": 0.0, "beta": 0.0}),
    "GTA": (GTAClassifier, {}),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--alpha", type=float, default=None, help="GTA's alpha (default: the net's, 0.1)")
    parser.add_argument("--beta", type=float, default=None, help="GTA's beta (default: the net's, 0.03)")
    args = parser.parse_args(argv)
    seeds = range(args.seeds or (2 if args.quick else 3))
    epochs = args.epochs or (3 if args.quick else 10)
    t_start = time.perf_counter()
    print_load_at_start()
    X, y, sd, y_true = load_mnist_digits("mnist->digits", standardize="per_domain", return_target_labels=True)
    X = X.astype(np.float32)
    t = sd < 0
    rows = []
    torch.set_num_threads(1)
    with threadpool_limits(1):
        for name in args.methods:
            cls, kw = METHODS[name]
            if name == "GTA":
                kw = {k: v for k, v in (("alpha", args.alpha), ("beta", args.beta)) if v is not None}
            acc, dur = [], []
            for seed in seeds:
                net = cls(max_epochs=epochs, random_state=seed, **kw)
                tic = time.perf_counter()
                net.fit(X, y, sample_domain=sd)
                print(f"{name} seed {seed}: {time.perf_counter() - tic:.1f} s", flush=True)
                acc.append(float(np.mean(net.predict(X[t]) == y_true[t])))
                dur.append(float(np.median(net.history[:, "dur"])))
            rows.append(
                {
                    "method": name,
                    "epoch_s": float(np.median(dur)),
                    "acc_mean": float(np.mean(acc)),
                    "acc_std": float(np.std(acc)),
                    "accs": acc,
                }
            )
    weights = f"; GTA alpha={args.alpha}, beta={args.beta}" if args.alpha or args.beta else ""
    print(f"\nMNIST -> digits (per-domain standardised), {epochs} epochs, seeds {list(seeds)}{weights}")
    print_table(
        rows,
        [
            ("method", "method", "{}"),
            ("s / epoch", "epoch_s", "{:.2f}"),
            ("target acc", "acc_mean", "{:.3f}"),
            ("std", "acc_std", "{:.3f}"),
        ],
    )
    if args.save:
        save_json("bench_gta", {"epochs": epochs, "seeds": list(seeds), "rows": rows}, quick=args.quick)
    print_total(t_start)


if __name__ == "__main__":
    main()
