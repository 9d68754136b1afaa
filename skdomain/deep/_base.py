"""The domain-aware skorch base: dataset, balanced batches, validation split, base nets."""

import textwrap
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet
from skorch.utils import to_numpy, to_tensor

from .._base import DomainRequestMixin, masked_score
from ..utils._domains import DomainWarning, check_domains
from ._modules import DomainMLP, FeatureHook, flatten_features

__all__ = [
    "DomainDataset",
    "DomainBatches",
    "BalancedDomainBatches",
    "LabeledValidSplit",
    "DomainNet",
    "DomainClassifierMixin",
    "DomainRegressorMixin",
    "labeled_score",
]


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
        """The batch of rows ``idx``.

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
        """A new dataset with the rows ``idx``.

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
    """A :class:`DomainDataset` from one, or from a ``torch.utils.data.Subset`` of one."""
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
        from sklearn.model_selection import train_test_split

        if not 0.0 < self.fraction < 1.0:
            raise ValueError(f"fraction must be in (0, 1); got {self.fraction!r}.")
        ds = _as_domain_dataset(dataset)
        y = ds.y.numpy()
        labeled = ~np.isnan(y) if y.dtype.kind == "f" else y >= 0
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


def _resolve_device(device):
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


_NET_PARAMS_DOC = r"""criterion : torch loss class, default=None
    Per-row task loss :math:`\ell`; ``None`` is cross-entropy (classifier) / squared
    error (regressor). It is built with ``reduction="none"``.
optimizer : torch optimizer class, default=torch.optim.Adam
    Optimiser of all modules (``F``, ``C`` and the method's own, e.g. ``D``).
lr : float, default=1e-3
    Learning rate.
max_epochs : int, default=20
    Epochs; an epoch is one pass over the larger domain.
batch_size : int, default=64
    Rows per domain in a training batch (a batch holds ``batch_size`` source and
    ``batch_size`` target rows); rows per prediction batch.
iterator_train : class, default=BalancedDomainBatches
    Training batches (``iterator_train__balanced=False`` mixes domains freely).
iterator_valid : class, default=DomainBatches
    Validation / prediction batches, in row order.
train_split : callable or None, default=None
    The validation split (skorch's ``train_split``); :class:`LabeledValidSplit` holds
    out labeled rows only.
feature_layer : str or None, default=None
    Name of the submodule whose output is ``F(x)`` (for modules returning only the output).
random_state : int, RandomState instance or None, default=None
    Seeds weights, dropout and batches (the global torch state is left untouched);
    with an int, CPU fits are reproducible.
device : {"cpu", "cuda", "auto"}, default="cpu"
    Compute device; ``"auto"`` takes CUDA when available. Batches are moved one at a time.
verbose : int, default=0
    Verbosity of skorch's epoch log.
"""


