"""Linear parameter transfer through a dictionary shared by the source and target models."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._base import DomainRequestMixin, masked_score
from ..utils._domains import (
    DomainData,
    DomainWarning,
    _check_sample_domain,
    _check_y,
    check_domains,
    check_labeled_classes,
)
from ._solver import init_dictionary, solve_joint, solve_sources

__all__ = ["DictionaryTransferClassifier", "DictionaryTransferRegressor"]


def _augment(X):
    """Append the constant column whose coefficient is the intercept (the last row of W)."""
    return np.hstack([X, np.ones((X.shape[0], 1))])


def _ridge(Xa, Y, penalty):
    r"""Minimiser of :math:`\tfrac12\|X W - Y\|_F^2 + \rho\|W\|_F^2` (intercept row included)."""
    M = Xa.T @ Xa + 2.0 * penalty * np.eye(Xa.shape[1])
    return linalg.solve(M, Xa.T @ Y, assume_a="pos")


#: ``n_atoms="auto"``: the leading directions of the stacked source models keep this share of their energy.
AUTO_ENERGY = 0.99


def _auto_n_atoms(singular_values, energy=AUTO_ENERGY):
    r"""Return the smallest :math:`k` (at least 1) with :math:`\sum_{j\le k}\sigma_j^2 \ge e\sum_j\sigma_j^2`.

    :math:`e` is ``energy``; all singular values 0 give 1.
    """
    power = np.asarray(singular_values, dtype=np.float64) ** 2
    total = power.sum()
    if not total > 0:
        return 1
    kept = np.cumsum(power) / total
    return max(1, int(np.searchsorted(kept, energy - 1e-12) + 1))


_SOLVER_DOC = r"""
    The model of every task :math:`t` is linear, :math:`\hat y = [x, 1]\, W_t` with
    :math:`W_t \in \mathbb{R}^{d \times c}` (:math:`d` = number of features + 1: the
    last row of :math:`W_t` is the intercept, the coefficient of an appended
    constant column, penalised and shared through :math:`D` like the other rows).
    The assumption is that the models of related tasks are combinations of a few
    *base models*, the :math:`k` columns (atoms) of a dictionary
    :math:`D \in \mathbb{R}^{d\times k}`.

    **Stage 1** (sources). One model :math:`W_S^i` per source task is fitted first
    (see ``source_ridge``) or given (``source_models``); then

    .. math::

        \min_{D,\, V_S^i}\; \sum_{i=1}^{m} \Big(\tfrac12 \|W_S^i - D V_S^i\|_F^2
        + \eta \|V_S^i\|_{2,1}\Big)
        \quad\text{s.t.}\quad \|d_j\|_2 \le 1 .

    **Stage 2** (joint with the target), started from stage 1's solution:

    .. math::

        \min_{D,\, V_S^i,\, V_T,\, W_T}\; \sum_{i=1}^{m} \Big(\tfrac12 \|W_S^i - D V_S^i\|_F^2
        + \eta \|V_S^i\|_{2,1}\Big)
        + \tfrac{\alpha}{2} \|W_T - D V_T\|_F^2 + \eta \|V_T\|_{2,1}
        + \beta \Big(\tfrac12 \|X_L W_T - Y_L\|_F^2 + \rho \|W_T\|_F^2\Big),

    with :math:`X_L` the labeled target rows (constant column appended), :math:`Y_L`
    their targets, :math:`\rho` = ``ridge`` and :math:`\|V\|_{2,1} = \sum_j \|V_{j,:}\|_2`
    the sum of the norms of the **rows** of a code: row :math:`j` holds atom
    :math:`j`'s weights for all :math:`c` outputs, so the penalty makes each task use
    few atoms, for all of its outputs at once (atom-wise sparsity; with
    :math:`c = 1` it is the :math:`\ell_1` norm of sparse coding). The prediction
    model is :math:`W_T` (``coef_`` and ``intercept_``).

    **Solver.** Block-coordinate descent in which every step decreases the
    objective: proximal-gradient steps on the source codes (a gradient step of
    length :math:`1/L`, :math:`L = \lambda_{\max}(D^\top D)`, then row-wise group
    soft-thresholding, the exact proximal operator of :math:`\eta\|\cdot\|_{2,1}`);
    the target block :math:`(V_T, W_T)` with :math:`W_T` eliminated exactly,
    :math:`W_T = M^{-1}(\alpha D V_T + \beta X_L^\top Y_L)`,
    :math:`M = \beta X_L^\top X_L + (\alpha + 2\beta\rho) I` (factorised once),
    and proximal-gradient steps on the quadratic in :math:`V_T` that remains;
    and :math:`D` column by column, each column the exact minimiser over the unit
    ball (Mairal et al., 2009). The objective is recorded per iteration
    (``objective_curve_``, non-increasing); a stage stops when one iteration
    decreases it by less than ``tol`` times its value at the zero model (all codes
    and :math:`W_T` zero), the scale of the problem.

    Each source id of ``sample_domain`` is its own task (source ids are **not**
    pooled); several target ids are pooled into one target task. Unlabeled target
    rows are not used (the method learns from labels only). Without any labeled
    target row there is nothing to transfer to: a :class:`~skdomain.DomainWarning`
    is issued and :math:`W_T` is the ridge model of the pooled labeled source rows
    (fit without adaptation). When ``source_models`` are given, a fit may have no
    source row at all (every ``sample_domain`` negative).
