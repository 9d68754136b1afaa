"""Data of the domain-aware nets: the dataset, the batch iterators, the labeled validation split."""

import numpy as np
import torch
from sklearn.model_selection import train_test_split

__all__ = [
    "DomainDataset",
    "DomainBatches",
    "BalancedDomainBatches",
    "LabeledValidSplit",
    "labeled_rows",
]


def labeled_rows(y, task=None):
    """Return the mask of the rows whose *encoded* label is not masked (numpy array or torch tensor).

    The nets encode labels once (:class:`DomainDataset`): class indices with ``-1`` for a
    masked row (classification), float values with NaN for a masked row (regression).

    Parameters
    ----------
    y : ndarray or Tensor of shape (n_rows,)
        Encoded labels.
    task : {"classification", "regression"} or None, default=None
        Which convention applies; ``None`` reads it from the dtype (floating point:
        regression).

    Returns
    -------
    labeled : ndarray or Tensor of bool, shape (n_rows,)
        True where the row has a label (same kind of array as ``y``).
    """
    if torch.is_tensor(y):
        if task == "regression" or (task is None and y.is_floating_point()):
            return ~torch.isnan(y)
        return y >= 0
    if task == "regression" or (task is None and y.dtype.kind == "f"):
        return ~np.isnan(y)
    return y >= 0


class DomainDataset(torch.utils.data.Dataset):
    """Rows of every domain as tensors: ``X`` (float32), ``y``, ``sample_domain``, extras.

    A batch is ``({"X": X[idx], "sample_domain": sd[idx], **extras[idx]}, y[idx])``, so
    ``sample_domain`` is split with its rows. Data are converted once, here, and stay
    on the host; the net moves each batch to its device.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features (converted to float32).
    y : tensor of shape (n_samples,) or None
        Encoded labels: int64 with ``-1`` for masked rows (classification), float32
        with NaN for masked rows (regression); ``None`` for prediction.
    sample_domain : array-like of int of shape (n_samples,) or None
        Domain ids; ``None`` marks every row as target (prediction).
    extras : dict of str to tensor, default=None
        Further per-row tensors carried in the batch dict (e.g. soft targets).
    """

    def __init__(self, X, y=None, sample_domain=None, extras=None):
        self.X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        n = self.X.shape[0]
        self.y = y if y is None else torch.as_tensor(y)
        sd = -np.ones(n, dtype=np.int64) if sample_domain is None else np.asarray(sample_domain)
        self.sample_domain = torch.as_tensor(sd, dtype=torch.int64)
        self.extras = dict(extras or {})

    def __len__(self):
        return self.X.shape[0]

    def take(self, idx):
        """Return the batch of rows ``idx``.

        Parameters
        ----------
        idx : int64 Tensor or int
            Row indices.

        Returns
        -------
        Xi : dict of str to Tensor
            ``{"X": ..., "sample_domain": ..., **extras}`` of those rows.
        yi : Tensor or None
            Their encoded labels.
        """
        Xi = {"X": self.X[idx], "sample_domain": self.sample_domain[idx]}
        for k, v in self.extras.items():
            Xi[k] = v[idx]
        yi = None if self.y is None else self.y[idx]
        return Xi, yi

    def __getitem__(self, i):
        Xi, yi = self.take(i)
        return Xi, (torch.zeros(()) if yi is None else yi)

    def subset(self, idx):
        """Return a new dataset with the rows ``idx``.

        Parameters
        ----------
        idx : array-like of int
            Row indices.

        Returns
        -------
        dataset : DomainDataset
            Those rows.
        """
        idx = torch.as_tensor(np.asarray(idx), dtype=torch.int64)
        return DomainDataset(
            self.X[idx],
            None if self.y is None else self.y[idx],
            self.sample_domain[idx].numpy(),
            {k: v[idx] for k, v in self.extras.items()},
        )


def _as_domain_dataset(dataset):
    """Return a :class:`DomainDataset` from one, or from a ``torch.utils.data.Subset`` of one."""
    if isinstance(dataset, DomainDataset):
        return dataset
    if isinstance(dataset, torch.utils.data.Subset) and isinstance(dataset.dataset, DomainDataset):
        return dataset.dataset.subset(dataset.indices)
    raise TypeError(
        f"Expected a DomainDataset (or a Subset of one), got {type(dataset).__name__}; "
        "pass arrays to fit and let the net build its dataset."
    )


