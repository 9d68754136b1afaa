r"""
=================================================
Active learning for transfer: which rows to label
=================================================

A transfer model learned from a source domain can be right in one part of the
target domain and wrong in another (*negative transfer*). With a small labeling
budget, which target rows should be labeled next?

:class:`skdomain.active.MMDQuerySelector` fits a *base* model on the labeled
target rows alone and a *transfer* model on every domain, and scores each
unlabeled target row by how much the two disagree,
:math:`d_i = \|p_i - p_i^*\|_1`. Rows of large disagreement are where the
transfer helps or hurts most, but the largest :math:`d_i` are often outliers;
so a batch of ``b`` rows is chosen by

.. math::

    \min_{\alpha \in \{0,1\}^{n_u},\ \sum_i\alpha_i = b}\;
    -\lambda\, d^\top\alpha
    + \mathrm{MMD}^2\big(P_{\mathrm{ref}},\, P_L + P_U\alpha\big),

which also keeps the labeled set (with the batch) close to a reference sample
in the kernel mean embedding. The Boolean problem is relaxed to
:math:`\alpha \in [0,1]^{n_u}`, solved by cvxpy, rounded and improved by
exchanges (see the user guide).

This example compares learning curves, target accuracy against the number of
target labels, of the MMD query, random querying and uncertainty sampling
(least-confident rows of the transfer model), all with the same transfer model
and batch size, averaged over a few seeds.
"""

# %%
# A partly negative transfer
# --------------------------
# The source is a Gaussian blob labeled by :math:`y = [x_2 > 0]`. The target
# has two blobs, at :math:`(-2, 0)` and :math:`(2, 0)`, and 10% wide outliers
# with random labels. In the left blob the source's rule holds; in the right
# blob it is flipped, so a model pooled with the source is wrong there until
# enough target labels of that blob are known. The model is a logistic
# regression on degree-2 polynomial features (it can represent the target
# rule, :math:`y = [-x_1 x_2 > 0]` in the blobs); the transfer model is the
# selector's default, :class:`~skdomain.KMM` around it.
#
# Set ``SKDOMAIN_DOCS_QUICK=1`` to run on fewer seeds and rounds.

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

from skdomain.active import MMDQuerySelector, active_learning_curve

QUICK = os.environ.get("SKDOMAIN_DOCS_QUICK", "0") not in ("", "0")
n_seeds, n_rounds, batch = (2, 3, 3) if QUICK else (6, 8, 3)


def partial_flip(seed, n_source=80, n_target=100):
    """Draw the source and the partly flipped target, target labels masked."""
    rng = np.random.RandomState(seed)
    Xs = rng.normal(size=(n_source, 2))
    ys = (Xs[:, 1] > 0).astype(int)
    # left, right, outlier
    part = rng.choice(3, size=n_target, p=[0.45, 0.45, 0.10])
    Xt = np.where(
        part[:, None] == 0, [-2.0, 0.0], [2.0, 0.0]
    ) + 0.7 * rng.normal(size=(n_target, 2))
    outlier = part == 2
    Xt[outlier] = 3.0 * rng.normal(size=(outlier.sum(), 2))
    yt = np.where(part == 1, Xt[:, 1] < 0, Xt[:, 1] > 0).astype(int)
    yt[outlier] = rng.randint(2, size=outlier.sum())
    X = np.vstack([Xs, Xt])
    # every target label masked: a cold start
    y = np.r_[ys, np.full(n_target, -1)]
    sample_domain = np.r_[
        np.zeros(n_source, dtype=int), -np.ones(n_target, dtype=int)
    ]
    return (
        X,
        y,
        sample_domain,
        np.r_[ys, yt],
        np.r_[np.full(n_source, -1), part],
    )


model = make_pipeline(PolynomialFeatures(2), LogisticRegression(max_iter=1000))

# %%
# The first batches
# -----------------
# Start from 6 target labels (chosen at random) and look at the next batch of
# 6 rows each strategy picks (seed 0). The titles count the picks that are
# outliers and those in the right blob, where the transfer is wrong. The MMD
# query (``reference="target"``, the default) weighs the disagreement
# :math:`d_i` against representativeness; a far outlier can still win when
# the two models extrapolate very differently there (their polynomial features
# grow fast), as some do in this draw.

