r"""
=====================================
Transfer components versus kernel PCA
=====================================

:class:`skdomain.TCA` (transfer component analysis, Pan et al., 2011) learns a
kernel embedding :math:`Z = K W` of the pooled source and target rows that
keeps their variance while shrinking the maximum mean discrepancy (MMD)
between the domains,

.. math::

    \min_W\; \operatorname{tr}(W^\top K L K W)
    + \mu \operatorname{tr}(W^\top W)
    \quad\text{s.t.}\quad W^\top K H K W = I .

Without the domain term :math:`\operatorname{tr}(W^\top K L K W)` the problem
keeps the variance alone: a kernel PCA. This example embeds a covariate shift
from :func:`skdomain.datasets.make_domain_shift` both ways, shows how far
apart the domains lie in each embedding, and fits a classifier on each
embedding in a :class:`~sklearn.pipeline.Pipeline` whose final step,
:class:`skdomain.LabeledOnly`, learns from the labeled rows only.
"""

# %%
# Data
# ----
# One ``X`` holds the source and the target rows; ``y`` masks the target labels
# with ``-1``; ``sample_domain`` is ``0`` on source rows and ``-1`` on target
# rows. ``SKDOMAIN_DOCS_QUICK=1`` runs the example on fewer samples.

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import KernelPCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdomain import TCA, DomainWarning, LabeledOnly
from skdomain.datasets import make_domain_shift

QUICK = os.environ.get("SKDOMAIN_DOCS_QUICK", "0") not in ("", "0")
n = 150 if QUICK else 300

X, y, sample_domain, y_true = make_domain_shift(
    n_source=n,
    n_target=n,
    shift="covariate",
    random_state=0,
    return_target_labels=True,
)
source, target = sample_domain >= 0, sample_domain < 0
X_scaled = StandardScaler().fit_transform(X)

# %%
# Two embeddings of the same rows
# -------------------------------
# TCA is fitted on every row with ``sample_domain``. The reference is the same
# estimator fitted with no domain information: with no target row, TCA issues a
# :class:`~skdomain.DomainWarning` and drops the MMD term (:math:`L = 0`),
# which leaves the variance term alone, i.e. kernel PCA, with the same kernel,
# bandwidth and normalisation. (It is PCA of the empirical kernel map
# :math:`K`, close to but not identical with
# :class:`sklearn.decomposition.KernelPCA`, which diagonalises :math:`HKH`.)

tca = TCA(n_components=2, random_state=0).fit(
    X_scaled, sample_domain=sample_domain
)
Z_tca = tca.transform(X_scaled)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DomainWarning)
    # no target: kernel PCA
    kpca = TCA(n_components=2, random_state=0).fit(X_scaled)
Z_kpca = kpca.transform(X_scaled)


def mean_discrepancy(Z):
    """Squared distance between the domain means over the total variance of Z.

    In the embedding, TCA's MMD term is exactly the squared distance between
    the source and the target means; dividing by the variance makes embeddings
    of different scales comparable.
    """
    gap = Z[source].mean(axis=0) - Z[target].mean(axis=0)
    return float(gap @ gap / Z.var(axis=0).sum())


mmd_kpca, mmd_tca = mean_discrepancy(Z_kpca), mean_discrepancy(Z_tca)
print(f"normalised mean discrepancy, kernel PCA: {mmd_kpca:.4f}")
print(f"normalised mean discrepancy, TCA:        {mmd_tca:.4f}")

# %%
# In the kernel PCA embedding the source and target clouds are displaced: their
# means (the stars) lie far apart. In the TCA embedding the means coincide and
# the clouds overlap. Markers show the classes (for the target, its true
# labels, for illustration only); two components need not separate them, and
# the classifier below uses five.

fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
ax = axes[0]
ax.scatter(*X_scaled[source].T, s=10, c="tab:blue", alpha=0.5, label="source")
ax.scatter(*X_scaled[target].T, s=10, c="tab:red", alpha=0.5, label="target")
ax.set(title="input space (standardised)", xlabel="$x_1$", ylabel="$x_2$")
ax.legend(loc="lower left", fontsize=8)
for ax, Z, name, mmd in [
    (axes[1], Z_kpca, "kernel PCA (TCA without target)", mmd_kpca),
    (axes[2], Z_tca, "TCA", mmd_tca),
]:
    for rows, color, dom in [
        (source, "tab:blue", "source"),
        (target, "tab:red", "target"),
    ]:
        for label, marker in [(0, "o"), (1, "^")]:
            sel = rows & (y_true == label)
            ax.scatter(
                Z[sel, 0],
                Z[sel, 1],
                s=12,
                c=color,
                marker=marker,
                alpha=0.5,
                label=f"{dom}, class {label}",
            )
        mean = Z[rows].mean(axis=0)
        ax.scatter(*mean, s=250, c=color, marker="*", edgecolors="k", zorder=3)
    ax.set(
        title=f"{name}\nmean discrepancy {mmd:.3g}",
        xlabel="component 1",
        ylabel="component 2",
    )
