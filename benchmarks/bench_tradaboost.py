"""TrAdaBoost against AdaBoost on pooled rows and on the labeled target rows alone: a learning curve.

What is measured
----------------
Two pairs of :func:`skdomain.datasets.shift_suite` (``standardize="pooled"``):

* ``mnist->digits`` (classification, accuracy; 1,000 source and 1,000 target
  rows, balanced over the digits, as in ``bench_shift_suite.py``);
* ``usa->japan`` (regression, R²; every row: 245 US cars as source, 79 Japanese
  cars as target).

For each seed and each budget of labeled target rows (5, 10, 20, 50; drawn by
the loader, balanced over the digits), every method is fitted and scored on the
SAME rows, the target rows outside the 50 of the largest budget (each budget's
labeled rows are the first of the 50: ``load(n_target_labeled=50)``, then the
labels after the first ``budget`` of them masked).

Methods, all with the same base learner and 50 rounds (``learner``:
``DecisionTreeClassifier(max_depth=4)`` / ``DecisionTreeRegressor(max_depth=3)``,
the latter scikit-learn's AdaBoost.R2 default; stumps are too weak for ten
classes):

* ``TrAdaBoost``: ``TrAdaBoostClassifier(learner, n_estimators=50)``;
  for regression ``TrAdaBoost.R2 two-stage`` (``TrAdaBoostRegressor``,
  defaults: 10 stages, 5-fold CV) and ``TrAdaBoost.R2`` (``two_stage=False``);
* ``AdaBoost pooled``: scikit-learn's ``AdaBoostClassifier`` /
  ``AdaBoostRegressor`` on the source rows and the labeled target rows,
  unweighted;
* ``AdaBoost target only``: the same on the labeled target rows alone.

Reported per pair, method and budget: score mean ± std over the seeds, the
paired per-seed differences of TrAdaBoost to the two baselines (Δ mean ± std,
wins), and the median fit wall time.

Run
---
    python benchmarks/bench_tradaboost.py                 # 5 seeds, both pairs (~3 min on 2 cores)
    python benchmarks/bench_tradaboost.py --quick         # 2 seeds, budgets 5 and 20
    python benchmarks/bench_tradaboost.py --save | tee benchmarks/results/bench_tradaboost.log

``--save`` writes ``benchmarks/results/bench_tradaboost[_quick].json``. Timings
are wall clock on a shared machine (load printed at start and end); BLAS runs
on one thread.
"""

import argparse
import os
import platform
import time
import warnings

import numpy as np
import sklearn
from sklearn.ensemble import AdaBoostClassifier, AdaBoostRegressor
from sklearn.metrics import accuracy_score, r2_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import threadpool_limits

import skdomain
from skdomain import TrAdaBoostClassifier, TrAdaBoostRegressor
from skdomain.datasets import shift_suite

from _common import print_load_at_start, print_table, print_total, save_json

PAIRS = ("mnist->digits", "usa->japan")
#: source / target subsamples per pair (None: every row)
SIZES = {"mnist->digits": (1000, 1000)}
BUDGETS, QUICK_BUDGETS = (5, 10, 20, 50), (5, 20)
N_ESTIMATORS = 50
BASELINES = ("AdaBoost pooled", "AdaBoost target only")


def methods(task):
    if task == "classification":
        return ["TrAdaBoost", *BASELINES]
    return ["TrAdaBoost.R2 two-stage", "TrAdaBoost.R2", *BASELINES]


def learner(task):
    return (
        DecisionTreeClassifier(max_depth=4)
        if task == "classification"
        else DecisionTreeRegressor(max_depth=3)
    )


def fit_method(name, task, X, y, sd, seed):
    clf = task == "classification"
    labeled = (y != -1) if clf else ~np.isnan(y)
    base = learner(task)
    if name in BASELINES:
        rows = labeled if name == "AdaBoost pooled" else labeled & (sd < 0)
        ada = AdaBoostClassifier if clf else AdaBoostRegressor
        return ada(base, n_estimators=N_ESTIMATORS, random_state=seed).fit(X[rows], y[rows])
    if clf:
        model = TrAdaBoostClassifier(base, n_estimators=N_ESTIMATORS, random_state=seed)
    else:
        model = TrAdaBoostRegressor(
            base, n_estimators=N_ESTIMATORS, two_stage=name.endswith("two-stage"), random_state=seed
        )
    return model.fit(X, y, sample_domain=sd)


