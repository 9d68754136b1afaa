"""Shared pieces of skdomain's estimators (private)."""

from copy import deepcopy

import numpy as np
from sklearn.base import is_regressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if

from .utils._domains import labeled_mask


class DomainRequestMixin:
    """Request ``sample_domain`` in ``fit`` by default under metadata routing.

    With routing on, scikit-learn's meta-estimators then route ``sample_domain``
    to our estimators without a ``set_fit_request`` call; with routing off this
    has no effect. Global configuration is never touched.
    """

    __metadata_request__fit = {"sample_domain": True}


def routing_on():
    """Whether scikit-learn's metadata routing is switched on (public config API)."""
    import sklearn

    return bool(sklearn.get_config().get("enable_metadata_routing", False))


def default_estimator(estimator):
    """The inner estimator a meta-estimator uses: ``estimator``, or a LogisticRegression.

    The default allows ``max_iter=1000``: lbfgs needs more iterations than
    scikit-learn's default 100 on strongly reweighted rows (KMM weights in the
    hundreds at 20000 rows).
    """
    return LogisticRegression(max_iter=1000) if estimator is None else estimator


def task_of(estimator):
    """``"regression"`` for a regressor, else ``"classification"`` (masking convention)."""
    return "regression" if is_regressor(estimator) else "classification"


def estimator_has(attr):
    """For ``available_if``: the (fitted, else unfitted) inner estimator has ``attr``."""

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(default_estimator(self.estimator), attr)

    return check


def delegate_tags(tags, estimator):
    """Copy the estimator type and its task tags from an inner ``estimator``."""
    sub = get_tags(estimator)
    tags.estimator_type = sub.estimator_type
    tags.classifier_tags = deepcopy(sub.classifier_tags)
    tags.regressor_tags = deepcopy(sub.regressor_tags)
    tags.target_tags.required = True
    tags.input_tags.sparse = False
    return tags


def task_score(y_true, y_pred, task, sample_weight=None):
    """The default score of a task: accuracy (classification) or R^2 (regression)."""
    if task == "regression":
        return float(r2_score(y_true, y_pred, sample_weight=sample_weight))
    return float(accuracy_score(y_true, y_pred, sample_weight=sample_weight))


def masked_score(estimator, task, X, y, sample_weight=None):
    """Accuracy (classification) or R^2 (regression) over the labeled rows of ``y``.

    ``X`` is a validated array. Rows with a masked label (``-1`` / NaN) are
    ignored, so that scikit-learn's default scoring in ``GridSearchCV`` is
    meaningful on contract data.
    """
    y = np.asarray(y)
    keep = labeled_mask(y, task)
    if not keep.any():
        raise ValueError("score needs labeled rows; every label in y is masked.")
    sw = None if sample_weight is None else np.asarray(sample_weight)[keep]
    return task_score(y[keep], estimator.predict(X[keep]), task, sw)


class DelegateMixin:
    """Prediction methods that delegate to a fitted ``estimator_`` (after validating X).

    Every row given to them is treated as a target-domain row; ``score`` counts
    the labeled rows only.
    """

    def _delegate(self, method, X):
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self)
        return getattr(self.estimator_, method)(validate_data(self, X, reset=False))

    @available_if(estimator_has("predict"))
    def predict(self, X):
        """Predict with the fitted inner estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict or embed; each is treated as a target-domain row.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions, one per row, in input order.
        """
        return self._delegate("predict", X)

    @available_if(estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the fitted inner estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict or embed; each is treated as a target-domain row.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, one row per input row, columns in the order of ``classes_``.
        """
        return self._delegate("predict_proba", X)

    @available_if(estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the fitted inner estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict or embed; each is treated as a target-domain row.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log class probabilities, columns in the order of ``classes_``.
        """
        return self._delegate("predict_log_proba", X)

    @available_if(estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the fitted inner estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict or embed; each is treated as a target-domain row.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values, one row per input row.
        """
        return self._delegate("decision_function", X)

    def score(self, X, y, sample_weight=None):
        """Accuracy (classifier) or R² (regressor) on the labeled rows of ``y``.

        Rows with a masked label (``-1`` / NaN) are ignored, so ``GridSearchCV``'s
        default scoring is meaningful on contract data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict or embed; each is treated as a target-domain row.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or NaN (regression) marks unlabeled rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows scored (masked rows are dropped with their weights).

        Returns
        -------
        score : float
            Mean score over the labeled rows.
        """
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return masked_score(self.estimator_, task_of(self.estimator_), X, y, sample_weight)
