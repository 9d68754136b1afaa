"""Kernels and the one bandwidth rule shared by every Gaussian kernel of skdomain.

The rule (the *median heuristic*): for a pooled sample ``Z``, let ``m`` be the median
of the off-diagonal squared Euclidean distances ``||z_i - z_j||^2``. The RBF kernel
``k(x, x') = exp(-gamma ||x - x'||^2)`` then uses ``gamma = 1 / m``, i.e.
``2 sigma^2 = m`` in ``exp(-||x - x'||^2 / (2 sigma^2))``. Multi-kernel variants
spread ``gamma`` over ``gamma / 2**k`` for ``k`` in a stated range around it
(:func:`multiscale_gammas`). Large samples are subsampled (``max_samples`` rows,
seeded) before taking the median, so the rule costs O(max_samples^2).

Overflow: data whose largest magnitude lies outside ``[1e-100, 1e100]`` (squared
distances would over- or underflow float64) are divided by a power of two before
squaring (``pow2_exponent``). Dividing by a power of two is exact in floating point,
so the results are those of the unscaled formula wherever that one is representable;
data inside the range are never touched.
"""

from numbers import Integral, Real

import numpy as np
from sklearn import get_config
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..utils._linalg import eigh
from ..utils._validation import is_finite_real

__all__ = [
    "median_sq_distance",
    "median_heuristic_gamma",
    "multiscale_gammas",
    "kernel_matrix",
    "nystroem_factor",
]

KERNELS = ("rbf", "laplacian", "linear", "poly", "polynomial", "sigmoid", "cosine")

#: ``_parameter_constraints`` of the kernel parameters, shared by the estimators that take them.
KERNEL_PARAMETER_CONSTRAINTS = {
    "kernel": [StrOptions(set(KERNELS)), callable],
    "gamma": [Interval(Real, 0, None, closed="neither"), None],
    "degree": [Interval(Integral, 1, None, closed="left")],
    "coef0": [Interval(Real, None, None, closed="neither")],  # finite
}

#: The numerical-rank rule of skdomain's kernel factorisations: an eigenvalue of a kernel
#: matrix counts when it exceeds ``RANK_RTOL`` times the largest (Nyström maps and factors,
#: TCA's exact and Nyström paths).
RANK_RTOL = 1e-10

#: Magnitudes outside this range are rescaled (by a power of two) before squaring.
_SAFE_RANGE = (1e-100, 1e100)

#: Powers of two applied to the median-heuristic ``sigma^2`` by the multi-kernel rule
#: (:func:`multiscale_gammas`); the torch DAN loss reuses the same constant.
MULTISCALE_EXPONENTS = (-3, -2, -1, 0, 1)


