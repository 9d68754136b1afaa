r"""
=====================================================
Negative transfer and the discriminator gate (ε × L%)
=====================================================

Transfer *hurts* when the source is far from the target, or wrong about it:
that is **negative transfer**. Wang et al. (CVPR 2019) measure it with the
**negative transfer gap**

.. math::

    \mathrm{NTG} = \epsilon_\tau\big(A(S, T)\big)
    - \epsilon_\tau\big(A(\emptyset, T)\big),

the target error of an algorithm :math:`A` given the source and the target,
minus its error given the target alone; :math:`\mathrm{NTG} > 0` means the
source made things worse. Their remedy, the **discriminator gate**, lets a
discriminator that sees features *and* labels estimate the density ratio
:math:`P_T(x, y) / P_S(x, y) = D / (1 - D)` and weights each source row's
classification loss by it, so that source rows unlike any labeled target row
count less.

This example repeats the talk's main experiment on a real shift available
offline, MNIST → UCI handwritten digits
(:func:`skdomain.datasets.load_mnist_digits`):

* the source is perturbed: a fraction :math:`\epsilon \in \{0, 0.3, 0.7, 0.9\}`
  of its labels is replaced by a class drawn at random;
* a fraction :math:`L\% \in \{0, 10, 30, 50\}` of the target rows is labeled;
* :class:`~skdomain.deep.DANNClassifier` (plain DANN),
  :class:`~skdomain.deep.GatedDANNClassifier` (DANN with the gate) and the same
  network trained on the labeled target rows alone are compared by their
  accuracy on the unlabeled target rows, and by their NTG.

With :math:`L\% = 0` the target-only learner is chance (error
:math:`1 - 1/10`), as in the talk's first rows.

The full grid (3 seeds, 20 epochs) is what the documentation shows; it took
455 s on two CPU cores (``python examples/plot_negative_transfer.py``; the log
is in ``benchmarks/results/negative_transfer.log``).
``SKDOMAIN_DOCS_QUICK=1`` runs a 2 × 2 corner of the grid, one seed and a
few epochs, in well under a minute (CI does).
"""

# %%
# Data and settings
# -----------------

import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import SymLogNorm

from skdomain.datasets import load_mnist_digits
from skdomain.deep import DANNClassifier, GatedDANNClassifier
from skdomain.utils import DomainWarning

QUICK = os.environ.get("SKDOMAIN_DOCS_QUICK", "0") not in ("", "0")
EPSILONS = [0.0, 0.7] if QUICK else [0.0, 0.3, 0.7, 0.9]
LABELED = [0, 30] if QUICK else [0, 10, 30, 50]
SEEDS = [0] if QUICK else [0, 1, 2]
EPOCHS = 5 if QUICK else 20
# e.g. SKDOMAIN_STUDY_GRID="0,0.7:10,30:0" (epsilons : L% : seeds)
if os.environ.get("SKDOMAIN_STUDY_GRID"):
    e, pcts, seeds = os.environ["SKDOMAIN_STUDY_GRID"].split(":")
    EPSILONS, LABELED = (
        [float(v) for v in e.split(",")],
        [int(v) for v in pcts.split(",")],
    )
    SEEDS = [int(v) for v in seeds.split(",")]

X, _, sample_domain, y_true = load_mnist_digits(
    "mnist->digits", return_target_labels=True
)
X = X / 16.0  # counts 0..16 -> [0, 1]
if QUICK:  # a fifth of the source rows
    keep = (sample_domain < 0) | (np.arange(len(X)) % 5 == 0)
    X, sample_domain, y_true = X[keep], sample_domain[keep], y_true[keep]
source, target = sample_domain >= 0, sample_domain < 0
n_classes = np.unique(y_true).size
print(
    f"{source.sum()} MNIST source rows, {target.sum()} UCI digits target rows"
)


