r"""
========================================================
The discriminator gate on five deep methods (ε = 0.7)
========================================================

The negative-transfer talk (Wang et al., CVPR 2019) ends with a table: at a
source perturbation rate :math:`\epsilon = \epsilon_x = \epsilon_y = 0.7` and
:math:`L\% = 10\%` labeled target rows, the **discriminator gate** raises the
target accuracy of DAN, Deep CORAL, DANN, ADDA, PADA and GTA on every task,
by :math:`\Delta` = 2 to 23 points. This example runs the same comparison on
MNIST → UCI digits and digits → MNIST
(:func:`skdomain.datasets.load_mnist_digits`) for the five methods of
:mod:`skdomain.deep` that take ``gate=True``:
:class:`~skdomain.deep.DANClassifier`,
:class:`~skdomain.deep.DeepCORALClassifier`,
:class:`~skdomain.deep.DANNClassifier`,
:class:`~skdomain.deep.ADDAClassifier` and
:class:`~skdomain.deep.PADAClassifier`.

The source is perturbed by :func:`skdomain.datasets.perturb_source`: 70 % of
the source inputs are replaced by noise, and (an independent draw) 70 % of the
source labels are moved to the next class, :math:`k \to k + 1 \bmod 10`.
Systematic, not random, label noise: a random relabelling keeps the true class
the most frequent label of its images up to :math:`\epsilon \approx 0.9`, so
the source still teaches the right classes and there is no negative transfer
to avoid (measured below). The negative transfer gap
:math:`\mathrm{NTG}` is the method's target error minus that of the same
network fitted on the labeled target rows alone (> 0: the source hurt).

This page runs one seed with 10 epochs per stage (a few minutes on an idle
core); ``SKDOMAIN_DOCS_QUICK=1`` runs 3 epochs on a subsample (CI). The table
with three seeds is ``benchmarks/bench_gate_table.py``, quoted at the end.
"""

# %%
# Settings
# --------
# One line per method: the class and its extra parameters (ADDA's second
# stage runs as many epochs as the first).

import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

from skdomain.datasets import load_mnist_digits, perturb_source
from skdomain.deep import (
    ADDAClassifier,
    DANClassifier,
    DANNClassifier,
    DeepCORALClassifier,
    PADAClassifier,
)
from skdomain.utils import DomainWarning

QUICK = os.environ.get("SKDOMAIN_DOCS_QUICK", "0") not in ("", "0")
EPOCHS = 3 if QUICK else 10
N_SOURCE, N_TARGET = (1000, 600) if QUICK else (None, None)
EPS, LABELED, SEED, BATCH = 0.7, 0.1, 0, 64
torch.set_num_threads(1)  # small nets: one thread is fastest

METHODS = {
    "DAN": (DANClassifier, {}),
    "DCORAL": (DeepCORALClassifier, {}),
    "DANN": (DANNClassifier, {}),
    "ADDA": (ADDAClassifier, {"adapt_epochs": EPOCHS}),
    "PADA": (PADAClassifier, {}),
}
# the talk's gain of the gate on its digits task, SVHN -> MNIST
SEED_DELTA = {
    "DAN": 3.7,
    "DCORAL": 5.8,
    "DANN": 9.8,
    "ADDA": 16.2,
    "PADA": 12.1,
}
TASKS = ["mnist->digits", "digits->mnist"]


def net(cls, epochs, **params):
    """Build an unfitted net with the study's settings."""
    return cls(
        max_epochs=epochs,
        batch_size=BATCH,
        lr=1e-3,
        random_state=SEED,
        **params,
    )


# %%
# Fit every method plain and gated, and the target-only network
# -------------------------------------------------------------
# The target-only network gets as many optimizer steps as an adaptive net
# (whose epoch is a pass over the larger domain); the test rows are the
# unlabeled target rows.

