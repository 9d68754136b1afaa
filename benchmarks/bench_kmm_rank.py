"""Which Nystroem rank should KMM use by default?

What is measured
----------------
``skdomain.KMM`` solves the KMM quadratic program

    min_b 1/2 b'Kb - kappa'b   s.t.  0 <= b_i <= B,  |sum_i b_i - n_s| <= n_s eps

either exactly (``n_components=None``: the dense n_s x n_s kernel matrix goes to
the QP solver) or with a rank-r Nystroem factor K ~ Phi Phi' (``n_components=r``,
used when n_s > r). For n_s = n_t = 5000 (skdomain's ``make_domain_shift`` and
skada's ``make_shifted_datasets(shift="covariate_shift")``, a few seeds) the
script solves the dense QP once, then the low-rank QP for each rank, all with
the same ``gamma`` (median heuristic of the pooled rows, passed explicitly), the
default ``B`` and ``eps``, ``random_state=seed`` (Nystroem landmarks) and
``LogisticRegression(max_iter=1000)`` as the estimator. For every solve:

* ``fit_s``: wall time of ``KMM.fit`` (kernel sums + QP + LogisticRegression),
  ``cpu_s`` its process CPU time (all threads; robust to other load);
* ``gap``: |f_r - f*| / |f*|, where f is the EXACT objective of the returned
  weights (``skdomain.instance.kmm_objective``, full K, blockwise) and f* the
  dense optimum -- the criterion of the requirement (<= 1%);
* ``lost``: (f_r - f*) / (f_1 - f*), with f_1 the objective of uniform weights
  b = 1: the share of the achievable objective decrease that the rank loses (a
  stricter, scale-free view: |f*| is dominated by a constant, see the note
  printed at the end);
* ``dacc``: target accuracy minus the dense solution's, in points (<= 1 point);
* ``dw``: ||b_r - b*||_1 / ||b*||_1, how far the weights themselves move;
* ``cols``: columns of the Nystroem factor the QP actually gets (eigenvalues of
  the landmark kernel matrix below 1e-10 x the largest are dropped, so a
  smooth kernel in few dimensions keeps far fewer columns than the rank).

The default rank is also solved with ``solver="OSQP"`` (row ``1000/OSQP``) for
comparison with the default Clarabel (``--no-osqp`` skips it).

The summary gives, per rank, the worst case over all datasets and seeds, and the
ranks that meet the requirement (gap <= 1% and |dacc| <= 1 point in every run)
and those that meet it with a 2x margin (gap <= 0.5% and |dacc| <= 0.5 point).
The KMM problem is flat: weight vectors within 1e-8 of the optimal objective can
differ by tens of percent (``dw``) and move the accuracy by a few tenths of a
point. To show that resolution, the default rank is also solved with two other
Nystroem landmark draws per run (``--draws``), and the spread of their target
accuracies is printed.

Run
---
    python benchmarks/bench_kmm_rank.py            # n_s = 5000, seeds 0,1,2 (~10 min, 2 cores)
    python benchmarks/bench_kmm_rank.py --quick    # n_s = 1000, one seed (~30 s)
    python benchmarks/bench_kmm_rank.py --seeds 0,1,2 --ranks 50,100,200,300,500,1000 --save

The dense QP at n_s = 5000 takes about 1.5 minutes and ~3.3 GiB of memory
(Clarabel factorises the dense 5000 x 5000 matrix). ``--save`` writes
``benchmarks/results/bench_kmm_rank[_quick].json``; nothing else is written.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

from skdomain import KMM
from skdomain.datasets import make_domain_shift
from skdomain.instance import kmm_objective
from skdomain.metrics import median_heuristic_gamma, nystroem_factor

from _common import peak_rss_gib, print_load_at_start, print_table, print_total, save_json

GAP_MAX, DACC_MAX = 0.01, 1.0  # the requirement: 1% of the dense objective, 1 accuracy point


def skdomain_data(n, seed):
    X, y, sd, y_true = make_domain_shift(n_source=n, n_target=n, random_state=seed, return_target_labels=True)
    return X, y, sd, y_true


def skada_data(n, seed):
    from skada.datasets import make_shifted_datasets

    # n_samples_* is per blob: 8 blobs per domain; target labels come unmasked
    X, y_true, sd = make_shifted_datasets(
        n_samples_source=n // 8, n_samples_target=n // 8, shift="covariate_shift", random_state=seed
    )
    return X, np.where(sd >= 0, y_true, -1), sd, y_true


DATASETS = {"make_domain_shift": skdomain_data, "skada covariate_shift": skada_data}


def fit_kmm(X, y, sd, gamma, n_components, seed, solver="CLARABEL"):
    model = KMM(
        LogisticRegression(max_iter=1000),
        gamma=gamma,
        n_components=n_components,
        solver=solver,
        random_state=seed,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0, c0 = time.perf_counter(), time.process_time()
        model.fit(X, y, sample_domain=sd)
        fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    for w in caught:
        print(f"    warning (n_components={n_components}): {w.category.__name__}: {w.message}")
    return model, fit_s, cpu_s


def run_one(name, make, n, seed, configs, floor_ranks, n_draws):
    X, y, sd, y_true = make(n, seed)
    src = sd >= 0
    Xs, Xt, yt = X[src], X[~src], y_true[~src]
    gamma = median_heuristic_gamma(X)

    def objective(beta):
        return kmm_objective(beta, Xs, Xt, kernel="rbf", gamma=gamma)

    f_unif = objective(np.ones(int(src.sum())))
    print(f"  [{name}, seed {seed}] n_s = n_t = {n}, gamma = {gamma:.4g}: dense QP ...", flush=True)
    dense, t_dense, c_dense = fit_kmm(X, y, sd, gamma, None, seed)
    f_star, b_star = objective(dense.weights_), dense.weights_
    acc_star = dense.score(Xt, yt)
    rows = [
        {
            "data": name,
            "seed": seed,
            "rank": "dense",
            "fit_s": t_dense,
            "cpu_s": c_dense,
            "objective": f_star,
            "gap": 0.0,
            "lost": 0.0,
            "acc": acc_star,
            "dacc": 0.0,
            "dw": 0.0,
            "max_b": float(b_star.max()),
            "status": dense.solver_status_,
            "solver_vs_exact": abs(dense.objective_ - f_star) / abs(f_star),
        }
    ]
    for label, r, solver in configs:
        model, t, c = fit_kmm(X, y, sd, gamma, r, seed, solver)
        f = objective(model.weights_)
        acc = model.score(Xt, yt)
        # columns of the Nystroem factor the QP gets (the same landmarks as KMM draws):
        # eigenvalues of k(X_L, X_L) below 1e-10 x the largest are dropped
        cols = nystroem_factor(Xs, r, kernel="rbf", gamma=gamma, random_state=seed)[0].shape[1]
        rows.append(
            {
                "data": name,
                "seed": seed,
                "rank": label,
                "cols": cols,
                "fit_s": t,
                "cpu_s": c,
                "objective": f,
                "gap": abs(f - f_star) / abs(f_star),
                "lost": (f - f_star) / (f_unif - f_star),
                "acc": acc,
                "dacc": 100.0 * (acc - acc_star),
                "dw": float(np.abs(model.weights_ - b_star).sum() / np.abs(b_star).sum()),
                "max_b": float(model.weights_.max()),
                "status": model.solver_status_,
            }
        )
    rows.append(
        {
            "data": name,
            "seed": seed,
            "rank": "uniform",
            "fit_s": None,
            "objective": f_unif,
            "gap": abs(f_unif - f_star) / abs(f_star),
            "lost": 1.0,
            "acc": LogisticRegression(max_iter=1000).fit(Xs, y_true[src]).score(Xt, yt),
            "dw": float(np.abs(1.0 - b_star).sum() / np.abs(b_star).sum()),
            "max_b": 1.0,
            "status": "-",
        }
    )
    rows[-1]["dacc"] = 100.0 * (rows[-1]["acc"] - acc_star)

    # Resolution of the accuracy criterion: the same rank with other landmark draws
    # (all near-optimal) -- how far apart are their accuracies?
    draws = []
    for r in floor_ranks:
        accs, gaps = [next(row["acc"] for row in rows if row["rank"] == r)], []
        gaps.append(next(row["gap"] for row in rows if row["rank"] == r))
        for j in range(1, n_draws):
            model, _, _ = fit_kmm(X, y, sd, gamma, r, seed + 1000 * j)
            accs.append(model.score(Xt, yt))
            gaps.append(abs(objective(model.weights_) - f_star) / abs(f_star))
        draws.append(
            {
                "data": name,
                "seed": seed,
                "rank": r,
                "draws": len(accs),
                "worst_gap": max(gaps),
                "acc_min": min(accs),
                "acc_max": max(accs),
                "spread": 100.0 * (max(accs) - min(accs)),
                "worst_dacc": max(abs(100.0 * (a - acc_star)) for a in accs),
            }
        )
    return rows, draws


def summarize(rows, labels):
    summary = []
    for r in labels:
        sel = [row for row in rows if row["rank"] == r]
        dense_t = [row["fit_s"] for row in rows if row["rank"] == "dense"]
        worst_gap = max(row["gap"] for row in sel)
        worst_dacc = max(abs(row["dacc"]) for row in sel)
        summary.append(
            {
                "rank": r,
                "fit_s": float(np.median([row["fit_s"] for row in sel])),
                "cols": f"{min(row['cols'] for row in sel)}-{max(row['cols'] for row in sel)}",
                "speedup": float(np.median(dense_t) / np.median([row["fit_s"] for row in sel])),
                "worst_gap": worst_gap,
                "worst_lost": max(row["lost"] for row in sel),
                "worst_dacc": worst_dacc,
                "worst_dw": max(row["dw"] for row in sel),
                "meets": "yes" if worst_gap <= GAP_MAX and worst_dacc <= DACC_MAX else "NO",
                "margin": ("yes" if worst_gap <= GAP_MAX / 2 and worst_dacc <= DACC_MAX / 2 else "no"),
            }
        )
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n_s = 1000, one seed")
    parser.add_argument("--n", type=int, default=None, help="rows per domain (default 5000)")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds (default 0,1)")
    parser.add_argument("--ranks", default=None, help="comma-separated ranks (default 100,200,300,500,1000)")
    parser.add_argument(
        "--datasets", default=",".join(DATASETS), help=f"comma-separated subset of {list(DATASETS)}"
    )
    parser.add_argument(
        "--draws",
        type=int,
        default=None,
        help="landmark draws at the default rank, for the accuracy noise floor (default 3; 1 = skip)",
    )
    parser.add_argument(
        "--no-osqp",
        dest="osqp",
        action="store_false",
        help="skip the extra solve of the default rank with solver='OSQP'",
    )
    parser.add_argument(
        "--save", action="store_true", help="write benchmarks/results/bench_kmm_rank[_quick].json"
    )
    args = parser.parse_args()
    n = args.n or (1000 if args.quick else 5000)
    seeds = [int(s) for s in (args.seeds or ("0" if args.quick else "0,1,2")).split(",")]
    if args.draws is None:
        args.draws = 1 if args.quick else 3
    ranks = [
        int(r) for r in (args.ranks or ("50,100,200" if args.quick else "100,200,300,500,1000")).split(",")
    ]
    ranks = [r for r in ranks if r < n]  # KMM uses the dense QP when n_s <= n_components
    names = args.datasets.split(",")

    print(
        f"KMM Nystroem rank vs the exact dense QP: n_s = n_t = {n}, seeds {seeds}, "
        f"ranks {ranks}, datasets {names}"
    )
    print_load_at_start()
    t_all = time.perf_counter()
    # landmark draws at the default rank (or the largest rank tested, when it is not)
    floor_ranks = []
    if args.draws > 1 and ranks:
        floor_ranks = [KMM().n_components if KMM().n_components in ranks else max(ranks)]
    configs = [(r, r, "CLARABEL") for r in ranks]
    if args.osqp and ranks:
        r_osqp = KMM().n_components if KMM().n_components in ranks else max(ranks)
        configs.append((f"{r_osqp}/OSQP", r_osqp, "OSQP"))
    labels = [label for label, _, _ in configs]
    rows, draws = [], []
    for name in names:
        for seed in seeds:
            r, d = run_one(name, DATASETS[name], n, seed, configs, floor_ranks, args.draws)
            rows += r
            draws += d

    print()
    print("=" * 100)
    print(
        "per run (objective = exact KMM objective of the returned weights, full K; "
        "gap = |f_r - f*|/|f*|; lost = (f_r - f*)/(f_1 - f*); dacc in points vs dense)"
    )
    print("=" * 100)
    print_table(
        rows,
        [
            ("data", "data", "{}"),
            ("seed", "seed", "{}"),
            ("rank", "rank", "{}"),
            ("cols", "cols", "{}"),
            ("fit_s", "fit_s", "{:.2f}"),
            ("cpu_s", "cpu_s", "{:.2f}"),
            ("objective", "objective", "{:.7e}"),
            ("gap", "gap", "{:.2e}"),
            ("lost", "lost", "{:.2e}"),
            ("acc", "acc", "{:.4f}"),
            ("dacc_pts", "dacc", "{:+.2f}"),
            ("dw", "dw", "{:.3f}"),
            ("max_b", "max_b", "{:.1f}"),
            ("status", "status", "{}"),
        ],
    )
    for row in rows:
        if row["rank"] == "dense":
            print(
                f"  dense [{row['data']}, seed {row['seed']}]: solver objective_ vs exact "
                f"re-evaluation differ by {row['solver_vs_exact']:.1e} (relative)"
            )

    summary = summarize(rows, labels)
    print()
    print("=" * 100)
    print(
        f"summary over {len(names)} dataset(s) x {len(seeds)} seed(s): worst case per rank; "
        f"requirement gap <= {GAP_MAX:.0%} and |dacc| <= {DACC_MAX:g} point; "
        "margin = half of both"
    )
    print("=" * 100)
    print_table(
        summary,
        [
            ("rank", "rank", "{}"),
            ("cols", "cols", "{}"),
            ("fit_s (median)", "fit_s", "{:.2f}"),
            ("dense/rank time", "speedup", "{:.1f}"),
            ("worst gap", "worst_gap", "{:.2e}"),
            ("worst lost", "worst_lost", "{:.2e}"),
            ("worst |dacc| pts", "worst_dacc", "{:.2f}"),
            ("worst dw", "worst_dw", "{:.3f}"),
            ("meets", "meets", "{}"),
            ("with margin", "margin", "{}"),
        ],
    )
    if draws:
        print()
        print("=" * 100)
        print(
            f"accuracy resolution: rank {floor_ranks[0]} with other Nystroem landmark draws "
            "(random_state = seed + 1000 j); all near-optimal"
        )
        print("=" * 100)
        print_table(
            draws,
            [
                ("data", "data", "{}"),
                ("seed", "seed", "{}"),
                ("rank", "rank", "{}"),
                ("draws", "draws", "{}"),
                ("worst gap", "worst_gap", "{:.2e}"),
                ("acc min", "acc_min", "{:.4f}"),
                ("acc max", "acc_max", "{:.4f}"),
                ("spread pts", "spread", "{:.2f}"),
                ("worst |dacc| pts", "worst_dacc", "{:.2f}"),
            ],
        )
        print(
            "(spread: max - min target accuracy over landmark draws whose objectives all lie "
            "within 'worst gap' of the dense optimum)"
        )
        print()
    dense_t = [row["fit_s"] for row in rows if row["rank"] == "dense"]
    print(
        f"dense QP fit time: median {np.median(dense_t):.1f} s (min {min(dense_t):.1f}, "
        f"max {max(dense_t):.1f}); peak RSS of this process {peak_rss_gib():.2f} GiB"
    )
    clarabel = [s for s in summary if isinstance(s["rank"], int)]  # the OSQP row aside
    meets = [s["rank"] for s in clarabel if s["meets"] == "yes"]
    margin = [s["rank"] for s in clarabel if s["margin"] == "yes"]

    # smallest rank from which every larger tested rank also meets it
    def smallest_stable(ok):
        best = None
        for s in reversed(clarabel):
            if s["rank"] not in ok:
                break
            best = s["rank"]
        return best

    print(
        f"ranks meeting the requirement in every run: {meets}; smallest from which every "
        f"larger tested rank meets it too: {smallest_stable(meets)}"
    )
    print(
        f"ranks meeting it with margin in every run: {margin}; smallest from which every "
        f"larger tested rank does too: {smallest_stable(margin)}"
    )
    default = KMM().n_components
    if default in ranks:
        s = next(s for s in clarabel if s["rank"] == default)
        print(
            f"the default n_components={default}: meets = {s['meets']}, with margin = "
            f"{s['margin']} (worst gap {s['worst_gap']:.2e}, worst |dacc| "
            f"{s['worst_dacc']:.2f} points)"
        )
    unif = [row for row in rows if row["rank"] == "uniform"]
    print(
        f"note: uniform weights (no adaptation) already have gap "
        f"{min(r['gap'] for r in unif):.2e} .. {max(r['gap'] for r in unif):.2e}: the 1% "
        "criterion on |f*| is loose; 'lost' measures the gap against the achievable decrease."
    )
    total = print_total(t_all)
    if args.save:
        payload = {
            "n": n,
            "seeds": seeds,
            "ranks": ranks,
            "rows": rows,
            "summary": summary,
            "landmark_draws": draws,
            "total_s": total,
        }
        path = save_json("bench_kmm_rank", payload, quick=args.quick)
        print(f"results written to {path}")


if __name__ == "__main__":
    main()
