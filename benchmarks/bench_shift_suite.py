"""Every estimator at its defaults on every pair of the shift suite (``skdomain.datasets.shift_suite``).

What is measured
----------------
The pairs of :func:`skdomain.datasets.shift_suite`, all loaded with
``standardize="pooled"`` (features centred and scaled with statistics pooled
over source and target rows; labels never read):

* ``cps->nsw`` (classification, judged by balanced accuracy; plain accuracy is
  recorded too), ``wages78->85``, ``usa->japan``, ``usa->europe`` (regression,
  R²), ``mnist->digits`` and ``digits->mnist`` (classification, accuracy), and
  the synthetic multi-source family ``5 tasks->task`` (regression, R²; five
  source tasks whose models share a rank-3 dictionary with the target's).

For each seed, the loader draws 20 labeled target rows
(``n_target_labeled=20, random_state=seed``; stratified by class for
``cps->nsw``, balanced over the digits for MNIST). Both budgets are scored on
the SAME rows, the target rows outside those 20, with the held-back labels:

* budget 0: the 20 rows' labels are masked too (unsupervised adaptation);
* budget 20: they are kept (semi-supervised adaptation, the seeds' T_L).

Source subsamples (documented, drawn per seed by the loader): ``cps->nsw``
uses 2,000 of the 15,992 CPS rows (stratified), because KMM's quadratic
programme and TCA's kernel grow with the source size and the whole run has to
fit ~20 minutes on two shared cores; the MNIST pairs use 1,000 source and
1,000 target rows (balanced over the digits; one KMM fit on 5,000 MNIST rows
took 136 s, ``bench_mnist_digits.py``). The small tabular pairs use every row.

Methods (every one at its defaults; ``learner`` is
``LogisticRegression(max_iter=1000)`` for classification, ``Ridge()`` for
regression):

* ``source only``: ``learner`` on the source rows pooled with the labeled
  target rows (budget 20); the baseline of the linear methods;
* ``target only``: ``learner`` on the 20 labeled target rows (budget 20 only);
* ``KMM``: ``KMM(learner, random_state=seed)``;
* ``TCA``: ``make_pipeline(TCA(random_state=seed), LabeledOnly(learner))``;
* ``CORAL``, ``SA``: ``make_pipeline(CORAL(), LabeledOnly(learner))``,
  ``make_pipeline(SubspaceAlignment(), LabeledOnly(learner))`` (both deterministic);
* ``SSTCA``: ``make_pipeline(SSTCA(random_state=seed), LabeledOnly(learner))``
  (its label term reads the labeled source rows, and the 20 target rows at budget 20);
* ``dictionary``: ``DictionaryTransferClassifier / Regressor(random_state=seed)``,
  budget 20 only (without labeled target rows it warns and fits its ridge model
  of the pooled source rows: no transfer). The real pairs have ONE source,
  so the shared dictionary has one source model to learn from: with the
  default ``n_atoms="auto"`` it gets one atom (the source model's direction;
  the former default ``n_atoms=5`` barely constrained the target model);
  ``5 tasks->task`` has five, one task per source id. Its own
  baseline, ``dictionary source only``, is the same estimator fitted on the
  same labeled rows all marked as source (its ridge model of the pooled
  labeled rows, no target task);
* ``net source only``: ``DANNClassifier / DANNRegressor(mu=0, random_state=seed)``,
  the default ``DomainMLP`` trained on the labeled rows only; the baseline of
  DANN;
* ``DAN source only``: ``DANClassifier / DANRegressor(mu=0, random_state=seed)``,
  DAN's own source-only net, its baseline (since issue 12 DANN's Adam has betas
  (0.5, 0.999) and DAN's Adam (0.9, 0.999), so the two mu=0 nets differ);
* ``DANN``, ``DAN``, ``Deep CORAL``: ``DANNClassifier / DANNRegressor``,
  ``DANClassifier / DANRegressor``, ``DeepCORALClassifier / DeepCORALRegressor``
  with ``random_state=seed``, defaults otherwise
  (20 epochs, lr 1e-3, batches of 64 source + 64 target rows; DANN since issue
  12: mu=0.3, a 256-256 discriminator, Adam's betas (0.5, 0.999)). The regression
  targets are NOT standardised (log wages ~1.6, mpg ~20-30), as a user
  would pass them. Deep CORAL's baseline is ``DAN source only``: its mu=0 net
  is DAN's, bit for bit (same module, optimizer and batches).
* ``ADDA``: ``ADDAClassifier / ADDARegressor(random_state=seed)`` at their defaults
  (20 epochs of stage 1, 20 of stage 2); baseline
  ``ADDA source only``, the same net with ``adapt_epochs=0`` (its stage 1 alone,
  bit for bit the same stage 1).
* ``PADA``: ``PADAClassifier(random_state=seed)`` (DANN's defaults with the class
  weights γ), classification pairs only (no regressor: γ weights classes); its
  baseline is ``net source only``, DANN's, since its mu=0 net is DANN's. No pair of
  the suite is a partial one (every target holds the source's classes), so this row
  measures what γ costs where it is not needed;
* ``GTA``: ``GTAClassifier(random_state=seed)`` at its defaults (20 epochs, alpha 0.1,
  beta 0.03, MLP generator and discriminator on the input columns), classification pairs
  only (no regressor: the discriminator's class head needs classes); its baseline is
  ``DAN source only``: ``GTAClassifier(alpha=0, beta=0)`` is DAN's mu=0 net bit for bit
  (same module, Adam and batches; tested in tests/deep/test_gta.py);
* ``domain confusion``: ``DomainConfusionClassifier(random_state=seed)`` (mu 0.3,
  nu 1, T 2: the confusion loss and, with labeled target rows, the soft labels;
  without, it warns that the soft-label term is empty) and
  ``DomainConfusionRegressor`` (confusion alone) on the regression pairs; its
  baseline is ``net source only``: with mu=0 and nu=0 its network trains as DANN's
  mu=0 net, bit for bit (same module, batches and Adam; tests/deep/test_confusion.py);

* ``TrAdaBoost``: ``TrAdaBoostClassifier / TrAdaBoostRegressor(learner,
  random_state=seed)`` (50 rounds; two-stage TrAdaBoost.R2 for regression),
  budget 20 only: it needs labeled target rows (an error without them);
  baseline ``source only`` (``learner`` on the pooled labeled rows). See
  ``bench_tradaboost.py`` for its learning curve against AdaBoost.

* ``guard``: ``SafeTransfer([("KMM", KMM(...)), ("TCA", make_pipeline(TCA(...),
  LabeledOnly(learner)))], scoring=..., random_state=seed)`` at its defaults
  (5-fold x 2 repeats; its baselines source only and, with 20 labels, target
  only; ``scoring="balanced_accuracy"`` on ``cps->nsw``, the pair's metric).
  Its row also gives Δ against the best baseline (source only or target only,
  whichever has the higher mean on the pair and budget), the best candidate
  and how often each model was picked. ``--methods guard --name
  bench_shift_suite_guard --save`` keeps these runs apart from the others.
* ``guard+DANN``: the same guard with ``("DANN", DANNClassifier /
  DANNRegressor(random_state=seed))`` as a third candidate (every model then
  gets float32 inputs); it also weighs ``net source only`` (DANN with
  ``mu=0``) as a baseline, and its best baseline is the best of the three.
  About ten times the cost of one DANN fit per budget: run it on the pairs
  you need.

Reported per pair, method and budget: the score mean +- std over the seeds, the
paired per-seed difference to the method's baseline (``Δ = method - baseline``,
mean +- std; ``target only`` is compared with ``source only``), the number of
seeds on which the method beats its baseline, and the median fit wall time.

Run
---
    python benchmarks/bench_shift_suite.py                   # full run: 10 seeds, every pair and method
    python benchmarks/bench_shift_suite.py --quick           # smoke run: 2 seeds, smaller subsamples
    python benchmarks/bench_shift_suite.py --pairs "cps->nsw,usa->japan" --methods KMM,TCA  # quote the ">"
    python benchmarks/bench_shift_suite.py --save | tee benchmarks/results/bench_shift_suite.log
    python benchmarks/bench_shift_suite.py --methods DANN,DAN --save --name bench_shift_suite_deep \
        | tee benchmarks/results/bench_shift_suite_deep.log   # a partial run, saved under its own name

``--save`` writes every per-seed score and time to
``benchmarks/results/bench_shift_suite[_quick].json``, or to
``benchmarks/results/<NAME>[_quick].json`` with ``--name NAME``: a run of a few
``--methods`` or ``--pairs`` should be saved under a name of its own, since the
file holds only the rows of the run that wrote it (e.g. ``--methods
KMM,TCA,dictionary --name bench_shift_suite_shallow``). Timings are wall clock
on whatever the machine is doing (the load average is printed at start and
end); BLAS and torch run on one thread.
"""

