"""The negative transfer gap (Wang et al., CVPR 2019)."""

import numpy as np
from sklearn.base import clone, is_regressor
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.utils import Bunch, check_random_state

from .._base import _domain_fit_params, plain_learner
from ..utils._domains import check_domains, labeled_mask

__all__ = ["negative_transfer_gap", "plain_learner"]


def _seed(estimator, seed):
    keys = [k for k in estimator.get_params(deep=True) if k.split("__")[-1] == "random_state"]
    return estimator.set_params(**dict.fromkeys(keys, seed)) if keys else estimator


def negative_transfer_gap(
    estimator,
    X,
    y,
    sample_domain,
    X_test,
    y_test,
    *,
    baseline=None,
    n_repeats=1,
    random_state=None,
):
    r"""Negative transfer gap :math:`\mathrm{NTG} = \epsilon_\tau(A(S, T)) - \epsilon_\tau(A(\emptyset, T))`.

    The target error of an algorithm given the source and the target, minus its
    error given the target alone (Wang et al., 2019). :math:`\mathrm{NTG} > 0`
    means negative transfer: the source made things worse. The error
    :math:`\epsilon_\tau` is the misclassification rate (classification) or the
    mean squared error (regression) on ``X_test, y_test``.

    * :math:`A(S, T)`: a clone of ``estimator`` fitted on all rows with
      ``sample_domain`` (routed when metadata routing is on, else passed to every
      skdomain step of a pipeline).
    * :math:`A(\emptyset, T)`: ``baseline`` (default: :func:`plain_learner` of the
      estimator) fitted on the labeled target rows alone, as plain supervised data.
      With **no labeled target row** it is chance level: error
      :math:`1 - 1/n_{classes}` for classification, the variance of ``y_test``
      (the error of predicting its mean) for regression. The NTG is then the
      method's error minus the chance-level error, as in the talk's
      :math:`L\% = 0` rows.

    Parameters
    ----------
    estimator : estimator object
        The domain-adaptation estimator :math:`A`.
    X : array-like of shape (n_samples, n_features)
        Rows of every domain.
    y : array-like of shape (n_samples,)
        Labels; ``-1`` (classification) or NaN (regression) for unlabeled rows.
    sample_domain : array-like of int, shape (n_samples,)
        ``>= 0`` source, ``< 0`` target (``None`` infers it from masked labels).
    X_test : array-like of shape (n_test, n_features)
        Held-out target rows.
    y_test : array-like of shape (n_test,)
        Their true labels. A masked label (``-1`` / NaN) is an error, not an
        excluded row: every test row counts in the error.
    baseline : estimator object, default=None
        The target-only learner; ``None`` uses :func:`plain_learner`.
    n_repeats : int, default=1
        Repeats, each with its own seed set on every ``random_state`` parameter
        of the estimator and the baseline.
    random_state : int, RandomState instance or None, default=None
        Draws the seeds of the repeats.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``gap`` and ``gap_std``, ``error`` and ``error_std`` (of :math:`A(S,T)`),
        ``baseline_error`` and ``baseline_error_std``, ``baseline`` (``"target
        only"``, ``"given"`` or ``"chance"``), ``gaps`` (one per repeat).

    References
    ----------
    .. [1] Z. Wang, Z. Dai, B. Póczos and J. Carbonell, "Characterizing and
       Avoiding Negative Transfer", CVPR 2019.
    """
    regression = is_regressor(estimator)
    task = "regression" if regression else "classification"
    d = check_domains(X, y, sample_domain, task=task, warn_no_target=False)
    X_test = np.asarray(X_test)
    y_test = np.asarray(y_test)
    if X_test.shape[0] != y_test.shape[0]:
        raise ValueError(f"X_test has {X_test.shape[0]} rows but y_test has {y_test.shape[0]}.")
    masked = ~labeled_mask(y_test, task)
    if masked.any():
        raise ValueError(
            f"y_test holds {int(masked.sum())} masked label(s) ({'NaN' if regression else '-1'}), e.g. "
            f"row {int(np.flatnonzero(masked)[0])}: the gap is an error on the test rows, so their "
            "labels must be real. Drop the unlabeled rows from X_test and y_test."
        )
    if n_repeats < 1:
        raise ValueError(f"n_repeats must be >= 1; got {n_repeats}.")
    tl = d.target & d.labeled

    def error(model):
        pred = model.predict(X_test)
        if regression:
            return float(mean_squared_error(y_test, pred))
        return 1.0 - float(accuracy_score(y_test, pred))

    rng = check_random_state(random_state)
    errors, base_errors = [], []
    kind = "chance" if not tl.any() else ("given" if baseline is not None else "target only")
    for _ in range(n_repeats):
        seed = int(rng.randint(np.iinfo(np.int32).max))
        model = _seed(clone(estimator), seed)
        model.fit(d.X, d.y, **_domain_fit_params(model, d.sample_domain))
        errors.append(error(model))
        if kind == "chance":
            if regression:
                base_errors.append(float(np.var(y_test)))
            else:
                base_errors.append(1.0 - 1.0 / np.unique(d.y[d.labeled]).size)
        else:
            base = _seed(clone(baseline) if baseline is not None else plain_learner(estimator), seed)
            base.fit(d.X[tl], d.y[tl])
            base_errors.append(error(base))
    errors, base_errors = np.array(errors), np.array(base_errors)
    gaps = errors - base_errors
    return Bunch(
        gap=float(gaps.mean()),
        gap_std=float(gaps.std()),
        error=float(errors.mean()),
        error_std=float(errors.std()),
        baseline_error=float(base_errors.mean()),
        baseline_error_std=float(base_errors.std()),
        baseline=kind,
        gaps=gaps,
    )
