r"""Density ratios :math:`w(x) = p_T(x) / p_S(x)` of the source rows: kernel mean matching and a classifier.

Two estimates, both used by estimators above this layer:

* **Kernel mean matching** (Huang et al., 2007): the weights :math:`\beta` of the
  quadratic program of :func:`kmm_weights`, solved with cvxpy. :class:`~skdomain.KMM`
  fits its final estimator on them; the importance-weighted scorers use them
  with ``ratio="kmm"``.
* **A domain classifier**: :math:`w = \frac{n_s}{n_t}\frac{P(t \mid x)}{P(s \mid x)}`
  (:func:`_density_ratio`), the scorers' default.
"""

import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, validate_params

from ..utils._cvx import SOLVER_PARAMETER_CONSTRAINTS, check_solver, other_solvers, solve
from ._kernels import (
    KERNEL_PARAMETER_CONSTRAINTS,
    check_kernel_values,
    kernel_matrix,
    kernel_params,
    kernel_quad,
    kernel_row_sums,
    leading_directions,
    nystroem_factor,
    resolve_gamma,
)

__all__ = ["effective_sample_size", "kmm_objective", "kmm_weights"]

#: Constraints of the parameters of the KMM program (KMM's, but its ``estimator``).
KMM_PARAMETER_CONSTRAINTS = {
    **KERNEL_PARAMETER_CONSTRAINTS,
    "B": [Interval(Real, 0, None, closed="neither")],
    "eps": [Interval(Real, 0, None, closed="left"), None],
    "n_components": [Interval(Integral, 1, None, closed="left"), None],
    **SOLVER_PARAMETER_CONSTRAINTS,
    "random_state": ["random_state"],
}