import argparse
import os
import platform
import time
import warnings

import numpy as np
import sklearn
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, balanced_accuracy_score, r2_score
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

import skdomain
from skdomain import (
    CORAL,
    KMM,
    SSTCA,
    TCA,
    ADDAClassifier,
    ADDARegressor,
    DANClassifier,
    DANNClassifier,
    DANNRegressor,
    DANRegressor,
    DeepCORALClassifier,
    DeepCORALRegressor,
    DictionaryTransferClassifier,
    DictionaryTransferRegressor,
    DomainConfusionClassifier,
    DomainConfusionRegressor,
    DomainWarning,
    GTAClassifier,
    LabeledOnly,
    PADAClassifier,
    SafeTransfer,
    SubspaceAlignment,
    TrAdaBoostClassifier,
    TrAdaBoostRegressor,
)
from skdomain.datasets import shift_suite

from _common import print_load_at_start, print_table, print_total, save_json

N_LABELED = 20
#: Source / target subsamples per pair (None: every row), full run and --quick.
SIZES = {
    "cps->nsw": ((2000, None), (500, None)),
    "mnist->digits": ((1000, 1000), (300, 300)),
    "digits->mnist": ((1000, 1000), (300, 300)),
    "5 tasks->task": ((None, None), (500, 300)),
}
#: method -> (its baseline, needs labeled target rows)
METHODS = {
    "source only": (None, False),
    "target only": ("source only", True),
    "KMM": ("source only", False),
    "TCA": ("source only", False),
    "CORAL": ("source only", False),
    "SA": ("source only", False),
    "SSTCA": ("source only", False),
    "dictionary source only": (None, True),
    "dictionary": ("dictionary source only", True),
    "net source only": (None, False),
    "DANN": ("net source only", False),
    "DAN source only": (None, False),
    "DAN": ("DAN source only", False),
    "Deep CORAL": ("DAN source only", False),
    "ADDA source only": (None, False),
    "ADDA": ("ADDA source only", False),
    "PADA": ("net source only", False),
    "GTA": ("DAN source only", False),
    "domain confusion": ("net source only", False),
    "TrAdaBoost": ("source only", True),
    "guard": ("source only", False),
    "guard+DANN": ("source only", False),
}
#: methods with a classifier only: skipped on the regression pairs
CLASSIFICATION_ONLY = {"PADA", "GTA"}
#: each guard's candidates (its baselines: source only, net source only with DANN, and target
#: only with 20 labels); they are run as methods of their own too, for the comparison
GUARDS = {"guard": ("KMM", "TCA"), "guard+DANN": ("KMM", "TCA", "DANN")}


