"""Synthetic data with a domain shift, returned per the domain contract."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._labels import check_n_target_labeled, mask_from

__all__ = ["make_domain_shift"]


def _boundary(X):
    """Curved class boundary used by the covariate shift: ``x2 = x1^2 / 2 - 1/2``."""
    return X[:, 1] - (0.5 * X[:, 0] ** 2 - 0.5)


def _regression_fn(X):
    """Non-linear regression function (Shimodaira's ``-x + x^3`` on the first feature)."""
    out = -X[:, 0] + X[:, 0] ** 3
    if X.shape[1] > 1:
        out = out + 0.5 * X[:, 1:].sum(axis=1)
    return out


@validate_params(
    {
        "n_source": [Interval(Integral, 1, None, closed="left")],
        "n_target": [Interval(Integral, 1, None, closed="left")],
        "shift": [StrOptions({"covariate", "target", "conditional"})],
        "task": [StrOptions({"classification", "regression"})],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "n_target_labeled": [Interval(Integral, 0, None, closed="left")],
        "return_target_labels": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_domain_shift(
    n_source=200,
    n_target=200,
    *,
    shift="covariate",
    task="classification",
    n_features=2,
    n_classes=2,
    noise=0.1,
    n_target_labeled=0,
    return_target_labels=False,
    random_state=None,
):
    r"""Source and target samples under a chosen kind of dataset shift.

    * ``"covariate"``: :math:`P(x)` moves, :math:`P(y|x)` is fixed. The inputs are
      Gaussian, the source centred at :math:`x_1 = -0.5` (wide), the target at
      :math:`x_1 = 1.2` (narrow). Classification labels lie on either side of the
      curved boundary :math:`x_2 = x_1^2/2 - 1/2` (cut into ``n_classes`` bands);
      regression follows :math:`y = -x_1 + x_1^3 + \tfrac12\sum_{j>1} x_j`
      (Shimodaira, 2000). A linear model fitted on the source misfits the target
      region, which reweighting (KMM) or a kernel embedding (TCA) corrects.
    * ``"target"`` (prior shift): :math:`P(y)` moves, :math:`P(x|y)` is fixed; the
      source is balanced, the target holds 70% of its rows in the last class
      (regression: target rows drawn with probability increasing in :math:`y`).
    * ``"conditional"``: :math:`P(x|y)` moves; every target class mean is shifted
      by a class-dependent offset (regression: the target slope changes).

    Parameters
    ----------
    n_source, n_target : int, default=200
        Number of source and target rows.
    shift : {"covariate", "target", "conditional"}, default="covariate"
    task : {"classification", "regression"}, default="classification"
    n_features : int, default=2
        Number of features (covariate shift needs at least 2 for classification).
    n_classes : int, default=2
        Number of classes (classification).
    noise : float, default=0.1
        Standard deviation of label noise (regression) or of the boundary jitter
        (classification).
    n_target_labeled : int, default=0
        Number of target rows whose label is kept (semi-supervised adaptation).
    return_target_labels : bool, default=False
        Also return the unmasked labels, for evaluation.
    random_state : int, RandomState instance or None, default=None
        Seeds the generator, for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_source + n_target, n_features)
        Source rows first, then target rows.
    y : ndarray of shape (n_source + n_target,)
        Labels; target labels are masked (``-1`` / NaN) except the first
        ``n_target_labeled`` target rows.
    sample_domain : ndarray of int
        ``0`` for source rows, ``-1`` for target rows.
    y_true : ndarray
        The labels with nothing masked (only when ``return_target_labels=True``).

    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> X, y, sd = make_domain_shift(n_source=5, n_target=3, random_state=0)
    >>> X.shape, y.tolist()[-3:], sd.tolist()
    ((8, 2), [-1, -1, -1], [0, 0, 0, 0, 0, -1, -1, -1])
    """
    check_n_target_labeled(n_target_labeled, n_target)
    if task == "classification" and shift == "covariate" and n_features < 2:
        raise ValueError("A covariate shift for classification needs n_features >= 2.")
    rng = check_random_state(random_state)
    d = n_features

    if shift == "covariate":
        mean_s, mean_t = np.zeros(d), np.zeros(d)
        mean_s[0], mean_t[0] = -0.5, 1.2
        Xs = mean_s + rng.normal(size=(n_source, d)) * np.r_[1.0, np.full(d - 1, 1.0)]
        Xt = mean_t + rng.normal(size=(n_target, d)) * np.r_[0.5, np.full(d - 1, 1.0)]
        if task == "classification":

            def label(X):
                score = _boundary(X) + noise * rng.normal(size=X.shape[0])
                if n_classes == 2:
                    return (score > 0).astype(np.int64)
                edges = np.linspace(-1.5, 1.5, n_classes - 1)
                return np.digitize(score, edges).astype(np.int64)
        else:

            def label(X):
                return _regression_fn(X) + noise * rng.normal(size=X.shape[0])

        ys, yt = label(Xs), label(Xt)
    elif task == "classification":
        centers = rng.normal(scale=2.0, size=(n_classes, d))
        if shift == "target":
            ps = np.full(n_classes, 1.0 / n_classes)
            pt = np.full(n_classes, 0.3 / (n_classes - 1))
            pt[-1] = 0.7
            offset = np.zeros((n_classes, d))
        else:
            ps = pt = np.full(n_classes, 1.0 / n_classes)
            offset = rng.normal(scale=1.0, size=(n_classes, d))
        ys = rng.choice(n_classes, size=n_source, p=ps)
        yt = rng.choice(n_classes, size=n_target, p=pt)
        Xs = centers[ys] + rng.normal(size=(n_source, d))
        Xt = centers[yt] + offset[yt] + rng.normal(size=(n_target, d))
        ys, yt = ys.astype(np.int64), yt.astype(np.int64)
    else:
        coef = rng.normal(size=d)
        Xs = rng.normal(size=(n_source, d))
        ys = Xs @ coef + noise * rng.normal(size=n_source)
        if shift == "target":
            # accept target candidates with probability increasing in y
            pool = rng.normal(size=(20 * n_target, d))
            ypool = pool @ coef + noise * rng.normal(size=pool.shape[0])
            p = 1.0 / (1.0 + np.exp(-(ypool - np.median(ypool))))
            idx = rng.choice(pool.shape[0], size=n_target, replace=False, p=p / p.sum())
            Xt, yt = pool[idx], ypool[idx]
        else:
            Xt = rng.normal(size=(n_target, d))
            yt = Xt @ (coef + rng.normal(scale=0.5, size=d)) + noise * rng.normal(size=n_target)

    X = np.vstack([Xs, Xt])
    y_true = np.concatenate([ys, yt])
    y = mask_from(y_true, n_source + n_target_labeled, task)
    sample_domain = np.r_[np.zeros(n_source, dtype=np.int64), -np.ones(n_target, dtype=np.int64)]
    if return_target_labels:
        return X, y, sample_domain, y_true
    return X, y, sample_domain
