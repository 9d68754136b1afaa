"""A whole active-learning loop with an oracle, recording the learning curve."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.utils import Bunch, check_random_state

from .._base import default_estimator, task_of, task_score
from ..utils._domains import DomainWarning, check_domains, check_labeled_classes, labeled_mask
from ._mmd_query import MMDQuerySelector, default_transfer_estimator, fit_transfer

__all__ = ["active_learning_curve"]

STRATEGIES = ("mmd", "random", "uncertainty")


def _least_confident(model, X, b):
    """Positions of the ``b`` rows whose largest class probability is smallest."""
    if not hasattr(model, "predict_proba"):
        raise ValueError(
            "strategy='uncertainty' needs a transfer model with predict_proba "
            f"({type(model).__name__} has none; regressors have none)."
        )
    confidence = np.asarray(model.predict_proba(X)).max(axis=1)
    return np.argsort(confidence, kind="stable")[:b]


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _check_oracle_agrees(y, oracle_y, labeled, task):
    """Raise when ``oracle_y`` contradicts a known label of ``y`` (where neither is masked)."""
    both = labeled & labeled_mask(oracle_y, task)
    if task == "regression":
        same = np.isclose(oracle_y[both].astype(np.float64), y[both].astype(np.float64))
    else:
        same = np.asarray(oracle_y[both] == y[both], dtype=bool)
    if same.shape != (int(both.sum()),) or not same.all():
        rows = np.flatnonzero(both)
        bad = rows if same.shape != rows.shape else rows[~same]
        i = int(bad[0])
        raise ValueError(
            f"oracle_y disagrees with the labels of y on {bad.size} of the {rows.size} labeled row(s), "
            f"e.g. row {i} (y={_plain(y[i])!r}, oracle_y={_plain(oracle_y[i])!r}). The oracle gives the "
            "true labels, so where y is labeled it must agree (or be masked); check that both arrays "
            "are in the same row order and label encoding."
        )


def active_learning_curve(
    selector,
    X,
    y,
    sample_domain,
    oracle_y,
    *,
    n_rounds,
    strategy="mmd",
    X_test=None,
    y_test=None,
    evaluate=None,
    random_state=None,
):
    r"""Run ``n_rounds`` of batch active learning on the target pool and record the learning curve.

    Each round fits the transfer model on the current labels, evaluates it, picks
    ``selector.batch_size`` pool rows by ``strategy`` and reveals their labels from
    ``oracle_y``; a last evaluation follows the last round. Every strategy uses
    the same transfer model (``selector.transfer_estimator``, by default
    ``KMM(clone(selector.estimator), B=1000.0)``, seeded like the selector) and the same batch
    size, so the curves compare only the choice of rows:

    * ``"mmd"``: :class:`MMDQuerySelector` (a clone of ``selector``: disagreement
      :math:`d_i` plus the MMD term, :math:`\lambda = 0` at a cold start);
    * ``"random"``: ``b`` pool rows drawn uniformly (seeded by ``random_state``);
    * ``"uncertainty"``: the ``b`` pool rows where the transfer model's largest
      class probability is smallest (least-confident sampling; classifiers only).

    Parameters
    ----------
    selector : MMDQuerySelector
        Holds the base and transfer models, ``batch_size`` and the MMD settings.
    X : array-like of shape (n_samples, n_features)
        Rows of every domain.
    y : array-like of shape (n_samples,)
        Labels at the start; ``-1`` (classification) or NaN (regression) marks
        the pool. Not modified.
    sample_domain : array-like of int, shape (n_samples,) or None
        ``>= 0`` source, ``< 0`` target; inferred from masked labels when None.
    oracle_y : array-like of shape (n_samples,)
        The true labels; read only on the rows queried (and, without ``X_test``,
        on the target rows, for evaluation). Pool rows must not be masked there,
        and where ``y`` is labeled it must agree with ``y`` (or be masked): a
        contradiction is an error, as it means misaligned rows or encodings.
    n_rounds : int
        Number of query rounds (``n_rounds * batch_size`` labels are revealed).
    strategy : {"mmd", "random", "uncertainty"}, default="mmd"
        How each batch is chosen.
    X_test, y_test : array-like, default=None
        Held-out target rows and labels for the evaluation. ``None`` evaluates on
        every target row of ``X`` with its oracle label (transductive accuracy).
        The labels evaluated on must not be masked (an error otherwise).
    evaluate : callable, default=None
        ``evaluate(model) -> float`` replaces the default score (accuracy for
        classifiers, :math:`R^2` for regressors) of the fitted transfer model.
    random_state : int, RandomState instance or None, default=None
        Seeds ``"random"``.

    Returns
    -------
    curve : Bunch
        ``n_labels`` (labeled target rows at each evaluation, ``n_rounds + 1``
        values), ``scores`` (the score there), ``queried`` (one array of row
        numbers per round), ``cold_start`` (per round, for ``"mmd"``: whether
        :math:`\lambda = 0` was forced) and ``strategy``.

    Examples
    --------
    >>> from skdomain.active import MMDQuerySelector, active_learning_curve
    >>> from skdomain.datasets import make_domain_shift
    >>> X, y, sd, y_true = make_domain_shift(
    ...     n_source=60, n_target=40, n_target_labeled=4, random_state=0,
    ...     return_target_labels=True)
    >>> curve = active_learning_curve(
    ...     MMDQuerySelector(batch_size=4), X, y, sd, y_true, n_rounds=2,
    ...     strategy="random", random_state=0)
    >>> curve.n_labels.tolist()
    [4, 8, 12]
    """
    if not isinstance(selector, MMDQuerySelector):
        raise TypeError(f"selector must be an MMDQuerySelector; got {type(selector).__name__}.")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}; got {strategy!r}.")
    if not isinstance(n_rounds, Integral) or isinstance(n_rounds, bool) or n_rounds < 0:
        raise ValueError(f"n_rounds must be a non-negative integer; got {n_rounds!r}.")
    selector._validate_params()
    base = default_estimator(selector.estimator)
    task = task_of(base)
    d = check_domains(X, y, sample_domain, task=task, warn_no_target=False, y_required=True)
    oracle_y = np.asarray(oracle_y)
    if oracle_y.shape != (d.X.shape[0],):
        raise ValueError(f"oracle_y has shape {oracle_y.shape}; expected ({d.X.shape[0]},).")
    pool = d.target & ~d.labeled
    b = selector.batch_size
    if n_rounds * b > pool.sum():
        raise ValueError(
            f"n_rounds * batch_size = {n_rounds * b} exceeds the pool of {int(pool.sum())} "
            "unlabeled target rows."
        )
    if task == "classification":
        check_labeled_classes(d.y, d.labeled, estimator=selector)
    if not labeled_mask(oracle_y[pool], task).all():
        raise ValueError("oracle_y is masked on some pool rows: the oracle must know every pool label.")
    _check_oracle_agrees(d.y, oracle_y, d.labeled, task)
    if (X_test is None) != (y_test is None):
        raise ValueError("Give both X_test and y_test, or neither.")
    if evaluate is None:
        if X_test is None:
            X_eval, y_eval = d.X[d.target], oracle_y[d.target]
            what = "oracle_y (read on every target row when X_test is not given)"
        else:
            X_eval, y_eval = np.asarray(X_test), np.asarray(y_test)
            what = "y_test"
        masked = ~labeled_mask(y_eval, task)
        if masked.any():  # a masked label would count as an error of every model
            raise ValueError(
                f"{what} holds {int(masked.sum())} masked label(s): the evaluation needs real labels. "
                "Give the oracle's labels of every target row, or X_test and y_test without masked rows."
            )

        def evaluate(model):
            return task_score(y_eval, model.predict(X_eval), task)

    transfer = selector.transfer_estimator
    if transfer is None:
        transfer = default_transfer_estimator(base, selector.random_state)
    rng = check_random_state(random_state)
    y_cur = d.y.copy()
    if y_cur.dtype.kind in "iu" and task == "regression":
        y_cur = y_cur.astype(np.float64)
    sd = d.sample_domain
    n_labels, scores, queried, cold = [], [], [], []
    for r in range(n_rounds + 1):
        cur = d._replace(y=y_cur, labeled=labeled_mask(y_cur, task))
        n_labels.append(int((cur.target & cur.labeled).sum()))
        if r == n_rounds or strategy != "mmd":
            model = fit_transfer(transfer, cur)
            scores.append(float(evaluate(model)))
            if r == n_rounds:
                break
        pool_rows = np.flatnonzero(cur.target & ~cur.labeled)
        if strategy == "mmd":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DomainWarning)  # recorded in cold_start
                sel = clone(selector).fit(d.X, y_cur, sample_domain=sd)
            scores.append(float(evaluate(sel.transfer_estimator_)))
            idx = sel.query_indices_
            cold.append(bool(sel.cold_start_))
        elif strategy == "random":
            idx = np.sort(rng.choice(pool_rows, size=b, replace=False))
        else:
            idx = np.sort(pool_rows[_least_confident(model, d.X[pool_rows], b)])
        queried.append(idx)
        y_cur = y_cur.copy()
        y_cur[idx] = oracle_y[idx]
    return Bunch(
        n_labels=np.array(n_labels),
        scores=np.array(scores),
        queried=queried,
        cold_start=np.array(cold, dtype=bool),
        strategy=strategy,
    )
