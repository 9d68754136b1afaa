"""A meta-estimator that fits its estimator on labeled rows only."""

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods

from ._base import (
    DelegateMixin,
    DomainRequestMixin,
    check_row_weights,
    default_estimator,
    delegate_tags,
    task_of,
)
from .utils._domains import check_domains

__all__ = ["LabeledOnly"]


def _is_weight(key):
    return key == "sample_weight" or key.endswith("__sample_weight")


class LabeledOnly(DomainRequestMixin, DelegateMixin, MetaEstimatorMixin, BaseEstimator):
    """Fit an estimator on the labeled rows only (the final step after a DA transformer).

    In ``make_pipeline(TCA(), LabeledOnly(LogisticRegression()))`` the transformer
    learns from every row, source and target, while the final estimator must
    learn from labeled rows only: source rows and labeled target rows. Rows whose
    label is masked (``-1`` for classification, NaN for regression) are dropped
    before ``estimator.fit``; prediction delegates to the fitted estimator.

    Parameters
    ----------
    estimator : estimator object, default=None
        The supervised estimator; ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression` with ``max_iter=1000``. A regressor makes this a
        regressor (masked labels are then NaN).

    Attributes
    ----------
    estimator_ : estimator
        The estimator fitted on the labeled rows.
    n_labeled_ : int
        Number of rows it was fitted on.
    classes_ : ndarray
        Class labels (classifiers only; ``-1`` is never a class).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string feature names.

    See Also
    --------
    sklearn.semi_supervised.SelfTrainingClassifier : The same ``-1`` convention.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain import LabeledOnly
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0, 1, -1, -1])
    >>> clf = LabeledOnly(LogisticRegression()).fit(X, y)
    >>> clf.classes_.tolist(), clf.n_labeled_
    ([0, 1], 2)
    """

    _parameter_constraints = {"estimator": [HasMethods(["fit"]), None]}

    def __init__(self, estimator=None):
        self.estimator = estimator

    def __sklearn_tags__(self):
        return delegate_tags(super().__sklearn_tags__(), default_estimator(self.estimator))

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_domain=None, **fit_params):
        """Fit the estimator on the rows whose label is not masked.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain, source and target.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or NaN (regression) marks unlabeled rows.
        sample_domain : array-like of int, shape (n_samples,), default=None
            Validated against the contract (e.g. no masked source row), not used
            otherwise: every labeled row is used, source or target.
        **fit_params : dict
            Passed to ``estimator.fit``; array-likes of length ``n_samples`` are
            subset to the labeled rows. ``sample_weight`` (or
            ``<step>__sample_weight`` for a Pipeline) is first checked against
            the rows of ``X``: one weight per row, masked rows included.

        Returns
        -------
        self : LabeledOnly
            The fitted estimator.
        """
        base = default_estimator(self.estimator)
        d = check_domains(
            X,
            y,
            sample_domain,
            task=task_of(base),
            estimator=self,
            warn_no_target=False,
            y_required=True,
        )
        keep = d.labeled
        n = d.X.shape[0]
        fit_params = {
            k: (check_row_weights(v, n, k) if _is_weight(k) and v is not None else v)
            for k, v in fit_params.items()
        }
        params = {
            k: (np.asarray(v)[keep] if hasattr(v, "__len__") and len(v) == n else v)
            for k, v in fit_params.items()
        }
        self.estimator_ = clone(base).fit(d.X[keep], d.y[keep], **params)
        self.n_labeled_ = int(keep.sum())
        if hasattr(self.estimator_, "classes_"):
            self.classes_ = self.estimator_.classes_
        return self
