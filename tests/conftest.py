"""What the test modules share: fixtures and collection hooks (no test module imports another).

- ``shifted_blobs``, ``domain_accuracy``: the toy shift of the deep nets' adaptation tests
  and the domain-classifier accuracy that measures feature alignment.

The torch thread setting for the whole session is in the repository's root ``conftest.py``.
"""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# -- shared data and measures -------------------------------------------------------------------


def _shifted_blobs(n, seed, shift=1.5, d=4):
    """Two Gaussian classes on feature 0; the target is translated by ``shift`` on features 0 and 1."""
    rng = np.random.RandomState(seed)
    ys, yt = rng.randint(0, 2, n), rng.randint(0, 2, n)
    Xs, Xt = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    Xs[:, 0] += 2.0 * ys - 1.0
    Xt[:, 0] += 2.0 * yt - 1.0 + shift
    Xt[:, 1] += shift
    X = np.vstack([Xs, Xt])
    y = np.r_[ys, -np.ones(n, dtype=int)]
    sd = np.r_[np.zeros(n, dtype=int), -np.ones(n, dtype=int)]
    return X, y, sd, yt


def _domain_accuracy(Z, sd):
    """3-fold accuracy of a domain classifier on features (0.5 is chance)."""
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return cross_val_score(clf, Z, sd < 0, cv=3).mean()


@pytest.fixture(scope="session")
def shifted_blobs():
    """``shifted_blobs(n, seed, shift=1.5, d=4) -> X, y, sd, y_target``: ``n`` source + ``n`` target rows.

    Two Gaussian classes on feature 0; the target is translated by ``shift`` on features 0
    and 1, and all its labels are masked (``y == -1``); ``y_target`` holds them.
    """
    return _shifted_blobs


@pytest.fixture(scope="session")
def domain_accuracy():
    """``domain_accuracy(Z, sd)``: 3-fold accuracy of a domain classifier on features (0.5 is chance)."""
    return _domain_accuracy
