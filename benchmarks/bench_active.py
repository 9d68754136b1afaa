"""How long does an MMD query take, and how tight is its relaxation?

What is measured
----------------
``skdomain.active.MMDQuerySelector`` chooses a batch of ``b`` pool rows by

    min_a  -lambda d'a + MMD^2(P_ref, P_L + P_U a)   s.t.  a in {0,1}^n_u,  sum(a) = b,

relaxed to a in [0, 1]^n_u and solved by cvxpy (Clarabel), then rounded (top b) and
improved by exchanges on the exact objective. For pools of growing size n_u (target
rows of ``make_domain_shift``, covariate shift, 20 labeled target rows, 300 source
rows, ``reference="target"``, b = 10, lambda = 0 and 0.03) the script times one ``fit``
with the quadratic factored exactly (``n_components=None``: an n_u x n_u kernel
matrix and its eigendecomposition) and with a Nystroem factor of rank 100 and 300.
The transfer model is fitted once per pool and passed frozen
(``sklearn.frozen.FrozenEstimator``), so the times are the selection's (base model,
d_i, kernel sums, factor, QP, rounding, exchanges).

Columns:

* ``fit_s``: wall time of ``fit`` (best of ``--repeat``); ``cpu_s`` its process CPU time;
* ``relaxed``: the relaxation's value, a lower bound on the Boolean optimum;
* ``rounded``: the exact objective of the returned batch;
* ``gap``: rounded - relaxed, how far the batch can be from the optimum at most;
* ``random``: the mean exact objective of 10 random batches (of ``b`` pool rows), the
  scale on which to read ``gap``;
* ``vs dense``: rounded objective minus the dense factor's rounded objective
  (negative: the Nystroem run found a better batch);
* ``swaps``: exchanges made after rounding.

Run
---
    python benchmarks/bench_active.py            # n_u = 250 ... 4000 (~3 min on 2 shared cores)
    python benchmarks/bench_active.py --quick    # n_u = 100, 400 (~10 s)
    python benchmarks/bench_active.py --save     # also writes benchmarks/results/bench_active.json
"""

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from skdomain import KMM
from skdomain.active import MMDQuerySelector
from skdomain.datasets import make_domain_shift
from skdomain.metrics import mmd

from _common import save_json


def data(n_pool, seed, n_source=300, n_labeled=20):
    return make_domain_shift(
        n_source=n_source, n_target=n_pool + n_labeled, n_target_labeled=n_labeled, random_state=seed
    )


def time_fit(sel, X, y, sd, repeat):
    best_wall, best_cpu = np.inf, np.inf
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        sel.fit(X, y, sample_domain=sd)
        best_wall = min(best_wall, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu


def random_objective(sel, X, y, sd, lam, n_draws=10):
    """Mean exact objective of random batches (MMD^2 by skdomain.metrics.mmd, minus lambda d'a)."""
    rng = np.random.RandomState(0)
    labeled_target = X[(sd < 0) & (y != -1)]
    values = []
    for _ in range(n_draws):
        pos = rng.choice(sel.pool_indices_.size, sel.batch_size, replace=False)
        batch = np.vstack([labeled_target, X[sel.pool_indices_[pos]]])
        values.append(mmd(X[sd < 0], batch, gamma=sel.gamma_) - lam * sel.scores_[pos].sum())
    return float(np.mean(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="two small pools, one repeat")
    parser.add_argument("--sizes", default=None, help="comma-separated pool sizes")
    parser.add_argument("--ranks", default="100,300", help="Nystroem ranks")
    parser.add_argument("--lambdas", default="0,0.03", help="values of lambda_")
    parser.add_argument("--dense-max", type=int, default=4000, help="largest pool solved densely")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()
    sizes = [
        int(s) for s in (args.sizes or ("100,400" if args.quick else "250,500,1000,2000,4000")).split(",")
    ]
    ranks = [int(r) for r in args.ranks.split(",")]
    repeat = args.repeat or (1 if args.quick else 2)
    lambdas = [float(v) for v in args.lambdas.split(",")]
    print(f"load average: {os.getloadavg()}; b = 10, reference = 'target', repeat = {repeat}")

    rows = []
    header = f"{'n_u':>6s} {'lambda':>6s} {'factor':>9s} {'fit_s':>7s} {'cpu_s':>7s} "
    header += f"{'relaxed':>10s} {'rounded':>10s} "
    header += f"{'gap':>9s} {'random':>10s} {'vs dense':>10s} {'swaps':>5s}"
    print(header)
    for n_u in sizes:
        X, y, sd = data(n_u, args.seed)
        transfer = FrozenEstimator(KMM(LogisticRegression(max_iter=1000), B=10.0).fit(X, y, sample_domain=sd))
        configs = ([("dense", None)] if n_u <= args.dense_max else []) + [
            (f"nys {r}", r) for r in ranks if r < n_u
        ]
        for lam, (label, r) in [(lam, c) for lam in lambdas for c in configs]:
            if label == configs[0][0]:
                dense_rounded = None  # the dense run comes first for each lambda
            sel = MMDQuerySelector(
                transfer_estimator=transfer,
                batch_size=10,
                lambda_=lam,
                n_components=r,
                random_state=args.seed,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wall, cpu = time_fit(sel, X, y, sd, repeat)
            if r is None:
                dense_rounded = sel.rounded_objective_
            gap = sel.rounded_objective_ - sel.relaxed_objective_
            rand = random_objective(sel, X, y, sd, lam)
            vs = np.nan if dense_rounded is None else sel.rounded_objective_ - dense_rounded
            row = {
                "n_u": n_u,
                "lambda": lam,
                "factor": label,
                "fit_s": wall,
                "cpu_s": cpu,
                "relaxed": sel.relaxed_objective_,
                "rounded": sel.rounded_objective_,
                "gap": gap,
                "random": rand,
                "vs_dense": vs,
                "swaps": sel.n_swaps_,
                "status": sel.solver_status_,
            }
            rows.append(row)
            print(
                f"{n_u:6d} {lam:6g} {label:>9s} {wall:7.2f} {cpu:7.2f} {row['relaxed']:10.5f} "
                f"{row['rounded']:10.5f} {gap:9.2e} {rand:10.5f} {vs:10.2e} {row['swaps']:5d}",
                flush=True,
            )
    if args.save:
        print(f"saved {save_json('bench_active', rows, quick=args.quick, default=float)}")


if __name__ == "__main__":
    main()