def run_pair(name, pair, seeds, budgets):
    task = pair["task"]
    clf = task == "classification"
    n_source, n_target = SIZES.get(name, (None, None))
    records = {}
    for seed in seeds:
        X, y_all, sd, y_true = pair["load"](
            n_source=n_source,
            n_target=n_target,
            n_target_labeled=max(budgets),
            return_target_labels=True,
            random_state=seed,
        )
        masked = (y_all == -1) if clf else np.isnan(y_all)
        scored = (sd < 0) & masked
        labeled_target = np.flatnonzero((sd < 0) & ~masked)
        rng = np.random.RandomState(seed)
        order = rng.permutation(labeled_target)  # each budget: the first rows of one random order
        for budget in budgets:
            y = y_all.copy()
            y[order[budget:]] = -1 if clf else np.nan
            for method in methods(task):
                t0 = time.perf_counter()
                model = fit_method(method, task, X, y, sd, seed)
                fit_s = time.perf_counter() - t0
                pred = model.predict(X[scored])
                score = accuracy_score(y_true[scored], pred) if clf else r2_score(y_true[scored], pred)
                rec = records.setdefault((method, budget), {"score": [], "fit_s": [], "rounds": []})
                rec["score"].append(float(score))
                rec["fit_s"].append(fit_s)
                rec["rounds"].append(len(model.estimators_))
                if method.startswith("TrAdaBoost.R2 two"):
                    rec.setdefault("best_stage", []).append(int(model.best_stage_))
        print(f"  {name} seed {seed} done", flush=True)
    rows = []
    for (method, budget), rec in records.items():
        s = np.array(rec["score"])
        row = {
            "pair": name,
            "metric": pair["metric"] if clf else "r2",
            "method": method,
            "budget": budget,
            "n_source": int((sd >= 0).sum()),
            "n_target": int((sd < 0).sum()),
            "n_scored": int(scored.sum()),
            "seeds": list(seeds),
            **rec,
            "mean": float(s.mean()),
            "std": float(s.std()),
            "fit_median_s": float(np.median(rec["fit_s"])),
        }
        if method not in BASELINES:
            for base, key in zip(BASELINES, ("pooled", "target")):
                d = s - np.array(records[(base, budget)]["score"])
                row[f"delta_{key}"] = d.tolist()
                row[f"delta_{key}_mean"], row[f"delta_{key}_std"] = float(d.mean()), float(d.std())
                row[f"wins_{key}"] = f"{int((d > 0).sum())}/{d.size}"
        rows.append(row)
    order = methods(task)
    rows.sort(key=lambda r: (r["budget"], order.index(r["method"])))
    return rows


def print_pair(rows):
    r0 = rows[0]
    print(
        f"\n{r0['pair']}: {r0['metric']}, {r0['n_source']} source rows, {r0['n_target']} target rows, "
        f"{r0['n_scored']} scored, {len(r0['seeds'])} seeds"
    )
    for r in rows:
        r["score_s"] = f"{r['mean']:.3f} ± {r['std']:.3f}"
        for key in ("pooled", "target"):
            if f"delta_{key}_mean" in r:
                r[f"d_{key}"] = f"{r[f'delta_{key}_mean']:+.3f} ± {r[f'delta_{key}_std']:.3f}"
        r["rounds_s"] = f"{np.median(r['rounds']):.0f}"
    print_table(
        rows,
        [
            ("method", "method", "{}"),
            ("labels", "budget", "{}"),
            ("score", "score_s", "{}"),
            ("Δ vs pooled", "d_pooled", "{}"),
            ("wins", "wins_pooled", "{}"),
            ("Δ vs target only", "d_target", "{}"),
            ("wins", "wins_target", "{}"),
            ("rounds", "rounds_s", "{}"),
            ("fit s", "fit_median_s", "{:.2f}"),
        ],
    )
    for r in rows:
        for k in ("score_s", "d_pooled", "d_target", "rounds_s"):
            r.pop(k, None)


def main():
    suite = shift_suite()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, budgets 5 and 20")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default 5, quick 2)")
    parser.add_argument("--pairs", default=",".join(PAIRS), help=f"comma-separated, of {', '.join(suite)}")
    parser.add_argument("--save", action="store_true", help="write the rows to benchmarks/results/")
    args = parser.parse_args()
    pairs = args.pairs.split(",")
    for p in pairs:
        if p not in suite:
            parser.error(f"unknown pair {p!r}; choose from {', '.join(suite)}")
    seeds = list(range(args.seeds if args.seeds is not None else (2 if args.quick else 5)))
    budgets = QUICK_BUDGETS if args.quick else BUDGETS
    threadpool_limits(1)
    warnings.filterwarnings("ignore", category=skdomain.DomainWarning)
    print(
        f"skdomain {skdomain.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"python {platform.python_version()}, {os.cpu_count()} cpus"
    )
    print_load_at_start()
    quick = ", QUICK" if args.quick else ""
    print(f"seeds {seeds}, budgets {budgets}, pairs {pairs}, {N_ESTIMATORS} rounds{quick}")
    t_start = time.perf_counter()
    rows = []
    for name in pairs:
        t0 = time.perf_counter()
        rows.extend(run_pair(name, suite[name], seeds, budgets))
        print(f"  {name}: {time.perf_counter() - t0:.0f} s", flush=True)
    for name in pairs:
        print_pair([r for r in rows if r["pair"] == name])
    total = print_total(t_start)
    if args.save:
        path = save_json(
            "bench_tradaboost", {"args": vars(args), "total_s": total, "rows": rows}, quick=args.quick
        )
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
