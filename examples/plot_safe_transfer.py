r"""
==========================================================
Avoiding negative transfer: the guard (SafeTransfer)
==========================================================

An adapter can make things worse than fitting on the source alone.
:class:`~skdomain.model_selection.SafeTransfer` fits the candidate adapters
and their baselines, estimates the target risk of each, and keeps a candidate
only when its estimated gain over the best baseline exceeds ``k`` standard
errors (by default 1 with labeled target rows, 2 without); otherwise it keeps
the baseline.

Two situations on USA → Japan fuel consumption (Auto MPG by origin,
:func:`skdomain.datasets.load_auto_mpg`), each with 0 and with 20 labeled
target rows:

* **helpful**: KMM and TCA, which gain ~0.2-0.4 R² over the source-only ridge
  on this pair;
* **harmful**: a deliberately broken adapter, a ridge on *negated* source
  targets, plus TCA restricted to 1 component (which loses information).

The bars are the R² on the unlabeled target rows of every model, and of the
guard's choice. ``SKDOMAIN_DOCS_QUICK=1`` runs one seed instead of three.
"""

# %%
# Data and models
# ---------------

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline

from skdomain import KMM, TCA, LabeledOnly
from skdomain.datasets import load_auto_mpg
from skdomain.model_selection import SafeTransfer

QUICK = bool(os.environ.get("SKDOMAIN_DOCS_QUICK"))
SEEDS = [0] if QUICK else [0, 1, 2]
warnings.filterwarnings("ignore", message="No target rows")


class NegatedRidge(RegressorMixin, BaseEstimator):
    """A broken adapter: a ridge fitted on the negated labels."""

    def fit(self, X, y, sample_domain=None):
        """Fit on the labeled rows, targets negated."""
        keep = ~np.isnan(y)
        self.model_ = Ridge().fit(X[keep], -y[keep])
        return self

    def predict(self, X):
        """Predict with the ridge of the negated targets."""
        return self.model_.predict(X)


def candidates(kind, seed):
    """Return the candidates of one situation, seeded."""
    if kind == "helpful":
        return [
            ("KMM", KMM(Ridge(), random_state=seed)),
            (
                "TCA",
                make_pipeline(TCA(random_state=seed), LabeledOnly(Ridge())),
            ),
        ]
    return [
        ("negated", NegatedRidge()),
        (
            "TCA 1 comp.",
            make_pipeline(
                TCA(n_components=1, random_state=seed), LabeledOnly(Ridge())
            ),
        ),
    ]


# %%
# Fit the guard and every model it weighed
# ----------------------------------------

# (kind, labels) -> {model: [R^2 per seed]}
results = {}
for kind in ("helpful", "harmful"):
    for labels in (0, 20):
        scores, picks = {}, []
        for seed in SEEDS:
            X, y, sd, y_true = load_auto_mpg(
                "japan",
                n_target_labeled=20,
                return_target_labels=True,
                random_state=seed,
            )
            scored = (sd < 0) & np.isnan(y)
            if labels == 0:
                y = y.copy()
                y[sd < 0] = np.nan
            guard = SafeTransfer(
                candidates(kind, seed), baseline=Ridge(), random_state=seed
            )
            guard.fit(X, y, sample_domain=sd)
            picks.append(guard.selected_)
            labeled = ~np.isnan(y)
            models = {"source only": Ridge().fit(X[labeled], y[labeled])}
            for name, est in candidates(kind, seed):
                params = (
                    {"sample_domain": sd}
                    if name in ("KMM", "negated")
                    else {"tca__sample_domain": sd}
                )
                models[name] = est.fit(X, y, **params)
            models["guard"] = guard
            for name, model in models.items():
                scores.setdefault(name, []).append(
                    r2_score(y_true[scored], model.predict(X[scored]))
                )
        results[(kind, labels)] = scores
        print(f"{kind}, {labels} labels: picks {picks}")
        for name, s in scores.items():
            print(f"  {name:<12} R² {np.mean(s):+.3f}")
print("\nThe last decision report:\n" + guard.decision_report_)

# %%
# Plot
# ----

fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), sharey=True)
for ax, ((kind, labels), scores) in zip(axes, results.items()):
    names = list(scores)
    means = [np.mean(scores[n]) for n in names]
    colors = [
        "tab:red"
        if n == "guard"
        else "tab:gray"
        if n == "source only"
        else "tab:blue"
        for n in names
    ]
    ax.bar(names, np.clip(means, -1, None), color=colors)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_title(f"{kind}, {labels} target labels")
    ax.tick_params(axis="x", rotation=45)
axes[0].set_ylabel("target R² (clipped at -1)")
fig.tight_layout()
plt.show()