"""

_PARAMS_DOC = r"""
    n_atoms : int or "auto", default="auto"
        Number :math:`k` of atoms (columns of :math:`D`); it may exceed :math:`d`
        (an overcomplete dictionary, kept sparse by :math:`\eta`). ``"auto"``
        reads it from the singular values :math:`\sigma_1 \ge \sigma_2 \ge \dots`
        of the stacked source models :math:`[W_S^1, \dots, W_S^m]`: the smallest
        :math:`k` whose leading directions hold 99% of their energy,
        :math:`\sum_{j>k}\sigma_j^2 \le 0.01 \sum_j \sigma_j^2` (so at most
        :math:`m c`, and 1 with one source task of one output). Fewer atoms than
        source models is what makes the dictionary *shared*: with :math:`k \ge m c`
        every source model is an atom of its own and the target model is barely
        constrained. On five sources sharing a rank-3 dictionary
        (``make_shared_dictionary_tasks(n_sources=5, n_source_samples=200,
        n_features=30)``, 10 labeled target rows) ``"auto"`` finds 3 atoms on each
        of 10 seeds: test MSE 0.14 (mean over the seeds), against 1.09 for the
        former default ``n_atoms=5`` and 1.35 for target-only ridge. The chosen
        number is ``n_atoms_``.
    alpha : float, default=1.0
        Weight :math:`\alpha \ge 0` of the target's dictionary term
        :math:`\tfrac{\alpha}{2}\|W_T - D V_T\|_F^2`: how strongly the target model is
        pulled into the span of the dictionary. ``0`` gives the target-only ridge.
    beta : float, default=0.01
        Weight :math:`\beta > 0` of the target's data term (and of its ridge term).
        The data term is a sum over the :math:`n_L` labeled target rows while each
        source enters with weight 1: with :math:`\beta n_L` well below
        :math:`m` the few target labels choose the target's code without bending
        the sources' dictionary towards their noise, and :math:`\alpha / (\beta
        n_L)` sets how closely :math:`W_T` stays in the dictionary's span.
    eta : float, default=0.001
        Weight :math:`\eta \ge 0` of the :math:`\ell_{2,1}` penalty on every code.
    ridge : float, default=1.0
        Weight :math:`\rho \ge 0` of :math:`\|W_T\|_F^2` inside the :math:`\beta` term
        (the talk's choice is 1).
    source_ridge : float, default=1.0
        Penalty :math:`\rho_S > 0` of the models fitted on source rows,
        :math:`W_S^i = \arg\min_W \tfrac12\|X_i W - Y_i\|_F^2 + \rho_S\|W\|_F^2` (the
        same loss as the target's, so that all coefficients are on one scale).
    source_models : list or None, default=None
        Source models given already fitted, each a task of its own beside the
        source ids of the data: fitted linear estimators with ``coef_`` (and
        ``intercept_``) over the same features, wrapped in
        :class:`sklearn.frozen.FrozenEstimator` so that ``clone`` keeps them fitted,
        or coefficient arrays of shape ``(n_features + 1, c)`` whose last row is
        the intercept (for :math:`c = 1`, shape ``(n_features + 1,)`` too).
    init : {"svd", "random"}, default="svd"
        Start of :math:`D`: the leading left singular vectors of
        :math:`[W_S^1, \dots, W_S^m]` (random unit columns beyond their rank), or
        random unit columns.
    max_iter : int, default=500
        Maximum number of outer iterations of each stage.
    tol : float, default=1e-5
        Stop a stage when one iteration decreases the objective by less than ``tol``
        times its value at the zero model (codes and :math:`W_T` zero).
    random_state : int, RandomState instance or None, default=None
        Seeds the random columns of the initial :math:`D`.
"""

_ATTRS_DOC = r"""
    n_atoms_ : int
        The number :math:`k` of atoms fitted (``n_atoms``, or the number that
        ``"auto"`` chose).
    source_singular_values_ : ndarray of shape (min(n_features + 1, n_source_tasks * c),)
        Singular values of the stacked source models :math:`[W_S^1, \dots, W_S^m]`,
        in decreasing order (what ``n_atoms="auto"`` reads).
    dictionary_ : ndarray of shape (n_features + 1, k)
        :math:`D`; its last row is the intercept coordinate (:math:`k` = ``n_atoms_``).
    codes_ : ndarray of shape (k, c) or None
        :math:`V_T`, the target's code (None when fitted without adaptation).
    source_coefs_ : ndarray of shape (n_source_tasks, n_features + 1, c)
        :math:`W_S^i`: one model per source id (in increasing id order), then the
        given ``source_models``.
    source_codes_ : ndarray of shape (n_source_tasks, k, c)
        :math:`V_S^i`.
    source_ids_ : ndarray of int
        The source ids of the data that were fitted, in the order of ``source_coefs_``.
    n_source_tasks_ : int
        :math:`m`, source ids plus given models.
    objective_curve_ : ndarray of shape (n_joint_iter + 1,)
        Stage 2's objective at the start and after each of its ``n_joint_iter``
        iterations (empty when fitted without adaptation).
    source_objective_curve_ : ndarray
        The same for stage 1.
    n_iter_ : int
        Outer iterations of both stages together (stage 2 has none when fitted
        without adaptation).
    n_iter_source_ : int
        Outer iterations of stage 1.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string feature names.
"""

_REFERENCES_DOC = r"""
    .. [1] J. Mairal, F. Bach, J. Ponce and G. Sapiro, "Online Dictionary Learning
       for Sparse Coding", ICML 2009 (the column-wise dictionary update).
    .. [2] A. Argyriou, T. Evgeniou and M. Pontil, "Convex Multi-Task Feature
       Learning", Machine Learning 73(3), 2008 (shared low-dimensional structure of
       task models, :math:`\ell_{2,1}` penalties).
    .. [3] A. Maurer, M. Pontil and B. Romera-Paredes, "Sparse Coding for Multitask
       and Transfer Learning", ICML 2013.
"""


class _DictionaryTransfer(DomainRequestMixin, BaseEstimator):
    """Shared fit of the classifier and the regressor (private)."""

    _task = None

    _parameter_constraints = {
        "n_atoms": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "eta": [Interval(Real, 0, None, closed="left")],
        "ridge": [Interval(Real, 0, None, closed="left")],
        "source_ridge": [Interval(Real, 0, None, closed="neither")],
        "source_models": [list, np.ndarray, None],
        "init": [StrOptions({"svd", "random"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_atoms="auto",
        *,
        alpha=1.0,
        beta=0.01,
        eta=0.001,
        ridge=1.0,
        source_ridge=1.0,
        source_models=None,
        init="svd",
        max_iter=500,
        tol=1e-5,
        random_state=None,
    ):
        self.n_atoms = n_atoms
        self.alpha = alpha
        self.beta = beta
        self.eta = eta
        self.ridge = ridge
        self.source_ridge = source_ridge
        self.source_models = source_models
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # -- data -----------------------------------------------------------------

    def _check_data(self, X, y, sample_domain):
        """Check the domain contract, except that given source models allow a fit without source rows."""
        models = self.source_models is not None and len(self.source_models) > 0
        if models and sample_domain is not None and np.ndim(sample_domain) == 1:
            sd = np.asarray(sample_domain)
            if sd.dtype.kind in "iu" and sd.size and (sd < 0).all():
                if y is None:
                    raise ValueError(
                        f"{type(self).__name__} requires y to be passed, but the target y is None."
                    )
                Xv = validate_data(self, X, dtype=np.float64)
                sd = _check_sample_domain(sd, Xv.shape[0])
                yv, labeled = _check_y(y, Xv.shape[0], self._task)
                return DomainData(Xv, yv, sd, labeled, True)
        return check_domains(
            X,
            y,
            sample_domain,
            task=self._task,
            estimator=self,
            y_required=True,
            warn_no_target=False,
            check_classes=False,  # in _set_classes, with the classes of the source models
            dtype=np.float64,
        )

    def _encode(self, y):
        """Targets as a matrix Y: ±1 codes (classification) or one column (regression)."""
        if self._task == "regression":
            return np.asarray(y, dtype=np.float64).reshape(-1, 1)
        return self._binarizer.transform(y).astype(np.float64)

    def _set_classes(self, d):
        if self._task == "regression":
            return 1
        labels = [np.asarray(d.y[d.labeled])]
        for model in self._models():
            if hasattr(model, "classes_"):
                labels.append(np.asarray(model.classes_))
        self.classes_ = check_labeled_classes(
            d.y, d.labeled, estimator=self, classes=np.concatenate(labels)
        )  # masking left fewer than two classes: says that the -1 rows were read as unlabeled
        if self.classes_.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; got one class, "
                f"{self.classes_.tolist()}."
            )
        self._binarizer = LabelBinarizer(neg_label=-1, pos_label=1).fit(self.classes_)
        return 1 if self.classes_.shape[0] == 2 else self.classes_.shape[0]

    def _models(self):
        if self.source_models is None:
            return []
        return list(self.source_models)

    def _model_coefs(self, i, model, n_features, n_outputs):
        """One given source model as a (n_features + 1, c) matrix, intercept last."""
        name = type(self).__name__
        if hasattr(model, "fit") or hasattr(model, "coef_"):
            try:
                check_is_fitted(model)
            except NotFittedError as exc:
                raise ValueError(
                    f"{name}: source_models[{i}] ({type(model).__name__}) is not fitted. Pass fitted "
                    "estimators wrapped in sklearn.frozen.FrozenEstimator, so that clone (e.g. in "
                    "GridSearchCV) keeps them fitted."
                ) from exc
            if not hasattr(model, "coef_"):
                raise ValueError(
                    f"{name}: source_models[{i}] ({type(model).__name__}) has no coef_: only linear "
                    "models over the same features can be transferred."
                )
            coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
            if coef.shape != (n_outputs, n_features):
                raise ValueError(
                    f"{name}: source_models[{i}] has coef_ of shape {np.shape(model.coef_)}; expected "
                    f"({n_outputs}, {n_features}) for {n_outputs} output(s) over {n_features} features."
                )
            if self._task == "classification" and hasattr(model, "classes_"):
                if not np.array_equal(np.asarray(model.classes_), self.classes_):
                    raise ValueError(
                        f"{name}: source_models[{i}] has classes {np.asarray(model.classes_).tolist()}, "
                        f"the data {self.classes_.tolist()}; the columns of the models must match."
                    )
            intercept = np.asarray(getattr(model, "intercept_", 0.0), dtype=np.float64).ravel()
            if intercept.size == 1:
                intercept = np.full(n_outputs, intercept[0])
            if intercept.shape != (n_outputs,):
                raise ValueError(
                    f"{name}: source_models[{i}] has intercept_ of shape {intercept.shape}; "
                    f"expected ({n_outputs},)."
                )
            return np.vstack([coef.T, intercept[None, :]])
        A = np.asarray(model, dtype=np.float64)
        if A.ndim == 1:
            A = A[:, None]
        if A.shape != (n_features + 1, n_outputs):
            raise ValueError(
                f"{name}: source_models[{i}] is an array of shape {np.shape(model)}; expected "
                f"({n_features + 1}, {n_outputs}): one row per feature, then the intercept row."
            )
        if not np.all(np.isfinite(A)):
            raise ValueError(f"{name}: source_models[{i}] holds NaN or infinite values.")
        return A

    # -- fit ------------------------------------------------------------------

    def _fit(self, X, y, sample_domain):
        name = type(self).__name__
        if self.alpha == 0 and self.ridge == 0:
            raise ValueError(
                f"{name}: alpha and ridge cannot both be 0 (the W_T system may then be singular)."
            )
        d = self._check_data(X, y, sample_domain)
        if not d.has_target:
            warnings.warn(
                f"No target rows (no sample_domain < 0 and no masked label): {name} is fitted without "
                "adaptation (ridge on the pooled labeled source rows).",
                DomainWarning,
                stacklevel=4,  # _fit <- fit <- scikit-learn's _fit_context <- caller
            )
        n_outputs = self._set_classes(d)
        Xa = _augment(d.X)
        n_features = d.X.shape[1]

        coefs, ids = [], []
        src = np.flatnonzero(d.source)
        src = src[np.argsort(d.sample_domain[src], kind="stable")]  # grouped by id, input order inside
        uniq, starts = np.unique(d.sample_domain[src], return_index=True)
        for sid, rows in zip(uniq, np.split(src, starts[1:])):
            coefs.append(_ridge(Xa[rows], self._encode(d.y[rows]), self.source_ridge))
            ids.append(int(sid))
        for i, model in enumerate(self._models()):
            coefs.append(self._model_coefs(i, model, n_features, n_outputs))
        W_S = np.stack(coefs)

        self.source_singular_values_ = linalg.svd(np.concatenate(list(W_S), axis=1), compute_uv=False)
        self.n_atoms_ = (
            _auto_n_atoms(self.source_singular_values_) if self.n_atoms == "auto" else self.n_atoms
        )
        rng = check_random_state(self.random_state)
        D = init_dictionary(W_S, self.n_atoms_, self.init, rng)
        D, V_S, curve1, self.n_iter_source_, ok1 = solve_sources(
            W_S, D, eta=self.eta, max_iter=self.max_iter, tol=self.tol
        )
        if not ok1:
            warnings.warn(
                f"{name}: stage 1 (sources) did not converge in max_iter={self.max_iter} iterations; "
                "raise max_iter or tol.",
                ConvergenceWarning,
                stacklevel=4,
            )

        target_labeled = d.target & d.labeled
        if not target_labeled.any():
            source_rows = d.source & d.labeled
            if not source_rows.any():
                raise ValueError(
                    f"{name}: no labeled row in the data (no source row and no labeled target row): "
                    "there is nothing to fit the target model to."
                )
            if d.has_target:
                warnings.warn(
                    f"{name}: no labeled target row; the method learns from target labels only, so it "
                    "is fitted without adaptation (ridge on the pooled labeled source rows).",
                    DomainWarning,
                    stacklevel=4,
                )
            W_T = _ridge(Xa[source_rows], self._encode(d.y[source_rows]), self.source_ridge)
            V_T, curve2, n_iter2 = None, np.array([]), 0
        else:
            D, V_S, V_T, W_T, curve2, n_iter2, ok2 = solve_joint(
                W_S,
                D,
                V_S,
                Xa[target_labeled],
                self._encode(d.y[target_labeled]),
                eta=self.eta,
                alpha=self.alpha,
                beta=self.beta,
                ridge=self.ridge,
                max_iter=self.max_iter,
                tol=self.tol,
            )
            if not ok2:
                warnings.warn(
                    f"{name}: stage 2 (joint with the target) did not converge in "
                    f"max_iter={self.max_iter} iterations; raise max_iter or tol.",
                    ConvergenceWarning,
                    stacklevel=4,
                )

        self.n_iter_ = self.n_iter_source_ + n_iter2
        self.dictionary_ = D
        self.codes_ = V_T
        self.source_coefs_ = W_S
        self.source_codes_ = V_S
        self.source_ids_ = np.asarray(ids, dtype=np.int64)
        self.n_source_tasks_ = W_S.shape[0]
        self.objective_curve_ = curve2
        self.source_objective_curve_ = curve1
        if self._task == "regression":
            self.coef_ = W_T[:-1, 0].copy()
            self.intercept_ = float(W_T[-1, 0])
        else:
            self.coef_ = W_T[:-1].T.copy()
            self.intercept_ = W_T[-1].copy()
        return self

    def _scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_.T + self.intercept_

    def score(self, X, y, sample_weight=None):
        """Accuracy (classifier) or R² (regressor) on the labeled rows of ``y``.

        Rows with a masked label (``-1`` / NaN) are ignored, so ``GridSearchCV``'s
        default scoring is meaningful on contract data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict; each is treated as a target-domain row.
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
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return masked_score(self, self._task, X, y, sample_weight)


class DictionaryTransferClassifier(ClassifierMixin, _DictionaryTransfer):
    __doc__ = (
        r"""Classifier whose linear model is transferred through a dictionary shared with sources.

    Classes are coded as :math:`\pm 1` targets, as in
    :class:`~sklearn.linear_model.RidgeClassifier`: :math:`Y` has one column per class
    (+1 for the row's class, -1 elsewhere), or one column for two classes (+1 for
    ``classes_[1]``). ``predict`` takes the arg-max of the scores :math:`[x, 1] W_T`
    (their sign for two classes). The scores are least-squares fits, not
    probabilities, so there is no ``predict_proba``; use ``decision_function``.
"""
        + _SOLVER_DOC
        + """
    Parameters
    ----------"""
        + _PARAMS_DOC
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, from every labeled row and the given models' ``classes_``.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        The rows of :math:`W_T` but the last, transposed (one row for two classes).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The last row of :math:`W_T`."""
        + _ATTRS_DOC
        + """
    See Also
    --------
    DictionaryTransferRegressor : The same model for regression.

    References
    ----------"""
        + _REFERENCES_DOC
        + """
    Examples
    --------
    >>> from skdomain.datasets import make_shared_dictionary_tasks
    >>> from skdomain.parameter import DictionaryTransferClassifier
    >>> X, y, sd = make_shared_dictionary_tasks(
    ...     task="classification", n_target_labeled=20, random_state=0)
    >>> clf = DictionaryTransferClassifier(n_atoms=3, random_state=0)
    >>> clf = clf.fit(X, y, sample_domain=sd)
    >>> clf.dictionary_.shape, clf.n_source_tasks_
    ((21, 3), 5)
    >>> curve = clf.objective_curve_
    >>> bool(all(a >= b for a, b in zip(curve, curve[1:])))
    True
    """
    )

    _task = "classification"
    score = _DictionaryTransfer.score  # masked rows ignored (before ClassifierMixin.score)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_domain=None):
        """Fit one model per source task, the dictionary, then the target model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` marks unlabeled (target) rows.
        sample_domain : array-like of int, shape (n_samples,), default=None
            ``>= 0`` source (one task per id), ``< 0`` target; inferred from masked
            labels when omitted.

        Returns
        -------
        self : DictionaryTransferClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_domain)

    def decision_function(self, X):
        """Scores :math:`[x, 1] W_T`, one column per class (one column for two classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score; each is treated as a target-domain row.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, positive scores mean ``classes_[1]``.
        """
        s = self._scores(X)
        return s.ravel() if s.shape[1] == 1 else s

    def predict(self, X):
        """Class of the largest score (the sign of the score for two classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict; each is treated as a target-domain row.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes, in input order.
        """
        s = self._scores(X)
        if s.shape[1] == 1:
            return self.classes_[(s[:, 0] > 0).astype(int)]
        return self.classes_[np.argmax(s, axis=1)]


