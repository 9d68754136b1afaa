"""Cross-validation splitters that know about domains."""

import numbers

import numpy as np
from sklearn.model_selection import BaseCrossValidator, StratifiedShuffleSplit
from sklearn.utils import check_random_state

from ..utils._domains import check_domain_labels, num_rows

__all__ = ["DomainShuffleSplit", "DomainStratifiedShuffleSplit", "LeaveOneDomainOut"]


def _domains(X, y, groups, sample_domain):
    """``sample_domain``, else ``groups`` (the splitter convention), else inferred from ``y``."""
    sd = sample_domain if sample_domain is not None else groups
    n = num_rows(X) if X is not None else len(sd)
    _, sd, labeled = check_domain_labels(y, sd, n, task="infer")
    return sd, labeled


class _DomainSplitter(BaseCrossValidator):
    """Shared plumbing: domains through ``groups``, ``sample_domain`` or masked labels.

    ``split`` requests ``sample_domain`` and ``groups`` by default under metadata
    routing, so ``GridSearchCV(..., cv=splitter).fit(X, y, sample_domain=sd)``
    reaches it; with routing off, pass the domains as ``groups=`` or let them be
    inferred from the masked labels of ``y``.
    """

    __metadata_request__split = {"sample_domain": True, "groups": True}

    def _iter_test_indices(self, X=None, y=None, groups=None):  # pragma: no cover
        raise NotImplementedError  # split() is overridden


class DomainShuffleSplit(_DomainSplitter):
    """Random train/test splits in which every domain has rows on both sides.

    Each domain id (every source and every target) is shuffled and split on its
    own, ``test_size`` of its rows going to the test side, so every fold holds
    source and target rows in training and in test. Unlabeled target rows in the
    test side are simply ignored by skdomain's ``score``.

    Parameters
    ----------
    n_splits : int, default=5
        Number of re-shuffling and splitting iterations.
    test_size : float, default=0.2
        Fraction of each domain's rows in the test side (at least one row, and at
        least one row left for training).
    random_state : int, RandomState instance or None, default=None
        Controls the shuffling.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.model_selection import DomainShuffleSplit
    >>> X = np.zeros((10, 1)); sd = np.array([0] * 6 + [-1] * 4)
    >>> cv = DomainShuffleSplit(2, test_size=0.25, random_state=0)
    >>> for train, test in cv.split(X, groups=sd):
    ...     print(np.unique(sd[test]).tolist())
    [-1, 0]
    [-1, 0]
    """

    def __init__(self, n_splits=5, *, test_size=0.2, random_state=None):
        self.n_splits = n_splits
        self.test_size = test_size
        self.random_state = random_state

    def _check(self):
        if not isinstance(self.n_splits, numbers.Integral) or self.n_splits < 1:
            raise ValueError(f"n_splits must be a positive integer; got {self.n_splits!r}.")
        if not 0.0 < self.test_size < 1.0:
            raise ValueError(f"test_size must be in (0, 1); got {self.test_size!r}.")

    def split(self, X, y=None, groups=None, sample_domain=None):
        """Generate indices to split data into training and test sets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,), default=None
            Labels; masked labels (``-1`` / NaN) mark target rows when no domains
            are given.
        groups : array-like of int, shape (n_samples,), default=None
            Domain ids (the splitter convention for routing off).
        sample_domain : array-like of int, shape (n_samples,), default=None
            Domain ids (takes precedence over ``groups``).

        Yields
        ------
        train : ndarray
            Training indices, sorted.
        test : ndarray
            Test indices, sorted.
        """
        self._check()
        sd, _ = _domains(X, y, groups, sample_domain)
        rng = check_random_state(self.random_state)
        per_domain = []
        for d in np.unique(sd):
            idx = np.flatnonzero(sd == d)
            if idx.size < 2:
                raise ValueError(
                    f"Domain {d} has {idx.size} row: every domain needs 2 or more rows "
                    "to appear on both sides of a split."
                )
            n_test = int(np.clip(np.ceil(self.test_size * idx.size), 1, idx.size - 1))
            per_domain.append((idx, n_test))
        for _ in range(self.n_splits):
            test = np.concatenate([rng.permutation(idx)[:n_test] for idx, n_test in per_domain])
            mask = np.zeros(sd.shape[0], dtype=bool)
            mask[test] = True
            yield np.flatnonzero(~mask), np.flatnonzero(mask)

    def get_n_splits(self, X=None, y=None, groups=None, sample_domain=None):
        """Return the number of splits: ``n_splits``.

        Parameters
        ----------
        X, y, groups, sample_domain : object
            Ignored, for API compatibility.

        Returns
        -------
        n_splits : int
            The number of re-shuffling and splitting iterations.
        """
        return self.n_splits


