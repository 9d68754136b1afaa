"""Kernel Mean Matching (Huang et al., 2007) as a cvxpy quadratic program."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from .._base import (
    DelegateMixin,
    DomainRequestMixin,
    default_estimator,
    delegate_tags,
    fit_weighted,
    task_of,
)
from ..metrics._kernels import (
    KERNELS,
    kernel_matrix,
    kernel_params,
    kernel_quad,
    kernel_row_sums,
    leading_directions,
    nystroem_factor,
    resolve_gamma,
)
from ..utils._cvx import check_solver, other_solvers, solve
from ..utils._domains import check_domains

__all__ = ["KMM", "kmm_objective"]


def kmm_objective(beta, X_source, X_target, *, kernel="rbf", gamma=None, degree=3, coef0=1.0):
    r"""Exact KMM objective :math:`\tfrac12 \beta^\top K \beta - \kappa^\top \beta`.

    Evaluated with the full kernel matrix, blockwise (O(block) memory), so that
    solutions of different solvers or ranks can be compared on the same scale.

    Parameters
    ----------
    beta : array-like of shape (n_source,)
        Source weights.
    X_source : array-like of shape (n_source, n_features)
        Source rows :math:`x_i`.
    X_target : array-like of shape (n_target, n_features)
        Target rows :math:`x'_j`.
    kernel : str or callable, default="rbf"
        Kernel :math:`k`, as in :class:`KMM`.
    gamma : float, default=None
        Kernel coefficient; ``None`` applies the median heuristic to the pooled rows.
    degree : int, default=3
        Degree of the polynomial kernel.
    coef0 : float, default=1.0
        Independent term of the polynomial and sigmoid kernels.

    Returns
    -------
    value : float
        :math:`\tfrac12\beta^\top K\beta-\kappa^\top\beta` with
        :math:`K_{ij}=k(x_i,x_j)` and :math:`\kappa_i=\frac{n_s}{n_t}\sum_j k(x_i,x'_j)`.
    """
    Xs = np.asarray(X_source, dtype=np.float64)
    Xt = np.asarray(X_target, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    gamma = resolve_gamma(kernel, gamma, np.vstack([Xs, Xt]))
    params = kernel_params(kernel, gamma, degree, coef0)
    kappa = Xs.shape[0] / Xt.shape[0] * kernel_row_sums(Xs, Xt, kernel=kernel, params=params)
    return 0.5 * kernel_quad(Xs, beta, kernel=kernel, params=params) - kappa @ beta


_FACTOR_RTOL = 1e-7


def _compress_factor(Phi, rtol=_FACTOR_RTOL):
    r"""Keep the leading directions of :math:`\Phi` (thin SVD), :math:`\sigma^2 > rtol\,\sigma_1^2`.

    Returns :math:`\Phi V_k = U_k S_k`, so that :math:`\Phi_k \Phi_k^\top` is the best
    rank-:math:`k` approximation of :math:`\Phi\Phi^\top`. Each column becomes one
    dense row of the QP's constraint matrix, and Clarabel slows down 4-5x per
    iteration past about 78 dense rows (``benchmarks/bench_kmm_rank.py``); directions
    below ``rtol`` change the objective by less than 1e-6 relative there.
    """
    return Phi @ leading_directions(Phi, rtol)[1]


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
    B : float, default=1000.0
        Upper bound :math:`B` of every weight.
    eps : float, default=None
        Tolerance :math:`\epsilon` of the sum constraint. ``None`` uses
        :math:`\epsilon = (\sqrt{n_s} - 1)/\sqrt{n_s}`, the value of Huang et al.'s
        experiments: it does not depend on ``B`` (the alternative
        :math:`B/\sqrt{n_s}` exceeds 1 for the default ``B``, leaving the sum
        unconstrained) and keeps :math:`\sum_i\beta_i \ge \sqrt{n_s} > 0`, so the
        weights cannot collapse to zero.
    n_components : int or None, default=1000
        Rank :math:`r` of a Nyström factor :math:`K \approx \Phi\Phi^\top`
        (landmarks drawn from the source rows), used when :math:`n_s > r`. The QP
        then carries :math:`O(n_s r)` data instead of :math:`O(n_s^2)`:
        :math:`\tfrac12\|z\|^2 - \kappa^\top\beta` with :math:`z = \Phi^\top\beta`.
        ``None`` always solves the exact dense problem. The factor is then
        compressed to its leading directions (thin SVD, squared singular values
        above :math:`10^{-7}` of the largest), which keeps the QP small. The default
        keeps the exact objective within 1% of the dense optimum and target
        accuracy within 1 point of it at :math:`n_s = 5000`
        (``benchmarks/bench_kmm_rank.py``; see the benchmarks page of the docs).
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
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string feature names.
    classes_ : ndarray
        Class labels (classifiers only).

    See Also
    --------
    skdomain.TCA : Feature-based adaptation by transfer components.

    References
    ----------
    .. [1] J. Huang, A. Gretton, K. Borgwardt, B. Schölkopf and A. J. Smola,
       "Correcting Sample Selection Bias by Unlabeled Data", NeurIPS 2007.

    Examples
    --------
    >>> from skdomain import KMM
    >>> from skdomain.datasets import make_domain_shift
    >>> X, y, sample_domain = make_domain_shift(n_source=100, n_target=100, random_state=0)
    >>> kmm = KMM(B=5.0).fit(X, y, sample_domain=sample_domain)
    >>> bool(kmm.weights_.min() >= 0 and kmm.weights_.max() <= 5.0 + 1e-6)
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        "kernel": [StrOptions(set(KERNELS)), callable],
        "gamma": [Interval(Real, 0, None, closed="neither"), None],
        "degree": [Interval(Integral, 1, None, closed="left")],
        "coef0": [Real],
        "B": [Interval(Real, 0, None, closed="neither")],
        "eps": [Interval(Real, 0, None, closed="left"), None],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "solver": [str],
        "solver_options": [dict, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        kernel="rbf",
        gamma=None,
        degree=3,
        coef0=1.0,
        B=1000.0,
        eps=None,
        n_components=1000,
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
        weights = np.ones(int(src.sum()))
        self.gamma_ = resolve_gamma(self.kernel, self.gamma, d.X) if d.has_target else self.gamma
        self.objective_, self.solver_status_ = np.nan, "not solved (no target rows)"
        if d.has_target:
            weights = self._solve(d.X[src], d.X[d.target])

        sample_weight = np.zeros(d.X.shape[0])
        sample_weight[src] = weights
        sample_weight[d.target & d.labeled] = 1.0
        keep = d.labeled  # every source row (weight beta_i, possibly 0) and labeled target row
        self.estimator_ = clone(base)
        fit_weighted(self.estimator_, d.X[keep], d.y[keep], sample_weight[keep])
        self.weights_ = weights
        self.sample_weight_ = sample_weight
        if hasattr(self.estimator_, "classes_"):
            self.classes_ = self.estimator_.classes_
        return self

    def _check_feasible(self, n_s, eps):
        lower = n_s * (1.0 - eps)
        if self.B * n_s < lower:
            raise ValueError(
                f"Infeasible KMM constraints: sum(beta) >= n_s (1 - eps) = {lower:.4g} "
                f"cannot hold with every beta_i <= B = {self.B} over n_s = {n_s} rows. "
                f"Raise B to at least {1.0 - eps:.4g} or raise eps."
            )

    def _solve(self, Xs, Xt):
        import cvxpy as cp

        solver = check_solver(self.solver)
        n_s, n_t = Xs.shape[0], Xt.shape[0]
        eps = (np.sqrt(n_s) - 1.0) / np.sqrt(n_s) if self.eps is None else self.eps
        self._check_feasible(n_s, eps)
        params = kernel_params(self.kernel, self.gamma_, self.degree, self.coef0)
        kappa = n_s / n_t * kernel_row_sums(Xs, Xt, kernel=self.kernel, params=params)

        # The objective is scaled by 1 / n_s^2 (the MMD scale) for the solver's sake;
        # the argmin is unchanged and ``objective_`` is reported unscaled.
        scale = 1.0 / n_s**2
        beta = cp.Variable(n_s)
        lowrank = self.n_components is not None and n_s > self.n_components
        if lowrank:
            Phi, _ = nystroem_factor(
                Xs,
                self.n_components,
                kernel=self.kernel,
                gamma=self.gamma_,
                degree=self.degree,
                coef0=self.coef0,
                random_state=self.random_state,
            )
            Phi = _compress_factor(Phi)
            z = cp.Variable(Phi.shape[1])
            quad = cp.sum_squares(z)
            extra = [z == np.sqrt(scale) * (Phi.T @ beta)]
        else:
            K = kernel_matrix(Xs, kernel=self.kernel, **params)
            quad = cp.quad_form(beta, cp.psd_wrap(scale * K))
            extra = []
        objective = cp.Minimize(0.5 * quad - (scale * kappa) @ beta)
        constraints = extra + [
            beta >= 0,
            beta <= self.B,
            cp.sum(beta) <= n_s * (1.0 + eps),
            cp.sum(beta) >= n_s * (1.0 - eps),
        ]
        problem = cp.Problem(objective, constraints)
        hint = (
            f"Try another solver ({other_solvers(solver)}), a different gamma, "
            "a larger B or eps, or n_components=None for the exact dense problem."
        )
        b, status = solve(
            problem,
            beta,
            solver=solver,
            solver_options=self.solver_options,
            owner="KMM",
            hint=hint,
            what="weights",
            inaccurate="the weights may miss the optimum or the constraints slightly.",
            stacklevel=4,  # _solve <- fit <- scikit-learn's _fit_context <- caller
        )
        self.solver_status_ = status
        tol = 1e-5 * max(1.0, self.B)
        violation = max(-b.min(), b.max() - self.B, abs(b.sum() - n_s) - n_s * eps, 0.0)
        if violation > tol * max(1.0, np.sqrt(n_s)):
            warnings.warn(
                f"KMM: the {solver} solution violates the constraints by {violation:.3g} "
                f"(status {status!r}); weights are clipped to [0, B]. {hint}",
                ConvergenceWarning,
                stacklevel=4,
            )
        b = np.clip(b, 0.0, self.B)
        self.objective_ = float(problem.value) / scale
        return b
