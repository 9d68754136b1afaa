"""Tuning record for the deep nets' defaults (issue 12, §3): each configuration against its own mu=0 net.

Per pair, seed and budget (0 / 20 labeled target rows, as in ``bench_shift_suite.py``),
a configuration of DANN or DAN is fitted with ``random_state=seed`` and compared,
paired, with the same net at ``mu=0`` (the same other settings). ``toy`` is the
issue's reproducer (10-d blobs, 600 + 600 rows, max_epochs=30).

    python benchmarks/bench_deep_defaults.py --pairs "toy,mnist->digits" --configs "dann,dann_mu.1" --seeds 5
"""

import argparse
import json
import time
import warnings

import numpy as np
import torch
from sklearn.metrics import accuracy_score, balanced_accuracy_score, r2_score
from threadpoolctl import threadpool_limits

from skdomain import DANClassifier, DANNClassifier, DANNRegressor, DANRegressor
from skdomain.datasets import shift_suite

SIZES = {"cps->nsw": (2000, None), "mnist->digits": (1000, 1000), "digits->mnist": (1000, 1000)}
#: name -> (family, kwargs)
#: the defaults before issue 12, spelled out (the configurations below were measured against them)
OLD = {"mu": 1.0, "discriminator__hidden_units": (64,), "optimizer__betas": (0.9, 0.999)}
CONFIGS = {
    "dann": ("dann", {}),
    "dann_old": ("dann", OLD),
    "dann_ys_old": ("dann", {"_scale_y": True, **OLD}),
    "dann_mu1": ("dann", {"mu": 1.0}),
    "dann_mu.3": ("dann", {"mu": 0.3}),
    "dann_mu.1": ("dann", {"mu": 0.1}),
    "dann_g3": ("dann", {"grl_gamma": 3.0}),
    "dann_lam.1": ("dann", {"grl_lambda": 0.1}),
    "dann_lam.3": ("dann", {"grl_lambda": 0.3}),
    "dann_d256": ("dann", {"discriminator__hidden_units": (256, 256)}),
    "dann_lr3e-4": ("dann", {"lr": 3e-4}),
    "dann_b.5": ("dann", {"optimizer__betas": (0.5, 0.999)}),
    "dann_mu.1_d256": ("dann", {"mu": 0.1, "discriminator__hidden_units": (256, 256)}),
    "dann_mu.3_d256": ("dann", {"mu": 0.3, "discriminator__hidden_units": (256, 256)}),
    "dann_mu.1_b.5": ("dann", {"mu": 0.1, "optimizer__betas": (0.5, 0.999)}),
    "dann_mu.3_b.5": ("dann", {"mu": 0.3, "optimizer__betas": (0.5, 0.999)}),
    "dann_d256_b.5": ("dann", {"discriminator__hidden_units": (256, 256), "optimizer__betas": (0.5, 0.999)}),
    "dann_mu.3_d256_b.5": (
        "dann",
        {"mu": 0.3, "discriminator__hidden_units": (256, 256), "optimizer__betas": (0.5, 0.999)},
    ),
    "dann_mu.1_d256_b.5": (
        "dann",
        {"mu": 0.1, "discriminator__hidden_units": (256, 256), "optimizer__betas": (0.5, 0.999)},
    ),
    "dann_ys_new": (
        "dann",
        {
            "_scale_y": True,
            "mu": 0.3,
            "discriminator__hidden_units": (256, 256),
            "optimizer__betas": (0.5, 0.999),
        },
    ),
    "dann_paper": ("dann", {"mu": 1.0, "grl_gamma": 10.0}),
    "dann_ys": ("dann", {"_scale_y": True}),
    "dann_ys_mu.3": ("dann", {"_scale_y": True, "mu": 0.3}),
    "dan_ys": ("dan", {"_scale_y": True}),
    "dan": ("dan", {}),
    "dan_mu1": ("dan", {"mu": 1.0}),
    "dan_mu.3": ("dan", {"mu": 0.3}),
}
#: settings that the mu=0 baseline shares with the configuration (all but the adaptation's own)
ADAPT_ONLY = {"mu", "grl_gamma", "grl_lambda", "discriminator__hidden_units"}