acc = {}
t0 = time.perf_counter()
for task in TASKS:
    X, y, sd, y_true = load_mnist_digits(
        task,
        n_source=N_SOURCE,
        n_target=N_TARGET,
        n_target_labeled=LABELED,
        return_target_labels=True,
        random_state=SEED,
    )
    X, y = perturb_source(
        X,
        y,
        sd,
        eps_x=EPS,
        eps_y=EPS,
        x_how="noise",
        y_how="cyclic",
        random_state=SEED,
    )
    X = X / 16.0
    target = sd < 0
    test, tl = target & (y == -1), target & (y != -1)
    steps = EPOCHS * -(-max((~target).sum(), target.sum()) // BATCH)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        only = net(DANNClassifier, max(EPOCHS, steps // -(-tl.sum() // BATCH)))
        only.fit(X[tl], y[tl])
        acc[task, "target only"] = np.mean(
            only.predict(X[test]) == y_true[test]
        )
        for name, (cls, params) in METHODS.items():
            for gate in (False, True):
                model = net(cls, EPOCHS, gate=gate, **params)
                model.fit(X, y, sample_domain=sd)
                acc[task, name, gate] = np.mean(
                    model.predict(X[test]) == y_true[test]
                )
print(f"{len(acc)} fits in {time.perf_counter() - t0:.0f} s")

# %%
# The table
# ---------
# Target accuracy % (NTG in points) in the layout of the talk, Δ = gated −
# plain.

print(f"{'':<13}" + "".join(f"{t:>18}" for t in TASKS))
print(
    f"{'target only':<13}"
    + "".join(f"{100 * acc[t, 'target only']:>18.1f}" for t in TASKS)
)
ntg, delta = {}, {}
for name in METHODS:
    for gate in (False, True):
        cells = ""
        for t in TASKS:
            a = 100 * acc[t, name, gate]
            ntg[t, name, gate] = 100 * acc[t, "target only"] - a
            cells += f"{a:>11.1f} ({ntg[t, name, gate]:+5.1f})"
        print(f"{name + (' gate' if gate else ''):<13}{cells}")
    for t in TASKS:
        delta[t, name] = 100 * (acc[t, name, True] - acc[t, name, False])
    print(
        f"{'Δ ' + name:<13}"
        + "".join(f"{delta[t, name]:>+18.1f}" for t in TASKS)
    )

# %%
# The gate's gain, against the talk's
# -----------------------------------
# Left: the NTG of each method, plain and gated (> 0: negative transfer).
# Right: Δ per method and task; the black marks are the talk's Δ on SVHN →
# MNIST.

names = list(METHODS)
pos = np.arange(len(names))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
for k, t in enumerate(TASKS):
    for g, gate in enumerate((False, True)):
        ax1.bar(
            pos + (2 * k + g - 1.5) * 0.2,
            [ntg[t, n, gate] for n in names],
            0.2,
            label=f"{t}, {'gated' if gate else 'plain'}",
            color=f"C{k}",
            alpha=0.5 + 0.5 * g,
        )
    ax2.bar(
        pos + (k - 0.5) * 0.35,
        [delta[t, n] for n in names],
        0.35,
        label=t,
        color=f"C{k}",
    )
ax2.scatter(
    pos,
    [SEED_DELTA[n] for n in names],
    color="k",
    marker="_",
    s=400,
    label="talk, SVHN → MNIST",
)
for ax, title in [
    (ax1, "NTG (points; > 0: the source hurt)"),
    (ax2, "Δ = gated − plain, target accuracy (points)"),
]:
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xticks(pos, names)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
fig.suptitle(
    f"ε = {EPS}, L% = {100 * LABELED:g}%, seed {SEED}, {EPOCHS} epochs"
)
fig.tight_layout()
plt.show()

# %%
# What we reproduce, and what we do not
# -------------------------------------
# From the benchmark's full run (``python benchmarks/bench_gate_table.py``:
# three seeds, 10 epochs; ``benchmarks/results/gate_table.log``), target
# accuracy % (NTG) averaged over the two tasks, and Δ:
#
# ==========  ==============  ==============  ========  ==========
# method      plain           gated           Δ         talk's Δ
# ==========  ==============  ==============  ========  ==========
# DAN         87.1 (+1.4)     86.9 (+1.5)     −0.1      +3.7
# DCORAL      87.0 (+1.4)     87.0 (+1.4)     +0.0      +5.8
# DANN        85.1 (+3.4)     83.0 (+5.5)     −2.1      +9.8
# ADDA        23.7 (+64.7)    31.9 (+56.6)    +8.1      +16.2
# PADA        85.5 (+3.0)     83.8 (+4.6)     −1.6      +12.1
# GTA         86.5 (+2.0)     86.0 (+2.5)     −0.5      +2.1
# confusion   84.7 (+3.8)     84.4 (+4.0)     −0.2
# ==========  ==============  ==============  ========  ==========
#
# (GTA and domain confusion: ``--methods GTA,confusion``, the same seeds;
# ``benchmarks/results/gate_table_gta_confusion.log``. This page runs the
# first five only, to stay fast.)
#
# Target only scores 91.5 ± 0.9 (MNIST → digits) and 85.4 ± 0.9 (digits →
# MNIST), source only 17.7 and 15.7; the talk's Δ is its SVHN → MNIST column.
#
# * **Negative transfer, reproduced**: every plain method is below target
#   only (NTG > 0), DAN and Deep CORAL barely (+1.4, about a standard
#   deviation), ADDA by far (its classifier is fixed after a first stage where
#   5,000 perturbed source rows outweigh 180 labeled target rows), the order of
#   the talk's own NTGs.
# * **The gate's gain, reproduced for ADDA only**: +8.9 ± 7.9 points on MNIST →
#   digits and +7.3 ± 6.9 on digits → MNIST, about half the talk's, with a
#   spread as large as the gain; gated ADDA stays far below target only.
# * **Not reproduced for DAN, Deep CORAL, DANN and PADA**: Δ within ±0.8 points
#   (DAN, Deep CORAL: no effect beyond the seed-to-seed spread) or negative
#   (DANN −2.5 and −1.7, PADA −1.0 and −2.3). The talk reports +2.4 to +15.1
#   on every task for these four. Its setting differs: ResNet-50 on images,
#   an unspecified perturbation (random labels give no negative transfer here:
#   ``benchmarks/results/gate_table_perturbations.log``), more epochs, and a
#   harder target than UCI digits, where 10 % of the rows already give 91 %.
#
# The single seed of this page moves by a few points from the three-seed
# means; the spread is in the benchmark's table.