def learner(task):
    return LogisticRegression(max_iter=1000) if task == "classification" else Ridge()


def fit_method(name, task, X, y, sd, seed, metric=None):
    """Fit method ``name`` on contract data ``X, y, sd``; return the fitted predictor.

    ``metric`` is the pair's metric: the guards estimate balanced accuracy where the
    pair is judged by it.
    """
    clf = task == "classification"
    labeled = (y != -1) if clf else ~np.isnan(y)
    if name == "source only":
        return learner(task).fit(X[labeled], y[labeled])
    if name == "target only":
        rows = labeled & (sd < 0)
        return learner(task).fit(X[rows], y[rows])
    if name == "KMM":
        return KMM(learner(task), random_state=seed).fit(X, y, sample_domain=sd)
    if name == "TCA":
        pipe = make_pipeline(TCA(random_state=seed), LabeledOnly(learner(task)))
        return pipe.fit(X, y, tca__sample_domain=sd)
    if name == "TrAdaBoost":
        tra = TrAdaBoostClassifier if clf else TrAdaBoostRegressor
        return tra(learner(task), random_state=seed).fit(X, y, sample_domain=sd)
    if name in ("CORAL", "SA"):
        pipe = make_pipeline(CORAL() if name == "CORAL" else SubspaceAlignment(), LabeledOnly(learner(task)))
        return pipe.fit(X, y, **{f"{pipe.steps[0][0]}__sample_domain": sd})
    if name == "SSTCA":
        pipe = make_pipeline(SSTCA(random_state=seed), LabeledOnly(learner(task)))
        return pipe.fit(X, y, sstca__sample_domain=sd)
    if name in GUARDS:
        candidates = [
            ("KMM", KMM(learner(task), random_state=seed)),
            ("TCA", make_pipeline(TCA(random_state=seed), LabeledOnly(learner(task)))),
        ]
        if "DANN" in GUARDS[name]:
            candidates.append(("DANN", (DANNClassifier if clf else DANNRegressor)(random_state=seed)))
            X, y = X.astype(np.float32), (y if clf else y.astype(np.float32))  # the nets take float32
        scoring = "balanced_accuracy" if metric == "balanced_accuracy" else None
        guard = SafeTransfer(candidates, scoring=scoring, random_state=seed).fit(X, y, sample_domain=sd)
        return _Float32(guard) if "DANN" in GUARDS[name] else guard
    dictionary = DictionaryTransferClassifier if clf else DictionaryTransferRegressor
    if name == "dictionary":
        return dictionary(random_state=seed).fit(X, y, sample_domain=sd)
    if name == "dictionary source only":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DomainWarning)  # no target task: its plain ridge model
            return dictionary(random_state=seed).fit(
                X[labeled], y[labeled], sample_domain=np.zeros(labeled.sum(), int)
            )
    Xf = X.astype(np.float32)
    yf = y if clf else y.astype(np.float32)
    if name in ("ADDA", "ADDA source only"):  # stage 1 alone (adapt_epochs=0): ADDA's own baseline
        adapt = {"adapt_epochs": 0} if name == "ADDA source only" else {}
        adda = ADDAClassifier if clf else ADDARegressor
        return _Float32(adda(random_state=seed, **adapt).fit(Xf, yf, sample_domain=sd))
    net = {
        "net source only": (DANNClassifier, DANNRegressor, {"mu": 0.0}),
        "DANN": (DANNClassifier, DANNRegressor, {}),
        "DAN source only": (DANClassifier, DANRegressor, {"mu": 0.0}),
        "DAN": (DANClassifier, DANRegressor, {}),
        "Deep CORAL": (DeepCORALClassifier, DeepCORALRegressor, {}),
        "PADA": (PADAClassifier, None, {}),
        "GTA": (GTAClassifier, None, {}),
        "domain confusion": (DomainConfusionClassifier, DomainConfusionRegressor, {}),
    }[name]
    cls = net[0] if clf else net[1]
    model = cls(random_state=seed, **net[2]).fit(Xf, yf, sample_domain=sd)
    return _Float32(model)


