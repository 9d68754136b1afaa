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
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

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
    row_blocks,
)

__all__ = ["effective_sample_size", "kmm_objective", "kmm_weights"]

#: Constraints of the parameters of the KMM program (KMM's, but its ``estimator``).
KMM_PARAMETER_CONSTRAINTS = {
    **KERNEL_PARAMETER_CONSTRAINTS,
    "B": [Interval(Real, 0, None, closed="neither")],
    "eps": [Interval(Real, 0, None, closed="left"), None],
    "n_components": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
    "refine": ["boolean", StrOptions({"auto"})],
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
    """What :func:`solve_kmm` found: the weights, the QP's value, cvxpy's status, the refinement's rounds."""

    weights: np.ndarray
    objective: float
    status: str
    rounds: int = 0


#: refine="auto" refines up to this many source rows: one exact gradient costs O(n_s^2 d)
REFINE_MAX_ROWS = 20_000
#: n_components="auto": the dense QP up to this many source rows, else the Nyström rank AUTO_RANK
AUTO_DENSE_ROWS = 1000
#: past about 78 dense columns Clarabel slows down 4-5x per iteration (benchmarks/bench_kmm_rank.py)
AUTO_RANK = 70
#: the refinement stops when every KKT residual is below this fraction of mean(|kappa|)
_REFINE_TOL = 1e-6
_REFINE_MAX_ROUNDS = 50
#: a weight this close to 0 or B (relative to B) counts as at its bound
_AT_BOUND = 1e-4
#: the Nyström start: weights this close to a bound are moved onto it
_START_SNAP = 1e-3


def resolve_refine(refine, n_components, n_s):
    """Whether the working-set refinement runs (``refine="auto"``: up to :data:`REFINE_MAX_ROWS` rows)."""
    if n_components is None:
        return False  # the dense QP is already exact
    return n_s <= REFINE_MAX_ROWS if refine == "auto" else bool(refine)


def resolve_rank(n_components, n_s):
    """Return the Nyström rank: ``n_components``, or its ``"auto"`` value.

    ``"auto"``: ``None`` (the dense QP) up to :data:`AUTO_DENSE_ROWS` source rows,
    where it is about as fast as the refinement, else :data:`AUTO_RANK`.
    """
    if n_components == "auto":
        return None if n_s <= AUTO_DENSE_ROWS else AUTO_RANK
    return n_components


def _kernel_gradient(Xs, beta, kappa, kernel, params):
    r""":math:`K\beta - \kappa` with the exact kernel matrix, blockwise (O(block) memory)."""
    g = np.empty(Xs.shape[0])
    for s in row_blocks(Xs.shape[0], Xs.shape[0]):
        g[s] = kernel_matrix(Xs[s], Xs, kernel=kernel, **params) @ beta
    return check_kernel_values(g, kernel, "the kernel matrix of the source rows") - kappa


def _multiplier(g, beta, B, lo, hi):
    r"""Return the sum constraint's multiplier :math:`\nu` that the KKT conditions ask of ``beta``.

    With free weights, :math:`\nu = -\operatorname{median}(g_i)` over them; without,
    the value nearest 0 allowed by the weights at their bounds and by the slab.
    """
    tol = _AT_BOUND * B
    at0, atB = beta <= tol, beta >= B - tol
    free = ~(at0 | atB)
    if free.any():
        return -float(np.median(g[free]))
    # at 0, g_i + nu >= 0; at B, g_i + nu <= 0
    low = -g[at0].min() if at0.any() else -np.inf
    high = -g[atB].max() if atB.any() else np.inf
    total = beta.sum()
    if total >= hi - tol:
        low = max(low, 0.0)
    elif total <= lo + tol:
        high = min(high, 0.0)
    else:
        low, high = max(low, 0.0), min(high, 0.0)
    return float(np.clip(0.0, low, high)) if low <= high else 0.5 * (low + high)


def _kkt_residuals(g, beta, B, nu):
    r"""Each weight's violation of the KKT conditions, given the multiplier ``nu``.

    Free weights get 0: after a round they are the solution of its QP over them,
    exact to the solver's tolerance (their gradient residual :math:`|g_i + \nu|`
    then reflects that tolerance, not a weight that should move).
    """
    tol = _AT_BOUND * B
    r = g + nu
    return np.where(beta <= tol, np.maximum(-r, 0.0), np.where(beta >= B - tol, np.maximum(r, 0.0), 0.0))


def _snap(beta, B, rel, lo, hi):
    """Move weights within ``rel * B`` of a bound onto it, when the sum stays in ``[lo, hi]``."""
    snapped = np.where(beta <= rel * B, 0.0, np.where(beta >= B * (1.0 - rel), B, beta))
    return snapped if lo <= snapped.sum() <= hi else beta


def _refine_working_set(Xs, kappa, beta, *, B, lo, hi, kernel, params, solve_subset):
    r"""Refine ``beta`` to the optimum of the exact KMM program by a working-set method.

    At the optimum most weights sit at 0 or :math:`B`; only a few are free. Each
    round computes the exact gradient :math:`g = K\beta - \kappa` (blockwise), the
    multiplier :math:`\nu` of the sum constraint and the KKT residual of every weight
    at a bound (within ``_AT_BOUND`` :math:`B` of it; at 0: :math:`\max(0, -(g_i + \nu))`,
    at :math:`B`: :math:`\max(0, g_i + \nu)`). After at least one round (the start's
    free weights come from the Nyström problem) it stops when every residual is below
    ``_REFINE_TOL`` times :math:`\operatorname{mean}|\kappa|`; else it solves the exact
    QP over a working set :math:`F` (the free weights, the worst violators and the
    bound weights nearest to leaving their bound) with the other weights fixed,
    :math:`\min_{\beta_F} \tfrac12\beta_F^\top K_{FF}\beta_F + (g_F - K_{FF}\beta_F^{old})^\top\beta_F`
    under the box and the sum constraint, and moves weights within ``_AT_BOUND``
    :math:`B` of a bound onto it (interior-point solutions stop short of the bounds;
    a weight moved wrongly shows as a violator in the next round). Each round's QP
    starts from a feasible point, so the objective does not rise but for that move.

    Returns ``(beta, g, status, rounds, converged)``.
    """
    scale = float(np.mean(np.abs(kappa))) or 1.0
    status = "optimal"
    for rounds in range(_REFINE_MAX_ROUNDS + 1):
        g = _kernel_gradient(Xs, beta, kappa, kernel, params)
        nu = _multiplier(g, beta, B, lo, hi)
        viol = _kkt_residuals(g, beta, B, nu)
        if rounds and viol.max() <= _REFINE_TOL * scale:  # the start's free weights need one round
            return beta, g, status, rounds, True
        if rounds == _REFINE_MAX_ROUNDS:
            break
        tol = _AT_BOUND * B
        free = (beta > tol) & (beta < B - tol)
        m = max(50, int(free.sum()) // 2)
        worst = np.argsort(-viol)[:m]
        bound = np.flatnonzero(~free)
        near = bound[np.argsort(np.abs(g[bound] + nu))[:m]]
        F = free.copy()
        F[worst[viol[worst] > _REFINE_TOL * scale]] = True
        F[near] = True
        idx = np.flatnonzero(F)
        K_FF = kernel_matrix(Xs[idx], kernel=kernel, **params)
        c = g[idx] - K_FF @ beta[idx]
        fixed = beta.sum() - beta[idx].sum()
        b_F, status = solve_subset(K_FF, c, fixed, len(idx))
        beta = beta.copy()
        beta[idx] = np.clip(b_F, 0.0, B)
        beta = _snap(beta, B, _AT_BOUND, lo, hi)
    return beta, g, status, rounds, False


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
    refine="auto",
):
    """Solve the KMM program on validated rows with a resolved ``gamma`` (see :func:`kmm_weights`).

    ``stacklevel`` is the warnings' stack level as seen from this function's frame.
    Returns a :class:`KMMSolution`; ``objective`` is the unscaled value of the
    solved QP (with the Nyström :math:`K` when it was used without refinement; the
    exact objective after a refinement).
    """
    import cvxpy as cp

    solver = check_solver(solver)
    n_s, n_t = Xs.shape[0], Xt.shape[0]
    eps = (np.sqrt(n_s) - 1.0) / np.sqrt(n_s) if eps is None else eps
    _check_feasible(B, n_s, eps)
    params = kernel_params(kernel, gamma, degree, coef0)
    kappa = n_s / n_t * kernel_row_sums(Xs, Xt, kernel=kernel, params=params)
    lo, hi = n_s * (1.0 - eps), n_s * (1.0 + eps)
    rank = resolve_rank(n_components, n_s)
    refined = resolve_refine(refine, rank, n_s)
    hint = (
        f"Try another solver ({other_solvers(solver)}), a different gamma, "
        "a larger B or eps, or n_components=None for the exact dense problem."
    )

    def run(problem, variable, depth):
        # depth: frames between solve_kmm and this call
        return solve(
            problem,
            variable,
            solver=solver,
            solver_options=solver_options,
            owner="KMM",
            hint=hint,
            what="weights",
            inaccurate="the weights may miss the optimum or the constraints slightly.",
            stacklevel=stacklevel + depth,
        )

    def check_constraints(b, fixed, status, depth):
        # depth: frames between solve_kmm and this call
        tol = 1e-5 * max(1.0, B) * max(1.0, np.sqrt(n_s))
        total = b.sum() + fixed
        violation = max(-b.min(), b.max() - B, total - hi, lo - total, 0.0)
        if violation > tol:
            warnings.warn(
                f"KMM: the {solver} solution violates the constraints by {violation:.3g} "
                f"(status {status!r}); weights are clipped to [0, B]. {hint}",
                ConvergenceWarning,
                stacklevel=stacklevel + depth,
            )

    # The objective is scaled by 1 / n_s^2 (the MMD scale) for the solver's sake;
    # the argmin is unchanged and the objective is reported unscaled.
    scale = 1.0 / n_s**2
    beta = cp.Variable(n_s)
    low_rank = rank is not None and n_s > rank
    if low_rank:
        Phi, _ = nystroem_factor(
            Xs,
            rank,
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
    constraints = extra + [beta >= 0, beta <= B, cp.sum(beta) <= hi, cp.sum(beta) >= lo]
    problem = cp.Problem(objective, constraints)
    b, status = run(problem, beta, 1)
    check_constraints(b, 0.0, status, 0)
    value, rounds = float(problem.value) / scale, 0
    if low_rank and refined:

        def solve_subset(K_FF, c, fixed, n_F):
            b_F = cp.Variable(n_F)
            sub = cp.Problem(
                cp.Minimize(0.5 * cp.quad_form(b_F, cp.psd_wrap(scale * K_FF)) + (scale * c) @ b_F),
                [b_F >= 0, b_F <= B, cp.sum(b_F) + fixed <= hi, cp.sum(b_F) + fixed >= lo],
            )
            b_F, status = run(sub, b_F, 3)  # run <- solve_subset <- _refine_working_set <- solve_kmm
            check_constraints(b_F, fixed, status, 2)
            return b_F, status

        start = _snap(np.clip(b, 0.0, B), B, _START_SNAP, lo, hi)
        b, g, status, rounds, converged = _refine_working_set(
            Xs, kappa, start, B=B, lo=lo, hi=hi, kernel=kernel, params=params, solve_subset=solve_subset
        )
        value = float(0.5 * b @ (g + kappa) - kappa @ b)
        if not converged:
            warnings.warn(
                f"KMM: the working-set refinement stopped after {rounds} rounds with KKT residuals above "
                f"{_REFINE_TOL:g} of mean(kappa); the weights may miss the exact optimum. Pass refine=False "
                "(the Nyström solution), n_components=None (the dense QP), or a larger n_components.",
                ConvergenceWarning,
                stacklevel=stacklevel,
            )
    return KMMSolution(np.clip(b, 0.0, B), value, status, rounds)


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
    n_components="auto",
    refine="auto",
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
    n_components : int, "auto" or None, default="auto"
        Rank of the Nyström factor :math:`K \approx \Phi\Phi^\top` used when
        :math:`n_s` exceeds it; ``None`` always solves the exact dense problem.
        ``"auto"``: the dense problem up to 1000 source rows, else rank 70 (see
        :class:`~skdomain.KMM`).
    refine : bool or "auto", default="auto"
        Refine the Nyström solution to the optimum of the exact problem by a
        working-set method (see :class:`~skdomain.KMM`); ``"auto"`` refines up to
        20,000 source rows.
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
        refine=refine,
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