class DomainStratifiedShuffleSplit(DomainShuffleSplit):
    """:class:`DomainShuffleSplit` stratified by domain *and* label.

    Rows are stratified on the pair (domain id, label), a masked label counting
    as its own class, so each side keeps every domain's class proportions (and
    its share of unlabeled rows). Every (domain, label) pair needs 2 or more rows.

    Parameters
    ----------
    n_splits : int, default=5
        Number of re-shuffling and splitting iterations.
    test_size : float, default=0.2
        Fraction of the rows in the test side.
    random_state : int, RandomState instance or None, default=None
        Controls the shuffling.
    """

    def split(self, X, y=None, groups=None, sample_domain=None):
        """Generate indices to split data into training and test sets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,)
            Labels (masked ones included).
        groups : array-like of int, shape (n_samples,), default=None
            Domain ids (the splitter convention for routing off).
        sample_domain : array-like of int, shape (n_samples,), default=None
            Domain ids (takes precedence over ``groups``).

        Yields
        ------
        train : ndarray
            Training indices.
        test : ndarray
            Test indices.
        """
        self._check()
        if y is None:
            raise ValueError("DomainStratifiedShuffleSplit needs y to stratify on.")
        sd, labeled = _domains(X, y, groups, sample_domain)
        y = np.asarray(y)
        label = np.where(labeled, y.astype(str), "<masked>")
        keys = np.char.add(np.char.add(sd.astype(str), "|"), label)
        counts = dict(zip(*np.unique(keys, return_counts=True)))
        small = [k for k, c in counts.items() if c < 2]
        if small:
            raise ValueError(f"(domain, label) pairs with a single row cannot be stratified: {small[:5]}.")
        inner = StratifiedShuffleSplit(
            self.n_splits, test_size=self.test_size, random_state=self.random_state
        )
        yield from inner.split(np.zeros((len(keys), 1)), keys)


class LeaveOneDomainOut(_DomainSplitter):
    """Hold out one source domain at a time (multi-source data).

    For every source id: the test side is that domain's rows, the training side
    every other row (the other sources and all target rows). The score on the
    held-out source measures how the model transfers to a domain it did not
    see labeled, without using target labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.model_selection import LeaveOneDomainOut
    >>> sd = np.array([0, 0, 1, 1, 2, -1])
    >>> X = np.zeros((6, 1))
    >>> [test.tolist() for _, test in LeaveOneDomainOut().split(X, groups=sd)]
    [[0, 1], [2, 3], [4]]
    """

    def split(self, X, y=None, groups=None, sample_domain=None):
        """Generate indices to split data into training and test sets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,), default=None
            Labels (used to infer domains when none are given).
        groups : array-like of int, shape (n_samples,), default=None
            Domain ids (the splitter convention for routing off).
        sample_domain : array-like of int, shape (n_samples,), default=None
            Domain ids (takes precedence over ``groups``).

        Yields
        ------
        train : ndarray
            Indices of every other domain.
        test : ndarray
            Indices of the held-out source domain.
        """
        sd, _ = _domains(X, y, groups, sample_domain)
        sources = np.unique(sd[sd >= 0])
        if sources.size < 2:
            raise ValueError(f"LeaveOneDomainOut needs 2 or more source domains; got {sources.size}.")
        for s in sources:
            yield np.flatnonzero(sd != s), np.flatnonzero(sd == s)

    def get_n_splits(self, X=None, y=None, groups=None, sample_domain=None):
        """Return the number of splits: one per source domain.

        Parameters
        ----------
        X : array-like, default=None
            Rows (needed with ``y`` when domains are inferred).
        y : array-like, default=None
            Labels.
        groups : array-like of int, default=None
            Domain ids.
        sample_domain : array-like of int, default=None
            Domain ids (takes precedence over ``groups``).

        Returns
        -------
        n_splits : int
            The number of distinct source domain ids (one split leaves each out).
        """
        sd = sample_domain if sample_domain is not None else groups
        if sd is None and (X is None or y is None):
            raise ValueError("LeaveOneDomainOut needs the domains (groups or sample_domain).")
        sd, _ = _domains(X, y, groups, sample_domain)
        return int(np.unique(sd[sd >= 0]).size)