class _Float32:
    """Cast X to float32 before a net's predict."""

    def __init__(self, model):
        self.model = model

    def predict(self, X):
        return self.model.predict(X.astype(np.float32))


def scores(task, metric, y_true, y_pred):
    """Return the pair's metric, and plain accuracy where the metric is balanced accuracy."""
    if task == "regression":
        return {"r2": r2_score(y_true, y_pred)}
    out = {"accuracy": accuracy_score(y_true, y_pred)}
    if metric == "balanced_accuracy":
        out["balanced_accuracy"] = balanced_accuracy_score(y_true, y_pred)
    return out


def budgets(name, pair, seed, quick):
    """Load one seed of a pair; yield ``(budget, X, y, sd, y_true, scored)`` for 0 and 20 labels.

    The loader draws ``N_LABELED`` labeled target rows (``random_state=seed``); budget
    0 masks their labels too. ``scored`` marks the target rows outside those 20,
    the same rows in both budgets.
    """
    n_source, n_target = SIZES.get(name, ((None, None), (None, None)))[1 if quick else 0]
    clf = pair["task"] == "classification"
    X, y20, sd, y_true = pair["load"](
        n_source=n_source,
        n_target=n_target,
        n_target_labeled=N_LABELED,
        return_target_labels=True,
        random_state=seed,
    )
    scored = (sd < 0) & ((y20 == -1) if clf else np.isnan(y20))
    y0 = y20.copy()
    y0[sd < 0] = -1 if clf else np.nan
    for budget, y in ((0, y0), (N_LABELED, y20)):
        yield budget, X, y, sd, y_true, scored


