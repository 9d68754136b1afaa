"""Shallow estimators on a real shift: MNIST -> UCI digits and back (``load_mnist_digits``).

What is measured
----------------
For each direction (``mnist->digits``: 5,000 MNIST rows -> 1,797 digits rows;
``digits->mnist``: the reverse) and each input scaling (the raw counts 0-16, or
``standardize="per_domain"``: every domain centred and scaled with its own
moments), and for each seed, the data come from
``load_mnist_digits(direction, n_target_labeled=N, random_state=seed)``: the
seed draws N labeled target rows (balanced over the classes, default N = 50,
5 per digit). Every method is scored on the SAME rows, the target rows whose
label stays masked, with the held-back labels (``return_target_labels=True``):

* ``source only``: ``LogisticRegression(max_iter=1000)`` on the source rows;
* ``target only (N)``: the same on the N labeled target rows only;
* ``LabeledOnly (S + N)``: ``LabeledOnly(LR)``, source rows and the N labeled
  target rows pooled;
* ``KMM(LR)``: ``KMM(LR, random_state=seed)``, defaults otherwise (median-heuristic
  RBF, B = 1000, Nystroem rank 1000), unsupervised (no target label); with
  ``--kmm-semi`` (always in ``--quick``) also ``KMM(LR) + N`` with the N labeled
  target rows (weight 1 in the final fit). At n_s = 5000 on these 64 features
  one KMM fit at the default rank took 136 s on a busy 2-core machine, hence
  ``--kmm-semi`` and ``--kmm-components`` (the docs show rank 1000 and 300);
* ``TCA + LabeledOnly(LR)``: ``make_pipeline(TCA(n_components=..., random_state=seed),
  LabeledOnly(LR))``, TCA's defaults otherwise (median-heuristic RBF, mu = 1,
  landmarks "auto"), unsupervised and ``+ N``.

Reported: target accuracy mean +- std over the seeds (the std comes from the
seed's draw of labeled / scored target rows and the methods' own randomness,
Nystroem landmarks), and the median fit wall time. Two in-domain references are
printed first: 5-fold cross-validated LR accuracy within MNIST and within digits
(counts; the target-domain figure is the ceiling no adaptation reaches).

Run
---
    python benchmarks/bench_mnist_digits.py              # full run (3 seeds; ~17 min on 2 busy cores)
    python benchmarks/bench_mnist_digits.py --quick      # smoke run: 2 seeds, 1000-row subsamples
    python benchmarks/bench_mnist_digits.py --save       # also write benchmarks/results/*.json

``--save`` writes the rows to ``benchmarks/results/bench_mnist_digits[_quick].json``;
nothing else is written. Timings are wall clock (perf_counter) on whatever the
machine is doing; the load average is printed at start and end. BLAS runs on one
thread (threadpoolctl): on a shared 2-core machine two-threaded OpenBLAS made one
1000-iteration lbfgs fit on the MNIST counts ~50x slower (82 s of CPU against 1.6 s).
On MNIST's counts lbfgs stops at ``max_iter=1000`` (a ConvergenceWarning, silenced
here): the figures are those of skdomain's default inner estimator as it stands.
"""

import argparse
import os
import platform
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

import skdomain
from skdomain import KMM, TCA, LabeledOnly
from skdomain.datasets import load_mnist_digits

from _common import results_path, save_json

DIRECTIONS = ("mnist->digits", "digits->mnist")


def lr():
    return LogisticRegression(max_iter=1000)


def methods(n_labeled, n_components, seed, kmm_semi, kmm_components):
    """(name, uses labeled target rows, factory of a fit(X, y, sd) -> fitted model)."""

    def plain(X, y, sd, rows):
        return lr().fit(X[rows], y[rows])

    def kmm(X, y, sd):
        kw = {} if kmm_components is None else {"n_components": kmm_components}
        return KMM(lr(), random_state=seed, **kw).fit(X, y, sample_domain=sd)

    def tca(X, y, sd):
        pipe = make_pipeline(TCA(n_components=n_components, random_state=seed), LabeledOnly(lr()))
        return pipe.fit(X, y, tca__sample_domain=sd)

    return [
        ("source only", False, lambda X, y, sd: plain(X, y, sd, sd >= 0)),
        (f"target only ({n_labeled})", True, lambda X, y, sd: plain(X, y, sd, (sd < 0) & (y != -1))),
        (f"LabeledOnly (S + {n_labeled})", True, lambda X, y, sd: LabeledOnly(lr()).fit(X, y, sd)),
        ("KMM(LR)", False, kmm),
        *([(f"KMM(LR) + {n_labeled}", True, kmm)] if kmm_semi else []),
        ("TCA + LabeledOnly(LR)", False, tca),
        (f"TCA + LabeledOnly(LR) + {n_labeled}", True, tca),
    ]


