r"""Block-coordinate descent for linear parameter transfer with a shared dictionary (private).

Every task :math:`t` carries a coefficient matrix :math:`W_t \in \mathbb R^{d\times c}`
and a code :math:`V_t \in \mathbb R^{k\times c}` over the shared dictionary
:math:`D \in \mathbb R^{d\times k}` (columns of norm at most 1). The tasks are held
stacked: ``W`` of shape ``(n_tasks, d, c)``, ``V`` of shape ``(n_tasks, k, c)``, and a
weight :math:`w_t` per task (1 for a source, :math:`\alpha` for the target).

The three block updates each decrease the objective:

* the sources' codes: proximal gradient steps on :math:`\tfrac{w_t}{2}\|W_t - D V_t\|_F^2 +
  \eta\|V_t\|_{2,1}` with step :math:`1/(w_t L)`, :math:`L = \lambda_{\max}(D^\top D)`,
  i.e. a gradient step followed by row-wise group soft-thresholding (the exact
  proximal operator of the :math:`\ell_{2,1}` norm); with a step at most the
  inverse Lipschitz constant each such step cannot increase the objective;
* the target block :math:`(V_T, W_T)`: :math:`W_T` is eliminated exactly (one
  linear solve, with a matrix factorised once per fit) and proximal-gradient
  steps are taken on what remains, a quadratic in :math:`V_T` plus the
  :math:`\ell_{2,1}` term (:func:`update_target`);
* the dictionary: one column at a time, the exact minimiser of the objective in
  that column over the unit ball (Mairal et al., 2009, Algorithm 2): the
  objective is an isotropic quadratic in the column, so projecting its
  unconstrained minimiser onto the ball is exact.
"""

import numpy as np
from scipy import linalg

from ..utils._linalg import eigh

_TINY = 1e-12
_N_INNER = 10  # proximal-gradient steps on the codes per outer iteration
_N_SWEEPS = 3  # column sweeps over the dictionary per outer iteration
_N_TARGET = 500  # proximal-gradient steps at most on the target's reduced code problem