def run_pair(name, pair, methods, seeds, quick):
    """Per-seed scores and fit times of every method and budget on one pair."""
    task, metric = pair["task"], pair["metric"]
    records = {}  # (method, budget) -> {"score": [...], "accuracy": [...], "fit_s": [...]}
    for seed in seeds:
        for budget, X, y, sd, y_true, scored in budgets(name, pair, seed, quick):
            for method in methods:
                if (METHODS[method][1] and budget == 0) or (
                    method in CLASSIFICATION_ONLY and task != "classification"
                ):
                    continue
                t0 = time.perf_counter()
                model = fit_method(method, task, X, y, sd, seed, metric)
                fit_s = time.perf_counter() - t0
                got = scores(task, metric, y_true[scored], model.predict(X[scored]))
                rec = records.setdefault((method, budget), {"score": [], "fit_s": [], "accuracy": []})
                if method in GUARDS:
                    rec.setdefault("selected", []).append(getattr(model, "model", model).selected_)
                rec["score"].append(float(got[metric]))
                rec["fit_s"].append(fit_s)
                if metric == "balanced_accuracy":
                    rec["accuracy"].append(float(got["accuracy"]))
                if method == "KMM":  # the weights' effective sample size, a share of the source rows
                    rec.setdefault("ess", []).append(model.effective_sample_size_ / (sd >= 0).sum())
            print(f"  {name} seed {seed} budget {budget} done", flush=True)
    rows = []
    for (method, budget), rec in records.items():
        base = METHODS[method][0]
        row = {
            "pair": name,
            "metric": metric,
            "method": method,
            "budget": budget,
            "baseline": base,
            "n_source": int((sd >= 0).sum()),
            "n_target": int((sd < 0).sum()),
            "n_scored": int(scored.sum()),
            "seeds": list(seeds),
            **rec,
        }
        s = np.array(rec["score"])
        row["mean"], row["std"] = float(s.mean()), float(s.std())
        row["fit_median_s"] = float(np.median(rec["fit_s"]))
        if base is not None and (base, budget) in records:
            d = s - np.array(records[(base, budget)]["score"])
            row["delta"] = d.tolist()
            row["delta_mean"], row["delta_std"] = float(d.mean()), float(d.std())
            row["wins"] = f"{int((d > 0).sum())}/{d.size}"
        rows.append(row)
    for row in rows:
        if row["method"] not in GUARDS:
            continue
        # the guard against the best baseline and the best candidate (by mean, same budget)
        means = {r["method"]: r for r in rows if r["budget"] == row["budget"]}
        bases = ("source only", "target only") + (
            ("net source only",) if "DANN" in GUARDS[row["method"]] else ()
        )
        best_base = max((m for m in bases if m in means), key=lambda m: means[m]["mean"])
        d = np.array(row["score"]) - np.array(means[best_base]["score"])
        row["best_baseline"], row["delta_best_mean"], row["delta_best_std"] = (
            best_base,
            float(d.mean()),
            float(d.std()),
        )
        cands = [m for m in GUARDS[row["method"]] if m in means]
        if cands:
            best_cand = max(cands, key=lambda m: means[m]["mean"])
            row["best_candidate"], row["best_candidate_mean"] = best_cand, means[best_cand]["mean"]
    order = list(METHODS)
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
        r["delta_s"] = f"{r['delta_mean']:+.3f} ± {r['delta_std']:.3f}" if "delta_mean" in r else None
        r["vs"] = r["baseline"]
    print_table(
        rows,
        [
            ("method", "method", "{}"),
            ("labels", "budget", "{}"),
            ("score", "score_s", "{}"),
            ("Δ vs baseline", "delta_s", "{}"),
            ("baseline", "vs", "{}"),
            ("wins", "wins", "{}"),
            ("fit s", "fit_median_s", "{:.2f}"),
        ],
    )
    for r in rows:
        for k in ("score_s", "delta_s", "vs"):
            r.pop(k)
    for r in rows:
        if r["method"] in GUARDS:
            picks = {p: r["selected"].count(p) for p in dict.fromkeys(r["selected"])}
            print(
                f"  {r['method']}, {r['budget']} labels: {r['mean']:.3f}; best baseline {r['best_baseline']} "
                f"Δ {r['delta_best_mean']:+.3f} ± {r['delta_best_std']:.3f}; best candidate "
                f"{r.get('best_candidate')} {r.get('best_candidate_mean', float('nan')):.3f}; picks {picks}"
            )