X, y, sd, y_true, part = partial_flip(0)
rng = np.random.RandomState(0)
start = rng.choice(np.flatnonzero(sd < 0), 6, replace=False)
y0 = y.copy()
y0[start] = y_true[start]
picks = {}
for strategy in ("random", "uncertainty", "mmd"):
    curve = active_learning_curve(
        MMDQuerySelector(model, batch_size=6),
        X,
        y0,
        sd,
        y_true,
        n_rounds=1,
        strategy=strategy,
        random_state=0,
    )
    picks[strategy] = curve.queried[0]
sel = MMDQuerySelector(model, batch_size=6).fit(X, y0, sample_domain=sd)
print(
    f"relaxed bound {sel.relaxed_objective_:.4f}, "
    f"rounded objective {sel.rounded_objective_:.4f}, "
    f"{sel.n_swaps_} exchange(s), cold start: {sel.cold_start_}"
)

fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), sharex=True, sharey=True)
target = sd < 0
for ax, (strategy, idx) in zip(axes, picks.items()):
    ax.scatter(*X[sd >= 0].T, s=8, c="lightgray", label="source")
    ax.scatter(
        *X[target].T,
        s=12,
        c=np.where(y_true[target] == 1, "tab:orange", "tab:blue"),
        alpha=0.5,
        label="target (true class)",
    )
    ax.scatter(
        *X[start].T,
        s=80,
        facecolors="none",
        edgecolors="k",
        label="labeled at start",
    )
    ax.scatter(*X[idx].T, s=120, marker="*", c="crimson", label="queried")
    ax.set(
        title=f"{strategy}: {np.sum(part[idx] == 2)} outlier(s), "
        f"{np.sum(part[idx] == 1)} in the flipped blob",
        xlabel="$x_1$",
    )
axes[0].set_ylabel("$x_2$")
axes[0].legend(loc="lower left", fontsize=7)
fig.tight_layout()

# %%
# Learning curves
# ---------------
# Every strategy starts from the same state (no target label: the first MMD
# batch is a cold start, chosen by the MMD term alone) and queries
# ``batch`` rows per round; the transfer model is refitted after each round and
# evaluated on every target row with its true label. The talk's reference,
# ``reference="source"``, is shown too.

strategies = {
    "MMD query (reference='target')": ("mmd", {"reference": "target"}),
    "MMD query (reference='source')": ("mmd", {"reference": "source"}),
    "uncertainty sampling": ("uncertainty", {}),
    "random": ("random", {}),
}
scores = {name: [] for name in strategies}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for seed in range(n_seeds):
        X, y, sd, y_true, _ = partial_flip(seed)
        for name, (strategy, params) in strategies.items():
            curve = active_learning_curve(
                MMDQuerySelector(model, batch_size=batch, **params),
                X,
                y,
                sd,
                y_true,
                n_rounds=n_rounds,
                strategy=strategy,
                random_state=seed,
            )
            scores[name].append(curve.scores)
n_labels = curve.n_labels

fig, ax = plt.subplots(figsize=(7, 4.5))
print(
    f"{'strategy':34s} " + " ".join(f"{n:>5d}" for n in n_labels) + "   mean"
)
for name, values in scores.items():
    values = np.array(values)
    mean, sem = values.mean(axis=0), values.std(axis=0) / np.sqrt(len(values))
    ax.plot(n_labels, mean, marker="o", label=name)
    ax.fill_between(n_labels, mean - sem, mean + sem, alpha=0.15)
    print(
        f"{name:34s} "
        + " ".join(f"{v:5.3f}" for v in mean)
        + f"  {mean[1:].mean():5.3f}"
    )
ax.set(
    xlabel="labeled target rows",
    ylabel="target accuracy of the transfer model",
    title=f"mean over {n_seeds} seeds (band: ± 1 standard error)",
)
ax.legend()
fig.tight_layout()

# %%
# Reading the curves
# ------------------
# The transfer model starts near chance on the target: the source's rule is
# wrong in the right blob. With the full run (6 seeds, 8 rounds of 3 labels;
# mean accuracy over rounds 1-8) the MMD query reached 0.598 against 0.551 for
# random querying, which spends a tenth of its budget on outliers with random
# labels. Uncertainty sampling did as well (0.606): on this data the transfer
# model's boundary crosses the flipped blob, so its least-confident rows are
# informative ones. ``reference="source"`` (0.560) pulls the labeled set toward
# the source's region, between the blobs, which helps less here. The MMD
# query's advantage over uncertainty sampling is elsewhere: it needs no
# calibrated probabilities, works for regressors, and its batches are diverse
# by construction (the quadratic term penalises near-duplicates).

plt.show()