class DomainNet(DomainRequestMixin, NeuralNet):
    __doc__ = (
        r"""Base of the domain-adaptation nets (a skorch ``NeuralNet``; use a flavour).

    ``fit(X, y, sample_domain=None)`` follows the domain contract: labels ``-1``
    (classification) / NaN (regression) are masked, ``sample_domain >= 0`` is source
    and ``< 0`` target, inferred from masked labels when omitted. The training loss
    of a batch is the task loss over its labeled rows,

    .. math::

        \mathcal{L}_{\mathrm{CLF}} = \mathbb{E}_{(x_s, y_s) \sim S}[\ell(C(F(x_s)), y_s)]
        + \mathbb{E}_{(x_l, y_l) \sim T_L}[\ell(C(F(x_l)), y_l)]

    (each expectation the mean over its own rows of the batch, skipped when the batch
    has none), plus the method's adaptation term. Subclasses add it in
    :meth:`adaptation_loss` (and may change the task term in :meth:`task_loss`); a
    concrete net also mixes in :class:`DomainClassifierMixin` or
    :class:`DomainRegressorMixin`.

    Parameters
    ----------
    module : torch module class or instance, default=DomainMLP
        The network ``C(F(x))``. Its ``forward`` returns ``(output, features)``, or only
        the output when ``feature_layer`` names the submodule whose output is ``F(x)``.
        The default MLP takes ``module__hidden_units`` (default ``(64, 128, 64)``) and
        ``module__dropout``; its input / output widths come from the data.
"""
        + textwrap.indent(_NET_PARAMS_DOC, "    ")
        + r"""    **kwargs : dict
        Further skorch parameters: ``module__*``, ``optimizer__*``, ``callbacks``,
        ``warm_start``, ... (and the method's own, e.g. ``discriminator__*``).

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    criterion_ : torch.nn.Module
        The per-row task loss.
    n_features_in_ : int
        Number of input features.
    has_feature_ : bool
        Whether the module gives the features ``F(x)``.
    feature_dims_ : tuple of int
        Widths of the feature layer and of the further adapted layers.
    has_target_ : bool
        Whether the fit had target rows (without, the net is fitted without adaptation).
    n_target_labeled_ : int
        Labeled target rows seen in the fit.
    history_ : skorch.History
        Per epoch (and per batch): ``train_loss``, ``train_loss_task`` and the method's
        terms; ``valid_loss`` with a ``train_split``.

    Examples
    --------
    A method is a subclass that returns its adaptation term for a batch with both
    domains, here the squared distance between the domains' mean features:

    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import DomainClassifierMixin, DomainNet
    >>> class MeanMatching(DomainClassifierMixin, DomainNet):
    ...     def adaptation_loss(self, y_pred, y_cpu, b, X):
    ...         Z = y_pred[1]
    ...         mean_s = (Z * b.w_source[:, None]).sum(0) / b.n_source
    ...         mean_t = (Z * b.w_target[:, None]).sum(0) / b.n_target
    ...         return ((mean_s - mean_t) ** 2).sum()
    >>> X, y, sd = make_domain_shift(100, 100, random_state=0)
    >>> net = MeanMatching(max_epochs=2, random_state=0).fit(X, y, sample_domain=sd)
    >>> net.predict(X[sd < 0]).shape
    (100,)
    >>> bool(net.history[-1]["train_loss"] > net.history[-1]["train_loss_task"])
    True
    """
    )

    _parameter_constraints = {
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "cuda", "auto"}), torch.device, None],
        "feature_layer": [str, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
    }
    _task = "classification"
    _default_criterion = torch.nn.CrossEntropyLoss

    def __init__(
        self,
        module=DomainMLP,
        *,
        criterion=None,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=20,
        batch_size=64,
        iterator_train=BalancedDomainBatches,
        iterator_valid=DomainBatches,
        train_split=None,
        feature_layer=None,
        random_state=None,
        device="cpu",
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            iterator_train=iterator_train,
            iterator_valid=iterator_valid,
            train_split=train_split,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        self.feature_layer = feature_layer
        self.random_state = random_state

    # ------------------------------------------------------------------ set-up
    def _get_param_names(self):
        """skorch's parameter names, without its private bookkeeping (``_params_to_validate``)."""
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def _check_own_params(self):
        names = {}
        for cls in reversed(type(self).__mro__):
            names.update(getattr(cls, "_parameter_constraints", {}))
        params = {k: getattr(self, k) for k in names if k in vars(self)}
        validate_parameter_constraints(names, params, caller_name=type(self).__name__)

    @contextmanager
    def _on_device(self):
        """Run with ``device="auto"`` resolved (restored afterwards, so ``get_params`` is unchanged)."""
        requested = self.device
        resolved = _resolve_device(requested)
        if str(resolved).startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(
                f"device={requested!r} but torch.cuda.is_available() is False (torch "
                f"{torch.__version__}, built with CUDA {torch.version.cuda}): use device='cpu', or "
                "device='auto' to take a GPU only when there is one."
            )
        vars(self)["device"] = resolved
        try:
            yield
        finally:
            vars(self)["device"] = requested

    @contextmanager
    def _seeded(self):
        """Seed module initialisation, dropout and the batch sampler from ``random_state``.

        The global torch random state is left as it was (``torch.random.fork_rng``).
        """
        if self.random_state is None:
            seed = int(torch.randint(0, 2**31 - 1, ()).item())
            self._generator = torch.Generator().manual_seed(seed)
            yield
            return
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        devices = [torch.cuda.current_device()] if str(self.device).startswith("cuda") else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            self._generator = torch.Generator().manual_seed(seed + 1)
            yield

    def _module_kwargs(self):
        kwargs = self.get_params_for("module")
        module = self.module
        if isinstance(module, type) and issubclass(module, DomainMLP):
            kwargs.setdefault("n_features", self.n_features_in_)
            kwargs.setdefault("n_outputs", self._n_outputs())
        return kwargs

    def initialize_module(self):
        """Build ``module_`` (the default MLP gets its widths from the data), then extra modules.

        The feature widths are probed with a forward pass on two zero rows
        (``feature_dims_``), then :meth:`initialize_extra_modules` builds the method's
        own modules (e.g. the discriminator).

        Returns
        -------
        self : object
            The net, with ``module_`` (on ``device``) and the extra modules.
        """
        if not hasattr(self, "n_features_in_"):
            raise RuntimeError(f"{type(self).__name__} builds its modules from the data: call fit.")
        self.module_ = self.initialized_instance(self.module, self._module_kwargs())
        self.module_.to(self.device)
        self.feature_dims_ = self._probe_features()
        self.initialize_extra_modules()
        return self

    def initialize_extra_modules(self):
        """Hook for subclasses that own further modules (e.g. a discriminator)."""

    def initialize_criterion(self):
        """Build the criterion ``criterion_`` per row (``reduction="none"``).

        Masking and weighting happen in :meth:`get_loss`; ``criterion=None`` takes the
        task's default (cross-entropy for a classifier, squared error for a regressor).

        Returns
        -------
        self : object
            The net, with ``criterion_``.
        """
        kwargs = self.get_params_for("criterion")
        kwargs.setdefault("reduction", "none")
        criterion = self._default_criterion if self.criterion is None else self.criterion
        self.criterion_ = self.initialized_instance(criterion, kwargs)
        return self

    def _probe_features(self):
        """Widths of the feature layers, from a forward pass on two zero rows (eval mode)."""
        was = self.module_.training
        self.module_.eval()
        with torch.no_grad():
            x = torch.zeros(2, self.n_features_in_, device=self.device)
            out = self._forward_module(x)
        self.module_.train(was)
        n_feature = len(out) - 1 - len(self._extra_layers())
        self.has_feature_ = n_feature == 1
        return tuple(flatten_features(f).shape[1] for f in out[1:])

    # ------------------------------------------------------------------ forward
    def _extra_layers(self):
        """Names of further layers whose outputs follow the feature in ``infer``'s tuple."""
        return []

    def _forward_module(self, X):
        """``(output, feature, *extra)`` of the module on a tensor ``X``.

        The feature is the module's second output, or the output of the submodule
        named by ``feature_layer`` (a forward hook); it is absent when neither exists.
        Extra layers (``_extra_layers``) are hooked submodules, or ``"output"``.
        """
        extra = self._extra_layers()
        names = [n for n in [self.feature_layer, *extra] if n is not None and n != "output"]
        hook = FeatureHook(self.module_, names) if names else None
        try:
            out = self.module_(X)
        finally:
            if hook is not None:
                hook.remove()
        if isinstance(out, (tuple, list)):
            out, feats = out[0], [flatten_features(f) for f in out[1:2]]
        else:
            feats = []
        if self.feature_layer is not None:
            feats = [flatten_features(hook.outputs[self.feature_layer])]
        more = [out if n == "output" else flatten_features(hook.outputs[n]) for n in extra]
        return (out, *feats, *more)

    def infer(self, x, **fit_params):
        """Forward a batch: ``x`` is the batch dict (only ``x["X"]`` reaches the module) or a tensor.

        Parameters
        ----------
        x : dict of str to Tensor, or Tensor
            The batch: ``{"X": ..., "sample_domain": ..., **extras}`` as built by
            :class:`DomainDataset`, or the features alone.
        **fit_params : dict
            Unused (skorch's signature): ``sample_domain`` travels in the batch dict.

        Returns
        -------
        out : tuple of Tensor
            ``(output, feature, *extra)``: the head's output :math:`C(F(x))`, the
            features :math:`F(x)` when the module gives them, then the outputs of the
            further adapted layers.
        """
        X = x["X"] if isinstance(x, Mapping) else x
        return self._forward_module(to_tensor(X, device=self.device))

    # ------------------------------------------------------------------ data
    def get_dataset(self, X, y=None):
        """A :class:`DomainDataset` (prediction data are all target rows).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or Dataset
            Rows; a torch ``Dataset`` (e.g. from skorch's scoring callbacks) is
            returned as it is.
        y : tensor of shape (n_samples,), default=None
            Encoded labels.

        Returns
        -------
        dataset : DomainDataset or Dataset
            The rows, every one with ``sample_domain = -1`` (target).
        """
        if isinstance(X, torch.utils.data.Dataset):
            return X
        return DomainDataset(X, y)

    def get_iterator(self, dataset, training=False):
        """Build the batch iterator (skorch's), given the net's seeded generator when it takes one.

        Parameters
        ----------
        dataset : DomainDataset or Subset of one
            The rows.
        training : bool, default=False
            Training batches (``iterator_train``, source and target halves) or
            validation / prediction batches (``iterator_valid``, in row order).

        Returns
        -------
        iterator : iterable of (dict, Tensor)
            The batches ``(Xi, yi)``; a :class:`DomainBatches` iterator is given the
            net's generator (seeded by ``random_state``) for training.
        """
        if training:
            kwargs, iterator = self.get_params_for("iterator_train"), self.iterator_train
        else:
            kwargs, iterator = self.get_params_for("iterator_valid"), self.iterator_valid
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        if isinstance(iterator, type) and issubclass(iterator, DomainBatches):
            if training:
                kwargs.setdefault("generator", getattr(self, "_generator", None))
        it = iterator(dataset, **kwargs)
        if training:
            self._batches_per_epoch = len(it)
        return it

    def _n_outputs(self):
        return 1

    def _encode_y(self, y, labeled):
        raise NotImplementedError

    def _check_fit_data(self, X, y, sample_domain, reset):
        data = check_domains(
            X,
            y,
            sample_domain,
            task=self._task,
            estimator=self,
            reset=reset,
            warn_no_target=False,
            y_required=True,
            dtype=np.float32,
        )
        if not data.labeled.any() and not self._allows_unlabeled():
            raise ValueError(f"{type(self).__name__} needs labeled rows; every label in y is masked.")
        return data

    def _allows_unlabeled(self):
        return False

    def _extras(self, data):
        """Further per-row tensors for the dataset (soft targets, ...)."""
        return {}

    def _fit(self, X, y, sample_domain, *, reset):
        self._check_own_params()
        data = self._check_fit_data(X, y, sample_domain, reset)
        if not data.has_target:
            warnings.warn(
                f"No target rows (no sample_domain < 0 and no masked label): {type(self).__name__} "
                "is fitted without adaptation.",
                DomainWarning,
                stacklevel=3,
            )
        y_enc = self._encode_y(data.y, data.labeled, reset)
        if reset:
            self.n_target_labeled_ = int((data.target & data.labeled).sum())
            self.has_target_ = data.has_target
            self._train_step_count = 0
        with self._on_device(), self._seeded():
            dataset = DomainDataset(data.X, y_enc, data.sample_domain, self._extras(data))
            if reset:
                self.initialize()
            self._terms = {}
            NeuralNet.partial_fit(self, dataset, None, _routing_method="fit")
        return self

    def fit(self, X, y, sample_domain=None):
        """Fit the net on rows of every domain (the domain contract).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain, source and target.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or NaN (regression) marks unlabeled rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            ``>= 0`` source, ``< 0`` target; inferred from masked labels when omitted.

        Returns
        -------
        self : object
            The fitted net.
        """
        reset = not self.warm_start or not self.initialized_
        return self._fit(X, y, sample_domain, reset=reset)

    def partial_fit(self, X, y, sample_domain=None, classes=None):
        """Continue training for ``max_epochs`` epochs (initialising on the first call).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain, source and target.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or NaN (regression) marks unlabeled rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            ``>= 0`` source, ``< 0`` target; inferred from masked labels when omitted.
        classes : None
            Unused; classes come from the labeled rows of the first call.

        Returns
        -------
        self : object
            The net.
        """
        return self._fit(X, y, sample_domain, reset=not self.initialized_)

    # ------------------------------------------------------------------ losses
    def _labeled(self, y):
        return y >= 0

    def _row_task_loss(self, out, y):
        """Per-row task loss, masked rows filled with a harmless label."""
        raise NotImplementedError

    def _log_term(self, name, value):
        """Keep a loss term of this batch (written to ``history`` at the epoch's end, one sync)."""
        self._terms.setdefault(name, []).append(value.detach() if torch.is_tensor(value) else value)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        r"""Task loss over labeled rows, plus the adaptation term when training.

        In training, the loss of a batch is

        .. math::

            \mathcal{L} = \mathcal{L}_{\mathrm{CLF}} + \mathcal{L}_{\mathrm{DA}},

        :math:`\mathcal{L}_{\mathrm{CLF}}` from :meth:`task_loss` and
        :math:`\mathcal{L}_{\mathrm{DA}}` from :meth:`adaptation_loss`, the latter only
        on a batch holding source and target rows of a fit with target rows. Outside
        training (validation), the mean task loss over the labeled rows of the batch.

        Parameters
        ----------
        y_pred : Tensor or tuple of Tensor
            :meth:`infer`'s output for the batch: ``(output, feature, *extra)``.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` / NaN for masked rows).
        X : dict of str to Tensor, default=None
            The batch dict (``X["sample_domain"]`` tells source from target rows).
        training : bool, default=False
            Whether the loss is for a training step.

        Returns
        -------
        loss : Tensor
            The scalar loss.
        """
        out = y_pred[0] if isinstance(y_pred, tuple) else y_pred
        y_cpu = y_true
        labeled_cpu = self._labeled(y_cpu)
        dev = out.device
        rows = self._row_task_loss(out, y_cpu.to(dev, non_blocking=True))
        if not training:
            w = labeled_cpu.to(dev, dtype=rows.dtype)
            return (rows * w).sum() / max(int(labeled_cpu.sum()), 1)
        sd = X["sample_domain"]
        b = _BatchMasks(sd, labeled_cpu, dev, rows.dtype)
        task = self.task_loss(rows, b, y_pred, y_cpu, X)
        self._log_term("train_loss_task", task)
        loss = task
        if b.n_source and b.n_target and self.has_target_:
            adapt = self.adaptation_loss(y_pred, y_cpu, b, X)
            if adapt is not None:
                loss = loss + adapt
        self._train_step_count += 1
        return loss

    def task_loss(self, rows, b, y_pred, y_cpu, X):
        r"""Task term of a training batch: the mean loss of its labeled rows, per domain.

        .. math::

            \mathcal{L}_{\mathrm{CLF}} = \mathbb{E}_{(x_s, y_s) \sim S}[\ell(C(F(x_s)), y_s)]
            + \mathbb{E}_{(x_l, y_l) \sim T_L}[\ell(C(F(x_l)), y_l)],

        each expectation the mean over its own rows of the batch (the second one skipped
        when the batch has no labeled target row).

        Parameters
        ----------
        rows : Tensor of shape (n_rows,)
            Per-row task loss :math:`\ell(C(F(x_i)), y_i)` on the device (masked rows
            hold a value computed on a placeholder label; they get weight 0).
        b : object
            The batch's row groups: float masks on the device ``w_source``,
            ``w_target``, ``w_source_labeled``, ``w_target_labeled``, host boolean masks
            ``source_cpu``, ``target_cpu``, ``labeled_cpu``, their counts (host ints)
            ``n_source``, ``n_target``, ``n_source_labeled``, ``n_target_labeled``, and
            ``device``.
        y_pred : tuple of Tensor
            :meth:`infer`'s output for the batch: ``(output, feature, *extra)``.
        y_cpu : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` / NaN for masked rows).
        X : dict of str to Tensor
            The batch dict (``"X"``, ``"sample_domain"`` and the extras).

        Returns
        -------
        loss : Tensor
            The scalar :math:`\mathcal{L}_{\mathrm{CLF}}`.
        """
        loss = (rows * b.w_source_labeled).sum() / max(b.n_source_labeled, 1)
        if b.n_target_labeled:
            loss = loss + (rows * b.w_target_labeled).sum() / b.n_target_labeled
        return loss

    def adaptation_loss(self, y_pred, y_cpu, b, X):
        r"""The method's adaptation term :math:`\mathcal{L}_{\mathrm{DA}}` for a batch with both domains.

        The base net adapts nothing; a method overrides this hook. It is called on
        training batches holding source and target rows only.

        Parameters
        ----------
        y_pred : tuple of Tensor
            :meth:`infer`'s output for the batch: ``(output, feature, *extra)``.
        y_cpu : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` / NaN for masked rows).
        b : object
            The batch's row groups: float masks on the device ``w_source``,
            ``w_target``, ``w_source_labeled``, ``w_target_labeled``, host boolean masks
            ``source_cpu``, ``target_cpu``, ``labeled_cpu``, their counts (host ints)
            ``n_source``, ``n_target``, ``n_source_labeled``, ``n_target_labeled``, and
            ``device``.
        X : dict of str to Tensor
            The batch dict (``"X"``, ``"sample_domain"`` and the extras).

        Returns
        -------
        loss : Tensor or None
            The scalar term added to the task loss; ``None`` (here) adds nothing.
        """
        return None

    def progress(self):
        r"""Training progress ``p`` in ``[0, 1]``: batches seen / (``max_epochs`` x batches per epoch).

        Returns
        -------
        p : float
            The progress, the argument of schedules such as DANN's :math:`\lambda_p`.
        """
        total = max(self.max_epochs * getattr(self, "_batches_per_epoch", 1), 1)
        return min(self._train_step_count / total, 1.0)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Write the loss terms of the epoch's batches to ``history`` (batch values and epoch means).

        Parameters
        ----------
        net : DomainNet
            The net (skorch's callback signature: ``self``).
        dataset_train : Dataset, default=None
            The training rows.
        dataset_valid : Dataset, default=None
            The validation rows (``None`` without a ``train_split``).
        **kwargs : dict
            Further arguments of skorch's ``on_epoch_end``.
        """
        super().on_epoch_end(net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs)
        terms, self._terms = getattr(self, "_terms", {}), {}
        batches = self.history[-1]["batches"]
        for name, values in terms.items():
            if torch.is_tensor(values[0]):
                values = torch.stack(values).float().cpu().tolist()
            for row, v in zip(batches, values):
                row[name] = float(v)
            self.history.record(name, float(np.mean(values)))

    # ------------------------------------------------------------------ prediction
    def _validate_X(self, X):
        check_is_fitted(self, "n_features_in_")
        if isinstance(X, torch.utils.data.Dataset):  # skorch's scoring callbacks pass datasets
            return X
        return validate_data(self, X, reset=False, dtype=np.float32)

    def forward_iter(self, X, training=False, device="cpu"):
        """Forward the batches of ``X`` (skorch's ``forward_iter``, ``device="auto"`` resolved).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or Dataset
            Rows, each treated as a target-domain row.
        training : bool, default=False
            Forward in training mode (dropout on, gradients kept).
        device : str, default="cpu"
            Device the outputs are moved to.

        Yields
        ------
        out : tuple of Tensor
            :meth:`infer`'s output for each batch, in row order.
        """
        with self._on_device():
            yield from super().forward_iter(X, training=training, device=device)

    def embed(self, X):
        """Features ``F(x)`` of the rows of ``X`` (the feature layer), as a numpy array.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows (each treated as a target-domain row).

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features_out)
            Features, one row per input row, in input order.
        """
        X = self._validate_X(X)
        if not self.has_feature_:
            raise ValueError("The module returns no features: name its feature layer with feature_layer=.")
        return np.concatenate([to_numpy(out[1]) for out in self.forward_iter(X)])

    def __setstate__(self, state):
        requested = state.get("device")
        state["device"] = _resolve_device(requested)
        super().__setstate__(state)
        vars(self)["device"] = requested

    def load_params(self, *args, **kwargs):
        """Load saved parameters (skorch's ``load_params``, ``device="auto"`` resolved).

        Parameters
        ----------
        *args : tuple
            Positional arguments of skorch's ``load_params`` (``f_params``, ...).
        **kwargs : dict
            Keyword arguments of skorch's ``load_params`` (``f_params``,
            ``f_optimizer``, ``f_criterion``, ``f_history``, ``checkpoint``, ...).

        Returns
        -------
        None
            What skorch's ``load_params`` returns (nothing): the net is changed in place.
        """
        with self._on_device():
            return super().load_params(*args, **kwargs)

    def set_fit_request(self, **kwargs):
        """Request metadata for ``fit`` under scikit-learn's metadata routing (skorch's method).

        ``sample_domain`` is requested by default; this changes the request or adds others.

        Parameters
        ----------
        **kwargs : dict
            ``param_name=alias`` with alias ``True``, ``False``, ``None`` or a string.

        Returns
        -------
        self : object
            The net.
        """
        return super().set_fit_request(**kwargs)

    def set_partial_fit_request(self, **kwargs):
        """Request metadata for ``partial_fit`` under scikit-learn's metadata routing.

        Parameters
        ----------
        **kwargs : dict
            ``param_name=alias`` with alias ``True``, ``False``, ``None`` or a string.

        Returns
        -------
        self : object
            The net.
        """
        return super().set_partial_fit_request(**kwargs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.target_tags.required = True
        return tags


def labeled_score(net, X, y):
    """Accuracy (classifier) or R² (regressor) on the labeled rows, for skorch's ``EpochScoring``.

    skorch's scoring callbacks pass the validation dataset and the *encoded* labels of
    its batches (``-1`` / NaN for masked rows); this decodes them and ignores masked rows:
    ``EpochScoring(labeled_score, name="valid_acc", lower_is_better=False)``.

    Parameters
    ----------
    net : DomainNet
        The net being trained.
    X : DomainDataset or array-like
        Rows to score.
    y : array-like of shape (n_samples,)
        Encoded labels, as skorch collects them from the batches.

    Returns
    -------
    score : float
        The score over the labeled rows (NaN when there is none).
    """
    from .._base import task_score

    y = np.asarray(y)
    task = net._task
    keep = ~np.isnan(y) if task == "regression" else y >= 0
    if not keep.any():
        return float("nan")
    pred = np.asarray(net.predict(X))[keep]
    y_true = y[keep] if task == "regression" else net.classes_[y[keep].astype(int)]
    return task_score(y_true, pred, task)


class _BatchMasks:
    """Float masks of a batch's row groups on the device, and their counts (host ints, no sync)."""

    def __init__(self, sd, labeled, device, dtype):
        src = sd >= 0
        tgt = ~src
        self.n_source, self.n_target = int(src.sum()), int(tgt.sum())
        self.n_source_labeled = int((src & labeled).sum())
        self.n_target_labeled = int((tgt & labeled).sum())
        self.source_cpu, self.target_cpu, self.labeled_cpu = src, tgt, labeled

        def put(mask):
            return mask.to(device=device, dtype=dtype, non_blocking=True)

        self.w_source, self.w_target = put(src), put(tgt)
        self.w_source_labeled = put(src & labeled)
        self.w_target_labeled = put(tgt & labeled)
        self.device = device


class DomainClassifierMixin(ClassifierMixin):
    """Classifier flavour: ``classes_`` from the labeled rows, any label values, softmax outputs."""

    _task = "classification"
    _default_criterion = torch.nn.CrossEntropyLoss

    def _n_outputs(self):
        return len(self.classes_)

    def _encode_y(self, y, labeled, reset):
        if reset:
            self.classes_ = np.unique(y[labeled])
        enc = np.full(y.shape[0], -1, dtype=np.int64)
        if labeled.any():
            lab = y[labeled]
            pos = np.searchsorted(self.classes_, lab)
            pos = np.clip(pos, 0, len(self.classes_) - 1)
            unknown = self.classes_[pos] != lab
            if unknown.any():
                raise ValueError(
                    f"y holds labels unseen in the first fit: {np.unique(lab[unknown])!r}; "
                    f"classes_ are {self.classes_!r}."
                )
            enc[labeled] = pos
        return torch.as_tensor(enc)

    def _labeled(self, y):
        return y >= 0

    def _row_task_loss(self, out, y):
        return self.criterion_(out, y.clamp_min(0))

    def _get_predict_nonlinearity(self):
        return lambda z: torch.softmax(z, dim=1)

    def predict_proba(self, X):
        """Class probabilities (softmax of the head's logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows (each treated as a target-domain row).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``, rows in input order.
        """
        X = self._validate_X(X)
        return NeuralNet.predict_proba(self, X)

    def predict(self, X):
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows (each treated as a target-domain row).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``, in input order.
        """
        check_is_fitted(self, "n_features_in_")
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy on the labeled rows of ``y`` (masked rows ignored).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` marks unlabeled rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            Accuracy over the labeled rows.
        """
        return masked_score(self, "classification", self._validate_X(X), y, sample_weight)


class DomainRegressorMixin(RegressorMixin):
    """Regressor flavour: one output, squared error, NaN-masked targets."""

    _task = "regression"
    _default_criterion = torch.nn.MSELoss

    def _n_outputs(self):
        return 1

    def _encode_y(self, y, labeled, reset):
        return torch.as_tensor(np.asarray(y, dtype=np.float32))

    def _labeled(self, y):
        return ~torch.isnan(y)

    def _row_task_loss(self, out, y):
        out = out.reshape(out.shape[0], -1)[:, 0]
        return self.criterion_(out, torch.nan_to_num(y, nan=0.0))

    def _get_predict_nonlinearity(self):
        return lambda z: z

    @available_if(lambda self: False)
    def predict_proba(self, X):
        """Not available for a regressor (use ``predict``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Unused: accessing the method raises ``AttributeError``.
        """

    def predict(self, X):
        """Predicted values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows (each treated as a target-domain row).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions, in input order.
        """
        X = self._validate_X(X)
        out = NeuralNet.predict_proba(self, X)
        return out.reshape(out.shape[0], -1)[:, 0].astype(np.float64)

    def score(self, X, y, sample_weight=None):
        """R² on the labeled rows of ``y`` (NaN rows ignored).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        y : array-like of shape (n_samples,)
            Targets; NaN marks unlabeled rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            R² over the labeled rows.
        """
        return masked_score(self, "regression", self._validate_X(X), y, sample_weight)
