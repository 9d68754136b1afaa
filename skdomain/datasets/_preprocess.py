"""What the offline loaders share: row counts, the draw of labeled target rows, standardisation."""

from numbers import Integral

import numpy as np
from sklearn.model_selection import train_test_split

__all__ = ["count_rows", "draw_rows", "standardize_domains", "STANDARDIZE_OPTIONS"]

#: The values of the loaders' ``standardize`` parameter (besides ``None``).
STANDARDIZE_OPTIONS = {"pooled", "per_domain"}


def count_rows(value, total, name):
    """Return a row count from an int (a count) or a float in [0, 1] (a fraction of ``total``)."""
    if value is None:
        return total
    if isinstance(value, Integral):
        if value > total:
            raise ValueError(f"{name}={value} exceeds the {total} rows available.")
        return int(value)
    return int(round(value * total))


def draw_rows(n, y, rng, *, stratify):
    """Return the indices of ``n`` of the rows of ``y``, drawn at random without replacement, sorted.

    With ``stratify`` (classification), the draw keeps the class proportions of
    ``y`` (scikit-learn's stratified split, every class represented when ``n`` is
    at least the number of classes); otherwise it is a simple random sample.
    """
    total = y.shape[0]
    if n >= total:
        return np.arange(total)
    if n == 0:
        return np.arange(0)
    idx = np.arange(total)
    strata = y if stratify and n >= np.unique(y).size and total - n >= np.unique(y).size else None
    seed = rng.randint(np.iinfo(np.int32).max)
    keep, _ = train_test_split(idx, train_size=n, stratify=strata, random_state=seed)
    return np.sort(keep)


def _standardize(X):
    """Centre and scale each feature (a constant feature is only centred)."""
    mean, std = X.mean(axis=0), X.std(axis=0)
    std[std == 0] = 1.0
    return (X - mean) / std


def standardize_domains(Xs, Xt, how):
    """Standardise the features of a source and a target block; labels are never read.

    ``"pooled"``: one mean and standard deviation per feature over the source and
    target rows together (the preprocessing of the shift suite: a fixed affine map
    of the inputs, the same for every method); ``"per_domain"``: each block with
    its own moments (an unsupervised alignment of first and second moments);
    ``None``: unchanged. Returns new arrays.
    """
    if how is None:
        return Xs.copy(), Xt.copy()
    if how == "per_domain":
        return _standardize(Xs), _standardize(Xt)
    Z = _standardize(np.vstack([Xs, Xt]))
    return Z[: Xs.shape[0]], Z[Xs.shape[0] :]