@validate_params(
    {
        "X": ["array-like"],
        "max_samples": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def median_sq_distance(X, *, max_samples=1000, random_state=0):
    """Median of the off-diagonal squared Euclidean distances of ``X``'s rows.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The pooled sample (finite values).
    max_samples : int, default=1000
        Rows used at most (a seeded uniform subsample above it).
    random_state : int, RandomState instance or None, default=0
        Seeds the subsample.

    Returns
    -------
    m : float
        The median; ``1.0`` when every distance is zero (degenerate input).

    Raises
    ------
    ValueError
        When ``X`` holds NaN or infinite values, or when the median is not
        representable in float64 (it over- or underflows: scale ``X``).
    """
    X = check_array(X, dtype=np.float64, input_name="X")
    n = X.shape[0]
    if n > max_samples:
        idx = check_random_state(random_state).choice(n, max_samples, replace=False)
        X = X[idx]
        n = max_samples
    if n < 2:
        return 1.0
    k = pow2_exponent(X)
    if k:
        X = ldexp_quiet(X, -k)  # exact: squared distances are those of X times 2**(-2k)
    sq = np.einsum("ij,ij->i", X, X)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (X @ X.T)
    m = float(np.median(np.maximum(d2[np.triu_indices(n, k=1)], 0.0)))
    if not m > 0:
        return 1.0
    if k:
        scaled = m
        m = float(ldexp_quiet(scaled, 2 * k))
        if not (np.isfinite(m) and m > 0):
            exponent = np.log10(scaled) + 2 * k * np.log10(2.0)
            raise ValueError(
                f"The median squared distance between the rows of X, about 1e{exponent:.0f}, is "
                "not representable in float64; scale X (e.g. with StandardScaler)."
            )
    return m


@validate_params(
    {
        "X": ["array-like"],
        "max_samples": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def median_heuristic_gamma(X, *, max_samples=1000, random_state=0):
    """RBF ``gamma`` by the median heuristic: ``1 / median ||x_i - x_j||^2``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The pooled sample (finite values).
    max_samples : int, default=1000
        Rows used at most (a seeded uniform subsample above it).
    random_state : int, RandomState instance or None, default=0
        Seeds the subsample.

    Returns
    -------
    gamma : float
        ``1 / median_sq_distance(X)``.

    Raises
    ------
    ValueError
        When ``X`` holds NaN or infinite values, or when ``gamma`` is not
        representable in float64 (scale ``X``).

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.metrics import median_heuristic_gamma
    >>> float(median_heuristic_gamma(np.array([[0.0], [1.0], [3.0]])))
    0.25
    """
    m = median_sq_distance(X, max_samples=max_samples, random_state=random_state)
    gamma = 1.0 / m
    if not np.isfinite(gamma):
        raise ValueError(
            f"gamma = 1 / {m:.3g} (the median squared distance of X) overflows float64; scale X "
            "(e.g. with StandardScaler)."
        )
    return gamma


def multiscale_gammas(X, *, scales=MULTISCALE_EXPONENTS, **kwargs):
    """Gammas spread around the median heuristic: ``gamma_0 / 2**k`` for ``k`` in ``scales``.

    ``k`` multiplies the squared bandwidth ``sigma^2`` by ``2**k``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The pooled sample.
    scales : sequence of int, default=(-3, -2, -1, 0, 1)
        Powers of two applied to ``sigma^2``.
    **kwargs : dict
        Passed to :func:`median_heuristic_gamma`.

    Returns
    -------
    gammas : ndarray of shape (len(scales),)
        One ``gamma`` per scale.
    """
    if len(scales) == 0:
        raise ValueError("multiscale_gammas: scales is empty; give at least one power k.")
    g0 = median_heuristic_gamma(X, **kwargs)
    gammas = np.array([g0 / 2.0**k for k in scales])
    if not np.all(np.isfinite(gammas) & (gammas > 0)):
        raise ValueError(
            f"multiscale_gammas: gamma_0 = {g0:.3g} spread by 2**-k for k in {tuple(scales)} "
            "leaves float64's range; scale X (e.g. with StandardScaler)."
        )
    return gammas


def resolve_gamma(kernel, gamma, X):
    """Return the ``gamma`` an estimator uses: ``gamma`` itself, or the median rule for RBF."""
    if gamma is None and kernel in ("rbf", "laplacian"):
        return median_heuristic_gamma(X)
    return gamma


def kernel_params(kernel, gamma, degree, coef0):
    """Keyword arguments of :func:`sklearn.metrics.pairwise.pairwise_kernels` for ``kernel``."""
    if callable(kernel):
        return {}
    params = {}
    if kernel in ("rbf", "laplacian", "poly", "polynomial", "sigmoid") and gamma is not None:
        params["gamma"] = gamma
    if kernel in ("poly", "polynomial"):
        params["degree"] = degree
    if kernel in ("poly", "polynomial", "sigmoid"):
        params["coef0"] = coef0
    return params


def kernel_name(kernel):
    """Return a kernel's name for messages: the string, or a callable's ``__name__`` (private)."""
    return repr(kernel) if isinstance(kernel, str) else getattr(kernel, "__name__", repr(kernel))


def check_kernel_values(values, kernel, what):
    """Raise a ``ValueError`` naming ``kernel`` when ``values`` (computed from it) are not finite (private).

    Kernel values of finite, validated rows are non-finite only when a callable
    kernel returns NaN or inf, or when they overflow float64 (a linear or polynomial
    kernel on huge values); NaN propagates through sums and products, so checking a
    reduced quantity (row sums, a factor) catches every bad entry at O(its size).
    """
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"The kernel {kernel_name(kernel)} gave non-finite values (NaN or inf) in {what}: a "
            "callable kernel must return finite floats, and kernel values must not overflow "
            "float64 (scale the inputs)."
        )
    return values


#: Kernels of scikit-learn whose ``gamma`` must be positive.
_POSITIVE_GAMMA = ("rbf", "laplacian", "chi2")


def kernel_matrix(A, B=None, *, kernel="rbf", **params):
    """Kernel matrix ``k(A, B)`` (float64) through scikit-learn's pairwise kernels.

    Parameters
    ----------
    A : ndarray of shape (n_a, n_features)
        Rows of the matrix.
    B : ndarray of shape (n_b, n_features), default=None
        Columns of the matrix; ``None`` means ``A``.
    kernel : str or callable, default="rbf"
        A :func:`sklearn.metrics.pairwise.pairwise_kernels` metric. A callable is
        called on two 1-D rows and returns one float.
    **params : dict
        Kernel parameters (``gamma``, ``degree``, ``coef0``).

    Returns
    -------
    K : ndarray of shape (n_a, n_b)
        The kernel matrix.

    Raises
    ------
    ValueError
        When ``gamma`` is given and is not a finite number, or is not > 0 for the
        kernels that need a positive bandwidth (RBF, Laplacian, chi2).
    """
    gamma = params.get("gamma")
    if gamma is not None and not callable(kernel):
        if not is_finite_real(gamma):
            raise ValueError(f"kernel_matrix: gamma must be a finite number; got {gamma!r}.")
        if kernel in _POSITIVE_GAMMA and gamma <= 0:
            raise ValueError(
                f"kernel_matrix: the {kernel} kernel needs gamma > 0 (exp(-gamma * distance) grows "
                f"without bound otherwise); got gamma={gamma!r}."
            )
    # n_jobs=1: with n_jobs=None, scikit-learn splits the matrix over as many threads as the
    # active joblib backend has workers; under joblib's Dask or Ray backend that is the whole
    # cluster's core count, in every worker of a search (which then oversubscribes its cores),
    # and the split changes the last bits of K (the BLAS blocks differ).
    if not callable(kernel):
        return np.asarray(pairwise_kernels(A, B, metric=kernel, n_jobs=1, **params), dtype=np.float64)
    try:
        K = pairwise_kernels(A, B, metric=kernel, n_jobs=1, **params)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"The kernel {kernel_name(kernel)} failed on a pair of rows: a callable kernel is "
            f"called on two 1-D rows and must return one float ({type(exc).__name__}: {exc})."
        ) from exc
    return np.asarray(K, dtype=np.float64)


def pow2_exponent(*arrays):
    """``k`` such that arrays divided by ``2**k`` have squares inside float64's range (private).

    ``0`` (no scaling) when the largest magnitude lies in ``[1e-100, 1e100]`` or is 0;
    otherwise the exponent of the power of two just above it. ``np.ldexp(X, -k)``
    (division by ``2**k``) is exact.
    """
    amax = max((max(a.max(), -a.min()) for a in arrays if a.size), default=0.0)
    if amax == 0.0 or _SAFE_RANGE[0] <= amax <= _SAFE_RANGE[1]:
        return 0
    return int(np.frexp(amax)[1])


def ldexp_quiet(x, k):
    """``x * 2**k`` without a warning: ``inf`` on overflow, 0 (or subnormal) on underflow (private)."""
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(x, k)


_BLOCK = 2**22  # kernel entries per block (32 MiB of float64)


def row_blocks(n_rows, n_cols):
    """Slices of rows such that a block of ``k(A[s], B)`` holds at most ``_BLOCK`` entries."""
    step = max(1, _BLOCK // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def working_blocks(n_rows, row_bytes):
    """Slices of rows whose working set (``row_bytes`` a row) fits sklearn's ``working_memory`` (private).

    The rule of :func:`sklearn.metrics.pairwise_distances_chunked`: about
    ``working_memory`` MiB (:func:`sklearn.set_config`, default 1024) per block. No
    block has a single row unless ``n_rows`` is 1: numpy sends a one-row product to a
    matrix-vector BLAS routine whose rounding differs from the matrix-matrix one, so
    with blocks of at least two rows, row-wise results (kernel rows times a matrix) do
    not depend on the blocking.
    """
    budget = get_config()["working_memory"] * 2**20
    step = max(2, int(budget // max(row_bytes, 1)))
    stops = list(range(step, n_rows, step))
    if stops and n_rows - stops[-1] == 1:
        stops.pop()  # a lone last row joins the block before it
    start = 0
    for stop in [*stops, n_rows]:
        yield slice(start, stop)
        start = stop


def kernel_row_sums(A, B=None, *, kernel="rbf", params=None, exclude_diagonal=False):
    """``k(A, B) @ 1`` blockwise, in O(block) memory (private).

    With ``B=None`` (``B = A``) and ``exclude_diagonal=True``, each row sum leaves out
    its own term ``k(a_i, a_i)`` (for unbiased estimators).
    """
    params = params or {}
    other = A if B is None else B
    out = np.empty(A.shape[0])
    for s in row_blocks(A.shape[0], other.shape[0]):
        Kb = kernel_matrix(A[s], other, kernel=kernel, **params)
        out[s] = Kb.sum(axis=1)
        if exclude_diagonal and B is None:
            out[s] -= Kb[np.arange(Kb.shape[0]), np.arange(s.start, s.stop)]
    return check_kernel_values(out, kernel, "the kernel row sums")


def kernel_quad(A, beta, *, kernel="rbf", params=None):
    """``beta^T k(A, A) beta`` blockwise, in O(block) memory (private)."""
    params = params or {}
    total = 0.0
    for s in row_blocks(A.shape[0], A.shape[0]):
        total += beta[s] @ (kernel_matrix(A[s], A, kernel=kernel, **params) @ beta)
    return float(check_kernel_values(total, kernel, "a quadratic form of the kernel matrix"))


def nystroem_map(landmarks, *, kernel="rbf", params=None, rcond=RANK_RTOL):
    """``M`` such that ``Phi(x) = k(x, landmarks) @ M`` is the Nyström feature map (private)."""
    W = kernel_matrix(landmarks, kernel=kernel, **(params or {}))
    lam, U = eigh(check_kernel_values(W, kernel, "the kernel matrix of the landmarks"))
    keep = lam > rcond * max(lam.max(), np.finfo(float).tiny)
    return U[:, keep] / np.sqrt(lam[keep])


@validate_params(
    {
        "X": ["array-like"],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        **KERNEL_PARAMETER_CONSTRAINTS,
        "random_state": ["random_state"],
        "rcond": [Interval(Real, 0, 1, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def nystroem_factor(
    X,
    n_components,
    *,
    kernel="rbf",
    gamma=None,
    degree=3,
    coef0=1.0,
    random_state=None,
    rcond=RANK_RTOL,
):
    r"""Nyström factor :math:`\Phi` with :math:`K \approx \Phi\Phi^\top`.

    ``n_components`` landmark rows are drawn uniformly (seeded); with
    :math:`C = k(X, X_L)` and :math:`W = k(X_L, X_L) = U\Lambda U^\top`,
    :math:`\Phi = C U \Lambda^{-1/2}` over the eigenvalues above ``rcond * max``.
    With every row as a landmark, :math:`\Phi\Phi^\top = K` up to ``rcond``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Rows of :math:`K` (finite values).
    n_components : int
        Number of landmarks :math:`r` (at least 1; ``n_samples`` when larger).
    kernel : str or callable, default="rbf"
        Kernel, as in :func:`kernel_matrix`.
    gamma : float, default=None
        Kernel coefficient; ``None`` applies the median heuristic to ``X`` (RBF and
        Laplacian kernels), as every estimator of skdomain does.
    degree : int, default=3
        Degree of the polynomial kernel.
    coef0 : float, default=1.0
        Independent term of the polynomial and sigmoid kernels.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of landmarks.
    rcond : float, default=1e-10
        Relative cut-off on the eigenvalues of :math:`W`.

    Returns
    -------
    Phi : ndarray of shape (n_samples, r)
        The factor (``r`` is at most ``n_components``).
    landmarks : ndarray of int
        Row indices of the landmarks in ``X``.
    """
    X = check_array(X, dtype=np.float64, input_name="X")
    params = kernel_params(kernel, resolve_gamma(kernel, gamma, X), degree, coef0)
    idx = landmark_indices(X.shape[0], n_components, random_state)
    nmap = nystroem_map(X[idx], kernel=kernel, params=params, rcond=rcond)
    Phi = kernel_matrix(X, X[idx], kernel=kernel, **params) @ nmap
    return check_kernel_values(Phi, kernel, "the Nyström factor"), idx


def leading_directions(Phi, rtol):
    """Eigenpairs of ``Phi^T Phi`` above ``rtol`` times the largest (private).

    ``Phi = U S V^T`` (thin SVD): returns ``s2 = diag(S)^2`` and ``V`` restricted to
    the directions with ``s2 > rtol * max(s2)``.
    """
    s2, V = eigh(Phi.T @ Phi)
    keep = s2 > rtol * s2.max()
    return s2[keep], V[:, keep]


def landmark_indices(n, n_components, random_state):
    """Sorted uniform choice of ``min(n_components, n)`` row indices (private)."""
    rng = check_random_state(random_state)
    return np.sort(rng.choice(n, size=min(n_components, n), replace=False))