def perturbed_labels(epsilon, labeled_pct, seed):
    """Replace a fraction epsilon of the source labels at random; keep L% of
    the target labels.
    """
    rng = np.random.RandomState(seed)
    y = y_true.copy()
    src = np.flatnonzero(source)
    flip = rng.choice(src, int(round(epsilon * src.size)), replace=False)
    y[flip] = rng.randint(n_classes, size=flip.size)
    tgt = np.flatnonzero(target)
    labeled = rng.choice(
        tgt, int(round(labeled_pct / 100 * tgt.size)), replace=False
    )
    # masked: the unlabeled target rows, also the test rows
    y[np.setdiff1d(tgt, labeled)] = -1
    return y


BATCH = 64  # rows per domain in a DANN step


def net(cls, seed, epochs=EPOCHS):
    """Build an unfitted net of class ``cls``, with the study's settings."""
    return cls(max_epochs=epochs, batch_size=BATCH, lr=1e-3, random_state=seed)


def target_only_epochs(n_labeled):
    """Count epochs for as many optimizer steps as DANN takes.

    An epoch of DANN is a pass over the larger domain.
    """
    steps = EPOCHS * -(-max(source.sum(), target.sum()) // BATCH)
    return max(EPOCHS, steps // -(-n_labeled // BATCH))


# %%
# The grid
# --------
# Each cell fits plain DANN, gated DANN and the target-only network (the same
# MLP fitted on the labeled target rows alone, for as many optimizer steps as
# DANN takes, so that it is not under-trained) and scores all three on the
# unlabeled target rows.

METHODS = ["DANN", "DANN gate", "target only"]
acc = np.full((len(METHODS), len(LABELED), len(EPSILONS), len(SEEDS)), np.nan)
t0 = time.perf_counter()
for i, pct in enumerate(LABELED):
    for j, eps in enumerate(EPSILONS):
        for s, seed in enumerate(SEEDS):
            y = perturbed_labels(eps, pct, seed)
            test = target & (y == -1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DomainWarning)
                for m, cls in enumerate([DANNClassifier, GatedDANNClassifier]):
                    model = net(cls, seed).fit(
                        X, y, sample_domain=sample_domain
                    )
                    acc[m, i, j, s] = np.mean(
                        model.predict(X[test]) == y_true[test]
                    )
                # no target label: the target-only learner is chance
                if pct == 0:
                    acc[2, i, j, s] = 1.0 / n_classes
                else:
                    tl = target & (y != -1)
                    # plain supervised data, as many optimizer steps as the
                    # adaptive nets
                    model = net(
                        DANNClassifier, seed, target_only_epochs(tl.sum())
                    ).fit(X[tl], y[tl])
                    acc[2, i, j, s] = np.mean(
                        model.predict(X[test]) == y_true[test]
                    )
print(
    f"{acc.shape[1] * acc.shape[2] * acc.shape[3]} cells "
    f"in {time.perf_counter() - t0:.0f} s"
)

# NTG of each adaptive method, in accuracy points: its error minus the error of
# target-only
ntg = 100 * ((1 - acc[:2]) - (1 - acc[2:3]))

# %%
# The table
# ---------
# Target accuracy (%) mean ± std over seeds, the NTG of each method, and
# :math:`\Delta`, the gate's gain over plain DANN, in the layout of the talk.

header = "L%   row        " + "".join(f"   eps={e:<4}     " for e in EPSILONS)
print(header)
for i, pct in enumerate(LABELED):
    for m, name in enumerate(METHODS):
        cells = "".join(
            f"{100 * acc[m, i, j].mean():6.1f} "
            f"± {100 * acc[m, i, j].std():4.1f}   "
            for j in range(len(EPSILONS))
        )
        print(f"{pct:<4} {name:<11}{cells}")
        if m < 2:
            print(
                f"{'':<4} {'NTG':<11}"
                + "".join(
                    f"{ntg[m, i, j].mean():+13.1f}    "
                    for j in range(len(EPSILONS))
                )
            )
    delta = 100 * (acc[1, i] - acc[0, i]).mean(axis=-1)
    print(
        f"{'':<4} {'Δ gate':<11}" + "".join(f"{d:+13.1f}    " for d in delta)
    )
    print()

# %%
# Heatmaps
# --------
# Left and middle: the NTG of plain and gated DANN (red: negative transfer).
# Right: the gate's gain in target accuracy over plain DANN. The colour scale
# is symmetric-logarithmic, so that cells of a few points show next to tens.

fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
delta = 100 * (acc[1] - acc[0]).mean(axis=-1)
panels = [
    (ntg[0].mean(axis=-1), "NTG, DANN (points)", "RdYlGn_r"),
    (ntg[1].mean(axis=-1), "NTG, DANN gate (points)", "RdYlGn_r"),
    (delta, "gate − DANN, target accuracy (points)", "PuOr"),
]
for ax, (values, title, cmap) in zip(axes, panels):
    # symmetric-log colours: the L% = 0 row (tens of points) does not wash out
    # the others (a few)
    lim = max(
        np.abs(ntg.mean(axis=-1)).max()
        if "NTG" in title
        else np.abs(delta).max(),
        1.0,
    )
    norm = SymLogNorm(linthresh=1.0, vmin=-lim, vmax=lim)
    im = ax.imshow(values, cmap=cmap, norm=norm, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, f"{v:+.1f}", ha="center", va="center", fontsize=9)
    ax.set_xticks(range(len(EPSILONS)), [f"ε={e}" for e in EPSILONS])
    ax.set_yticks(range(len(LABELED)), [f"L={p}%" for p in LABELED])
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.8)
fig.suptitle(
    "MNIST → UCI digits, source labels perturbed at rate ε, "
    "L% of target rows labeled"
)
fig.tight_layout()
plt.show()

# %%
# What we reproduce, and what we do not
# -------------------------------------
# From the full run (three seeds, 20 epochs; the documentation's build and
# ``benchmarks/results/negative_transfer.log``). The talk reports, on
# Office-31 with ResNet-50 features:
#
# 1. *Without target labels the source helps a lot, less as ε grows.*
#    **Reproduced**: at :math:`L\% = 0` the NTG of DANN goes from −68 points
#    (ε = 0) to −2 (ε = 0.9).
# 2. *With target labels, the NTG of plain DANN grows with ε and turns
#    positive.* **Reproduced weakly**: at :math:`L\% = 50` it goes −0.1, −1.0,
#    +1.2, +2.4 points; at 10 % and 30 % it stays within ±3 points, the size of
#    the seed-to-seed spread. Two reasons, both visible in the table: the
#    target is easy (a network on 10 % of the UCI digits, 180 rows, already
#    scores 88–91 %), so the source has little room to help or hurt; and
#    replacing labels *at random* keeps the right class the most frequent one
#    up to ε ≈ 0.9 (probability 1 − ε + ε/10 against ε/10), so a noisy MNIST
#    still teaches the right classes — plain DANN beats target-only at
#    L = 10 %, ε = 0.7 (91.2 vs 88.4).
# 3. *The gate helps more as ε grows when L% > 0.* **Not reproduced**: the
#    gate's gain over plain DANN is within ±3 points everywhere, positive at
#    (50 %, 0.9), (30 %, 0.7) and (50 %, 0.7), negative at (10 %, 0.9). It
#    mostly brings the NTG closer to zero — towards the target-only model,
#    which is what down-weighting the source does when the target-only model is
#    this strong.
# 4. *At L% = 0 gated and plain DANN are alike.* skdomain uses ω = 1 there, so
#    the two differ only by the discriminator's extra (all-zero) label inputs
#    and their random initialisation; the +13.6 at ε = 0.7 comes with a spread
#    of 15.6 points for plain DANN (one seed of three failed to adapt).
#
# A harder target (fewer labels, or a shift that random label noise does not
# average out, such as systematic label swaps) would be the next test of the
# gate.