def main():
    suite = shift_suite()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, smaller subsamples (~2 min)")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default 10, quick 2)")
    parser.add_argument("--pairs", default=",".join(suite), help=f"comma-separated, of {', '.join(suite)}")
    parser.add_argument(
        "--methods", default=",".join(METHODS), help=f"comma-separated, of {', '.join(METHODS)}"
    )
    parser.add_argument("--save", action="store_true", help="write the rows to benchmarks/results/")
    parser.add_argument(
        "--name",
        default="bench_shift_suite",
        help="file name (no extension) under benchmarks/results/ for --save; use another one for a "
        "run of a few methods or pairs, so that the full run's file is kept",
    )
    args = parser.parse_args()
    pairs, methods = args.pairs.split(","), args.methods.split(",")
    for p in pairs:
        if p not in suite:
            parser.error(f"unknown pair {p!r}; choose from {', '.join(suite)}")
    for m in methods:
        if m not in METHODS:
            parser.error(f"unknown method {m!r}; choose from {', '.join(METHODS)}")
    # a method is compared with its baseline: run the baseline too (the guard: its candidates too)
    for guard, cands in GUARDS.items():
        if guard in methods:
            methods += ["target only", *cands]
    methods = [m for m in METHODS if m in methods or any(METHODS[x][0] == m for x in methods)]
    seeds = list(range(args.seeds if args.seeds is not None else (2 if args.quick else 10)))
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    threadpool_limits(1)
    torch.set_num_threads(1)

    print(
        f"skdomain {skdomain.__version__}, scikit-learn {sklearn.__version__}, torch {torch.__version__}, "
        f"numpy {np.__version__}, python {platform.python_version()}, {os.cpu_count()} cpus"
    )
    print_load_at_start()
    print(f"seeds {seeds}, {N_LABELED} labeled target rows, pairs {pairs}{', QUICK' if args.quick else ''}")
    print(f"methods {methods}")
    t_start = time.perf_counter()
    rows = []
    for name in pairs:
        t0 = time.perf_counter()
        pair_rows = run_pair(name, suite[name], methods, seeds, args.quick)
        print(f"  {name}: {time.perf_counter() - t0:.0f} s", flush=True)
        rows.extend(pair_rows)
        if args.save:
            save_json(args.name, {"args": vars(args), "rows": rows}, quick=args.quick)
    for name in pairs:
        print_pair([r for r in rows if r["pair"] == name])
    total = print_total(t_start)
    if args.save:
        path = save_json(args.name, {"args": vars(args), "total_s": total, "rows": rows}, quick=args.quick)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