def prox_l21(Z, threshold):
    r"""Proximal operator of :math:`t\|\cdot\|_{2,1}` over the rows of ``Z``.

    .. math::

        \operatorname{prox}_{t\|\cdot\|_{2,1}}(Z)_{j,:} =
        \max\Big(0,\, 1 - \frac{t}{\|Z_{j,:}\|_2}\Big) Z_{j,:},

    the minimiser of :math:`\tfrac12\|V - Z\|_F^2 + t\sum_j \|V_{j,:}\|_2`.

    Parameters
    ----------
    Z : ndarray of shape (..., k, c)
        Rows to shrink (the last axis is the group).
    threshold : float or ndarray broadcastable to ``Z.shape[:-1] + (1,)``
        :math:`t \ge 0`; ``inf`` gives zero.

    Returns
    -------
    V : ndarray, the shape of ``Z``
    """
    norms = np.linalg.norm(Z, axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(norms > 0, 1.0 - threshold / norms, 0.0)
    return np.maximum(scale, 0.0) * Z


def l21_norm(V):
    """Sum over the rows (last axis = group) of their Euclidean norms, over all tasks."""
    return float(np.linalg.norm(V, axis=-1).sum())


def source_objective(D, V, W, eta):
    r"""Stage 1: :math:`\sum_i \tfrac12\|W_i - D V_i\|_F^2 + \eta\|V_i\|_{2,1}`."""
    R = W - D @ V
    return 0.5 * float(np.sum(R * R)) + eta * l21_norm(V)


def joint_objective(D, V, W, V_T, W_T, X, Y, *, eta, alpha, beta, ridge):
    r"""Stage 2: stage 1 plus the target's dictionary, code and data terms.

    .. math::

        \sum_i \big(\tfrac12\|W_i - D V_i\|_F^2 + \eta\|V_i\|_{2,1}\big)
        + \tfrac{\alpha}{2}\|W_T - D V_T\|_F^2 + \eta\|V_T\|_{2,1}
        + \beta\big(\tfrac12\|X W_T - Y\|_F^2 + \rho\|W_T\|_F^2\big)

    with :math:`\rho` = ``ridge``.
    """
    R_T = W_T - D @ V_T
    E = X @ W_T - Y
    return (
        source_objective(D, V, W, eta)
        + 0.5 * alpha * float(np.sum(R_T * R_T))
        + eta * l21_norm(V_T)
        + beta * (0.5 * float(np.sum(E * E)) + ridge * float(np.sum(W_T * W_T)))
    )


def _lipschitz(D):
    """Largest eigenvalue of D^T D (the Lipschitz constant of the codes' gradient / w_t)."""
    G = D.T @ D
    top = eigh(G, eigvals_only=True, subset_by_index=[G.shape[0] - 1, G.shape[0] - 1])[0]
    return G, max(float(top), _TINY)


def update_codes(D, V, W, weights, eta, n_steps=_N_INNER):
    r"""Proximal-gradient steps on every task's code, with step :math:`1/(w_t L)`.

    ``weights`` (one per task) scale the fit term; a task of weight 0 gets the code 0
    (its objective is :math:`\eta\|V_t\|_{2,1}` alone).
    """
    G, L = _lipschitz(D)
    DtW = D.T @ W  # (n_tasks, k, c)
    w = np.asarray(weights, dtype=np.float64)[:, None, None]
    with np.errstate(divide="ignore"):
        thresh = np.where(w > 0, eta / (np.maximum(w, _TINY) * L), np.inf)
    for _ in range(n_steps):
        V_new = prox_l21(V - (G @ V - DtW) / L, thresh)
        delta = np.max(np.abs(V_new - V)) if V.size else 0.0
        V = V_new
        if delta <= 1e-10 * max(1.0, np.max(np.abs(V))):
            break
    return V


def update_dictionary(D, V, W, weights, n_sweeps=_N_SWEEPS):
    r"""Column-by-column exact minimisation over the unit ball (Mairal et al., 2009).

    With :math:`A = \sum_t w_t V_t V_t^\top` and :math:`B = \sum_t w_t W_t V_t^\top`,
    the objective in column :math:`d_j` is :math:`\tfrac12 A_{jj}\|d_j\|^2 - d_j^\top
    (b_j - \sum_{l\ne j} A_{lj} d_l)`, whose minimiser over :math:`\|d_j\|\le 1` is
    :math:`u_j / \max(1, \|u_j\|)` with :math:`u_j = d_j + (b_j - D a_j)/A_{jj}`. An
    unused atom (:math:`A_{jj} = 0`) does not enter the objective and is left as it is.
    """
    w = np.asarray(weights, dtype=np.float64)[:, None, None]
    A = np.sum(w * (V @ np.swapaxes(V, 1, 2)), axis=0)
    B = np.sum(w * (W @ np.swapaxes(V, 1, 2)), axis=0)
    D = D.copy()
    scale = max(float(np.max(np.diag(A))), _TINY) if A.size else _TINY
    for _ in range(n_sweeps):
        for j in range(D.shape[1]):
            a_jj = A[j, j]
            if a_jj <= 1e-12 * scale:
                continue
            u = D[:, j] + (B[:, j] - D @ A[:, j]) / a_jj
            D[:, j] = u / max(1.0, float(np.linalg.norm(u)))
    return D


def init_dictionary(W, n_atoms, init, rng):
    """Unit-norm columns: the leading left singular vectors of [W_1 ... W_m], then random ones."""
    d = W.shape[1]
    D = rng.normal(size=(d, n_atoms))
    if init == "svd":
        stacked = np.concatenate(list(W), axis=1)  # (d, m c)
        U, s, _ = linalg.svd(stacked, full_matrices=False)
        r = min(n_atoms, int(np.sum(s > 1e-10 * max(s[0], _TINY))) if s.size else 0)
        D[:, :r] = U[:, :r]
    return D / np.maximum(np.linalg.norm(D, axis=0), _TINY)


def init_codes(D, W):
    """Least-squares codes, the start of the proximal-gradient steps."""
    return (
        np.linalg.lstsq(D, np.concatenate(list(W), axis=1), rcond=None)[0]
        .reshape(D.shape[1], W.shape[0], W.shape[2])
        .transpose(1, 0, 2)
    )


class _Curve:
    """Objective values per iteration and the stopping rule.

    A stage stops when one iteration decreases the objective by at most ``tol``
    times ``scale``, the objective of the zero model (all codes and :math:`W_T` zero).
    Relative to the current value instead, a fit that is already nearly exact (a
    tiny objective, e.g. as many atoms as sources) would crawl for hundreds of
    iterations through decreases that are negligible on the problem's scale.
    """

    def __init__(self, value, tol, scale):
        self.values = [value]
        self.tol = tol
        self.scale = max(scale, _TINY)

    def add(self, value):
        prev = self.values[-1]
        self.values.append(value)
        return prev - value <= self.tol * self.scale


def solve_sources(W, D, *, eta, max_iter, tol):
    """Stage 1: alternate codes and dictionary on the source tasks alone.

    Returns ``D, V, curve, n_iter, converged``.
    """
    weights = np.ones(W.shape[0])
    V = update_codes(D, init_codes(D, W), W, weights, eta)
    curve = _Curve(source_objective(D, V, W, eta), tol, 0.5 * float(np.sum(W * W)))
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (n_iter is returned)
        D = update_dictionary(D, V, W, weights)
        V = update_codes(D, V, W, weights, eta)
        if curve.add(source_objective(D, V, W, eta)):
            converged = True
            break
    return D, V, np.asarray(curve.values), n_iter, converged


def update_target(D, V_T, factor, XtX, XtY, *, eta, alpha, beta, ridge, n_steps=_N_TARGET):
    r"""Joint block :math:`(V_T, W_T)` for a fixed :math:`D`: :math:`W_T` eliminated exactly.

    For a fixed :math:`V_T` the minimiser in :math:`W_T` is
    :math:`W^*(V_T) = M^{-1}(\alpha D V_T + \beta X^\top Y)` with
    :math:`M = \beta X^\top X + (\alpha + 2\beta\rho) I`. What remains of the objective
    is :math:`\tfrac12\operatorname{tr}(V_T^\top H V_T) - \operatorname{tr}(V_T^\top b)
    + \eta\|V_T\|_{2,1}` + const, with

    .. math::

        H = \alpha D^\top M^{-1} (\beta X^\top X + 2\beta\rho I) D
          = \alpha D^\top D - \alpha^2 D^\top M^{-1} D, \qquad
        b = \alpha\beta D^\top M^{-1} X^\top Y ,

    on which proximal-gradient steps with step :math:`1/\lambda_{\max}(H)` are
    taken (each cannot increase it), then :math:`W_T = W^*(V_T)`. Alternating a
    single code step with the :math:`W_T` solve instead contracts only by about
    :math:`\alpha / (\alpha + \beta\lambda(X^\top X))` per iteration: hundreds of
    iterations when the target has few labels.
    """
    if alpha == 0:
        V_T = np.zeros_like(V_T)
    else:
        MD = linalg.cho_solve(factor, D)
        H = alpha * MD.T @ (beta * (XtX @ D) + 2.0 * beta * ridge * D)
        H = 0.5 * (H + H.T)
        b = alpha * MD.T @ XtY
        top = eigh(H, eigvals_only=True, subset_by_index=[H.shape[0] - 1, H.shape[0] - 1])[0]
        L = max(float(top), _TINY)
        for _ in range(n_steps):
            V_new = prox_l21(V_T - (H @ V_T - b) / L, eta / L)
            delta = np.max(np.abs(V_new - V_T)) if V_T.size else 0.0
            V_T = V_new
            if delta <= 1e-10 * max(1.0, np.max(np.abs(V_T))):
                break
    return V_T, linalg.cho_solve(factor, alpha * (D @ V_T) + XtY)


def solve_joint(W, D, V, X, Y, *, eta, alpha, beta, ridge, max_iter, tol):
    r"""Stage 2: source codes, the target block :math:`(V_T, W_T)` and the dictionary, in turn.

    The target block is minimised with :math:`W_T` eliminated (:func:`update_target`);
    :math:`M = \beta X^\top X + (\alpha + 2\beta\rho) I` is factorised (Cholesky) once.
    Returns ``D, V, V_T, W_T, curve, n_iter, converged``.
    """
    d = X.shape[1]
    XtX = X.T @ X
    M = beta * XtX + (alpha + 2.0 * beta * ridge) * np.eye(d)
    factor = linalg.cho_factor(M)
    XtY = beta * (X.T @ Y)
    hyper = dict(eta=eta, alpha=alpha, beta=beta, ridge=ridge)
    ones = np.ones(W.shape[0])
    weights = np.r_[ones, alpha]

    V_T = np.zeros((D.shape[1], Y.shape[1]))
    W_T = linalg.cho_solve(factor, XtY)  # the start V_T = 0 with its exact W_T

    def objective():
        return joint_objective(D, V, W, V_T, W_T, X, Y, **hyper)

    curve = _Curve(objective(), tol, 0.5 * float(np.sum(W * W)) + 0.5 * beta * float(np.sum(Y * Y)))
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (n_iter is returned)
        V = update_codes(D, V, W, ones, eta)
        V_T, W_T = update_target(D, V_T, factor, XtX, XtY, **hyper)
        D = update_dictionary(D, np.concatenate([V, V_T[None]]), np.concatenate([W, W_T[None]]), weights)
        if curve.add(objective()):
            converged = True
            break
    return D, V, V_T, W_T, np.asarray(curve.values), n_iter, converged
