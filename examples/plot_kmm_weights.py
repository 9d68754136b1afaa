r"""
=================================================
Kernel mean matching weights on a covariate shift
=================================================

Under a *covariate shift* the input distribution moves between domains,
:math:`P_S(x) \neq P_T(x)`, while the labelling rule :math:`P(y \mid x)` stays
the same. A model fitted on the source spends its capacity where the source
has data, which need not be where the target has it. Importance weighting
fixes this by fitting on the source with weights :math:`\beta(x) \approx
P_T(x) / P_S(x)`.

:class:`skdomain.KMM` (kernel mean matching, Huang et al., 2007) estimates
those weights without estimating either density: it chooses
:math:`\beta \in [0, B]^{n_s}` so that the kernel mean of the weighted source
matches the kernel mean of the target, then fits its inner estimator with
``sample_weight=β``.

This example draws a two-dimensional covariate shift with
:func:`skdomain.datasets.make_domain_shift` (labels on either side of a curved
boundary, a wide source and a narrow target to its right), shows the KMM
weights as marker sizes, and compares the decision boundary of a logistic
regression fitted on the source alone with the one fitted through KMM.
"""

# %%
# Data
# ----
# ``make_domain_shift`` returns the data in skdomain's domain contract: one
# ``X``, one ``y`` where unlabeled target rows carry ``-1``, and
# ``sample_domain`` (``0`` for source rows, ``-1`` for target rows). The true
# target labels are returned separately, for evaluation only.
#
# Set the environment variable ``SKDOMAIN_DOCS_QUICK=1`` to run this example
# on fewer samples (the documentation's quick build does).

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression

from skdomain import KMM
from skdomain.datasets import make_domain_shift

QUICK = os.environ.get("SKDOMAIN_DOCS_QUICK", "0") not in ("", "0")
n = 100 if QUICK else 300

X, y, sample_domain, y_true = make_domain_shift(
    n_source=n,
    n_target=n,
    shift="covariate",
    random_state=0,
    return_target_labels=True,
)
source, target = sample_domain >= 0, sample_domain < 0
print(
    f"{source.sum()} source rows (labeled), "
    f"{target.sum()} target rows (labels masked)"
)
print("masked target labels:", np.unique(y[target]))

# %%
# Source only, then KMM
# ---------------------
# The baseline fits on the source rows alone. :class:`~skdomain.KMM` takes the
# whole contract data: it solves its quadratic program for the source weights,
# then fits a clone of its estimator on the weighted source rows (masked target
# rows are left out of that fit). ``B`` bounds every weight; it caps how much
# a single source row may count.

source_only = LogisticRegression().fit(X[source], y[source])
kmm = KMM(LogisticRegression(), B=10.0, random_state=0).fit(
    X, y, sample_domain=sample_domain
)

weights = kmm.weights_  # one weight per source row, in input order
print(
    f"solver status: {kmm.solver_status_}, "
    f"gamma (median heuristic): {kmm.gamma_:.3f}"
)
print(
    f"weights in [{weights.min():.2g}, {weights.max():.2g}], "
    f"sum {weights.sum():.1f} for n_s = {source.sum()}"
)
print(f"effective sample size: {weights.sum() ** 2 / (weights**2).sum():.1f}")

acc_source_only = source_only.score(X[target], y_true[target])
acc_kmm = kmm.score(X[target], y_true[target])
print(f"target accuracy, source only: {acc_source_only:.3f}")
print(f"target accuracy, KMM:         {acc_kmm:.3f}")

# %%
# Weights and decision boundaries
# -------------------------------
# On the left, source rows are drawn with an area proportional to their KMM
# weight: the rows that lie under the target (to the right) get large weights,
# those far from it get weights near zero. The source-only boundary follows
# the bulk of the source; the KMM boundary follows the true boundary
# :math:`x_2 = x_1^2/2 - 1/2` where the target lies. On the right, the weights
# against :math:`x_1` follow the density ratio's growth toward the target.

x1 = np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 300)
x2 = np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 300)
g1, g2 = np.meshgrid(x1, x2)
grid = np.c_[g1.ravel(), g2.ravel()]

fig, (ax, ax_w) = plt.subplots(
    1, 2, figsize=(11, 4.6), gridspec_kw={"width_ratios": [1.6, 1]}
)
Xs, ys = X[source], y[source]
size = 60 * weights / weights.max() + 1
for label, color in [(0, "tab:blue"), (1, "tab:orange")]:
    rows = ys == label
    ax.scatter(
        Xs[rows, 0],
        Xs[rows, 1],
        s=size[rows],
        c=color,
        alpha=0.6,
        edgecolors="none",
        label=f"source, class {label} (size ∝ weight)",
    )
ax.scatter(
    X[target, 0],
    X[target, 1],
    s=8,
    c="k",
    marker="x",
    alpha=0.5,
    label="target (unlabeled)",
)
for model, style, name in [
    (source_only, "--", "source only"),
    (kmm, "-", "KMM"),
]:
    scores = model.decision_function(grid).reshape(g1.shape)
    ax.contour(
        g1,
        g2,
        scores,
        levels=[0.0],
        colors="k",
        linestyles=style,
        linewidths=1.5,
    )
    ax.plot([], [], "k" + style, label=f"{name} boundary")
ax.plot(x1, 0.5 * x1**2 - 0.5, ":", c="tab:green", lw=2, label="true boundary")
ax.set(
    xlim=(x1[0], x1[-1]), ylim=(x2[0], x2[-1]), xlabel="$x_1$", ylabel="$x_2$"
)
ax.set_title(
    f"target accuracy: source only {acc_source_only:.2f}, KMM {acc_kmm:.2f}"
)
ax.legend(loc="lower left", fontsize=7, framealpha=0.9)

ax_w.scatter(Xs[:, 0], weights, s=10, c="tab:purple", alpha=0.6)
ax_w.axhline(1.0, c="gray", lw=0.8, ls="--")
ax_w.set(
    xlabel="$x_1$",
    ylabel=r"KMM weight $\beta_i$",
    title=f"weights (B = {kmm.B:g})",
)
ax_t = ax_w.twinx()
ax_t.hist(X[target, 0], bins=20, color="k", alpha=0.15)
ax_t.set_yticks([])
ax_t.set_ylabel("target rows along $x_1$ (histogram)", color="gray")
ax_w.set_zorder(ax_t.get_zorder() + 1)  # weights drawn over the histogram
ax_w.patch.set_visible(False)
fig.tight_layout()

# %%
# The bound ``B``
# ---------------
# ``B`` trades the quality of the mean matching against the variance of the
# weighted fit: a small ``B`` keeps the weights close to uniform (a large
# effective sample size, little correction), a large one lets a few source rows
# carry the fit. Past a point the bound no longer binds and the weights stop
# changing. The sum constraint :math:`|\sum_i \beta_i - n_s| \le n_s \epsilon`
# uses the default :math:`\epsilon = (\sqrt{n_s} - 1)/\sqrt{n_s}`.

print(
    f"{'B':>7s} {'max weight':>11s} {'sum':>7s} {'ESS':>6s} "
    f"{'target acc':>11s}"
)
for B in [1.0, 3.0, 10.0, 100.0]:
    model = KMM(LogisticRegression(), B=B, random_state=0).fit(
        X, y, sample_domain=sample_domain
    )
    w = model.weights_
    print(
        f"{B:7g} {w.max():11.2f} {w.sum():7.1f} "
        f"{w.sum() ** 2 / (w**2).sum():6.1f} "
        f"{model.score(X[target], y_true[target]):11.3f}"
    )

plt.show()
