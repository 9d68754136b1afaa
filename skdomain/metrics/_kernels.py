"""Kernels and the one bandwidth rule shared by every Gaussian kernel of skdomain.

The rule (the *median heuristic*): for a pooled sample ``Z``, let ``m`` be the median
of the off-diagonal squared Euclidean distances ``||z_i - z_j||^2``. The RBF kernel
``k(x, x') = exp(-gamma ||x - x'||^2)`` then uses ``gamma = 1 / m``, i.e.
``2 sigma^2 = m`` in ``exp(-||x - x'||^2 / (2 sigma^2))``. Multi-kernel variants
spread ``gamma`` over ``gamma / 2**k`` for ``k`` in a stated range around it
(:func:`multiscale_gammas`). Large samples are subsampled (``max_samples`` rows,
seeded) before taking the median, so the rule costs O(max_samples^2).
"""

import numpy as np
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.utils import check_random_state

__all__ = ["median_sq_distance", "median_heuristic_gamma", "multiscale_gammas", "kernel_matrix"]

KERNELS = ("rbf", "laplacian", "linear", "poly", "polynomial", "sigmoid", "cosine")


def median_sq_distance(X, *, max_samples=1000, random_state=0):
    """Median of the off-diagonal squared Euclidean distances of ``X``'s rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    max_samples : int, default=1000
        Rows used at most (a seeded uniform subsample above it).
    random_state : int, RandomState instance or None, default=0

    Returns
    -------
    m : float
        The median; ``1.0`` when every distance is zero (degenerate input).
    """
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    if n > max_samples:
        idx = check_random_state(random_state).choice(n, max_samples, replace=False)
        X = X[idx]
        n = max_samples
    if n < 2:
        return 1.0
    sq = np.einsum("ij,ij->i", X, X)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (X @ X.T)
    m = float(np.median(np.maximum(d2[np.triu_indices(n, k=1)], 0.0)))
    return m if m > 0 and np.isfinite(m) else 1.0


def median_heuristic_gamma(X, *, max_samples=1000, random_state=0):
    """RBF ``gamma`` by the median heuristic: ``1 / median ||x_i - x_j||^2``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.metrics import median_heuristic_gamma
    >>> float(median_heuristic_gamma(np.array([[0.0], [1.0], [3.0]])))
    0.25
    """
    return 1.0 / median_sq_distance(X, max_samples=max_samples, random_state=random_state)


def multiscale_gammas(X, *, scales=(-3, -2, -1, 0, 1), **kwargs):
    """Gammas spread around the median heuristic: ``gamma_0 / 2**k`` for ``k`` in ``scales``.

    ``k`` multiplies the squared bandwidth ``sigma^2`` by ``2**k``.
    """
    g0 = median_heuristic_gamma(X, **kwargs)
    return np.array([g0 / 2.0**k for k in scales])


def resolve_gamma(kernel, gamma, X):
    """The ``gamma`` an estimator uses: ``gamma`` itself, or the median rule for RBF."""
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


def kernel_matrix(A, B=None, *, kernel="rbf", **params):
    """Kernel matrix ``k(A, B)`` (float64) through scikit-learn's pairwise kernels."""
    return np.asarray(pairwise_kernels(A, B, metric=kernel, **params), dtype=np.float64)
