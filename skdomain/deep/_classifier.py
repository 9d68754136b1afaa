"""The classifier flavour of the domain-aware nets."""

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet

from .._base import masked_score

__all__ = ["DomainClassifierMixin"]


class DomainClassifierMixin(ClassifierMixin):
    """Classifier flavour: ``classes_`` from the labeled rows, any label values, softmax outputs."""

    _task = "classification"
    _default_criterion = torch.nn.CrossEntropyLoss

    def _n_outputs(self):
        return len(self.classes_)

    def _encode_y(self, y, labeled, reset):
        if reset:
            self.classes_ = np.unique(y[labeled])
        enc = np.full(y.shape[0], -1, dtype=np.int64)
        if labeled.any():
            lab = y[labeled]
            pos = np.searchsorted(self.classes_, lab)
            pos = np.clip(pos, 0, len(self.classes_) - 1)
            unknown = self.classes_[pos] != lab
            if unknown.any():
                raise ValueError(
                    f"y holds labels unseen in the first fit: {np.unique(lab[unknown])!r}; "
                    f"classes_ are {self.classes_!r}."
                )
            enc[labeled] = pos
        return torch.as_tensor(enc)

    def _row_task_loss(self, out, y):
        return self.criterion_(out, y.clamp_min(0))

    def _get_predict_nonlinearity(self):
        return lambda z: torch.softmax(z, dim=1)

    def predict_proba(self, X):
        """Class probabilities (softmax of the head's logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows (each treated as a target-domain row).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``, rows in input order.
        """
        X = self._validate_X(X)
        return NeuralNet.predict_proba(self, X)

    def predict(self, X):
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows (each treated as a target-domain row).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``, in input order.
        """
        check_is_fitted(self, "n_features_in_")
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy on the labeled rows of ``y`` (masked rows ignored).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` marks unlabeled rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            Accuracy over the labeled rows.
        """
        return masked_score(self, "classification", self._validate_X(X), y, sample_weight)
