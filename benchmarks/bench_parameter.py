"""How does the fit time of dictionary parameter transfer grow with the problem?

What is measured
----------------
``skdomain.DictionaryTransferRegressor`` fits one ridge model per source task,
then runs block-coordinate descent on the two stages' objectives (codes by
proximal gradient, W_T by one linear solve, D column by column). On
``make_shared_dictionary_tasks`` (regression, 100 rows per source task, 20
labeled target rows, noise 0.5) the script varies one size at a time:

* ``m``: the number of source tasks (d = 21, k = 5);
* ``d``: the number of features + 1 (m = 10, k = 5);
* ``k``: the number of atoms (m = 10, d = 51).

For every size it reports

* ``fit_s``: median wall time of a default fit (``tol=1e-5``), with its
  iterations ``iters`` (both stages) -- what a user waits;
* ``fixed_s``: median wall time of a fit with a fixed amount of work
  (``tol=0, max_iter=20``: 20 iterations per stage), so that the growth with
  the size is not hidden by a changing number of iterations;
* ``ratio``: ``fixed_s`` over the first row's, next to the size ratio.

The solver's per-iteration cost is O(m d k c) for the products D^T W_t, O(m k^2 c)
per proximal step and O(d k^2) per dictionary sweep; the ridge fits cost
O(n d^2 + m d^3) once. BLAS is limited to one thread (``--threads`` to change it)
so that the numbers do not depend on other load of a shared machine.

Run
---
    python benchmarks/bench_parameter.py           # three sweeps, 3 repeats (~1 min, 2 cores)
    python benchmarks/bench_parameter.py --quick   # smaller sweeps, 1 repeat (~5 s)

``--save`` writes ``benchmarks/results/bench_parameter[_quick].json``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skdomain import DictionaryTransferRegressor
from skdomain.datasets import make_shared_dictionary_tasks

from _common import save_json


def timed_fit(X, y, sd, repeats, **params):
    times, model = [], None
    for _ in range(repeats):
        model = DictionaryTransferRegressor(random_state=0, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            model.fit(X, y, sample_domain=sd)
            times.append(time.perf_counter() - t0)
    return float(np.median(times)), model


def run_sweep(name, values, make_params, repeats):
    rows = []
    for v in values:
        m, p, k = make_params(v)
        X, y, sd = make_shared_dictionary_tasks(
            n_sources=m,
            n_source_samples=100,
            n_target=100,
            n_target_labeled=20,
            n_features=p,
            n_atoms=5,
            noise=0.5,
            random_state=0,
        )
        fit_s, model = timed_fit(X, y, sd, repeats, n_atoms=k)
        fixed_s, _ = timed_fit(X, y, sd, repeats, n_atoms=k, tol=0.0, max_iter=20)
        rows.append(
            {
                "sweep": name,
                "m": m,
                "d": p + 1,
                "k": k,
                "fit_s": fit_s,
                "iters": int(model.n_iter_),
                "fixed_s": fixed_s,
            }
        )
    base = rows[0]
    print(f"\nfit time vs {name}")
    print(f"{'m':>5} {'d':>5} {'k':>4} {'fit_s':>8} {'iters':>6} {'fixed_s':>8} {'ratio':>7} {'size x':>7}")
    for r in rows:
        r["ratio"] = r["fixed_s"] / base["fixed_s"]
        r["size_ratio"] = r[name] / base[name]
        print(
            f"{r['m']:>5} {r['d']:>5} {r['k']:>4} {r['fit_s']:>8.3f} {r['iters']:>6} "
            f"{r['fixed_s']:>8.3f} {r['ratio']:>7.2f} {r['size_ratio']:>7.1f}"
        )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sweeps, one repeat")
    parser.add_argument("--repeats", type=int, default=None, help="fits per size (median)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    parser.add_argument("--save", action="store_true", help="write the rows as JSON")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    if args.quick:
        ms, ds, ks = [2, 10, 40], [10, 50, 100], [2, 5, 20]
    else:
        ms, ds, ks = [2, 10, 50, 200, 1000], [10, 50, 100, 200, 400, 800], [2, 5, 10, 20, 50, 100]
    rows = []
    with threadpool_limits(limits=args.threads, user_api="blas"):
        X, y, sd = make_shared_dictionary_tasks(random_state=0)
        timed_fit(X, y, sd, 1)  # warm-up: imports and first-call costs stay out of the first row
        rows += run_sweep("m", ms, lambda m: (m, 20, 5), repeats)
        rows += run_sweep("d", ds, lambda p: (10, p, 5), repeats)
        rows += run_sweep("k", ks, lambda k: (10, 50, k), repeats)
    if args.save:
        print(f"\nwrote {save_json('bench_parameter', rows, quick=args.quick)}")


if __name__ == "__main__":
    main()
