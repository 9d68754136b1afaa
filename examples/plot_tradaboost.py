r"""
===============================================================
TrAdaBoost: dropping the source rows that contradict the target
===============================================================

:class:`skdomain.TrAdaBoostClassifier` (Dai et al., 2007) boosts over the
source rows and a few labeled target rows. Each round measures its error on
the labeled target rows only; target rows it gets wrong gain weight, as in
AdaBoost, and source rows it gets wrong *lose* weight (by
:math:`\beta = 1/(1 + \sqrt{2 \ln n / N})` per mistake): a source row that
disagrees with a model the target agrees with probably contradicts the target.

The data: the target's classes are split by :math:`x_0 = 0`; the source agrees
below :math:`x_1 = 0` but puts its boundary at :math:`x_0 = 1.5` above it, so a
model of the pooled rows learns the wrong boundary there. 20 target rows are
labeled, with 10% label noise. The plot shows the source rows sized by the
weight TrAdaBoost left them after its last round, and the boundaries of
TrAdaBoost and of AdaBoost on the pooled rows.
"""

# %%
# Data
# ----
# Set the environment variable ``SKDOMAIN_DOCS_QUICK=1`` to run this example
# on fewer rows (the documentation's quick build does).

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import AdaBoostClassifier
from sklearn.tree import DecisionTreeClassifier

from skdomain import TrAdaBoostClassifier

quick = os.environ.get("SKDOMAIN_DOCS_QUICK") == "1"
n = 200 if quick else 400
rng = np.random.RandomState(0)
Xs, Xt = rng.normal(size=(n, 2)), rng.normal(size=(n, 2))
ys = np.where(Xs[:, 1] < 0, Xs[:, 0] > 0, Xs[:, 0] > 1.5).astype(int)
yt = (Xt[:, 0] > 0).astype(int)
yt = np.where(rng.rand(n) < 0.1, 1 - yt, yt)
X = np.vstack([Xs, Xt])
y = np.r_[ys, np.full(n, -1)]
y[n : n + 20] = yt[:20]  # 20 labeled target rows
sample_domain = np.r_[np.zeros(n, int), -np.ones(n, int)]
test = np.arange(n + 20, 2 * n)

# %%
# Fit TrAdaBoost, and AdaBoost on the pooled labeled rows
# -------------------------------------------------------
stump = DecisionTreeClassifier(max_depth=1)
tra = TrAdaBoostClassifier(stump, n_estimators=30, random_state=0).fit(
    X, y, sample_domain=sample_domain
)
labeled = y != -1
pooled = AdaBoostClassifier(stump, n_estimators=30, random_state=0).fit(
    X[labeled], y[labeled]
)
for name, model in [("TrAdaBoost", tra), ("AdaBoost, pooled rows", pooled)]:
    acc = np.mean(model.predict(X[test]) == yt[20:])
    print(f"{name}: target accuracy {acc:.3f}")
print(
    "source share of the weight, rounds 1, 10, 30:",
    tra.source_weight_share_[[0, 9, -1]].round(3),
)

# %%
# The source rows TrAdaBoost kept
# -------------------------------
# Marker area is the source row's final weight; the contradicting rows
# (above :math:`x_1 = 0`, between the two boundaries) are the ones it dropped.
xx, yy = np.meshgrid(np.linspace(-3, 3, 200), np.linspace(-3, 3, 200))
grid = np.c_[xx.ravel(), yy.ravel()]
fig, ax = plt.subplots(figsize=(6, 5))
w = tra.sample_weight_[:n]
ax.scatter(
    Xs[:, 0],
    Xs[:, 1],
    s=2 + 400 * w / w.max(),
    c=ys,
    cmap="coolwarm",
    alpha=0.5,
    label="source",
)
ax.scatter(
    X[n : n + 20, 0],
    X[n : n + 20, 1],
    c=yt[:20],
    cmap="coolwarm",
    marker="*",
    s=160,
    edgecolor="k",
    label="labeled target",
)
for model, style, name in [
    (tra, "-", "TrAdaBoost"),
    (pooled, "--", "AdaBoost, pooled"),
]:
    ax.contour(
        xx,
        yy,
        model.predict(grid).reshape(xx.shape),
        levels=[0.5],
        colors="k",
        linestyles=style,
    )
    ax.plot([], [], "k" + style, label=name)
ax.axvline(0, color="g", lw=0.8)
ax.set(
    xlim=(-3, 3),
    ylim=(-3, 3),
    xlabel="$x_0$",
    ylabel="$x_1$",
    title="TrAdaBoost's source weights",
)
ax.legend(loc="lower left", fontsize=8)
plt.show()