class DomainBatches:
    """Mini-batches of a :class:`DomainDataset` in row order (prediction, validation).

    Parameters
    ----------
    dataset : DomainDataset or Subset of one
        The rows.
    batch_size : int, default=128
        Rows per batch.
    shuffle : bool, default=False
        Shuffle the rows every epoch (with ``generator``).
    generator : torch.Generator, default=None
        Random source of the shuffle (the net passes its seeded one).
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, generator=None):
        self.dataset = _as_domain_dataset(dataset)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def _order(self, n):
        if self.shuffle:
            return torch.randperm(n, generator=self.generator)
        return torch.arange(n)

    def __iter__(self):
        order = self._order(len(self.dataset))
        for start in range(0, len(order), self.batch_size):
            yield self.dataset.take(order[start : start + self.batch_size])


class BalancedDomainBatches(DomainBatches):
    """Training batches with both domains: ``batch_size`` source + ``batch_size`` target rows.

    Source and target rows are drawn independently, each domain shuffled every
    epoch; an epoch is one pass over the larger domain, and the smaller one is
    cycled (reshuffled at each pass). With one domain only (no target rows, or
    ``balanced=False``) batches are plain shuffled batches of ``batch_size`` rows.

    Parameters
    ----------
    dataset : DomainDataset or Subset of one
        The rows.
    batch_size : int, default=128
        Rows per domain and batch.
    balanced : bool, default=True
        Draw source and target halves separately.
    shuffle : bool, default=True
        Shuffle (used when the batches are not balanced).
    generator : torch.Generator, default=None
        Random source (the net passes its seeded one).
    """

    def __init__(self, dataset, batch_size=128, balanced=True, shuffle=True, generator=None):
        super().__init__(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)
        sd = self.dataset.sample_domain
        self._source = torch.nonzero(sd >= 0).squeeze(1)
        self._target = torch.nonzero(sd < 0).squeeze(1)
        self.balanced = bool(balanced) and len(self._source) > 0 and len(self._target) > 0

    def __len__(self):
        if not self.balanced:
            return super().__len__()
        return -(-max(len(self._source), len(self._target)) // self.batch_size)

    def _stream(self, rows, length):
        """``length`` rows of ``rows``: passes of fresh permutations, concatenated."""
        parts, total = [], 0
        while total < length:
            parts.append(rows[torch.randperm(len(rows), generator=self.generator)])
            total += len(rows)
        return torch.cat(parts)[:length]

    def __iter__(self):
        if not self.balanced:
            yield from super().__iter__()
            return
        n = max(len(self._source), len(self._target))
        src, tgt = self._stream(self._source, n), self._stream(self._target, n)
        bs = self.batch_size
        for start in range(0, n, bs):
            yield self.dataset.take(torch.cat([src[start : start + bs], tgt[start : start + bs]]))


class LabeledValidSplit:
    """Hold out a fraction of the *labeled* rows for validation; every unlabeled row trains.

    ``valid_loss`` is then the task loss on held-out labeled rows (source and labeled
    target), while all target rows keep serving the adaptation term.

    Parameters
    ----------
    fraction : float, default=0.2
        Fraction of the labeled rows held out (at least one row).
    stratified : bool, default=True
        Stratify by class (classification).
    random_state : int, default=0
        Seeds the split.
    """

    def __init__(self, fraction=0.2, stratified=True, random_state=0):
        self.fraction = fraction
        self.stratified = stratified
        self.random_state = random_state

    def __call__(self, dataset, y=None, **kwargs):
        if not 0.0 < self.fraction < 1.0:
            raise ValueError(f"fraction must be in (0, 1); got {self.fraction!r}.")
        ds = _as_domain_dataset(dataset)
        y = ds.y.numpy()
        labeled = labeled_rows(y)
        rows = np.flatnonzero(labeled)
        strat = y[rows] if (self.stratified and y.dtype.kind != "f") else None
        n_valid = max(1, int(round(self.fraction * rows.size)))
        if rows.size - n_valid < 1:
            raise ValueError(f"LabeledValidSplit needs at least 2 labeled rows; got {rows.size}.")
        try:
            train, valid = train_test_split(
                rows, test_size=n_valid, stratify=strat, random_state=self.random_state
            )
        except ValueError:  # a class too small to stratify
            train, valid = train_test_split(rows, test_size=n_valid, random_state=self.random_state)
        train = np.sort(np.concatenate([train, np.flatnonzero(~labeled)]))
        return ds.subset(train), ds.subset(np.sort(valid))

    def __repr__(self):
        return f"LabeledValidSplit(fraction={self.fraction}, stratified={self.stratified})"
