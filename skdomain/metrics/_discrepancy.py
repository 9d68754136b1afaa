"""Discrepancies between two samples: MMD, multi-kernel MMD, proxy A-distance."""

from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import PAIRWISE_KERNEL_FUNCTIONS
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.utils import check_array, get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions, validate_params

from ._kernels import (
    KERNEL_PARAMETER_CONSTRAINTS,
    kernel_params,
    kernel_row_sums,
    ldexp_quiet,
    multiscale_gammas,
    pow2_exponent,
    resolve_gamma,
)

__all__ = ["mmd", "mk_mmd", "proxy_a_distance"]


def _check_pair(A, B, min_rows):
    A = check_array(A, dtype=np.float64)
    B = check_array(B, dtype=np.float64)
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"A and B need the same number of features; got {A.shape[1]} and {B.shape[1]}.")
    if A.shape[0] < min_rows or B.shape[0] < min_rows:
        raise ValueError(
            f"This estimate needs at least {min_rows} rows in each sample; got {A.shape[0]} and {B.shape[0]}."
        )
    return A, B


#: Kernels of squared distances or norms that a common scaling by ``s`` leaves unchanged when
#: ``gamma`` becomes ``gamma * s**power``, and whose median-heuristic ``gamma`` scales the same
#: way (not the Laplacian kernel: its L1 distances do not overflow, and the rule's squared
#: distances would not follow its scaling).
_SCALABLE_KERNELS = {"rbf": 2, "cosine": 0}


def _rescale(A, B, kernel):
    """Divide ``A`` and ``B`` by a common power of two when their squares would leave float64's range.

    Returns ``A, B`` and ``shift``: ``gamma`` becomes ``gamma * 2**shift`` (``0`` and the
    arrays themselves on data in range, and for kernels whose values a scaling changes).
    """
    if not isinstance(kernel, str) or kernel not in _SCALABLE_KERNELS:
        return A, B, 0
    k = pow2_exponent(A, B)
    if not k:
        return A, B, 0
    return ldexp_quiet(A, -k), ldexp_quiet(B, -k), k * _SCALABLE_KERNELS[kernel]


def _scaled_gamma(gamma, shift):
    """``gamma * 2**shift``, capped at float64's largest value (exp(-g d) is then 0 off the diagonal)."""
    return float(min(ldexp_quiet(gamma, shift), np.finfo(np.float64).max))


def _finite_estimate(value, kernel):
    if not np.isfinite(value):
        raise ValueError(
            f"The MMD estimate with kernel {kernel!r} is not finite (its kernel sums overflow float64); "
            "scale A and B."
        )
    return float(value)


def _mmd2(A, B, kernel, params, unbiased):
    n, m = A.shape[0], B.shape[0]
    sab = kernel_row_sums(A, B, kernel=kernel, params=params).sum()
    saa = kernel_row_sums(A, kernel=kernel, params=params, exclude_diagonal=unbiased).sum()
    sbb = kernel_row_sums(B, kernel=kernel, params=params, exclude_diagonal=unbiased).sum()
    if unbiased:
        return saa / (n * (n - 1)) + sbb / (m * (m - 1)) - 2.0 * sab / (n * m)
    return saa / n**2 + sbb / m**2 - 2.0 * sab / (n * m)


