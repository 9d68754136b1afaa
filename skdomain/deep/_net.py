"""The domain-aware skorch net: the domain contract, seeded balanced training, the loss hooks."""

import math
import os
import sys
import textwrap
import warnings
from collections.abc import Mapping
from contextlib import contextmanager, suppress
from numbers import Integral, Real

import numpy as np
import skorch
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet
from skorch.dataset import get_len, unpack_data
from skorch.history import History
from skorch.utils import TeeGenerator, to_numpy, to_tensor

from .._base import DomainRequestMixin
from ..exceptions import DivergenceWarning, TrainingDivergedError
from ..utils._domains import DomainWarning, check_domains
from ._batch import DomainBatch
from ._data import BalancedDomainBatches, DomainBatches, DomainDataset, labeled_rows
from ._modules import DomainMLP, FeatureHook, check_hidden_units, flatten_features

__all__ = ["DomainNet"]


def _no_flavour(net):
    return NotImplementedError(
        f"{type(net).__name__} has no task flavour: mix in DomainClassifierMixin or DomainRegressorMixin."
    )


def _resolve_device(device):
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


# The exploding-loss rule (DivergenceWarning): an epoch's mean training loss above
# EXPLODE_RATIO times the loss of the call's first batch, that loss taken as at least
# EXPLODE_FLOOR (so a warm, near-zero loss does not make ordinary noise look explosive).
EXPLODE_RATIO = 1e4
EXPLODE_FLOOR = 1.0

# What the logged terms are, for the divergence message (other names are shown as logged).
_TERM_NAMES = {
    "train_loss": "the total loss",
    "train_loss_task": "the task term",
    "train_loss_adv": "the discriminator's term",
    "train_loss_mmd": "the MMD term",
    "train_loss_coral": "the CORAL term",
    "train_loss_ce": "the cross-entropy term",
    "train_loss_kd": "the distillation (KD) term",
    "omega_mean": "the gate's weights",
}

_REMEDIES = (
    "lower lr (now {lr!r}), standardise the inputs (e.g. sklearn.preprocessing.StandardScaler "
    "in a Pipeline), or clip the gradients with skorch's GradientNormClipping callback "
    "(callbacks=[skorch.callbacks.GradientNormClipping(1.0)])"
)


def _to_host(parts):
    """Move device tensors to the host in one transfer: a list of floats per tensor (flattened)."""
    if not parts:
        return []
    dev = parts[-1].device
    flat = torch.cat([p.reshape(-1).to(dev) for p in parts]).tolist()  # one device read
    out, pos = [], 0
    for p in parts:
        out.append(flat[pos : pos + p.numel()])
        pos += p.numel()
    return out


def _reads_batches(cb):
    """Whether callback ``cb`` may read the history's per-batch values during an epoch.

    A callback that overrides neither ``on_batch_begin`` nor ``on_batch_end`` reads them,
    if at all, at the epoch's end (skorch's scoring and logging callbacks); skorch's
    ``LRScheduler`` reads them during the epoch only as ``ReduceLROnPlateau`` stepped per
    batch. Any other batch hook is assumed to read them.
    """
    kind = type(cb)
    base = skorch.callbacks.Callback
    if kind.on_batch_begin is base.on_batch_begin and kind.on_batch_end is base.on_batch_end:
        return False
    if isinstance(cb, skorch.callbacks.LRScheduler):
        plateau = getattr(cb, "lr_scheduler_", None)
        return cb.step_every == "batch" and isinstance(plateau, torch.optim.lr_scheduler.ReduceLROnPlateau)
    return True


def _outside_stacklevel():
    """Return the ``stacklevel`` of the first frame outside skdomain and skorch, from the caller's frame."""
    prefixes = tuple(os.path.dirname(m.__file__) + os.sep for m in (sys.modules["skdomain"], skorch))
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(prefixes):
        level, frame = level + 1, frame.f_back
    return level


