"""The regressor flavour of the domain-aware nets."""

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.utils.metaestimators import available_if
from skorch import NeuralNet

from .._base import masked_score

__all__ = ["DomainRegressorMixin"]


class DomainRegressorMixin(RegressorMixin):
    """Regressor flavour: one output, squared error, NaN-masked targets."""

    _task = "regression"
    _default_criterion = torch.nn.MSELoss

    def _n_outputs(self):
        return 1

    def _encode_y(self, y, labeled, reset):
        return torch.as_tensor(np.asarray(y, dtype=np.float32))

    def _row_task_loss(self, out, y):
        out = out.reshape(out.shape[0], -1)[:, 0]
        return self.criterion_(out, torch.nan_to_num(y, nan=0.0))

    def _get_predict_nonlinearity(self):
        return lambda z: z

    @available_if(lambda self: False)
    def predict_proba(self, X):
        """Not available for a regressor (use ``predict``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Unused: accessing the method raises ``AttributeError``.
        """

    def predict(self, X):
        """Predicted values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows (each treated as a target-domain row).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions, in input order.
        """
        X = self._validate_X(X)
        out = NeuralNet.predict_proba(self, X)
        return out.reshape(out.shape[0], -1)[:, 0].astype(np.float64)

    def score(self, X, y, sample_weight=None):
        """R² on the labeled rows of ``y`` (NaN rows ignored).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        y : array-like of shape (n_samples,)
            Targets; NaN marks unlabeled rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            R² over the labeled rows.
        """
        return masked_score(self, "regression", self._validate_X(X), y, sample_weight)
