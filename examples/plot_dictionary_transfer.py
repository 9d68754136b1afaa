r"""
==========================================================
Parameter transfer through a shared dictionary of models
==========================================================

:class:`skdomain.DictionaryTransferRegressor` assumes that the linear models of
related tasks are combinations of a few *base models*, the columns of a
dictionary :math:`D`. It fits one ridge model :math:`W_S^i` per source task,
learns :math:`D` and sparse codes :math:`V_S^i` with
:math:`W_S^i \approx D V_S^i`, then fits the target model :math:`W_T` jointly
with its own code :math:`V_T`:

.. math::

    \min_{D, V_S^i, V_T, W_T}\; \sum_i \Big(\tfrac12\|W_S^i - D V_S^i\|_F^2
    + \eta\|V_S^i\|_{2,1}\Big) + \tfrac{\alpha}{2}\|W_T - D V_T\|_F^2
    + \eta\|V_T\|_{2,1}
    + \beta\Big(\tfrac12\|X_L W_T - Y_L\|_F^2 + \|W_T\|_F^2\Big).

On a family of tasks that truly share three atoms
(:func:`skdomain.datasets.make_shared_dictionary_tasks`: 20 features, five
sources), this example compares, as the number of labeled target rows grows,

* the **target-only** ridge model (its penalty chosen by leave-one-out,
  :class:`~sklearn.linear_model.RidgeCV`),
* **naive pooling**: one ridge model on every labeled row, sources and target,
* the **dictionary transfer** model, with its default parameters.
"""

# %%
# Data and models
# ---------------
# ``SKDOMAIN_DOCS_QUICK=1`` runs the example on fewer seeds and label counts.

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import Ridge, RidgeCV

from skdomain import DictionaryTransferRegressor, DomainWarning
from skdomain.datasets import make_shared_dictionary_tasks

QUICK = os.environ.get("SKDOMAIN_DOCS_QUICK", "0") not in ("", "0")
seeds = range(2) if QUICK else range(8)
label_counts = [5, 10, 40] if QUICK else [5, 10, 15, 20, 30, 40, 60]


def scores(n_labeled, seed):
    """Target R^2 on the unlabeled target rows of the three models."""
    X, y, sd, y_true = make_shared_dictionary_tasks(
        n_source_samples=80,
        n_target=300,
        n_target_labeled=n_labeled,
        noise=0.5,
        return_target_labels=True,
        random_state=seed,
    )
    labeled_target = (sd < 0) & ~np.isnan(y)
    test = (sd < 0) & np.isnan(y)
    labeled = (sd >= 0) | labeled_target
    own = RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(
        X[labeled_target], y[labeled_target]
    )
    pooled = Ridge().fit(X[labeled], y[labeled])
    dictionary = DictionaryTransferRegressor(n_atoms=3, random_state=0).fit(
        X, y, sample_domain=sd
    )
    return [
        m.score(X[test], y_true[test]) for m in (own, pooled, dictionary)
    ], dictionary


with warnings.catch_warnings():
    warnings.simplefilter("ignore", DomainWarning)
    results = np.array(
        [[scores(n, s)[0] for s in seeds] for n in label_counts]
    )
mean = results.mean(axis=1)  # (n_counts, 3)

for n, row in zip(label_counts, mean):
    print(
        f"{n:3d} target labels: target-only {row[0]:6.3f}  "
        f"pooled {row[1]:6.3f}  dictionary {row[2]:6.3f}"
    )

# %%
# Learning curves and the solver's objective
# ------------------------------------------
# Left: with few target labels the target-only model cannot pin down its 21
# coefficients, while the dictionary model only has to find three coordinates
# in the span learned from the sources; pooling mixes five different models
# and stays poor whatever the number of target labels. As labels accumulate the
# target-only model catches up. Right: the objective of both stages of one
# fit, recorded per iteration; every block update decreases it. Stage 1 starts
# from the leading singular vectors of the source models, nearly optimal
# already; stage 2's objective adds the target's terms to stage 1's, so it
# starts above where stage 1 ended, and its target block (the code and the
# model of the target, solved jointly) settles within a few iterations.

_, fitted = scores(10, 0)
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
for j, (name, style) in enumerate(
    [("target-only", "o-"), ("pooled", "s--"), ("dictionary", "^-")]
):
    ax0.plot(label_counts, mean[:, j], style, label=name)
ax0.set_xlabel("labeled target rows")
ax0.set_ylabel(f"target $R^2$ (mean of {len(seeds)} seeds)")
ax0.set_ylim(-1.0, 1.0)
ax0.legend()
ax0.set_title("Few target labels")
n1 = fitted.source_objective_curve_.size
ax1.plot(
    np.arange(n1),
    fitted.source_objective_curve_,
    "o-",
    label="stage 1 (sources)",
)
ax1.plot(
    np.arange(n1 - 1, n1 - 1 + fitted.objective_curve_.size),
    fitted.objective_curve_,
    ".-",
    label="stage 2 (joint)",
)
ax1.set_yscale("log")
ax1.set_xlabel("iteration")
ax1.set_ylabel("objective")
ax1.legend()
ax1.set_title("Block-coordinate descent (10 target labels)")
fig.tight_layout()
plt.show()