_MODULE_PARAM_DOC = r"""module : torch module class or instance, default=DomainMLP
    The network ``C(F(x))``. Its ``forward`` returns ``(output, features)``, or only
    the output when ``feature_layer`` names the submodule whose output is ``F(x)``.
    The default MLP takes ``module__hidden_units`` (default ``(64, 128, 64)``) and
    ``module__dropout``; its input / output widths come from the data.
"""

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

    The loss hooks share one signature, ``hook(y_pred, y_true, X, batch)``: the
    output of :meth:`infer`, the encoded labels (host), the batch dict, and a
    :class:`DomainBatch` (row groups, their counts and float masks, the per-row task
    loss, and a ``cache`` for tensors one hook computes and another reads). The
    project's contributor guide (``CONTRIBUTING.md``, "The hook contract of the deep
    nets") lists every hook a method may override.

    Parameters
    ----------
"""
        + textwrap.indent(_MODULE_PARAM_DOC + _NET_PARAMS_DOC, "    ")
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
        terms; ``valid_loss`` with a ``train_split``. Every training term is watched: a
        NaN or infinite one stops the fit with
        :class:`~skdomain.exceptions.TrainingDivergedError`.

    Examples
    --------
    A method is a subclass that returns its adaptation term for a batch with both
    domains, here the squared distance between the domains' mean features:

    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import DomainClassifierMixin, DomainNet
    >>> class MeanMatching(DomainClassifierMixin, DomainNet):
    ...     def adaptation_loss(self, y_pred, y_true, X, batch):
    ...         Z = y_pred[1]
    ...         mean_s = (Z * batch.w_source[:, None]).sum(0) / batch.n_source
    ...         mean_t = (Z * batch.w_target[:, None]).sum(0) / batch.n_target
    ...         return ((mean_s - mean_t) ** 2).sum()
    >>> X, y, sd = make_domain_shift(100, 100, random_state=0)
    >>> net = MeanMatching(max_epochs=2, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
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
        """Return skorch's parameter names, without its private bookkeeping (``_params_to_validate``)."""
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def _check_own_params(self):
        names = {}
        for cls in reversed(type(self).__mro__):
            names.update(getattr(cls, "_parameter_constraints", {}))
        params = {k: getattr(self, k) for k in names if k in vars(self)}
        validate_parameter_constraints(names, params, caller_name=type(self).__name__)
        self._check_mlp_params("module", DomainMLP)

    def _check_mlp_params(self, prefix, mlp):
        """Check ``<prefix>__hidden_units`` when the module ``<prefix>`` is built from the class ``mlp``."""
        cls = getattr(self, prefix)
        kwargs = self.get_params_for(prefix)
        if isinstance(cls, type) and issubclass(cls, mlp) and "hidden_units" in kwargs:
            check_hidden_units(kwargs["hidden_units"], name=f"{prefix}__hidden_units")

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
        """Build the method's further modules (e.g. a discriminator): a hook for subclasses."""

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
        with torch.no_grad(), self._hooked():
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

    def _hooked_layers(self):
        """Names of the submodules read through forward hooks (``feature_layer``, extra layers)."""
        names = [self.feature_layer, *self._extra_layers()]
        return [n for n in names if n is not None and n != "output"]

    @contextmanager
    def _hooked(self):
        """Register the forward hooks of the hooked layers once, for a whole fit or prediction.

        Nested uses share the hooks; they are removed when the outermost use ends.
        """
        names = self._hooked_layers()
        if not names or getattr(self, "_hook", None) is not None:
            yield
            return
        self._hook = FeatureHook(self.module_, names)
        try:
            yield
        finally:
            self._hook.remove()
            self._hook = None

    def _forward_module(self, X):
        """``(output, feature, *extra)`` of the module on a tensor ``X``.

        The feature is the module's second output, or the output of the submodule
        named by ``feature_layer`` (a forward hook); it is absent when neither exists.
        Extra layers (``_extra_layers``) are hooked submodules, or ``"output"``. The
        hooks are those of the running fit or prediction (:meth:`_hooked`); a forward
        outside one registers them for this call only.
        """
        hook = getattr(self, "_hook", None)
        if hook is None and self._hooked_layers():
            with self._hooked():
                return self._forward_module(X)
        extra = self._extra_layers()
        out = self.module_(X)
        taken = {} if hook is None else hook.take()
        if isinstance(out, (tuple, list)):
            out, feats = out[0], [flatten_features(f) for f in out[1:2]]
        else:
            feats = []
        if self.feature_layer is not None:
            feats = [flatten_features(taken[self.feature_layer])]
        more = [out if n == "output" else flatten_features(taken[n]) for n in extra]
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
        """Build a :class:`DomainDataset` (prediction data are all target rows).

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

    def _encode_y(self, y, labeled, reset):
        """Encode the labels as a tensor (the flavour mixins implement it)."""
        raise _no_flavour(self)

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
        """Further per-row tensors for the dataset (soft targets, ...), from the checked ``data``."""
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
            self._start_watch()
            try:
                with self._hooked():
                    NeuralNet.partial_fit(self, dataset, None, _routing_method="fit")
            finally:
                self._stop_watch()
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

        Raises
        ------
        TrainingDivergedError
            At the end of an epoch in which a loss term became NaN or infinite; the net
            keeps that epoch's weights and its history but is not fitted (see
            :class:`~skdomain.exceptions.TrainingDivergedError`).

        Warns
        -----
        DivergenceWarning
            Once, at the end of the first epoch whose mean loss exceeds ``1e4`` times the
            first batch's loss (taken as at least 1): the loss is exploding.
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

        Raises
        ------
        TrainingDivergedError
            When a loss term becomes NaN or infinite, as in :meth:`fit`.

        Warns
        -----
        DivergenceWarning
            When the loss explodes, as in :meth:`fit`.
        """
        return self._fit(X, y, sample_domain, reset=not self.initialized_)

    # ------------------------------------------------------------------ losses

    def _row_task_loss(self, out, y):
        """Per-row task loss, masked rows filled with a harmless label (the flavour mixins implement it)."""
        raise _no_flavour(self)

    def _log_term(self, name, value):
        """Keep a loss term of this batch (written to ``history`` at the epoch's end, one sync).

        The term is also watched: a NaN or infinite value stops the fit at the epoch's end
        (:class:`~skdomain.exceptions.TrainingDivergedError`). Keeping it costs no device
        work (a detached view); its finiteness is read from the batch values that reach the
        host at the epoch's end anyway.
        """
        value = value.detach() if torch.is_tensor(value) else value
        self._terms.setdefault(name, []).append(value)

    # ------------------------------------------------------------------ divergence
    def _start_watch(self):
        """Reset the divergence watch at the start of a fit / partial_fit call."""
        self._diverged = None
        self._watching = True
        vars(self).pop("_epoch_read", None)
        self._losses = []
        self._loss_first = None
        self._explode_warned = False

    def _stop_watch(self):
        """Drop the device tensors of the watch (and of an interrupted epoch's terms) after a call."""
        self._terms = {}
        self._watching = False
        vars(self).pop("_epoch_read", None)
        self._losses = []
        self._loss_first = None

    def _watch_loss(self, loss):
        """Keep the total loss of a training batch (a detached view: no device work, no sync)."""
        if getattr(self, "_watching", False):  # not for a loss computed outside a fit
            self._losses.append(loss.detach())

    def _check_epoch(self, flags, first, mean):
        """Raise when a term of the epoch was not finite; warn (once per call) when the loss explodes.

        ``flags`` maps each watched term to whether all its batch values were finite,
        ``first`` is the loss of the call's first batch, ``mean`` the epoch's mean loss
        (host floats, ``None`` without a training batch).
        """
        epoch = self.history[-1]["epoch"]
        name = type(self).__name__
        bad = sorted((n for n, ok in flags.items() if not ok), key=lambda n: n != "train_loss")
        if bad:
            named = [f"{_TERM_NAMES[n]} ({n})" if n in _TERM_NAMES else n for n in bad]
            terms = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
            self._diverged = f"training diverged at epoch {epoch}: {terms} became NaN or infinite"
            raise TrainingDivergedError(
                f"{name}: {self._diverged} (the batch values are in history[-1]['batches']). Try a "
                + _REMEDIES.format(lr=self.lr)
                + ". The modules hold the weights of that epoch and the net is not fitted: "
                "predict raises NotFittedError until a fit or partial_fit completes."
            )
        if self._explode_warned or first is None or mean is None:
            return
        ratio = abs(mean) / max(abs(first), EXPLODE_FLOOR)
        if ratio > EXPLODE_RATIO:
            self._explode_warned = True
            warnings.warn(
                f"{name}: the training loss is exploding: the mean loss of epoch {epoch} ({mean:.3g}) is "
                f"{ratio:.3g} times the loss of the first batch ({first:.3g}, taken as at least "
                f"{EXPLODE_FLOOR:g}; the rule warns above {EXPLODE_RATIO:g} times). Try a "
                + _REMEDIES.format(lr=self.lr)
                + ". Training goes on; a NaN or infinite loss raises TrainingDivergedError.",
                DivergenceWarning,
                stacklevel=_outside_stacklevel(),
            )

    def get_loss(self, y_pred, y_true, X=None, training=False):
        r"""Task loss over labeled rows, plus the adaptation term when training.

        In training, the loss of a batch is

        .. math::

            \mathcal{L} = \mathcal{L}_{\mathrm{CLF}} + \mathcal{L}_{\mathrm{DA}},

        :math:`\mathcal{L}_{\mathrm{CLF}}` from :meth:`task_loss` and
        :math:`\mathcal{L}_{\mathrm{DA}}` from :meth:`adaptation_loss`, the latter only
        on a batch holding source and target rows of a fit with target rows. Both hooks
        receive ``(y_pred, y_true, X, batch)``, ``batch`` the :class:`DomainBatch` built
        here (with the per-row task loss). Outside training (validation), the mean task
        loss over the labeled rows of the batch.

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
        rows, labeled_cpu = self._row_losses(y_pred, y_true)
        if not training:
            w = labeled_cpu.to(rows.device, dtype=rows.dtype)
            return (rows * w).sum() / max(int(labeled_cpu.sum()), 1)
        batch = DomainBatch(X["sample_domain"], labeled_cpu, rows.device, rows.dtype, row_loss=rows)
        task = self.task_loss(y_pred, y_true, X, batch)
        self._log_term("train_loss_task", task)
        loss = task
        if batch.n_source and batch.n_target and self.has_target_:
            adapt = self.adaptation_loss(y_pred, y_true, X, batch)
            if adapt is not None:
                loss = loss + adapt
        self._watch_loss(loss)
        return loss

    def _row_losses(self, y_pred, y_true):
        """Per-row task loss on the device, and the host mask of the labeled rows."""
        out = y_pred[0] if isinstance(y_pred, tuple) else y_pred
        labeled_cpu = labeled_rows(y_true, self._task)
        rows = self._row_task_loss(out, y_true.to(out.device, non_blocking=True))
        return rows, labeled_cpu

    # ------------------------------------------------------------------ training step
    def step_phases(self):
        """Return the phases of one training step; ``None`` (here) is skorch's single step.

        A method with several optimizers or alternating updates (ADDA, GTA, domain
        confusion) returns a sequence of ``(name, optimizers)``: for each phase, in
        order, :meth:`train_step` zeroes the gradients of every optimizer, forwards the
        batch anew (so a phase sees the weights the previous phases stepped), computes
        the phase's loss, back-propagates it and steps only the optimizers named (by
        their skorch names, e.g. ``"optimizer"`` for ``optimizer_``; the method builds the
        others in ``initialize_optimizer``). The phase named ``"main"`` computes
        :meth:`get_loss` (the loss hooks, as in a plain step); any other phase computes
        :meth:`phase_loss`, logged as ``train_loss_<name>`` (so it is watched for
        divergence). The step's ``loss`` (skorch's ``train_loss``) is that of the
        ``"main"`` phase, or of the last phase when none is named ``"main"``.
        Optimizers that need a closure (LBFGS) work in the single step only.

        Returns
        -------
        phases : sequence of (str, sequence of str) or None
            The phases, or ``None`` for skorch's step (one loss, every optimizer).
        """
        return None

    def phase_loss(self, name, y_pred, y_true, X, batch):
        """Compute the loss of a training phase other than ``"main"`` (see :meth:`step_phases`).

        Parameters
        ----------
        name : str
            The phase.
        y_pred : tuple of Tensor
            :meth:`infer`'s output for the batch in this phase.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` / NaN for masked rows).
        X : dict of str to Tensor
            The batch dict.
        batch : DomainBatch
            The batch's row groups and per-row task loss (a fresh one per phase).

        Returns
        -------
        loss : Tensor
            The scalar loss the phase back-propagates.
        """
        raise NotImplementedError(
            f"{type(self).__name__}.step_phases() names the phase {name!r}: implement phase_loss for it."
        )

    def train_step(self, batch, **fit_params):
        """Perform one training step on a batch: skorch's, or the phases of :meth:`step_phases`.

        Parameters
        ----------
        batch : tuple
            The batch ``(Xi, yi)`` from the training iterator.
        **fit_params : dict
            Passed on to :meth:`infer` (skorch's signature).

        Returns
        -------
        step : dict
            ``{"loss": loss, "y_pred": y_pred}`` of the step (of the ``"main"`` phase,
            or of the last phase).
        """
        phases = self.step_phases()
        if phases is None:
            return super().train_step(batch, **fit_params)
        steps = {}
        for name, optimizers in phases:
            steps[name] = self._train_phase(batch, name, optimizers, **fit_params)
        return steps.get("main", steps[name])

    def _train_phase(self, batch, name, optimizers, **fit_params):
        """Run one phase of a training step: zero every gradient, forward, backward, step ``optimizers``."""
        missing = [o for o in optimizers if o not in self._optimizers]
        if missing:
            raise ValueError(
                f"{type(self).__name__}.step_phases(): phase {name!r} names optimizers {missing!r}, but the "
                f"net has {list(self._optimizers)!r} (build them in initialize_optimizer)."
            )
        self._set_training(True)
        self._zero_grad_optimizer()
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        if name == "main":
            loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        else:
            rows, labeled_cpu = self._row_losses(y_pred, yi)
            domains = DomainBatch(Xi["sample_domain"], labeled_cpu, rows.device, rows.dtype, row_loss=rows)
            loss = self.phase_loss(name, y_pred, yi, Xi, domains)
            self._log_term(f"train_loss_{name}", loss)
        loss.backward()
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
            training=True,
        )
        for opt in optimizers:
            getattr(self, opt + "_").step()
        return {"loss": loss, "y_pred": y_pred}

    def task_loss(self, y_pred, y_true, X, batch):
        r"""Task term of a training batch: the mean loss of its labeled rows, per domain.

        .. math::

            \mathcal{L}_{\mathrm{CLF}} = \mathbb{E}_{(x_s, y_s) \sim S}[\ell(C(F(x_s)), y_s)]
            + \mathbb{E}_{(x_l, y_l) \sim T_L}[\ell(C(F(x_l)), y_l)],

        each expectation the mean over its own rows of the batch (the second one skipped
        when the batch has no labeled target row), :math:`\ell` the per-row loss
        ``batch.row_loss``.

        Parameters
        ----------
        y_pred : tuple of Tensor
            :meth:`infer`'s output for the batch: ``(output, feature, *extra)``.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` / NaN for masked rows).
        X : dict of str to Tensor
            The batch dict (``"X"``, ``"sample_domain"`` and the extras).
        batch : DomainBatch
            The batch's row groups (host masks and counts, float masks on the device),
            its per-row task loss ``batch.row_loss`` and the hooks' shared ``batch.cache``.

        Returns
        -------
        loss : Tensor
            The scalar :math:`\mathcal{L}_{\mathrm{CLF}}`.
        """
        loss = batch.mean(batch.row_loss, "source_labeled")
        if batch.n_target_labeled:
            loss = loss + batch.mean(batch.row_loss, "target_labeled")
        return loss

    def adaptation_loss(self, y_pred, y_true, X, batch):
        r"""Compute the adaptation term :math:`\mathcal{L}_{\mathrm{DA}}` of a batch with both domains.

        The base net adapts nothing; a method overrides this hook. It is called on
        training batches holding source and target rows only, after :meth:`task_loss`
        on the same ``batch``.

        Parameters
        ----------
        y_pred : tuple of Tensor
            :meth:`infer`'s output for the batch: ``(output, feature, *extra)``.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` / NaN for masked rows).
        X : dict of str to Tensor
            The batch dict (``"X"``, ``"sample_domain"`` and the extras).
        batch : DomainBatch
            The batch's row groups (host masks and counts, float masks on the device),
            its per-row task loss ``batch.row_loss`` and the hooks' shared ``batch.cache``.

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

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        """Count the training steps (the progress ``p`` of :meth:`progress`), as skorch's LRScheduler does.

        Parameters
        ----------
        net : DomainNet
            The net (skorch's callback signature: ``self``).
        batch : tuple, default=None
            The batch ``(Xi, yi)``.
        training : bool, default=False
            Whether the batch was a training step (only those are counted).
        **kwargs : dict
            Further arguments of skorch's ``on_batch_end`` (``loss``, ``y_pred``).
        """
        super().on_batch_end(net, batch=batch, training=training, **kwargs)
        if training:
            self._train_step_count += 1

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
        # the terms were read with the batch losses at the end of the training pass (one read per
        # epoch); only terms logged after it, if any, are read here
        terms, losses = vars(self).pop("_epoch_read", None) or ({}, [])
        if getattr(self, "_terms", None) or getattr(self, "_losses", None):
            more, more_losses, _ = self._read_terms()
            for name, values in more.items():
                terms[name] = terms.get(name, []) + values
            losses = losses + more_losses
        batches = self.history[-1]["batches"]
        for name, values in terms.items():
            for row, v in zip(batches, values):
                row[name] = float(v)
            self.history.record(name, float(np.mean(values)))
        if not getattr(self, "_watching", False):
            return
        flags = {name: all(math.isfinite(float(v)) for v in values) for name, values in terms.items()}
        if losses:
            flags["train_loss"] = all(map(math.isfinite, losses))
            if self._loss_first is None:
                self._loss_first = losses[0]  # the call's first batch
        mean = math.fsum(losses) / len(losses) if losses and flags["train_loss"] else None
        self._check_epoch(flags, self._loss_first, mean)

    def _read_terms(self, extra=None):
        """Take the epoch's logged terms and watched losses off the net and read them in one transfer.

        ``extra`` is a further list of scalar tensors read in the same transfer (the
        batches' step losses), returned as host floats with their dtype's exact value.
        The divergence watch then reads finiteness on the host: it adds no device work.
        """
        terms, self._terms = getattr(self, "_terms", {}), {}
        losses, self._losses = getattr(self, "_losses", []), []
        tensor_terms = [n for n, v in terms.items() if torch.is_tensor(v[0])]
        parts = [torch.stack(terms[n]).float() for n in tensor_terms]
        if losses:
            parts.append(torch.stack(losses).float())
        if extra:
            parts.append(torch.stack(extra))  # not cast: the values skorch's loss.item() would give
        host = iter(_to_host(parts))
        for name in tensor_terms:
            terms[name] = next(host)
        losses = next(host) if losses else []
        return terms, losses, (next(host) if extra else [])

    def _defers_batch_reads(self):
        """Whether the per-batch losses may wait on the device until the epoch's end.

        Not when a callback (or a subclass's own batch hook) may read the history's
        per-batch values during the epoch (:func:`_reads_batches`), nor with a history
        other than skorch's ``History`` (``DistributedHistory`` records through a store):
        skorch's loop then reads each batch's loss as it ends.
        """
        if type(self.history) is not History:  # e.g. skorch's DistributedHistory writes through a store
            return False
        if type(self).on_batch_begin is not NeuralNet.on_batch_begin:
            return False
        if type(self).on_batch_end is not DomainNet.on_batch_end:
            return False
        return not any(_reads_batches(cb) for _, cb in getattr(self, "callbacks_", []))

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """Run one training or validation pass (skorch's), reading the batch losses once at its end.

        skorch's loop reads ``step["loss"].item()`` after every batch: on a GPU each read
        waits for the queued work. Here the batch losses stay on the device and reach the
        host in one transfer when the pass ends (with the logged terms, for training), and
        are written to the batches' ``<prefix>_loss`` before ``on_epoch_end`` (skorch's
        ``PassthroughScoring`` and the loggers read them there); the history holds the same
        keys, in the same order, with the same values. When a callback may read per-batch
        values during the epoch (a batch hook other than skorch's ``LRScheduler`` without
        per-batch ``ReduceLROnPlateau``), skorch's loop runs unchanged.

        Parameters
        ----------
        iterator : iterable or None
            The batches; ``None`` skips the pass.
        training : bool
            Whether the pass trains.
        prefix : str
            ``"train"`` or ``"valid"``: the prefix of the history keys.
        step_fn : callable
            The step of one batch (:meth:`train_step` or ``validation_step``).
        **fit_params : dict
            Passed on to ``step_fn``.
        """
        if iterator is None or not self._defers_batch_reads():
            super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
            return
        key, losses, rows = prefix + "_loss", [], []
        try:
            for batch in iterator:
                self.notify("on_batch_begin", batch=batch, training=training)
                step = step_fn(batch, **fit_params)
                losses.append(step["loss"].detach())
                self.history.record_batch(key, None)  # its value is written when the pass ends
                rows.append(self.history[-1]["batches"][-1])
                size = get_len(batch[0]) if isinstance(batch, (tuple, list)) else get_len(batch)
                self.history.record_batch(prefix + "_batch_size", size)
                self.notify("on_batch_end", batch=batch, training=training, **step)
        except BaseException:
            with suppress(Exception):  # the batches done so far keep their values, as in skorch's loop
                for row, value in zip(rows, _to_host([torch.stack(losses)])[0] if losses else []):
                    row[key] = value
            raise
        if training and getattr(self, "_watching", False):
            terms, watched, values = self._read_terms(losses)
            self._epoch_read = (terms, watched)
        else:
            values = _to_host([torch.stack(losses)])[0] if losses else []
        for row, value in zip(rows, values):
            row[key] = value
        self.history.record(prefix + "_batch_count", len(rows))

    # ------------------------------------------------------------------ prediction
    def _check_not_diverged(self):
        diverged = getattr(self, "_diverged", None)
        if diverged is not None:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted: its last fit stopped with TrainingDivergedError "
                f"({diverged}). Fit it again (e.g. with a lower lr)."
            )

    def __sklearn_is_fitted__(self):
        """Return whether the net is fitted: initialised (skorch's rule) and not diverged.

        Returns
        -------
        fitted : bool
            ``False`` before a fit and after a fit that raised
            :class:`~skdomain.exceptions.TrainingDivergedError`.
        """
        return super().__sklearn_is_fitted__() and getattr(self, "_diverged", None) is None

    def _validate_X(self, X):
        check_is_fitted(self, "n_features_in_")
        self._check_not_diverged()
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
        with self._on_device(), self._hooked():
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

    def __getstate__(self):
        # a pickle taken during a fit (e.g. a checkpoint callback) leaves the module without
        # the fit's forward hooks; they are put back on this net afterwards
        hook = vars(self).get("_hook")
        if hook is None:
            return super().__getstate__()
        hook.remove()
        try:
            state = super().__getstate__()
        finally:
            self._hook = FeatureHook(self.module_, hook.names)
        state["_hook"] = None
        return state

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
            out = super().load_params(*args, **kwargs)
        if (
            (args and args[0] is not None)
            or kwargs.get("f_params") is not None
            or kwargs.get("checkpoint") is not None
        ):
            self._diverged = None  # saved weights replace those of a diverged fit
        return out

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
