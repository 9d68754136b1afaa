r"""
=============================================
Freeze or fine-tune? A pretrained net, reused
=============================================

A network trained on the digits 0–4 (the source task) helps a new task, the
digits 5–9, that has few labels. :class:`skdomain.transfer.NetFeatures` reads
a layer of the pretrained network as fixed features for a logistic
regression; :class:`skdomain.transfer.FineTuningClassifier` replaces its head
and trains on the new task with the lower layers frozen (``freeze="all"``:
only the new head learns), all layers trained, or each layer at its own rate
(``lr_decay``: the layer :math:`k` steps below the head at
:math:`\eta\gamma^k`). A network of the same shape trained from scratch is the
reference that transfer must beat. The curve is the target test accuracy
against the number of labeled rows per digit
(:func:`~skdomain.datasets.load_mnist_tasks`: raw 784-pixel MNIST, offline).
"""

# %%
# Pretraining on the source task
# ------------------------------
# ``SKDOMAIN_DOCS_QUICK=1`` uses fewer rows, sizes and epochs.

import os

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from skorch import NeuralNetClassifier

from skdomain.datasets import load_mnist_tasks
from skdomain.transfer import FineTuningClassifier, NetFeatures

QUICK = os.environ.get("SKDOMAIN_DOCS_QUICK", "0") not in ("", "0")
torch.set_num_threads(1)
sizes = [5, 50] if QUICK else [5, 20, 50, 200]
n_source = 100 if QUICK else 400
epochs = 15 if QUICK else 40


def mlp():
    """Build the MLP 784-128-64-5 (the source and scratch networks)."""
    return torch.nn.Sequential(
        torch.nn.Linear(784, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 5),
    )


data = load_mnist_tasks(
    n_source_per_class=n_source, n_test_per_class=100, random_state=0
)
torch.manual_seed(0)
source_net = NeuralNetClassifier(
    mlp(),
    criterion=torch.nn.CrossEntropyLoss,
    optimizer=torch.optim.Adam,
    max_epochs=10,
    train_split=None,
    verbose=0,
)
source_net.fit(data.X_source.astype(np.float32), data.y_source)
print(
    "source test accuracy:",
    (
        source_net.predict(data.X_source_test.astype(np.float32))
        == data.y_source_test
    ).mean(),
)
pretrained = FrozenEstimator(source_net)

# %%
# The target task: 5 to 200 labels per digit
# ------------------------------------------
torch.manual_seed(1)
fresh = mlp()
ft = dict(max_epochs=epochs, batch_size=32, random_state=0)
methods = {
    "features + LR": lambda: make_pipeline(
        NetFeatures(pretrained), LogisticRegression(max_iter=1000)
    ),
    "frozen (new head only)": lambda: FineTuningClassifier(
        pretrained, freeze="all", **ft
    ),
    "fine-tune all layers": lambda: FineTuningClassifier(pretrained, **ft),
    "layer-wise rates (0.1^k)": lambda: FineTuningClassifier(
        pretrained, lr_decay=0.1, **ft
    ),
    "scratch (no transfer)": lambda: FineTuningClassifier(fresh, **ft),
}
scores = {name: [] for name in methods}
for n in sizes:
    task = load_mnist_tasks(
        n_source_per_class=1,
        n_target_per_class=n,
        n_test_per_class=100,
        random_state=0,
    )
    for name, make in methods.items():
        est = make().fit(task.X_target, task.y_target)
        scores[name].append(est.score(task.X_target_test, task.y_target_test))

# %%
# The learning curve
# ------------------
fig, ax = plt.subplots(figsize=(6, 4))
for name, acc in scores.items():
    ax.plot(sizes, acc, marker="o", label=name)
ax.set_xscale("log")
ax.set_xlabel("labeled target rows per digit (5-9)")
ax.set_ylabel("target test accuracy")
ax.set_title("pretrained on digits 0-4")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
