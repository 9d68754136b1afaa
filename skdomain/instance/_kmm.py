"""Kernel Mean Matching (Huang et al., 2007): the QP's weights, then an estimator fitted on them.

The quadratic program itself (cvxpy) lives in :mod:`skdomain.metrics._density_ratio`
(public as :func:`skdomain.instance.kmm_weights`), so that the scorers can use it too.
"""

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods

from .._base import (
    DelegateMixin,
    DomainRequestMixin,
    default_estimator,
    delegate_tags,
    fit_weighted,
    task_of,
)
from ..metrics._density_ratio import KMM_PARAMETER_CONSTRAINTS, effective_sample_size, solve_kmm
from ..metrics._kernels import resolve_gamma
from ..utils._domains import check_domains

__all__ = ["KMM"]


class KMM(DomainRequestMixin, DelegateMixin, MetaEstimatorMixin, BaseEstimator):
    r"""Kernel Mean Matching: reweight source rows, then fit an estimator on them.

    KMM (Huang et al., 2007) finds source weights :math:`\beta_i \approx
    P_T(x_i)/P_S(x_i)` that match the kernel mean of the weighted source to the
    target's, by the quadratic program

    .. math::

        \min_{\beta}\; \tfrac12 \beta^\top K \beta - \kappa^\top \beta
        \quad\text{s.t.}\quad \beta_i \in [0, B],\quad
        \Big|\sum_{i=1}^{n_s} \beta_i - n_s\Big| \le n_s \epsilon,

    with :math:`K_{ij} = k(x_i, x_j)` over the source rows and
    :math:`\kappa_i = \frac{n_s}{n_t}\sum_{j=1}^{n_t} k(x_i, x'_j)` over the target
    rows. The QP is solved with **cvxpy** (Clarabel by default) and the
    constraints hold on the returned weights (up to the solver's tolerance).
    ``estimator`` is then fitted on the source rows with ``sample_weight=β`` and
    on the labeled target rows with weight 1 (masked rows are left out).

    Several source ids are pooled: one weight vector over all source rows
    (in input order). Several target ids are pooled into one target sample.

    Parameters
    ----------
    estimator : estimator object, default=None
        Fitted on the weighted rows; must accept ``sample_weight`` in ``fit``
        (for a :class:`~sklearn.pipeline.Pipeline`, its last step). ``None``
        means :class:`~sklearn.linear_model.LogisticRegression` with ``max_iter=1000``. A regressor
        makes KMM a regressor (unlabeled rows then carry NaN labels).
    kernel : {"rbf", "laplacian", "linear", "poly", "sigmoid", "cosine"} or callable, default="rbf"
        Kernel :math:`k`.
    gamma : float, default=None
        Kernel coefficient; ``None`` uses the median heuristic of
        :mod:`skdomain.metrics` on the pooled source and target rows.
    degree : int, default=3
        Degree of the polynomial kernel.
    coef0 : float, default=1.0
        Independent term of the polynomial and sigmoid kernels.
    B : float, default=3.0
        Upper bound :math:`B` of every weight. It bounds the variance of the
        weighted fit: with :math:`\sum_i\beta_i = S`, the effective sample size
        (``effective_sample_size_``) is at least :math:`S / B`. On the shift suite
        of :func:`skdomain.datasets.shift_suite` (10 seeds, 0 and 20 labeled target
        rows), Huang et al.'s :math:`B = 1000` lost 3-5 points against source-only
        training on three of six pairs (its weights had an effective sample size
        of 2-16% of the source rows there), :math:`B = 3` lost at most 1.2 points
        on any pair and kept most of the gains (see the user guide). ``B=1000.0`` (with ``eps=None``)
        reproduces the paper's setting.
    eps : float, default=None
        Tolerance :math:`\epsilon` of the sum constraint. ``None`` uses
        :math:`\epsilon = (\sqrt{n_s} - 1)/\sqrt{n_s}`, the value of Huang et al.'s
        experiments: it does not depend on ``B`` (the alternative
        :math:`B/\sqrt{n_s}` exceeds 1 for :math:`B \ge \sqrt{n_s}`, leaving the sum
        unconstrained) and keeps :math:`\sum_i\beta_i \ge \sqrt{n_s} > 0`, so the
        weights cannot collapse to zero.
    n_components : int, "auto" or None, default="auto"
        Rank :math:`r` of a Nyström factor :math:`K \approx \Phi\Phi^\top`
        (landmarks drawn from the source rows), used when :math:`n_s > r`. The QP
        then carries :math:`O(n_s r)` data instead of :math:`O(n_s^2)`:
        :math:`\tfrac12\|z\|^2 - \kappa^\top\beta` with :math:`z = \Phi^\top\beta`.
        The factor is compressed to its leading directions (thin SVD, squared
        singular values above :math:`10^{-7}` of the largest), which keeps the QP
        small. ``None`` always solves the exact dense problem (Clarabel factorises
        the dense :math:`n_s \times n_s` matrix: about 1.5 minutes and 3.3 GiB at
        :math:`n_s = 5000`). ``"auto"`` solves the dense problem up to 1000 source rows (about as
        fast there as the refinement), and above uses rank 70: past about 78 dense
        columns Clarabel slows down 4-5x per iteration, and rank 70 started the
        refinement at least as fast as 30, 50 or 100 on 4,000 rows in 2, 10 and 64
        dimensions. Without the refinement (``refine=False``, or past 20,000 rows)
        that rank is a coarse approximation: pass a larger rank for a closer one,
        at a higher cost (rank 1000 took 68-83 times as long as the refinement
        on 1,500 rows in 10 and 64 dimensions; ``benchmarks/bench_kmm_fast.py --quick``).
    refine : bool or "auto", default="auto"
        Refine the Nyström solution to the optimum of the **exact** problem by a
        working-set method: at the optimum most :math:`\beta_i` sit at 0 or
        :math:`B`, and only a few are free. Each round computes the exact gradient
        :math:`g = K\beta - \kappa` blockwise (:math:`O(n_s^2 d)` time, :math:`O(n_s)`
        memory) and the KKT residuals of every weight; it stops when all are below
        :math:`10^{-6}\,\overline{|\kappa|}`, else solves the exact QP (with cvxpy)
        over the free weights, the worst violators and the bound weights nearest to
        leaving their bound, the others fixed. ``"auto"`` refines up to :math:`n_s = 20{,}000` rows;
        past that the exact gradient costs more than the Nyström solve, and the
        Nyström solution is returned as it is. A refinement that does not converge
        in 50 rounds warns (:class:`~sklearn.exceptions.ConvergenceWarning`).
    solver : str, default="CLARABEL"
        The cvxpy solver's name (an installed QP solver: ``"CLARABEL"``, ``"OSQP"``,
        ``"SCS"``, ...).
    solver_options : dict, default=None
        Keyword arguments for the solver (passed to ``cvxpy.Problem.solve``).
    random_state : int, RandomState instance or None, default=None
        Seeds the Nyström landmarks (and the bandwidth rule's subsample).

    Attributes
    ----------
    estimator_ : estimator
        The fitted inner estimator.
    weights_ : ndarray of shape (n_source_rows,)
        :math:`\beta`, one weight per source row, in input order.
    sample_weight_ : ndarray of shape (n_samples,)
        Weight of every training row: :math:`\beta` on source rows, 1 on labeled
        target rows, 0 on masked rows.
    objective_ : float
        Value of the solved QP (with the Nyström :math:`K` when it was used).
    solver_status_ : str
        cvxpy's status of the solve (``"optimal"`` when it succeeded).
    gamma_ : float or None
        The kernel coefficient used.
    effective_sample_size_ : float
        Kish's effective sample size of the weights,
        :math:`(\sum_i\beta_i)^2 / \sum_i\beta_i^2`: :math:`n_s` for equal
        weights, the number of rows that carry the weight when it concentrates
        on a few (0 when every weight is 0).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string feature names.
    classes_ : ndarray
        Class labels (classifiers only).

    See Also
    --------
    skdomain.instance.kmm_weights : The weights :math:`\beta` alone, without an estimator.
    skdomain.TCA : Feature-based adaptation by transfer components.

    References
    ----------
    .. [1] J. Huang, A. Gretton, K. Borgwardt, B. Schölkopf and A. J. Smola,
       "Correcting Sample Selection Bias by Unlabeled Data", NeurIPS 2007.

    Examples
    --------
    >>> from skdomain import KMM
    >>> from skdomain.datasets import make_domain_shift
    >>> X, y, sd = make_domain_shift(n_source=100, n_target=100, random_state=0)
    >>> kmm = KMM(B=5.0).fit(X, y, sample_domain=sd)
    >>> bool(kmm.weights_.min() >= 0 and kmm.weights_.max() <= 5.0 + 1e-6)
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        **KMM_PARAMETER_CONSTRAINTS,
    }

    def __init__(
        self,
        estimator=None,
        kernel="rbf",
        gamma=None,
        degree=3,
        coef0=1.0,
        B=3.0,
        eps=None,
        n_components="auto",
        refine="auto",
        solver="CLARABEL",
        solver_options=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0
        self.B = B
        self.eps = eps
        self.n_components = n_components
        self.refine = refine
        self.solver = solver
        self.solver_options = solver_options
        self.random_state = random_state

    def __sklearn_tags__(self):
        return delegate_tags(super().__sklearn_tags__(), default_estimator(self.estimator))

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_domain=None):
        """Solve for the source weights, then fit the estimator on the weighted rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or NaN (regression) marks unlabeled rows.
        sample_domain : array-like of int, shape (n_samples,), default=None
            ``>= 0`` source, ``< 0`` target; inferred from masked labels when omitted.

        Returns
        -------
        self : KMM
            The fitted estimator.
        """
        base = default_estimator(self.estimator)
        task = task_of(base)
        d = check_domains(X, y, sample_domain, task=task, estimator=self, y_required=True)
        src = d.source
        if d.has_target:
            self.gamma_ = resolve_gamma(self.kernel, self.gamma, d.X)
            weights, self.objective_, self.solver_status_, self.refine_rounds_ = solve_kmm(
                d.X[src],
                d.X[d.target],
                kernel=self.kernel,
                gamma=self.gamma_,
                degree=self.degree,
                coef0=self.coef0,
                B=self.B,
                eps=self.eps,
                n_components=self.n_components,
                solver=self.solver,
                solver_options=self.solver_options,
                random_state=self.random_state,
                stacklevel=4,  # solve_kmm <- fit <- scikit-learn's _fit_context <- caller
                refine=self.refine,
            )
        else:
            weights = np.ones(int(src.sum()))
            self.gamma_ = self.gamma
            self.objective_, self.solver_status_ = np.nan, "not solved (no target rows)"
            self.refine_rounds_ = 0

        sample_weight = np.zeros(d.X.shape[0])
        sample_weight[src] = weights
        sample_weight[d.target & d.labeled] = 1.0
        keep = d.labeled  # every source row (weight beta_i, possibly 0) and labeled target row
        self.estimator_ = clone(base)
        fit_weighted(self.estimator_, d.X[keep], d.y[keep], sample_weight[keep])
        self.weights_ = weights
        self.effective_sample_size_ = effective_sample_size(weights)
        self.sample_weight_ = sample_weight
        if hasattr(self.estimator_, "classes_"):
            self.classes_ = self.estimator_.classes_
        return self
