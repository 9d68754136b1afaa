"""Scoring the domain-aware nets during training (skorch's ``EpochScoring``)."""

import numpy as np

from .._base import task_score
from ._data import labeled_rows

__all__ = ["labeled_score"]


def labeled_score(net, X, y):
    """Accuracy (classifier) or R² (regressor) on the labeled rows, for skorch's ``EpochScoring``.

    skorch's scoring callbacks pass the validation dataset and the *encoded* labels of
    its batches (``-1`` / NaN for masked rows); this decodes them and ignores masked rows:
    ``EpochScoring(labeled_score, name="valid_acc", lower_is_better=False)``.

    Parameters
    ----------
    net : DomainNet
        The net being trained.
    X : DomainDataset or array-like
        Rows to score.
    y : array-like of shape (n_samples,)
        Encoded labels, as skorch collects them from the batches.

    Returns
    -------
    score : float
        The score over the labeled rows (NaN when there is none).
    """
    y = np.asarray(y)
    task = net._task
    keep = labeled_rows(y, task)
    if not keep.any():
        return float("nan")
    pred = np.asarray(net.predict(X))[keep]
    y_true = y[keep] if task == "regression" else net.classes_[y[keep].astype(int)]
    return task_score(y_true, pred, task)
