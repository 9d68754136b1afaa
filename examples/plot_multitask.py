r"""
===================================================
Multi-task learning: task weights from uncertainty
===================================================

:class:`skdomain.transfer.MultiTaskNet` trains one trunk with a head per
task and weighs the task losses by learned noise levels :math:`\sigma_k`
(Kendall, Gal & Cipolla, 2018):

.. math::

    \mathcal{L} = \sum_{k \in \mathrm{reg}} \frac{\mathcal{L}_k}{2\sigma_k^2}
    + \sum_{k \in \mathrm{cls}} \frac{\mathcal{L}_k}{\sigma_k^2}
    + \sum_k \log \sigma_k,

learning :math:`s_k = \log \sigma_k^2`. For a regression task the optimum is
:math:`\sigma_k^2` = the task's mean squared residual, so a noisier task gets a
smaller weight.

Here three tasks share one nonlinear function of the inputs: two regression
targets with noise levels 0.2 and 0.8, and its sign as a class. The plot
shows :math:`\sigma_k` per epoch (from the net's history) against the true
noise levels.
"""

# %%
# Data
# ----
# ``SKDOMAIN_DOCS_QUICK=1`` runs fewer rows and epochs.

import os

import matplotlib.pyplot as plt
import numpy as np
import torch

from skdomain.transfer import MultiTaskNet

QUICK = os.environ.get("SKDOMAIN_DOCS_QUICK", "0") not in ("", "0")
n, max_epochs = (400, 10) if QUICK else (1000, 40)
torch.set_num_threads(1)  # small nets: one thread is fastest

rng = np.random.RandomState(0)
X = rng.normal(size=(n, 4))
g = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2]
noise = (0.2, 0.8)
y = np.column_stack(
    [
        g + noise[0] * rng.normal(size=n),
        g + noise[1] * rng.normal(size=n),
        g > 0,
    ]
)

# %%
# Uncertainty weighting
# ---------------------
# Adam moves each :math:`s_k` by about ``lr`` per step; skorch's parameter
# groups give the log variances (``log_vars``) a learning rate of their own.

net = MultiTaskNet(
    ("regression", "regression", "classification"),
    lr=3e-3,
    max_epochs=max_epochs,
    optimizer__param_groups=[("log_vars", {"lr": 0.03})],
    random_state=0,
).fit(X, y)
print("sigma_:", np.round(net.sigma_, 3))
print("sigma_2 / sigma_1 =", round(net.sigma_[1] / net.sigma_[0], 2))
print("weights of the task losses:", np.round(net.task_weights_, 2))

# %%
# :math:`\sigma_k` per epoch
# --------------------------

fig, ax = plt.subplots(figsize=(6, 3.5))
epochs = np.arange(1, len(net.history) + 1)
labels = ["regression, noise 0.2", "regression, noise 0.8", "classification"]
for k, (label, color) in enumerate(zip(labels, ["C0", "C1", "C2"])):
    ax.plot(epochs, net.history[:, f"sigma_task{k}"], color=color, label=label)
    if k < 2:
        ax.axhline(noise[k], color=color, ls="--", lw=1)
ax.set_xlabel("epoch")
ax.set_ylabel(r"learned $\sigma_k$")
ax.set_title("Learned noise levels (dashed: the true ones)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