def in_domain(n_source, n_target):
    """5-fold cross-validated LR accuracy within each collection (raw counts)."""
    out = {}
    X, _, sd, y_true = load_mnist_digits(
        n_source=n_source, n_target=n_target, random_state=0, return_target_labels=True
    )
    for name, rows in (("MNIST", sd >= 0), ("digits", sd < 0)):
        out[name] = float(cross_val_score(lr(), X[rows], y_true[rows], cv=5).mean())
    return out


def run(args, save=None):
    seeds = list(range(args.seeds))
    scalings = [None, "per_domain"]
    rows = []
    for direction in DIRECTIONS:
        sizes = {}
        if args.quick:
            sizes = {"n_source": min(1000, 5000), "n_target": 1000}
        for standardize in scalings:
            acc, fit_s = {}, {}
            for seed in seeds:
                X, y, sd, y_true = load_mnist_digits(
                    direction,
                    n_target_labeled=args.n_labeled,
                    standardize=standardize,
                    random_state=seed,
                    return_target_labels=True,
                    **sizes,
                )
                scored = (sd < 0) & (y == -1)
                y_unsup = np.where(sd < 0, -1, y)
                semi_kmm = args.kmm_semi or args.quick
                todo = methods(args.n_labeled, args.n_components, seed, semi_kmm, args.kmm_components)
                for name, semi, fit in todo:
                    t0 = time.perf_counter()
                    model = fit(X, y if semi else y_unsup, sd)
                    fit_s.setdefault(name, []).append(time.perf_counter() - t0)
                    acc.setdefault(name, []).append(
                        float(np.mean(model.predict(X[scored]) == y_true[scored]))
                    )
            n_s, n_t = int((sd >= 0).sum()), int((sd < 0).sum())
            for name in acc:
                a = np.array(acc[name])
                rows.append(
                    {
                        "direction": direction,
                        "standardize": standardize or "none",
                        "n_source": n_s,
                        "n_target": n_t,
                        "n_scored": int(scored.sum()),
                        "method": name,
                        "acc_mean": float(a.mean()),
                        "acc_std": float(a.std()),
                        "acc": acc[name],
                        "fit_s_median": float(np.median(fit_s[name])),
                        "fit_s": fit_s[name],
                    }
                )
                r = rows[-1]
                if save is not None:
                    save(rows)
                print(
                    f"  {direction:14s} {r['standardize']:10s} {name:34s} "
                    f"{r['acc_mean']:.3f} +- {r['acc_std']:.3f}   fit {r['fit_s_median']:6.2f} s",
                    flush=True,
                )
    return rows


def print_table(rows):
    head = f"{'direction':14s} {'scaling':10s} {'method':34s} {'target acc':>15s} {'fit (s)':>8s}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['direction']:14s} {r['standardize']:10s} {r['method']:34s} "
            f"{r['acc_mean']:7.3f} +- {r['acc_std']:.3f} {r['fit_s_median']:8.2f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, 1000-row subsamples")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default 3, quick 2)")
    parser.add_argument(
        "--kmm-components",
        type=int,
        default=None,
        help="KMM's Nystroem rank n_components (default: KMM's own, 1000)",
    )
    parser.add_argument(
        "--kmm-semi", action="store_true", help="also KMM with the labeled target rows (always in --quick)"
    )
    parser.add_argument("--n-labeled", type=int, default=50, help="labeled target rows (default 50)")
    parser.add_argument("--n-components", type=int, default=30, help="TCA components (default 30)")
    parser.add_argument("--save", action="store_true", help="write the rows to benchmarks/results/")
    args = parser.parse_args()
    if args.seeds is None:
        args.seeds = 2 if args.quick else 3
    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # lbfgs at max_iter on MNIST counts
    threadpool_limits(1)

    print(
        f"skdomain {skdomain.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"python {platform.python_version()}, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"seeds {list(range(args.seeds))}, {args.n_labeled} labeled target rows per seed, "
        f"TCA n_components={args.n_components}, KMM n_components={args.kmm_components or 'default'}"
        f"{', QUICK' if args.quick else ''}"
    )
    t0 = time.perf_counter()
    load_mnist_digits()
    print(f"first load_mnist_digits() (read + convert 5,000 MNIST images): {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    load_mnist_digits()
    print(f"cached load_mnist_digits(): {1e3 * (time.perf_counter() - t0):.1f} ms")
    sizes = (1000, 1000) if args.quick else (None, None)
    ref = in_domain(*sizes)
    print("in-domain LR, 5-fold CV (counts): " + ", ".join(f"{k} {v:.3f}" for k, v in ref.items()))
    print()
    out = results_path("bench_mnist_digits", args.quick)

    def save(rows):
        save_json(
            "bench_mnist_digits", {"in_domain": ref, "args": vars(args), "rows": rows}, quick=args.quick
        )

    rows = run(args, save if args.save else None)
    print()
    print_table(rows)
    print(f"load at end {os.getloadavg()[0]:.1f}")
    if args.save:
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