@validate_params(
    {
        "beta": ["array-like"],
        "X_source": ["array-like"],
        "X_target": ["array-like"],
        **KERNEL_PARAMETER_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
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
        Kernel :math:`k`, as in :class:`~skdomain.KMM`.
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
    Xs = check_array(X_source, dtype=np.float64, input_name="X_source")
    Xt = check_array(X_target, dtype=np.float64, input_name="X_target")
    beta = check_array(beta, dtype=np.float64, ensure_2d=False, input_name="beta")
    if beta.shape != (Xs.shape[0],) or Xs.shape[1] != Xt.shape[1]:
        raise ValueError(
            f"kmm_objective needs one weight per source row and as many features in X_source as in "
            f"X_target; got beta of shape {beta.shape}, X_source {Xs.shape} and X_target {Xt.shape}."
        )
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


class KMMSolution(NamedTuple):
    """What :func:`solve_kmm` found: the weights, the QP's value and cvxpy's status."""

    weights: np.ndarray
    objective: float
    status: str


def _check_feasible(B, n_s, eps):
    lower = n_s * (1.0 - eps)
    if B * n_s < lower:
        raise ValueError(
            f"Infeasible KMM constraints: sum(beta) >= n_s (1 - eps) = {lower:.4g} "
            f"cannot hold with every beta_i <= B = {B} over n_s = {n_s} rows. "
            f"Raise B to at least {1.0 - eps:.4g} or raise eps."
        )


def solve_kmm(
    Xs,
    Xt,
    *,
    kernel,
    gamma,
    degree,
    coef0,
    B,
    eps,
    n_components,
    solver,
    solver_options,
    random_state,
    stacklevel,
):
    """Solve the KMM program on validated rows with a resolved ``gamma`` (see :func:`kmm_weights`).

    ``stacklevel`` is the warnings' stack level as seen from this function's frame.
    Returns a :class:`KMMSolution`; ``objective`` is the unscaled value of the
    solved QP (with the Nyström :math:`K` when it was used).
    """
    import cvxpy as cp

    solver = check_solver(solver)
    n_s, n_t = Xs.shape[0], Xt.shape[0]
    eps = (np.sqrt(n_s) - 1.0) / np.sqrt(n_s) if eps is None else eps
    _check_feasible(B, n_s, eps)
    params = kernel_params(kernel, gamma, degree, coef0)
    kappa = n_s / n_t * kernel_row_sums(Xs, Xt, kernel=kernel, params=params)

    # The objective is scaled by 1 / n_s^2 (the MMD scale) for the solver's sake;
    # the argmin is unchanged and the objective is reported unscaled.
    scale = 1.0 / n_s**2
    beta = cp.Variable(n_s)
    if n_components is not None and n_s > n_components:
        Phi, _ = nystroem_factor(
            Xs,
            n_components,
            kernel=kernel,
            gamma=gamma,
            degree=degree,
            coef0=coef0,
            random_state=random_state,
        )
        Phi = _compress_factor(Phi)
        z = cp.Variable(Phi.shape[1])
        quad = cp.sum_squares(z)
        extra = [z == np.sqrt(scale) * (Phi.T @ beta)]
    else:
        K = kernel_matrix(Xs, kernel=kernel, **params)
        # cvxpy would fail on it with "Problem data contains NaN or Inf", naming no kernel
        check_kernel_values(K, kernel, "the kernel matrix of the source rows")
        quad = cp.quad_form(beta, cp.psd_wrap(scale * K))
        extra = []
    objective = cp.Minimize(0.5 * quad - (scale * kappa) @ beta)
    constraints = extra + [
        beta >= 0,
        beta <= B,
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
        solver_options=solver_options,
        owner="KMM",
        hint=hint,
        what="weights",
        inaccurate="the weights may miss the optimum or the constraints slightly.",
        stacklevel=stacklevel,
    )
    tol = 1e-5 * max(1.0, B)
    violation = max(-b.min(), b.max() - B, abs(b.sum() - n_s) - n_s * eps, 0.0)
    if violation > tol * max(1.0, np.sqrt(n_s)):
        warnings.warn(
            f"KMM: the {solver} solution violates the constraints by {violation:.3g} "
            f"(status {status!r}); weights are clipped to [0, B]. {hint}",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
    return KMMSolution(np.clip(b, 0.0, B), float(problem.value) / scale, status)


@validate_params(
    {"X_source": ["array-like"], "X_target": ["array-like"], **KMM_PARAMETER_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
def kmm_weights(
    X_source,
    X_target,
    *,
    kernel="rbf",
    gamma=None,
    degree=3,
    coef0=1.0,
    B=3.0,
    eps=None,
    n_components=1000,
    solver="CLARABEL",
    solver_options=None,
    random_state=None,
):
    r"""Kernel mean matching weights :math:`\beta_i \approx p_T(x_i)/p_S(x_i)` of the source rows.

    The weights of :class:`~skdomain.KMM` (Huang et al., 2007) without a final
    estimator: the solution of the quadratic program

    .. math::

        \min_{\beta}\; \tfrac12 \beta^\top K \beta - \kappa^\top \beta
        \quad\text{s.t.}\quad \beta_i \in [0, B],\quad
        \Big|\sum_{i=1}^{n_s} \beta_i - n_s\Big| \le n_s \epsilon,

    with :math:`K_{ij} = k(x_i, x_j)` over the source rows and
    :math:`\kappa_i = \frac{n_s}{n_t}\sum_{j=1}^{n_t} k(x_i, x'_j)` over the target
    rows, solved with **cvxpy**. ``KMM(estimator, **params).fit(X, y,
    sample_domain=sd).weights_`` equals ``kmm_weights(X[sd >= 0], X[sd < 0],
    **params)`` when ``X`` holds its source rows first (with ``gamma=None`` the
    median heuristic then sees the same pooled rows).

    Parameters
    ----------
    X_source : array-like of shape (n_source, n_features)
        Source rows :math:`x_i` (several sources pooled).
    X_target : array-like of shape (n_target, n_features)
        Target rows :math:`x'_j` (several targets pooled).
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
        Upper bound :math:`B` of every weight (see :class:`~skdomain.KMM`;
        Huang et al.'s experiments used ``B=1000.0``).
    eps : float, default=None
        Tolerance :math:`\epsilon` of the sum constraint; ``None`` uses
        :math:`\epsilon = (\sqrt{n_s} - 1)/\sqrt{n_s}` (see :class:`~skdomain.KMM`).
    n_components : int or None, default=1000
        Rank of the Nyström factor :math:`K \approx \Phi\Phi^\top` used when
        :math:`n_s` exceeds it; ``None`` always solves the exact dense problem.
    solver : str, default="CLARABEL"
        The cvxpy solver's name (an installed QP solver).
    solver_options : dict, default=None
        Keyword arguments for the solver (passed to ``cvxpy.Problem.solve``).
    random_state : int, RandomState instance or None, default=None
        Seeds the Nyström landmarks.

    Returns
    -------
    weights : ndarray of shape (n_source,)
        :math:`\beta`, one weight per source row, in input order, within :math:`[0, B]`.

    Raises
    ------
    skdomain.exceptions.SolverError
        When the solver fails or returns a status other than optimal.
    ValueError
        When the constraints cannot hold (:math:`B < 1 - \epsilon`), the solver
        is not installed or rejects ``solver_options``, or the kernel gives
        non-finite values (checked before the QP is built).

    See Also
    --------
    skdomain.KMM : These weights, then an estimator fitted on the weighted rows.
    skdomain.instance.kmm_objective : The exact objective of any weight vector.

    References
    ----------
    .. [1] J. Huang, A. Gretton, K. Borgwardt, B. Schölkopf and A. J. Smola,
       "Correcting Sample Selection Bias by Unlabeled Data", NeurIPS 2007.

    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.instance import kmm_weights
    >>> X, y, sd = make_domain_shift(n_source=100, n_target=100, random_state=0)
    >>> beta = kmm_weights(X[sd >= 0], X[sd < 0], B=5.0)
    >>> beta.shape, bool(beta.min() >= 0 and beta.max() <= 5.0 + 1e-6)
    ((100,), True)
    """
    Xs = check_array(X_source, input_name="X_source")
    Xt = check_array(X_target, input_name="X_target")
    if Xs.shape[1] != Xt.shape[1]:
        raise ValueError(
            f"X_source has {Xs.shape[1]} features but X_target has {Xt.shape[1]}; they must match."
        )
    # validate_params adds a frame: the warnings point at the caller of kmm_weights.
    return solve_kmm(
        Xs,
        Xt,
        kernel=kernel,
        gamma=resolve_gamma(kernel, gamma, np.vstack([Xs, Xt])),
        degree=degree,
        coef0=coef0,
        B=B,
        eps=eps,
        n_components=n_components,
        solver=solver,
        solver_options=solver_options,
        random_state=random_state,
        stacklevel=4,
    ).weights


@validate_params({"weights": ["array-like"]}, prefer_skip_nested_validation=True)
def effective_sample_size(weights):
    r"""Kish's effective sample size of importance weights, :math:`(\sum_i w_i)^2 / \sum_i w_i^2`.

    :math:`n` for :math:`n` equal weights, :math:`k` for :math:`k` equal weights
    and the rest 0: roughly, the number of rows that carry the weight. A
    weighted fit learns from about this many rows, so a small value (the weights
    concentrate on a few rows) means a noisier fit; whether that costs accuracy
    on the target depends on the shift (see the user guide's KMM page).

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Non-negative weights, e.g. :math:`\beta` of :func:`kmm_weights`.

    Returns
    -------
    ess : float
        The effective sample size, between 1 and ``n_samples`` (0 when every
        weight is 0).

    Raises
    ------
    ValueError
        When a weight is negative, NaN or infinite.

    Examples
    --------
    >>> from skdomain.metrics import effective_sample_size
    >>> float(effective_sample_size([1.0, 1.0, 1.0, 1.0]))
    4.0
    >>> float(effective_sample_size([4.0, 0.0, 0.0, 0.0]))
    1.0
    """
    w = check_array(weights, dtype=np.float64, ensure_2d=False, input_name="weights")
    if w.ndim != 1 or (w.size and w.min() < 0):
        raise ValueError("effective_sample_size needs a 1-D array of non-negative weights.")
    square = float(np.sum(w**2))
    return float(np.sum(w) ** 2 / square) if square > 0 else 0.0


def _density_ratio(Xs, Xt, domain_classifier):
    r"""``w(x) = p_T(x) / p_S(x) = (n_s / n_t) P(t|x) / P(s|x)`` by a domain classifier."""
    if not hasattr(domain_classifier, "predict_proba"):
        raise TypeError(
            f"the domain classifier must have predict_proba (the density ratio is read from "
            f"its probabilities); {type(domain_classifier).__name__} has none. Use e.g. "
            "LogisticRegression(), or wrap it in CalibratedClassifierCV."
        )
    clf = clone(domain_classifier)
    clf.fit(np.vstack([Xs, Xt]), np.r_[np.zeros(len(Xs)), np.ones(len(Xt))])
    p = np.clip(clf.predict_proba(Xs)[:, 1], 1e-6, 1 - 1e-6)
    return len(Xs) / len(Xt) * p / (1 - p)
