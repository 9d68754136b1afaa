"""The skdomain demo: every estimator on a shifted dataset, with a results table.

Run ``python -m skdomain`` (``--quick`` for a smaller sample, ``--help`` for options).
"""

import argparse
import sys
import time
import warnings

import numpy as np


def _models(seed):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from . import KMM, TCA, LabeledOnly

    return [
        ("KMM (B=10)", KMM(LogisticRegression(), B=10.0, random_state=seed), "sample_domain"),
        (
            "TCA (m=5) + LR",
            make_pipeline(
                StandardScaler(), TCA(n_components=5, random_state=seed), LabeledOnly(LogisticRegression())
            ),
            "tca__sample_domain",
        ),
    ]


def run(n_source=1000, n_target=1000, seed=0, out=sys.stdout):
    """Fit every estimator on a covariate shift and print a results table.

    Returns
    -------
    rows : list of dict
        One row per method: name, target accuracy, gain over source-only, fit time.
    """
    from sklearn.linear_model import LogisticRegression

    from .datasets import make_domain_shift

    X, y, sd, y_true = make_domain_shift(
        n_source, n_target, shift="covariate", random_state=seed, return_target_labels=True
    )
    tgt = sd < 0
    print(
        f"skdomain demo: covariate shift, {n_source} labeled source rows, "
        f"{n_target} unlabeled target rows (seed {seed})\n",
        file=out,
    )
    rows = []

    def record(name, model, fit):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            fit(model)
        elapsed = time.perf_counter() - t0
        acc = float(np.mean(model.predict(X[tgt]) == y_true[tgt]))
        rows.append({"method": name, "target_accuracy": acc, "fit_time_s": elapsed})

    record("source only (LR)", LogisticRegression(), lambda m: m.fit(X[~tgt], y[~tgt]))
    for name, model, key in _models(seed):
        record(name, model, lambda m, key=key: m.fit(X, y, **{key: sd}))
    record(
        "target oracle (LR, uses target labels)",
        LogisticRegression(),
        lambda m: m.fit(X[tgt], y_true[tgt]),
    )

    base = rows[0]["target_accuracy"]
    width = max(len(r["method"]) for r in rows)
    print(f"{'method':<{width}}  target acc  vs source-only  fit time", file=out)
    for r in rows:
        r["gain"] = r["target_accuracy"] - base
        print(
            f"{r['method']:<{width}}  {r['target_accuracy']:10.3f}  {r['gain']:+13.3f}  "
            f"{r['fit_time_s']:7.2f} s",
            file=out,
        )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m skdomain", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sample (a few seconds)")
    parser.add_argument("--n-source", type=int, default=None, help="source rows (default 2000)")
    parser.add_argument("--n-target", type=int, default=None, help="target rows (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    default = 300 if args.quick else 2000
    run(args.n_source or default, args.n_target or default, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
