"""A family of linear tasks whose models share a dictionary, returned per the domain contract."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._labels import check_n_target_labeled, mask_from

__all__ = ["make_shared_dictionary_tasks"]


@validate_params(
    {
        "n_sources": [Interval(Integral, 1, None, closed="left")],
        "n_source_samples": [Interval(Integral, 1, None, closed="left")],
        "n_target": [Interval(Integral, 1, None, closed="left")],
        "n_target_labeled": [Interval(Integral, 0, None, closed="left")],
        "task": [StrOptions({"classification", "regression"})],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_atoms": [Interval(Integral, 1, None, closed="left")],
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "shift": [Interval(Real, 0, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "return_target_labels": ["boolean"],
        "return_dictionary": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_shared_dictionary_tasks(
    n_sources=5,
    n_source_samples=100,
    n_target=200,
    *,
    n_target_labeled=10,
    task="regression",
    n_features=20,
    n_atoms=3,
    n_classes=2,
    shift=0.5,
    noise=0.1,
    return_target_labels=False,
    return_dictionary=False,
    random_state=None,
):
    r"""Source tasks and a target task whose linear models share a dictionary.

    A dictionary :math:`D^* \in \mathbb{R}^{(p+1)\times k}` of unit-norm Gaussian
    columns is drawn once (:math:`p` = ``n_features``; the last row is the
    intercept coordinate). Every task :math:`t` (the ``n_sources`` sources, then the
    target) gets a Gaussian code :math:`V_t^* \in \mathbb{R}^{k\times c}` and the
    model :math:`W_t = D^* V_t^*`, so that all models lie in the :math:`k`-dimensional
    span of :math:`D^*` while no two tasks share a model. Its inputs are
    :math:`x \sim \mathcal N(\mu_t, I_p)` with a task mean
    :math:`\mu_t \sim \mathcal N(0, \text{shift}^2 I_p)` (a covariate shift between
    tasks), and

    * regression (:math:`c = 1`): :math:`y = [x, 1]\, W_t + \text{noise}\cdot\varepsilon`;
    * classification (:math:`c` = ``n_classes``): :math:`y = \arg\max_j
      ([x, 1]\, W_t + \text{noise}\cdot\varepsilon)_j`,

    with standard normal :math:`\varepsilon`. Pooling the tasks mixes different
    models, and a target with few labels cannot pin down its :math:`p + 1`
    coefficients alone, but only :math:`k` coordinates in the shared span.

    Parameters
    ----------
    n_sources : int, default=5
        Number of source tasks (ids ``0 .. n_sources - 1``).
    n_source_samples : int, default=100
        Rows per source task.
    n_target : int, default=200
        Target rows (id ``-1``).
    n_target_labeled : int, default=10
        Target rows whose label is kept (the first ones; the rest are masked).
    task : {"regression", "classification"}, default="regression"
        The kind of labels.
    n_features : int, default=20
        Number :math:`p` of features.
    n_atoms : int, default=3
        Number :math:`k` of shared atoms.
    n_classes : int, default=2
        Number of classes (classification).
    shift : float, default=0.5
        Standard deviation of the task means :math:`\mu_t`.
    noise : float, default=0.1
        Standard deviation of the noise added to the scores / targets.
    return_target_labels : bool, default=False
        Also return the labels with nothing masked.
    return_dictionary : bool, default=False
        Also return :math:`D^*`.
    random_state : int, RandomState instance or None, default=None
        Seeds the generator.

    Returns
    -------
    X : ndarray of shape (n_sources * n_source_samples + n_target, n_features)
        Source rows (task by task), then target rows.
    y : ndarray of shape (n_samples,)
        Labels; target labels masked (``-1`` / NaN) except the first ``n_target_labeled``.
    sample_domain : ndarray of int
        Source id ``0 .. n_sources - 1`` per source row, ``-1`` for target rows.
    y_true : ndarray
        Labels with nothing masked (only when ``return_target_labels=True``).
    dictionary : ndarray of shape (n_features + 1, n_atoms)
        :math:`D^*` (only when ``return_dictionary=True``).

    Examples
    --------
    >>> from skdomain.datasets import make_shared_dictionary_tasks
    >>> X, y, sd = make_shared_dictionary_tasks(
    ...     n_sources=2, n_source_samples=3, n_target=2, n_target_labeled=1,
    ...     n_features=4, random_state=0)
    >>> X.shape, sd.tolist()
    ((8, 4), [0, 0, 0, 1, 1, 1, -1, -1])
    """
    check_n_target_labeled(n_target_labeled, n_target)
    rng = check_random_state(random_state)
    p, k = n_features, n_atoms
    c = 1 if task == "regression" else n_classes
    D = rng.normal(size=(p + 1, k))
    D /= np.linalg.norm(D, axis=0)

    sizes = [n_source_samples] * n_sources + [n_target]
    Xs, ys = [], []
    for n in sizes:
        W = D @ rng.normal(size=(k, c))
        X = rng.normal(loc=shift * rng.normal(size=p), size=(n, p))
        scores = X @ W[:-1] + W[-1] + noise * rng.normal(size=(n, c))
        Xs.append(X)
        ys.append(scores[:, 0] if task == "regression" else np.argmax(scores, axis=1).astype(np.int64))

    X = np.vstack(Xs)
    y_true = np.concatenate(ys)
    n_src = n_sources * n_source_samples
    y = mask_from(y_true, n_src + n_target_labeled, task)
    sample_domain = np.r_[np.repeat(np.arange(n_sources), n_source_samples), -np.ones(n_target, dtype=int)]
    out = [X, y, sample_domain.astype(np.int64)]
    if return_target_labels:
        out.append(y_true)
    if return_dictionary:
        out.append(D)
    return tuple(out)
