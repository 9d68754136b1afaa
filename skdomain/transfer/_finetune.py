r"""Fine-tuning a pretrained network on a target task: a new head, frozen or slower lower layers."""

import textwrap
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit
from torch import nn

from ._features import check_pretrained_width
from ._pretrained import first_output, get_layer, layers, pretrained_module, replace_module, resolve_device

__all__ = ["FineTuningClassifier", "FineTuningRegressor"]


class _FineTuningNet(NeuralNet):
    """Base of the fine-tuning nets (a skorch ``NeuralNet`` built from a pretrained network)."""

    _parameter_constraints = {
        "pretrained": "no_validation",
        "head": [str, None],
        "freeze": [Interval(Integral, 0, None, closed="left"), StrOptions({"all"}), list, tuple],
        "lr_decay": [Interval(Real, 0, 1, closed="right"), None],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "cuda", "auto"}), torch.device],
    }
    _default_criterion = nn.CrossEntropyLoss

    def __init__(
        self,
        pretrained=None,
        *,
        head=None,
        freeze=0,
        lr_decay=None,
        criterion=None,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=20,
        batch_size=64,
        train_split=None,
        early_stopping=False,
        validation_fraction=0.2,
        patience=5,
        random_state=None,
        device="cpu",
        verbose=0,
        **kwargs,
    ):
        self.pretrained = pretrained  # before skorch's __init__: a torch module is a plain parameter here
        super().__init__(
            None,
            criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        del self.module  # the module is built from `pretrained`; no `module` parameter
        self.head = head
        self.freeze = freeze
        self.lr_decay = lr_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state

    # ------------------------------------------------------------------ set-up
    def __setattr__(self, name, attr):
        if name == "pretrained":  # a plain parameter (skorch would register a torch module as a component)
            object.__setattr__(self, name, attr)
            return
        super().__setattr__(name, attr)

    def _get_param_names(self):
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def _check_own_params(self):
        names = {}
        for cls in reversed(type(self).__mro__):
            names.update(getattr(cls, "_parameter_constraints", {}))
        params = {k: getattr(self, k) for k in names if k in vars(self)}
        validate_parameter_constraints(names, params, caller_name=type(self).__name__)

    def get_default_callbacks(self):
        """Skorch's default callbacks, and ``EarlyStopping`` on ``valid_loss`` when ``early_stopping``.

        Returns
        -------
        callbacks : list of (str, Callback)
            The default callbacks.
        """
        callbacks = list(super().get_default_callbacks())
        if self.early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(monitor="valid_loss", patience=self.patience, load_best=True),
                )
            )
        return callbacks

    def _seed(self):
        rng = check_random_state(self.random_state)
        return int(rng.randint(0, 2**31 - 1))

    @contextmanager
    def _fitting(self):
        """Resolve the device and the validation split, and seed torch (its global state restored)."""
        requested_device, requested_split = self.device, self.train_split
        seed = self._seed()
        vars(self)["device"] = resolve_device(requested_device)
        if self.early_stopping and requested_split is None:
            vars(self)["train_split"] = ValidSplit(
                self.validation_fraction, stratified=self._stratified, random_state=seed
            )
        devices = [torch.cuda.current_device()] if str(self.device).startswith("cuda") else []
        try:
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(seed)
                yield
        finally:
            vars(self)["device"], vars(self)["train_split"] = requested_device, requested_split

    @contextmanager
    def _predicting(self):
        requested = self.device
        vars(self)["device"] = resolve_device(requested)
        try:
            yield
        finally:
            vars(self)["device"] = requested

    def _frozen_layers(self, found):
        """Names of the frozen layers among ``found`` (the head excluded)."""
        names = [n for n, _ in found]
        if isinstance(self.freeze, str):  # "all"
            return names
        if isinstance(self.freeze, Integral):
            if self.freeze > len(names):
                raise ValueError(
                    f"freeze={self.freeze} but the pretrained network has {len(names)} layers below "
                    f"the head: {names}."
                )
            return names[: self.freeze]
        chosen = list(self.freeze)
        for name in chosen:
            if not isinstance(name, str) or name not in names:
                raise ValueError(
                    f"freeze names layers (modules with parameters, below the head); {name!r} is not "
                    f"one of {names}."
                )
        return chosen

    def initialize_module(self):
        """Copy the pretrained network, put a new head on it, freeze the chosen layers.

        Returns
        -------
        self : object
            The net, with ``module_`` (on ``device``), ``head_``, ``layers_`` and
            ``frozen_layers_``.
        """
        owner = type(self).__name__
        module = pretrained_module(self.pretrained, owner)
        found = layers(module)
        if not found:
            raise ValueError(f"{owner}: the pretrained network has no layer with parameters.")
        head = self.head if self.head is not None else found[-1][0]
        old = get_layer(module, head, owner)
        if not isinstance(old, nn.Linear):
            raise ValueError(
                f"{owner}: the head {head!r} must be a torch.nn.Linear (its in_features size the new "
                f"head); it is a {type(old).__name__}. Name the last Linear layer with head=..."
            )
        replace_module(module, head, nn.Linear(old.in_features, self._n_outputs()))
        below = [(n, mods) for n, mods in layers(module) if n != head and not n.startswith(head + ".")]
        frozen = self._frozen_layers(below)
        frozen_modules = [m for n, mods in below if n in frozen for m in mods]
        for m in frozen_modules:
            for p in m.parameters():
                p.requires_grad_(False)
        # eval mode: the frozen layers' modules, and every parameter-free module before the
        # first trainable layer (e.g. ReLU, Dropout): the frozen bottom is a fixed feature map
        eval_modules = {id(m): m for m in frozen_modules for m in m.modules()}
        trainable_ids = {id(m) for n, mods in below if n not in frozen for m in mods}
        trainable_ids.add(id(get_layer(module, head, owner)))
        for _, m in module.named_modules():
            if id(m) in trainable_ids:
                break
            if next(m.parameters(), None) is None and not list(m.children()):
                eval_modules[id(m)] = m
        self.module_ = module.to(self.device)
        self.head_ = head
        self.layers_ = [n for n, _ in below]
        self.frozen_layers_ = list(frozen)
        self._eval_modules = list(eval_modules.values())
        self._depth = self._param_depths(module, below, frozen, head)
        return self

    def _param_depths(self, module, below, frozen, head):
        """``{parameter: k}``: the head is 0, the trainable layer below it 1, and so on."""
        depth = {}
        for p in get_layer(module, head, type(self).__name__).parameters():
            depth[p] = 0
        k = 0
        for _, mods in reversed([(n, m) for n, m in below if n not in frozen]):
            k += 1
            for m in mods:
                for p in m.parameters(recurse=False):
                    depth.setdefault(p, k)
        return depth

    def initialize_criterion(self):
        """Build ``criterion_`` (``None``: cross-entropy for a classifier, squared error for a regressor).

        Returns
        -------
        self : object
            The net, with ``criterion_``.
        """
        criterion = self._default_criterion if self.criterion is None else self.criterion
        self.criterion_ = self.initialized_instance(criterion, self.get_params_for("criterion"))
        return self

    def get_all_learnable_params(self):
        """Yield the parameters that require a gradient (the frozen layers' stay out of the optimizer).

        Yields
        ------
        named_parameter : tuple of (str, Parameter)
            The name, as ``module_.named_parameters()`` gives it, and the parameter.
        """
        for name, p in super().get_all_learnable_params():
            if p.requires_grad:
                yield name, p

    def get_params_for_optimizer(self, prefix, named_parameters):
        r"""Return skorch's optimizer arguments; with ``lr_decay``, one group per trainable layer.

        The parameters that ``optimizer__param_groups`` leaves to the default group are
        split by layer: layer :math:`k` counted from the head (:math:`k = 0`) gets the
        learning rate :math:`\eta\, \gamma^k` (``lr * lr_decay ** k``).

        Parameters
        ----------
        prefix : str
            The optimizer's name (``"optimizer"``).
        named_parameters : iterable of (str, Parameter)
            The learnable parameters.

        Returns
        -------
        args : tuple
            ``(param_groups,)``.
        kwargs : dict
            The optimizer's keyword arguments (``lr`` included).
        """
        named = list(named_parameters)
        args, kwargs = super().get_params_for_optimizer(prefix, named)
        if self.lr_decay is None or prefix != "optimizer":
            return args, kwargs
        groups = list(args[0])
        if groups and "lr" not in {k for k in groups[-1] if k != "params"}:
            rest = groups.pop()["params"]
            by_depth = {}
            for p in rest:
                by_depth.setdefault(self._depth.get(p, 0), []).append(p)
            for k in sorted(by_depth):
                groups.append({"params": by_depth[k], "lr": kwargs["lr"] * float(self.lr_decay) ** k})
        return (groups,), kwargs

    def _set_training(self, training=True):
        super()._set_training(training)
        if training:
            for m in getattr(self, "_eval_modules", []):
                m.eval()

    def infer(self, x, **fit_params):
        """Return the network's output for a batch (the first output of a module that returns a tuple).

        Parameters
        ----------
        x : Tensor
            The batch.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        out : Tensor
            The new head's output.
        """
        return first_output(super().infer(x, **fit_params))

    # ------------------------------------------------------------------ data
    def _validate_X(self, X):
        check_is_fitted(self, "module_")
        return validate_data(self, X, dtype=np.float32, reset=False)

    def fit(self, X, y, **fit_params):
        """Fine-tune a copy of the pretrained network on ``(X, y)``, the target task's rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Target rows; ``n_features`` is the pretrained network's input width.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target labels (every label a class, ``-1`` included) or values.
        **fit_params : dict
            Passed to the module's ``forward`` (skorch's convention).

        Returns
        -------
        self : object
            The fitted net.
        """
        self._check_fit_params(fit_params)
        self._check_own_params()
        reset = not self.warm_start or not self.initialized_
        X, y = validate_data(self, X, y, dtype=np.float32, reset=reset, multi_output=self._multi_output)
        y = self._encode_y(y, reset=reset)
        if reset:
            self._check_pretrained_width(X)
        with self._fitting():
            if reset:
                self.initialize()
            X, y = self._fit_arrays(X, y)
            NeuralNet.partial_fit(self, X, y, **fit_params)
        return self

    def _check_pretrained_width(self, X):
        """Raise before any copy is trained when ``X``'s width is not the pretrained network's."""
        probe = pretrained_module(self.pretrained, type(self).__name__)
        check_pretrained_width(probe, X, type(self).__name__)

    def _check_fit_params(self, fit_params):
        if "sample_domain" in fit_params:
            raise TypeError(
                f"{type(self).__name__} takes no sample_domain: it fits on the target task's rows "
                "with fit(X, y); the source task lives in the pretrained network."
            )
        if "sample_weight" in fit_params:
            raise TypeError(f"{type(self).__name__} does not support sample_weight.")

    def _fit_arrays(self, X, y):
        """Return what skorch trains on (a subclass may add per-row data, e.g. recorded responses)."""
        return X, y

    def partial_fit(self, X, y, classes=None, **fit_params):
        """Train for ``max_epochs`` more epochs (initialising from the pretrained network on the first call).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Target rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target labels or values.
        classes : None
            Unused; the classes are those of the first call.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        self : object
            The net.
        """
        if not self.initialized_:
            return self.fit(X, y, **fit_params)
        self._check_fit_params(fit_params)
        X, y = validate_data(self, X, y, dtype=np.float32, reset=False, multi_output=self._multi_output)
        y = self._encode_y(y, reset=False)
        with self._fitting():
            X, y = self._fit_arrays(X, y)
            NeuralNet.partial_fit(self, X, y, **fit_params)
        return self

    def _forward_numpy(self, X):
        X = self._validate_X(X)
        with self._predicting():
            out = NeuralNet.predict_proba(self, X)
        return np.asarray(out, dtype=np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.target_tags.required = True
        tags.non_deterministic = self.random_state is None
        return tags


_DOC_PARAMS = r"""pretrained : torch.nn.Module, fitted skorch net, or FrozenEstimator of either
    The pretrained network, whose ``forward`` returns the output (or a tuple whose
    first element is the output, as skdomain's nets do). Never mutated: ``fit``
    deep-copies it. Wrap a fitted skorch net in ``sklearn.frozen.FrozenEstimator`` to
    keep it fitted under ``clone`` (a torch module is deep-copied by ``clone``).
head : str or None, default=None
    Name of the layer to replace (a ``torch.nn.Linear``), as
    ``pretrained.named_modules()`` names it; ``None`` is the last layer with
    parameters. The new head is a ``Linear`` of the same input width sized for the
    target task.
freeze : int, "all" or list of str, default=0
    The layers (modules with parameters of their own, in ``named_modules()`` order,
    a normalisation module with the layer before it; the head excluded) kept at
    their pretrained values: the bottom ``n``, ``"all"`` (only the head learns:
    feature extraction trained end to end), or the named ones. Frozen layers, and
    the parameter-free modules below the first trainable layer, run in eval mode
    (BatchNorm uses and keeps its running statistics, dropout is off): their
    parameters and buffers stay bit-identical.
lr_decay : float in (0, 1] or None, default=None
    Layer-wise learning rates: the trainable layer :math:`k` steps below the head
    learns at ``lr * lr_decay ** k`` (the lecture's trade-off between freezing,
    :math:`\gamma \to 0`, and fine-tuning, :math:`\gamma = 1`). ``None``: one rate.
    ``optimizer__param_groups`` (skorch) still sets groups of its own first.
criterion : torch loss class or None, default=None
    ``None`` is cross-entropy (classifier) or squared error (regressor).
optimizer : torch optimizer class, default=torch.optim.Adam
    The optimiser (``optimizer__*`` parameters as in skorch).
lr : float, default=1e-3
    Learning rate :math:`\eta` (of the head).
max_epochs : int, default=20
    Epochs.
batch_size : int, default=64
    Rows per batch.
train_split : callable or None, default=None
    The validation split (skorch's ``train_split``); ``None`` trains on every row (with
    ``early_stopping``: a ``ValidSplit(validation_fraction)``).
early_stopping : bool, default=False
    Stop when the validation loss has not improved for ``patience`` epochs and
    restore the best epoch's weights (skorch's ``EarlyStopping`` on ``valid_loss``;
    the lecture's "until validation loss starts to increase").
validation_fraction : float, default=0.2
    Rows held out for the validation loss when ``early_stopping`` and no
    ``train_split`` is given (stratified for a classifier).
patience : int, default=5
    Epochs without improvement before stopping.
random_state : int, RandomState instance or None, default=None
    Seeds the new head, dropout, the batches and the validation split (the global
    torch state is left as it was).
device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
    Compute device; ``"auto"`` takes CUDA when available.
verbose : int, default=0
    Verbosity of skorch's epoch log.
**kwargs : dict
    Further skorch parameters: ``optimizer__*``, ``criterion__*``, ``callbacks``
    (e.g. skorch's ``Freezer`` / ``Unfreezer``), ``warm_start``, ``iterator_*``."""

_DOC_ATTRS = r"""module_ : torch.nn.Module
    The fine-tuned copy of the network.
head_ : str
    The name of the replaced head.
layers_ : list of str
    The layers below the head, bottom first.
frozen_layers_ : list of str
    The frozen ones.
n_features_in_ : int
    Input width.
history_ : skorch.History
    ``train_loss`` (and ``valid_loss`` with a validation split) per epoch."""

_DOC_LOSS = r"""With the pretrained network :math:`f_L \circ \dots \circ f_1` (pretrained
parameters :math:`\theta^0_l`), the head :math:`f_L` is replaced by a new layer
:math:`g` sized for the target task, and the network is trained on the target
rows :math:`(x_i, y_i)_{i=1}^n` by minimising

.. math::

    \mathcal{L}(\theta) = \frac{1}{n} \sum_{i=1}^n
    \ell\big(g \circ f_{L-1} \circ \dots \circ f_1(x_i),\ y_i\big)

over the trainable layers only: a frozen layer keeps :math:`\theta_l = \theta^0_l`;
with ``lr_decay`` :math:`= \gamma`, layer :math:`k` steps below the head moves with
learning rate :math:`\eta \gamma^k`. Which to choose depends on the target task
(Yosinski et al. [1]_): freezing guards against over-fitting when labels are
scarce; fine-tuning every layer helps when they are plentiful. On the MNIST task
split (:func:`~skdomain.datasets.load_mnist_tasks`, the user guide's figures), what
this trade-off looks like is measured, not assumed.

The estimator fits on target data with scikit-learn's ``fit(X, y)``: it takes no
``sample_domain`` (the source task lives in the pretrained network), and every
label, ``-1`` included, is a class or a value of the target task."""


class FineTuningClassifier(ClassifierMixin, _FineTuningNet):
    __doc__ = (
        r"""Fine-tune a pretrained network on a new classification task (a skorch ``NeuralNet``).

    """
        + textwrap.indent(_DOC_LOSS, "    ").lstrip()
        + r""" Here :math:`\ell` is the cross-entropy and :math:`g` has one
    output per class of ``y``.

    Parameters
    ----------
"""
        + textwrap.indent(_DOC_PARAMS, "    ")
        + r"""

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The classes of ``y``.
"""
        + textwrap.indent(_DOC_ATTRS, "    ")
        + r"""

    See Also
    --------
    NetFeatures : The pretrained layers as fixed features for a shallow model.

    References
    ----------
    .. [1] J. Yosinski, J. Clune, Y. Bengio and H. Lipson, "How transferable are
       features in deep neural networks?", NeurIPS, 2014.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skdomain.transfer import FineTuningClassifier
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 5))
    >>> X = np.random.RandomState(0).normal(size=(40, 4))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = FineTuningClassifier(net, freeze=1, max_epochs=5, random_state=0).fit(X, y)
    >>> clf.frozen_layers_, clf.predict_proba(X[:2]).shape
    (['0'], (2, 2))
    """
    )

    _stratified = True
    _multi_output = False

    def _encode_y(self, y, reset=True):
        check_classification_targets(y)
        if reset:
            classes = np.unique(y)
            if classes.size < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 classes in y; got 1 class ({classes[0]!r})."
                )
            self.classes_ = classes
        pos = np.searchsorted(self.classes_, y)
        pos = np.clip(pos, 0, len(self.classes_) - 1)
        if (self.classes_[pos] != y).any():
            raise ValueError(f"y holds labels unseen in the first fit; classes_ are {self.classes_!r}.")
        return pos.astype(np.int64)

    def _n_outputs(self):
        return len(self.classes_)

    def _get_predict_nonlinearity(self):
        return lambda z: torch.softmax(z, dim=1)

    def predict_proba(self, X):
        """Class probabilities (softmax of the new head's logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``, rows in input order.
        """
        return self._forward_numpy(X)

    def predict(self, X):
        """Predict the most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``, in input order.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]


class FineTuningRegressor(RegressorMixin, _FineTuningNet):
    __doc__ = (
        r"""Fine-tune a pretrained network on a new regression task (a skorch ``NeuralNet``).

    """
        + textwrap.indent(_DOC_LOSS, "    ").lstrip()
        + r""" Here :math:`\ell` is the squared error and :math:`g` has one
    output per column of ``y``.

    Parameters
    ----------
