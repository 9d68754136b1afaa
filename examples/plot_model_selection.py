r"""
=====================================================
Choosing hyper-parameters without target labels
=====================================================

In unsupervised domain adaptation the target has no labels, so the usual
cross-validated accuracy can only be computed on the *source* rows, and the
source score misleads: it rewards models that fit the source distribution,
which is exactly what adaptation moves away from.

This example tunes :class:`skdomain.KMM` (kernel bandwidth ``gamma`` and bound
``B``) and a :class:`skdomain.TCA` pipeline (``mu`` and ``gamma``) on several
seeded covariate shifts, with each scorer of :mod:`skdomain.metrics` as the
selection criterion, next to the source score. For every criterion it reports
the target accuracy of the model it selects relative to the *oracle*, the best
target accuracy in the grid (which needs the target labels, so no criterion
can beat it).

* ``source``: accuracy on the labeled (source) rows of the validation fold, the
  default of ``GridSearchCV``;
* ``importance weighted``: :class:`~skdomain.metrics.ImportanceWeightedScorer`;
* ``DEV``: :class:`~skdomain.metrics.DeepEmbeddedValidationScorer`;
* ``entropy``: :class:`~skdomain.metrics.PredictionEntropyScorer`;
* ``reverse``: :class:`~skdomain.metrics.ReverseValidationScorer`.

The folds come from :class:`skdomain.model_selection.DomainShuffleSplit`, so
each holds source and target rows; the domains are inferred from the masked
labels (metadata routing off).
"""

# %%
# The experiment
# --------------
# ``SKDOMAIN_DOCS_QUICK=1`` runs one seed on a smaller grid.

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdomain import KMM, TCA, LabeledOnly
from skdomain.datasets import make_domain_shift
from skdomain.metrics import (
    DeepEmbeddedValidationScorer,
    ImportanceWeightedScorer,
    PredictionEntropyScorer,
    ReverseValidationScorer,
)
from skdomain.model_selection import DomainShuffleSplit

QUICK = os.environ.get("SKDOMAIN_DOCS_QUICK", "0") not in ("", "0")
SEEDS = [0] if QUICK else [0, 1, 2, 3, 4]
N = 150 if QUICK else 300

CRITERIA = {
    "source": lambda est, X, y: est.score(X, y),
    "importance weighted": ImportanceWeightedScorer(),
    "DEV": DeepEmbeddedValidationScorer(),
    "entropy": PredictionEntropyScorer(),
    "reverse": ReverseValidationScorer(),
}
GAMMAS = [0.1, 2.0] if QUICK else [0.05, 0.3, 2.0]
METHODS = {
    "KMM": (
        KMM(LogisticRegression(), random_state=0),
        {"gamma": GAMMAS, "B": [1.5, 10.0] if QUICK else [1.5, 10.0, 100.0]},
    ),
    "TCA": (
        make_pipeline(
            StandardScaler(),
            TCA(n_components=5, random_state=0),
            LabeledOnly(),
        ),
        {
            "tca__gamma": GAMMAS,
            "tca__mu": [0.1, 10.0] if QUICK else [0.1, 1.0, 10.0],
        },
    ),
}


def select(method, seed):
    """Compare each criterion's choice with the oracle of the grid.

    Return the target accuracy of each choice divided by the oracle's, and the
    oracle's target accuracy.
    """
    est, grid = METHODS[method]
    X, y, sd, y_true = make_domain_shift(
        N, N, random_state=seed, return_target_labels=True
    )
    t = sd < 0
    search = GridSearchCV(
        est,
        grid,
        scoring=CRITERIA,
        refit=False,
        error_score="raise",
        cv=DomainShuffleSplit(3, test_size=0.3, random_state=seed),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
        target_acc = []
        for params in search.cv_results_["params"]:
            model = clone(est).set_params(**params)
            model.fit(X, y)
            target_acc.append(np.mean(model.predict(X[t]) == y_true[t]))
    target_acc = np.array(target_acc)
    oracle = target_acc.max()
    chosen = {
        name: target_acc[np.argmax(search.cv_results_[f"mean_test_{name}"])]
        for name in CRITERIA
    }
    return {name: acc / oracle for name, acc in chosen.items()}, oracle


results = {m: {c: [] for c in CRITERIA} for m in METHODS}
oracles = {m: [] for m in METHODS}
for method in METHODS:
    for seed in SEEDS:
        rel, oracle = select(method, seed)
        oracles[method].append(oracle)
        for c, v in rel.items():
            results[method][c].append(v)

# %%
# Selected target accuracy relative to the oracle
# -----------------------------------------------
# 1.00 means the criterion picked the best model of the grid for the target.

print(f"{'criterion':<20}" + "".join(f"{m:>16}" for m in METHODS))
for c in CRITERIA:
    cells = "".join(
        f"{np.mean(results[m][c]):>10.3f} ± {np.std(results[m][c]):.3f}"
        for m in METHODS
    )
    print(f"{c:<20}{cells}")
print(
    f"{'oracle accuracy':<20}"
    + "".join(f"{np.mean(oracles[m]):>16.3f}" for m in METHODS)
)

fig, ax = plt.subplots(figsize=(7, 3.5))
width = 0.8 / len(CRITERIA)
for i, c in enumerate(CRITERIA):
    means = [np.mean(results[m][c]) for m in METHODS]
    stds = [np.std(results[m][c]) for m in METHODS]
    ax.bar(
        np.arange(len(METHODS)) + i * width, means, width, yerr=stds, label=c
    )
ax.set_xticks(np.arange(len(METHODS)) + 0.4 - width / 2)
ax.set_xticklabels(list(METHODS))
ax.set_ylabel("selected / oracle target accuracy")
ax.set_ylim(0.5, 1.02)
ax.legend(fontsize=8, loc="lower right")
ax.set_title(f"Model selection without target labels ({len(SEEDS)} seeds)")
fig.tight_layout()
plt.show()