axes[2].legend(loc="best", fontsize=7)
fig.tight_layout()

# %%
# Target accuracy in a pipeline
# -----------------------------
# In ``make_pipeline(StandardScaler(), TCA(...), LabeledOnly(clf))``, ``clf`` a
# logistic regression, the scaler and TCA learn from every row, and
# :class:`~skdomain.LabeledOnly` fits the logistic regression on the rows whose
# label is not masked. With metadata routing off (scikit-learn's default)
# ``sample_domain`` reaches TCA as the fit parameter ``tca__sample_domain``.
# The references are a logistic regression fitted on the source alone and the
# same pipeline with :class:`~sklearn.decomposition.KernelPCA` (a kernel
# embedding without the domain term) in place of TCA. Whether the domain term
# pays off depends on the data; compare the printed accuracies.

n_components = 5
source_only = make_pipeline(StandardScaler(), LogisticRegression()).fit(
    X[source], y[source]
)
kpca_pipe = make_pipeline(
    StandardScaler(),
    KernelPCA(n_components=n_components, kernel="rbf", gamma=tca.gamma_),
    LabeledOnly(LogisticRegression()),
).fit(X, y)
tca_pipe = make_pipeline(
    StandardScaler(),
    TCA(n_components=n_components, random_state=0),
    LabeledOnly(LogisticRegression()),
).fit(X, y, tca__sample_domain=sample_domain)

results = {
    "source only": source_only.score(X[target], y_true[target]),
    "KernelPCA + LabeledOnly": kpca_pipe.score(X[target], y_true[target]),
    "TCA + LabeledOnly": tca_pipe.score(X[target], y_true[target]),
}
for name, acc in results.items():
    print(f"target accuracy, {name:24s} {acc:.3f}")

# %%
# The trade-off :math:`\mu`
# -------------------------
# ``mu`` weighs the ridge term :math:`\mu\operatorname{tr}(W^\top W)` against
# the MMD term: the embedding keeps more variance (and more of the domain gap)
# as ``mu`` grows, and matches the domains more tightly as it shrinks. (skada's
# ``TransferComponentAnalysis`` uses the inverse convention: its ``mu`` is
# :math:`1/\mu` here.) On this data the target accuracy drops as the
# discrepancy left in the embedding grows.

mus = np.logspace(-2, 2, 5)
gaps, accs = [], []
for mu in mus:
    pipe = make_pipeline(
        StandardScaler(),
        TCA(n_components=n_components, mu=mu, random_state=0),
        LabeledOnly(LogisticRegression()),
    ).fit(X, y, tca__sample_domain=sample_domain)
    gaps.append(mean_discrepancy(pipe[:-1].transform(X)))
    accs.append(pipe.score(X[target], y_true[target]))
    print(
        f"mu = {mu:7.2f}: mean discrepancy {gaps[-1]:.4f}, "
        f"target accuracy {accs[-1]:.3f}"
    )

fig, ax = plt.subplots(figsize=(6, 3.6))
ax.semilogx(mus, accs, "o-", c="tab:green", label="TCA target accuracy")
ax.axhline(results["source only"], c="gray", ls="--", label="source only")
ax.axhline(
    results["KernelPCA + LabeledOnly"],
    c="gray",
    ls=":",
    label="KernelPCA + LabeledOnly",
)
ax.set(xlabel=r"$\mu$", ylabel="target accuracy", ylim=(0.4, 1.0))
ax2 = ax.twinx()
ax2.semilogx(mus, gaps, "s-", c="tab:purple", label="mean discrepancy")
ax2.set_ylabel("normalised mean discrepancy", color="tab:purple")
lines = ax.get_legend_handles_labels()
lines2 = ax2.get_legend_handles_labels()
ax.legend(
    lines[0] + lines2[0], lines[1] + lines2[1], loc="center left", fontsize=8
)
ax.set_title(f"TCA with {n_components} components")
fig.tight_layout()

plt.show()