"""
        + textwrap.indent(_DOC_PARAMS, "    ")
        + r"""

    Attributes
    ----------
"""
        + textwrap.indent(_DOC_ATTRS, "    ")
        + r"""

    See Also
    --------
    FineTuningClassifier : The classifier.

    References
    ----------
    .. [1] J. Yosinski, J. Clune, Y. Bengio and H. Lipson, "How transferable are
       features in deep neural networks?", NeurIPS, 2014.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skdomain.transfer import FineTuningRegressor
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 5))
    >>> X = np.random.RandomState(0).normal(size=(40, 4))
    >>> reg = FineTuningRegressor(net, freeze="all", max_epochs=5, random_state=0).fit(X, X[:, 0])
    >>> reg.predict(X[:3]).shape
    (3,)
    """
    )

    _stratified = False
    _multi_output = True
    _default_criterion = nn.MSELoss

    def _encode_y(self, y, reset=True):
        y = np.asarray(y, dtype=np.float32)
        if reset:
            self._y_1d = y.ndim == 1
            self._n_out = 1 if y.ndim == 1 else y.shape[1]
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        if y2.shape[1] != self._n_out:
            raise ValueError(f"y has {y2.shape[1]} outputs; the net was fitted with {self._n_out}.")
        return y2

    def _n_outputs(self):
        return self._n_out

    @property
    def predict_proba(self):
        """Not available: a regressor has no class probabilities (skorch's method is hidden)."""
        raise AttributeError("FineTuningRegressor has no predict_proba; use predict.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _get_predict_nonlinearity(self):
        return lambda z: z

    def predict(self, X):
        """Predict with the fine-tuned network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column per output of ``y`` (1-d when ``y`` was), rows in input order.
        """
        out = self._forward_numpy(X)
        return out.ravel() if self._y_1d else out