@validate_params(
    {
        "A": ["array-like"],
        "B": ["array-like"],
        **KERNEL_PARAMETER_CONSTRAINTS,
        "kernel": [StrOptions(set(PAIRWISE_KERNEL_FUNCTIONS)), callable],
        "unbiased": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def mmd(A, B, *, kernel="rbf", gamma=None, degree=3, coef0=1.0, unbiased=False):
    r"""Squared maximum mean discrepancy between the samples ``A`` and ``B``.

    With :math:`K_{AA}, K_{BB}, K_{AB}` the kernel matrices within and across the
    samples (:math:`n` and :math:`m` rows), the biased (V-statistic) estimate is

    .. math::

        \widehat{\mathrm{MMD}}^2_b = \frac{1}{n^2}\sum_{i,j} k(a_i, a_j)
        + \frac{1}{m^2}\sum_{i,j} k(b_i, b_j) - \frac{2}{nm}\sum_{i,j} k(a_i, b_j),

    i.e. mean :math:`K_{AA}` + mean :math:`K_{BB}` − 2 mean :math:`K_{AB}`, and the
    unbiased (U-statistic) estimate leaves out the diagonal terms
    :math:`i = j` of the within-sample sums, dividing by :math:`n(n-1)` and
    :math:`m(m-1)` (Gretton et al., 2012). Kernel sums are taken blockwise, so
    memory stays bounded for large samples. For the RBF and cosine kernels,
    samples whose squared distances would over- or underflow float64 are divided
    by a common power of two first (and ``gamma`` multiplied to match): the
    estimate is unchanged, and exact where the unscaled one is representable.

    Parameters
    ----------
    A : array-like of shape (n, n_features)
        First sample (e.g. the source rows).
    B : array-like of shape (m, n_features)
        Second sample (e.g. the target rows).
    kernel : str or callable, default="rbf"
        Any :func:`sklearn.metrics.pairwise.pairwise_kernels` metric.
    gamma : float, default=None
        Kernel coefficient (positive, finite); ``None`` applies the median heuristic
        of :func:`median_heuristic_gamma` to the pooled rows (RBF, Laplacian).
    degree : int, default=3
        Degree of the polynomial kernel.
    coef0 : float, default=1.0
        Independent term of the polynomial and sigmoid kernels.
    unbiased : bool, default=False
        Return the unbiased estimate (it can be slightly negative).

    Returns
    -------
    mmd2 : float
        The squared MMD estimate.

    Raises
    ------
    ValueError
        When a parameter is invalid, ``A`` or ``B`` holds NaN or infinite values,
        or the kernel's values are not finite (a callable returning NaN, a linear
        or polynomial kernel overflowing on huge inputs).

    References
    ----------
    .. [1] A. Gretton, K. Borgwardt, M. Rasch, B. Schölkopf and A. Smola,
       "A Kernel Two-Sample Test", JMLR 13, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.metrics import mmd
    >>> rng = np.random.RandomState(0)
    >>> A, B = rng.normal(size=(200, 2)), rng.normal(loc=2.0, size=(200, 2))
    >>> bool(mmd(A, B, gamma=0.5) > mmd(A, rng.normal(size=(200, 2)), gamma=0.5))
    True
    """
    A, B = _check_pair(A, B, 2 if unbiased else 1)
    A, B, shift = _rescale(A, B, kernel)
    if gamma is not None and shift:
        gamma = _scaled_gamma(gamma, shift)
    gamma = resolve_gamma(kernel, gamma, np.vstack([A, B]))
    with np.errstate(over="ignore" if shift else None):  # a capped gamma: exp(-inf) = 0
        value = _mmd2(A, B, kernel, kernel_params(kernel, gamma, degree, coef0), unbiased)
    return _finite_estimate(value, kernel)


@validate_params(
    {
        "A": ["array-like"],
        "B": ["array-like"],
        "gammas": ["array-like", None],
        "weights": ["array-like", None],
        "unbiased": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def mk_mmd(A, B, *, gammas=None, weights=None, unbiased=False):
    r"""Multi-kernel squared MMD: :math:`\sum_u \beta_u \mathrm{MMD}^2_{k_u}(A, B)`.

    The kernel is the convex combination :math:`k = \sum_u \beta_u k_u` of Gaussian
    kernels :math:`k_u(x, x') = \exp(-\gamma_u \|x - x'\|^2)` (Long et al., 2015),
    and the squared MMD is linear in the kernel. By default the :math:`\gamma_u`
    spread around the median heuristic, :math:`\sigma^2 \times 2^k` for
    :math:`k = -3, \dots, 1` (:func:`multiscale_gammas`, the rule the deep DAN loss
    reuses), with uniform weights.

    Parameters
    ----------
    A : array-like of shape (n, n_features)
        First sample.
    B : array-like of shape (m, n_features)
        Second sample.
    gammas : array-like of float, default=None
        The :math:`\gamma_u` (positive, finite); ``None`` uses :func:`multiscale_gammas`
        on the pooled rows.
    weights : array-like of float, default=None
        Finite, non-negative :math:`\beta_u` with a positive sum (normalised to sum to
        1); ``None`` is uniform.
    unbiased : bool, default=False
        Use the unbiased estimate for every kernel.

    Returns
    -------
    mmd2 : float
        The multi-kernel squared MMD estimate.

    Raises
    ------
    ValueError
        When ``gammas`` or ``weights`` are invalid, or ``A`` or ``B`` holds NaN or
        infinite values. Samples whose squared distances would leave float64's range
        are rescaled as in :func:`mmd`.

    References
    ----------
    .. [1] M. Long, Y. Cao, J. Wang and M. I. Jordan, "Learning Transferable
       Features with Deep Adaptation Networks", ICML 2015.
    """
    A, B = _check_pair(A, B, 2 if unbiased else 1)
    if gammas is not None:
        g = np.asarray(gammas, float)
        if g.ndim != 1 or g.size == 0 or not np.all(np.isfinite(g) & (g > 0)):
            raise ValueError(f"gammas must be a non-empty 1-D array of positive, finite values; got {g!r}.")
    A, B, shift = _rescale(A, B, "rbf")
    if gammas is None:
        g = multiscale_gammas(np.vstack([A, B]))
    elif shift:
        g = np.array([_scaled_gamma(gu, shift) for gu in g])
    w = np.full(g.size, 1.0 / g.size) if weights is None else np.asarray(weights, float)
    with np.errstate(over="ignore"):
        total = w.sum()
    if w.shape != g.shape or not (np.all(np.isfinite(w)) and np.all(w >= 0) and 0 < total < np.inf):
        raise ValueError(
            f"weights must be {g.size} finite, non-negative values with a positive sum; got {w!r}."
        )
    w = w / w.sum()
    with np.errstate(over="ignore" if shift else None):  # a capped gamma: exp(-inf) = 0
        value = sum(wu * _mmd2(A, B, "rbf", {"gamma": gu}, unbiased) for gu, wu in zip(g, w))
    return _finite_estimate(value, "rbf")


def _estimator_type(estimator):
    """Return scikit-learn's ``estimator_type`` tag (``None`` when unknown, or for ``None``)."""
    if estimator is None:
        return None
    try:
        return get_tags(estimator).estimator_type
    except AttributeError:  # no __sklearn_tags__: a duck-typed estimator
        return None


@validate_params(
    {
        "A": ["array-like"],
        "B": ["array-like"],
        "estimator": [HasMethods(["fit", "predict"]), None],
        "cv": ["cv_object"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def proxy_a_distance(A, B, *, estimator=None, cv=5, random_state=None):
    r"""Proxy A-distance :math:`\hat d_A = 2(1 - 2\epsilon)` between two samples.

    :math:`\epsilon` is the cross-validated error of a classifier trained to tell
    the rows of ``A`` from the rows of ``B`` (Ben-David et al., 2007): 0 when the
    domains cannot be told apart (:math:`\epsilon = 1/2`), 2 when they are
    separable. A classifier worse than chance (:math:`\epsilon > 1/2`, a noisy
    estimate of indistinguishable domains) gives 0: the value is clipped to
    :math:`[0, 2]`.

    Parameters
    ----------
    A : array-like of shape (n, n_features)
        First sample (domain label 0).
    B : array-like of shape (m, n_features)
        Second sample (domain label 1).
    estimator : classifier, default=None
        The domain classifier: its predictions are labels, scored by accuracy (a
        regressor or another tagged non-classifier is refused; an estimator without
        a type tag must predict labels). ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression` (a linear classifier, as
        in the original).
    cv : int or cross-validation generator, default=5
        Folds (stratified and shuffled with ``random_state`` when an int).
    random_state : int, RandomState instance or None, default=None
        Seeds the folds when ``cv`` is an int.

    Returns
    -------
    pad : float
        The proxy A-distance, in :math:`[0, 2]`.

    Raises
    ------
    ValueError
        When ``estimator`` is tagged as a regressor (its predictions are not domain
        labels) or another non-classifier, or a fold fails to fit or score (the
        error is raised, not turned into NaN).

    References
    ----------
    .. [1] S. Ben-David, J. Blitzer, K. Crammer and F. Pereira, "Analysis of
       Representations for Domain Adaptation", NeurIPS 2007.
    """
    kind = _estimator_type(estimator)
    if kind not in (None, "classifier"):
        raise ValueError(
            f"proxy_a_distance needs a classifier as estimator (its predictions are domain labels, "
            f"scored by accuracy); got {estimator!r}, a {kind}."
        )
    A, B = _check_pair(A, B, 1)
    X = np.vstack([A, B])
    d = np.r_[np.zeros(A.shape[0], dtype=int), np.ones(B.shape[0], dtype=int)]
    if isinstance(cv, Integral):
        cv = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    est = clone(LogisticRegression(max_iter=1000) if estimator is None else estimator)
    scores = cross_val_score(est, X, d, cv=cv, scoring="accuracy", error_score="raise")
    err = 1.0 - float(np.mean(scores))
    return float(np.clip(2.0 * (1.0 - 2.0 * err), 0.0, 2.0))