def toy(seed):
    rng = np.random.default_rng(seed)

    def blobs(n, shift):
        y = rng.integers(0, 2, n)
        X = rng.normal(0, 1, (n, 10))
        X[:, 0] += 2.5 * y
        X[:, 1:4] += shift
        return X.astype("float32"), y

    Xs, ys = blobs(600, 0.0)
    Xt, yt = blobs(600, 2.0)
    X = np.vstack([Xs, Xt])
    y = np.r_[ys, -np.ones(600, int)]
    sd = np.r_[np.ones(600, int), -np.ones(600, int)]
    return X, y, sd, np.r_[ys, yt]


def load(pair, seed, budget):
    """Contract data for one seed and budget, and the scored rows with their labels."""
    if pair == "toy":
        X, y, sd, y_true = toy(seed)
        task, metric, extra = "classification", "accuracy", {"max_epochs": 30}
        scored = sd < 0
        if budget:
            rows = np.flatnonzero(scored)[:budget]
            y[rows] = y_true[rows]
            scored = scored.copy()
            scored[rows] = False
        return X, y, sd, scored, y_true, task, metric, extra
    p = shift_suite()[pair]
    n_s, n_t = SIZES.get(pair, (None, None))
    X, y20, sd, y_true = p["load"](
        n_source=n_s, n_target=n_t, n_target_labeled=20, return_target_labels=True, random_state=seed
    )
    clf = p["task"] == "classification"
    masked = (y20 == -1) if clf else np.isnan(y20)
    scored = (sd < 0) & masked
    y = y20.copy()
    if budget == 0:
        y[sd < 0] = -1 if clf else np.nan
    X = X.astype(np.float32)
    if not clf:
        y = y.astype(np.float32)
    return X, y, sd, scored, y_true, p["task"], p["metric"], {}


def score(metric, yt, yp):
    return {"accuracy": accuracy_score, "balanced_accuracy": balanced_accuracy_score, "r2": r2_score}[metric](
        yt, yp
    )


def fit_score(family, kwargs, data, seed):
    X, y, sd, scored, y_true, task, metric, extra = data
    clf = task == "classification"
    cls = {("dann", True): DANNClassifier, ("dann", False): DANNRegressor}
    cls.update({("dan", True): DANClassifier, ("dan", False): DANRegressor})
    kwargs = dict(kwargs)
    scale = kwargs.pop("_scale_y", False) and not clf
    m, s = (np.nanmean(y), np.nanstd(y)) if scale else (0.0, 1.0)
    net = cls[(family, clf)](random_state=seed, **{**extra, **kwargs})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net.fit(X, ((y - m) / s).astype(y.dtype), sample_domain=sd)
    return float(score(metric, y_true[scored], net.predict(X[scored]) * s + m))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", default="toy,mnist->digits,digits->mnist")
    ap.add_argument("--configs", default="dann")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budgets", default="0,20")
    ap.add_argument("--out", default=None, help="append JSON lines here")
    args = ap.parse_args()
    threadpool_limits(1)
    torch.set_num_threads(1)
    budgets = [int(b) for b in args.budgets.split(",")]
    for pair in args.pairs.split(","):
        for budget in budgets:
            cache = {}
            for cname in args.configs.split(","):
                family, kw = CONFIGS[cname]
                base_kw = {k: v for k, v in kw.items() if k not in ADAPT_ONLY}
                key = tuple(sorted(base_kw.items()))
                deltas, scores_ = [], []
                t0 = time.perf_counter()
                for seed in range(args.seeds):
                    data = load(pair, seed, budget)
                    if (key, seed) not in cache:
                        cache[(key, seed)] = fit_score("dann", {**base_kw, "mu": 0.0}, data, seed)
                    s = fit_score(family, kw, data, seed)
                    scores_.append(s)
                    deltas.append(s - cache[(key, seed)])
                base = [cache[(key, s)] for s in range(args.seeds)]
                d = np.array(deltas)
                print(
                    f"{pair:14s} b{budget:<2d} {cname:12s} base {np.mean(base):.3f} "
                    f"score {np.mean(scores_):.3f} "
                    f"delta {d.mean():+.3f} ± {d.std():.3f} min {d.min():+.3f} wins {(d > 0).sum()}/{d.size} "
                    f"[{' '.join(f'{x:+.3f}' for x in d)}] {time.perf_counter() - t0:.0f}s",
                    flush=True,
                )
                if args.out:
                    with open(args.out, "a") as f:
                        rec = {"pair": pair, "budget": budget, "config": cname}
                        rec.update(base=base, score=scores_)
                        f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
