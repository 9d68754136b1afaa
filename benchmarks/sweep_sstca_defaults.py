"""The sweep behind SSTCA's defaults (issue 14 §4): ``locality_weight`` and ``label_weight``.

Not a benchmark of the defaults (``bench_shift_suite.py --methods "source only,TCA,SSTCA"``
is): the record of how they were chosen. Same loaders, 20 labeled target rows per seed and
scoring as ``bench_shift_suite.py`` (both budgets scored on the same rows), pipelines
``make_pipeline(SSTCA(...), LabeledOnly(learner))`` at ``n_components="auto"``; TCA is the
reference row. ``--full`` uses the suite's full subsamples (1000 + 1000 rows for the MNIST
pairs, 2000 CPS rows), otherwise its quick ones (300 + 300, 500).

    python benchmarks/sweep_sstca_defaults.py | tee benchmarks/results/sweep_sstca_defaults.log
    python benchmarks/sweep_sstca_defaults.py --full --pairs "mnist->digits,digits->mnist" --seeds 2
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, balanced_accuracy_score, r2_score
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from skdomain import SSTCA, TCA, LabeledOnly
from skdomain.datasets import shift_suite

warnings.filterwarnings("ignore", category=ConvergenceWarning)
SIZES = {  # (full, quick), as in bench_shift_suite.py
    "cps->nsw": ((2000, None), (500, None)),
    "mnist->digits": ((1000, 1000), (300, 300)),
    "digits->mnist": ((1000, 1000), (300, 300)),
}
CONFIGS = {
    "TCA": None,
    "lambda=0": dict(locality_weight=0.0),
    "lambda=1e3": dict(locality_weight=1e3),
    "lambda=1e4 (default)": dict(),
    "lambda=1e5": dict(locality_weight=1e5),
    "lambda=1e4, gamma=0": dict(label_weight=0.0),
    "lambda=1e4, gamma=0.9": dict(label_weight=0.9),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default="usa->japan,usa->europe,wages78->85,mnist->digits,digits->mnist")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    suite = shift_suite()
    print(f"seeds 0-{args.seeds - 1}, {'full' if args.full else 'quick'} subsamples; mean score, Δ vs TCA")
    for name in args.pairs.split(","):
        pair = suite[name]
        clf = pair["task"] == "classification"
        ns, nt = SIZES.get(name, ((None, None), (None, None)))[0 if args.full else 1]
        res, t0 = {}, time.perf_counter()
        for seed in range(args.seeds):
            X, y20, sd, yt = pair["load"](
                n_source=ns, n_target=nt, n_target_labeled=20, return_target_labels=True, random_state=seed
            )
            masked = (y20 == -1) if clf else np.isnan(y20)
            scored = (sd < 0) & masked
            y0 = y20.copy()
            y0[sd < 0] = -1 if clf else np.nan
            for budget, y in ((0, y0), (20, y20)):
                for conf, kw in CONFIGS.items():
                    step = TCA(random_state=seed) if kw is None else SSTCA(random_state=seed, **kw)
                    learner = LogisticRegression(max_iter=1000) if clf else Ridge()
                    pipe = make_pipeline(step, LabeledOnly(learner))
                    pipe.fit(X, y, **{f"{type(step).__name__.lower()}__sample_domain": sd})
                    pred = pipe.predict(X[scored])
                    if not clf:
                        s = r2_score(yt[scored], pred)
                    elif pair["metric"] == "balanced_accuracy":
                        s = balanced_accuracy_score(yt[scored], pred)
                    else:
                        s = accuracy_score(yt[scored], pred)
                    res.setdefault((conf, budget), []).append(s)
        print(f"\n{name} ({pair['metric']}, {X.shape[0]} rows, {time.perf_counter() - t0:.0f} s)")
        for budget in (0, 20):
            ref = np.array(res[("TCA", budget)])
            for conf in CONFIGS:
                s = np.array(res[(conf, budget)])
                print(f"  {budget:2d} labels  {conf:22s} {s.mean():.3f}  {np.mean(s - ref):+.3f}")


if __name__ == "__main__":
    with threadpool_limits(1):
        main()