class DictionaryTransferRegressor(RegressorMixin, _DictionaryTransfer):
    __doc__ = (
        r"""Regressor whose linear model is transferred through a dictionary shared with sources.

    Here :math:`c = 1`: every :math:`W_t` is a column, and :math:`\|V\|_{2,1}` is the
    :math:`\ell_1` norm of the code. Unlabeled rows carry NaN targets.
"""
        + _SOLVER_DOC
        + """
    Parameters
    ----------"""
        + _PARAMS_DOC
        + """
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        The rows of :math:`W_T` but the last.
    intercept_ : float
        The last row of :math:`W_T`."""
        + _ATTRS_DOC
        + """
    See Also
    --------
    DictionaryTransferClassifier : The same model for classification.

    References
    ----------"""
        + _REFERENCES_DOC
        + """
    Examples
    --------
    >>> from skdomain.datasets import make_shared_dictionary_tasks
    >>> from skdomain.parameter import DictionaryTransferRegressor
    >>> X, y, sd = make_shared_dictionary_tasks(n_target_labeled=10,
    ...                                         random_state=0)
    >>> reg = DictionaryTransferRegressor(n_atoms=3, random_state=0)
    >>> reg = reg.fit(X, y, sample_domain=sd)
    >>> reg.coef_.shape, reg.codes_.shape
    ((20,), (3, 1))
    """
    )

    _task = "regression"
    score = _DictionaryTransfer.score  # masked rows ignored (before RegressorMixin.score)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_domain=None):
        """Fit one model per source task, the dictionary, then the target model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,)
            Targets; NaN marks unlabeled (target) rows.
        sample_domain : array-like of int, shape (n_samples,), default=None
            ``>= 0`` source (one task per id), ``< 0`` target; inferred from masked
            labels when omitted.

        Returns
        -------
        self : DictionaryTransferRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_domain)

    def predict(self, X):
        """Predictions :math:`[x, 1] W_T`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict; each is treated as a target-domain row.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions, in input order.
        """
        return self._scores(X)
