r"""
======================================================
Attention transfer: a small student sees where to look
======================================================

:class:`~skdomain.transfer.AttentionTransferClassifier` (Zagoruyko &
Komodakis, 2017)
trains a student network on its labels and, for named pairs of teacher and
student layers, on the distance between their spatial attention maps
:math:`F(A) = \sum_c |A_c|^2`, each flattened and scaled to unit norm:

.. math::

    \mathcal{L} = (1 - \alpha)\,\mathrm{CE}
    + \alpha\, T^2\, \mathrm{KL}(p_T \| q_T)
    + \frac{\beta}{2} \sum_j \mathbb{E}_x \left\| \frac{Q_S^j}{\|Q_S^j\|_2}
    - \frac{Q_T^j}{\|Q_T^j\|_2} \right\|_2 .

Here a wide convolutional teacher (:class:`skdomain.transfer.DigitConvNet`,
32 and 64 channels) is trained on 1,000 of scikit-learn's 8 × 8 digits; a
narrow student (4 and 8 channels) gets 3 labels per digit and 270 unlabeled
images (a transfer set: they get the attention and distillation terms only).
The figure shows the attention maps of the first block (4 × 4) for a few
held-out digits: the teacher's, the student's trained on labels alone, and
the student's trained with attention transfer.
"""

# %%
# Data and teacher
# ----------------
# ``SKDOMAIN_DOCS_QUICK=1`` runs fewer epochs.

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator

from skdomain import DANNClassifier
from skdomain.transfer import AttentionTransferClassifier, DigitConvNet

QUICK = os.environ.get("SKDOMAIN_DOCS_QUICK", "0") not in ("", "0")
EPOCHS = 10 if QUICK else 40

X, y = load_digits(return_X_y=True)
perm = np.random.RandomState(0).permutation(len(X))
X, y = (X[perm] / 16.0).astype(np.float32), y[perm]
X_teach, y_teach = X[:1000], y[:1000]
X_pool, y_pool = X[1000:1300], y[1000:1300]
X_test, y_test = X[1300:], y[1300:]

with warnings.catch_warnings():
    # a plain net on labeled rows: its "no target rows" warning is expected
    warnings.simplefilter("ignore")
    teacher = DANNClassifier(
        DigitConvNet,
        mu=0.0,
        module__channels=(32, 64),
        max_epochs=8 if QUICK else 15,
        lr=3e-3,
        random_state=0,
    ).fit(X_teach, y_teach)
print(f"teacher: {teacher.score(X_test, y_test):.3f}")

# 3 labels per digit; the other 270 pool images are unlabeled (-1)
rng = np.random.RandomState(0)
keep = np.concatenate(
    [rng.choice(np.where(y_pool == c)[0], 3, replace=False) for c in range(10)]
)
y_small = np.full(len(y_pool), -1)
y_small[keep] = y_pool[keep]

# %%
# Students
# --------
# The same student with labels only (``alpha=0, beta=0``), with attention
# transfer (``beta=1``), and with attention transfer and distillation
# (``alpha=0.9``).

kw = dict(
    module__channels=(4, 8),
    module__hidden_units=(32,),
    max_epochs=EPOCHS,
    lr=3e-3,
    batch_size=32,
    random_state=0,
)
students = {
    "labels only": AttentionTransferClassifier(
        FrozenEstimator(teacher), alpha=0.0, beta=0.0, **kw
    ),
    "AT": AttentionTransferClassifier(
        FrozenEstimator(teacher), alpha=0.0, beta=1.0, **kw
    ),
    "AT + KD": AttentionTransferClassifier(
        FrozenEstimator(teacher), alpha=0.9, beta=1.0, **kw
    ),
}
for name, student in students.items():
    student.fit(X_pool, y_small)
    print(f"{name:12s}: {student.score(X_test, y_test):.3f}")

# %%
# Attention maps of the first block
# ---------------------------------


def block1_attention(module, X):
    """Normalised F(A) of ``block1`` (4 x 4 for 8 x 8 digits)."""
    seen = {}
    handle = module.block1.register_forward_hook(
        lambda m, i, o: seen.setdefault("A", o)
    )
    module.eval()
    with torch.no_grad():
        module(torch.as_tensor(X))
    handle.remove()
    Q = seen["A"].pow(2).sum(1).flatten(1)
    Q = Q / Q.norm(dim=1, keepdim=True)
    return Q.reshape(-1, 4, 4).numpy()


rows = {
    "image": X_test[:5].reshape(-1, 8, 8),
    "teacher": block1_attention(teacher.module_, X_test[:5]),
}
rows["labels only"] = block1_attention(
    students["labels only"].module_, X_test[:5]
)
rows["AT"] = block1_attention(students["AT"].module_, X_test[:5])
fig, axes = plt.subplots(len(rows), 5, figsize=(7, 6))
for r, (name, images) in enumerate(rows.items()):
    for c in range(5):
        axes[r, c].imshow(images[c], cmap="gray" if r == 0 else "viridis")
        axes[r, c].set_xticks([])
        axes[r, c].set_yticks([])
    axes[r, 0].set_ylabel(name)
fig.suptitle("Attention of block1: teacher and students")
fig.tight_layout()
plt.show()
