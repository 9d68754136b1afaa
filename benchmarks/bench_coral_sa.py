"""CORAL and Subspace Alignment: skdomain side by side with skada, in one process.

What is measured
----------------
For each dataset and seed, every model is fitted on the source rows (labeled) and
the target rows (labels masked), then scored by its accuracy on the target rows:

* ``mnist->digits``: :func:`skdomain.datasets.shift_suite`'s pair, 1,000 source and
  1,000 target rows per seed (``--quick``: 300 + 300), features standardised with
  pooled statistics (64 features);
* skada's ``make_shifted_datasets(shift=...)`` with ``shift`` in ``"subspace"`` and
  ``"covariate_shift"`` (2 features, ``n_samples_source = n_samples_target = 125``,
  ``--quick``: 50; skada makes 4 resp. 8 rows per unit of it and domain). On
  ``"subspace"`` the target is the source's mirror image for a linear model:
  source-only training scores 0, and neither library's CORAL or SA undoes that.

Models (the learner is ``LogisticRegression(max_iter=1000)`` everywhere):

* ``source only``: the learner on the source rows;
* skada: ``skada.CORAL(learner)`` (its ``CORALAdapter``, ``reg="auto"``: Ledoit-Wolf
  shrinkage, source centred and moved to the target mean) and
  ``skada.SubspaceAlignment(learner)`` (``n_components=None``: every component);
  fitted with ``sample_domain`` (source 1, target -2) and predicting the target rows
  with their ``sample_domain``;
* skdomain at its defaults: ``make_pipeline(CORAL(), LabeledOnly(learner))``
  (``reg=10`` times the mean variance, means aligned) and
  ``make_pipeline(SubspaceAlignment(), LabeledOnly(learner))`` (every component);
* skdomain matched to skada: ``CORAL(reg="ledoit_wolf")``.

Reported per dataset and model: target accuracy mean +- std over the seeds, the fit
time (median over seeds, wall clock), and for each of skdomain's rows the ratio
``skada time / ours`` against skada's row of the same method. Importing skada turns
scikit-learn's metadata routing on globally; our pipelines are fitted with
``sample_domain`` routed (requested by default by skdomain's estimators).

Run
---
    python benchmarks/bench_coral_sa.py [--quick] [--seeds N] [--save]

``--save`` writes ``benchmarks/results/bench_coral_sa[_quick].json``; pipe stdout into
``benchmarks/results/bench_coral_sa.log`` to keep the table.
"""

import argparse
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

import skdomain
from skdomain import CORAL, LabeledOnly, SubspaceAlignment
from skdomain.datasets import shift_suite

from _common import print_load_at_start, print_table, print_total, save_json


def learner():
    return LogisticRegression(max_iter=1000)


def mnist_digits(seed, quick):
    n = 300 if quick else 1000
    X, y, sd, y_true = shift_suite()["mnist->digits"]["load"](
        n_source=n, n_target=n, return_target_labels=True, random_state=seed
    )
    return X, y_true, np.where(sd >= 0, 1, -2)


def skada_shifted(shift):
    def load(seed, quick):
        from skada.datasets import make_shifted_datasets

        n = 50 if quick else 125
        X, y, sd = make_shifted_datasets(
            n_samples_source=n, n_samples_target=n, shift=shift, noise=None, random_state=seed
        )
        return X, y, np.asarray(sd)

    return load


DATASETS = {
    "mnist->digits": mnist_digits,
    "skada subspace": skada_shifted("subspace"),
    "skada covariate_shift": skada_shifted("covariate_shift"),
}


def models():
    import skada

    return {
        "source only": None,
        "skada CORAL": lambda: skada.CORAL(learner()),
        "skdomain CORAL": lambda: make_pipeline(CORAL(), LabeledOnly(learner())),
        "skdomain CORAL(reg='ledoit_wolf')": lambda: make_pipeline(
            CORAL(reg="ledoit_wolf"), LabeledOnly(learner())
        ),
        "skada SubspaceAlignment": lambda: skada.SubspaceAlignment(learner()),
        "skdomain SubspaceAlignment": lambda: make_pipeline(SubspaceAlignment(), LabeledOnly(learner())),
    }


def run(name, load, seeds, quick):
    rows = {}
    for seed in seeds:
        X, y_true, sd = load(seed, quick)
        src = sd >= 0
        y = np.where(src, y_true, -1)
        for model, make in models().items():
            t0 = time.perf_counter()
            if make is None:
                est = learner().fit(X[src], y[src])
                acc = est.score(X[~src], y_true[~src])
            else:
                est = make().fit(X, y, sample_domain=sd)
                fit_s = time.perf_counter() - t0
                if model.startswith("skada"):
                    acc = np.mean(est.predict(X[~src], sample_domain=sd[~src]) == y_true[~src])
                else:
                    acc = np.mean(est.predict(X[~src]) == y_true[~src])
            fit_s = time.perf_counter() - t0
            rec = rows.setdefault(model, {"acc": [], "fit_s": []})
            rec["acc"].append(float(acc))
            rec["fit_s"].append(fit_s)
    out = []
    for model, rec in rows.items():
        out.append(
            {
                "dataset": name,
                "model": model,
                "n_source": int(src.sum()),
                "n_target": int((~src).sum()),
                "n_features": int(X.shape[1]),
                **rec,
                "acc_mean": float(np.mean(rec["acc"])),
                "acc_std": float(np.std(rec["acc"])),
                "fit_median_s": float(np.median(rec["fit_s"])),
            }
        )
    by = {r["model"]: r for r in out}
    for r in out:
        if r["model"].startswith("skdomain"):
            peer = "skada CORAL" if "CORAL" in r["model"] else "skada SubspaceAlignment"
            r["skada_over_ours"] = by[peer]["fit_median_s"] / r["fit_median_s"]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, smaller data (seconds)")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default 5, quick 2)")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/bench_coral_sa.json")
    args = parser.parse_args()
    import skada

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    threadpool_limits(1)
    seeds = list(range(args.seeds if args.seeds is not None else (2 if args.quick else 5)))
    print(
        f"skdomain {skdomain.__version__}, skada {skada.__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}; metadata routing on: {sklearn.get_config()['enable_metadata_routing']}"
    )
    print_load_at_start()
    print(f"seeds {seeds}{', QUICK' if args.quick else ''}; BLAS on one thread")
    t_start = time.perf_counter()
    rows = []
    for name, load in DATASETS.items():
        part = run(name, load, seeds, args.quick)
        r0 = part[0]
        print(
            f"\n{name}: {r0['n_source']} source rows, {r0['n_target']} target rows, "
            f"{r0['n_features']} features, {len(seeds)} seeds"
        )
        for r in part:
            r["acc_s"] = f"{r['acc_mean']:.3f} ± {r['acc_std']:.3f}"
        print_table(
            part,
            [
                ("model", "model", "{}"),
                ("target acc", "acc_s", "{}"),
                ("fit s", "fit_median_s", "{:.3f}"),
                ("skada / ours", "skada_over_ours", "{:.2f}"),
            ],
        )
        for r in part:
            r.pop("acc_s")
        rows.extend(part)
    total = print_total(t_start)
    if args.save:
        path = save_json(
            "bench_coral_sa", {"args": vars(args), "total_s": total, "rows": rows}, quick=args.quick
        )
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
