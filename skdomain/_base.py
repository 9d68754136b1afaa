"""Shared pieces of skdomain's estimators (private)."""

import inspect
from copy import deepcopy

import numpy as np
import sklearn
from sklearn.base import clone, is_regressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import get_routing_for_object
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

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
    return bool(sklearn.get_config().get("enable_metadata_routing", False))


def default_estimator(estimator):
    """Return the inner estimator a meta-estimator uses: ``estimator``, or a LogisticRegression.

    The default allows ``max_iter=1000``: lbfgs needs more iterations than
    scikit-learn's default 100 on strongly reweighted rows (KMM weights in the
    hundreds at 20000 rows).
    """
    return LogisticRegression(max_iter=1000) if estimator is None else estimator


def fit_weighted(estimator, X, y, sample_weight):
    """Fit ``estimator`` with ``sample_weight``; for a Pipeline they reach its last step.

    With metadata routing off the weights go as ``<last step>__sample_weight``;
    with routing on, unset requests are set on the (cloned) pipeline's steps:
    the last step requests ``sample_weight``, the earlier ones do not.
    """
    if not isinstance(estimator, Pipeline):
        return estimator.fit(X, y, sample_weight=sample_weight)
    last_name, last = estimator.steps[-1]
    if not routing_on():
        return estimator.fit(X, y, **{f"{last_name}__sample_weight": sample_weight})
    for i, (_, step) in enumerate(estimator.steps):
        if step is None or step == "passthrough" or not hasattr(step, "set_fit_request"):
            continue
        requests = step.get_metadata_routing().fit.requests
        if "sample_weight" in requests and requests["sample_weight"] is None:
            step.set_fit_request(sample_weight=i == len(estimator.steps) - 1)
    return estimator.fit(X, y, sample_weight=sample_weight)


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


def check_row_weights(sample_weight, n_samples, name="sample_weight"):
    """Validate weights against the caller's rows, before any subset of them is taken.

    One finite, non-negative weight per row of ``X``, masked rows included; the
    error names the caller's row count, not that of the labeled subset.
    """
    if np.ndim(sample_weight) == 1 and len(sample_weight) != n_samples:
        raise ValueError(
            f"{name} has {len(sample_weight)} values but X has {n_samples} rows: give one weight per "
            "row of X, masked (unlabeled) rows included; they are dropped with their rows."
        )
    return _check_sample_weight(sample_weight, np.empty((n_samples, 0)), ensure_non_negative=True)


def task_score(y_true, y_pred, task, sample_weight=None):
    """Score with the default of a task: accuracy (classification) or R^2 (regression)."""
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
    sw = None if sample_weight is None else check_row_weights(sample_weight, y.shape[0])[keep]
    return task_score(y[keep], estimator.predict(X[keep]), task, sw)


class DelegateMixin:
    """Prediction methods that delegate to a fitted ``estimator_`` (after validating X).

    Every row given to them is treated as a target-domain row; ``score`` counts
    the labeled rows only.
    """

    def _delegate(self, method, X):
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
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return masked_score(self.estimator_, task_of(self.estimator_), X, y, sample_weight)


def plain_learner(estimator):
    """Return the supervised learner inside a domain-adaptation estimator, unfitted.

    ``A(∅, T)`` of the negative transfer gap is this learner fitted on the labeled
    target rows alone, as plain supervised data (a DA estimator cannot be fitted
    without source rows). The rules:

    * a meta-estimator of skdomain (:class:`~skdomain.KMM`,
      :class:`~skdomain.LabeledOnly`): its inner ``estimator``;
    * :class:`~skdomain.model_selection.SafeTransfer`: the learner of its baselines;
    * a :class:`~sklearn.pipeline.Pipeline`: the same steps without skdomain's
      domain-adaptation transformers (e.g. :class:`~skdomain.TCA`), the last step
      mapped by these rules;
    * anything else: the estimator itself.

    Parameters
    ----------
    estimator : estimator object
        A (domain-adaptation) estimator.

    Returns
    -------
    learner : estimator object
        An unfitted clone of the plain learner.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain import KMM
    >>> from skdomain.metrics import plain_learner
    >>> plain_learner(KMM(LogisticRegression(C=0.5)))
    LogisticRegression(C=0.5)
    """
    if hasattr(estimator, "_plain_learner"):  # the guard: the learner of its baselines
        return clone(estimator._plain_learner())
    if isinstance(estimator, DelegateMixin):
        return clone(default_estimator(estimator.estimator))
    if isinstance(estimator, Pipeline):
        steps = [
            (name, step)
            for name, step in estimator.steps[:-1]
            if not (isinstance(step, DomainRequestMixin) and hasattr(step, "transform"))
        ]
        name, last = estimator.steps[-1]
        steps.append((name, plain_learner(last)))
        return Pipeline([(n, clone(s)) for n, s in steps])
    return clone(estimator)


def _is_domain_aware(estimator):
    """Whether ``estimator`` (or a step of it, for a Pipeline) takes ``sample_domain``."""
    if isinstance(estimator, Pipeline):
        return any(isinstance(step, DomainRequestMixin) for _, step in estimator.steps)
    return isinstance(estimator, DomainRequestMixin)


def _domain_fit_params(estimator, sample_domain):
    """How ``sample_domain`` reaches ``estimator.fit`` with routing on or off ({} if never)."""
    if not _is_domain_aware(estimator):
        return {}
    if routing_on():
        return {"sample_domain": sample_domain}
    if isinstance(estimator, Pipeline):
        return {
            f"{name}__sample_domain": sample_domain
            for name, step in estimator.steps
            if isinstance(step, DomainRequestMixin)
        }
    return {"sample_domain": sample_domain}


def _transform_takes_domains(step):
    """Whether a pipeline step's ``transform`` accepts ``sample_domain`` (CORAL, SA)."""
    transform = getattr(step, "transform", None)
    return transform is not None and "sample_domain" in inspect.signature(transform).parameters


def predict_on_domains(estimator, X, sample_domain, method="predict"):
    """``estimator.<method>(X)`` on rows of known domains, passing ``sample_domain`` where it is asked for.

    A transformer that maps source and target rows differently (:class:`~skdomain.CORAL`,
    :class:`~skdomain.SubspaceAlignment`) treats rows as target rows unless its
    ``transform`` is given ``sample_domain``; a scorer that evaluates a model on held-out
    *source* rows must pass it, or the source rows go through the target map.

    * Metadata routing on: ``sample_domain`` is passed when the estimator's routing
      consumes it in ``method`` (a Pipeline whose step requests it in ``transform``,
      as CORAL and SA do by default; ``set_transform_request(sample_domain=False)``
      opts out).
    * Routing off: a Pipeline cannot route it to its steps' ``transform``, so the steps
      are applied here, each step whose ``transform`` takes ``sample_domain`` getting it,
      then ``method`` of the last step.
    * Anything else: ``estimator.<method>(X)``.
    """
    if routing_on():
        if get_routing_for_object(estimator).consumes(method, ["sample_domain"]):
            return getattr(estimator, method)(X, sample_domain=sample_domain)
        return getattr(estimator, method)(X)
    if isinstance(estimator, Pipeline) and any(_transform_takes_domains(s) for _, s in estimator.steps[:-1]):
        Xt = X
        for _, step in estimator.steps[:-1]:
            if step is None or step == "passthrough":
                continue
            if _transform_takes_domains(step):
                Xt = step.transform(Xt, sample_domain=sample_domain)
            else:
                Xt = step.transform(Xt)
        return getattr(estimator.steps[-1][1], method)(Xt)
    return getattr(estimator, method)(X)
