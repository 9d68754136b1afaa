r"""Adversarial discriminative domain adaptation, ADDA (Tzeng et al., 2017), in two stages of one fit."""

import copy
from numbers import Integral

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval

from ._classifier import DomainClassifierMixin
from ._dann import ADVERSARIAL_BETAS
from ._gate import _DetachedGateMixin, detached_gate_doc_parts, fill_doc, gate_doc, phase_optimizers
from ._modules import Discriminator, DomainMLP, FeatureHook, flatten_features
from ._net import DomainNet
from ._regressor import DomainRegressorMixin

__all__ = ["ADDAClassifier"]

#: The values of the ``stage`` column of ``history``.
STAGE_SOURCE, STAGE_TARGET = "source", "target"


def adda_losses(logits_source, logits_target):
    r"""ADDA's two adversarial losses on D's logits: D's cross-entropy and the inverted-label loss.

    With :math:`D = P(\text{target} \mid z)` (one logit per row),

    .. math::

        \mathcal{L}_{\mathrm{adv}_D} = \mathbb{E}_{x_s \sim S}[-\log(1 - D(M_s(x_s)))]
        + \mathbb{E}_{x_t \sim T}[-\log D(M_t(x_t))],
        \qquad
        \mathcal{L}_{\mathrm{adv}_M} = \mathbb{E}_{x_t \sim T}[-\log(1 - D(M_t(x_t)))],

    the second the GAN loss with inverted labels: the target rows labeled *source*.

    Parameters
    ----------
    logits_source : Tensor of shape (n_s,)
        D's logits on the source features :math:`M_s(x_s)`.
    logits_target : Tensor of shape (n_t,)
        D's logits on the target features :math:`M_t(x_t)`.

    Returns
    -------
    loss_d : Tensor
        :math:`\mathcal{L}_{\mathrm{adv}_D}` (0 for an empty group's term).
    loss_m : Tensor
        :math:`\mathcal{L}_{\mathrm{adv}_M}`.
    """

    def mean(values):
        return values.sum() / max(values.numel(), 1)

    # -log(1 - sigmoid(a)) = softplus(a), -log sigmoid(a) = softplus(-a)
    loss_d = mean(F.softplus(logits_source)) + mean(F.softplus(-logits_target))
    loss_m = mean(F.softplus(logits_target))
    return loss_d, loss_m


_ADDA_DOC = r"""
    ADDA trains in two stages, both in one ``fit``. With :math:`M_s`, :math:`M_t` the source
    and target encoders (the module's features :math:`F`), :math:`C` the head and
    :math:`D(z) = P(\text{target} \mid z)` the adversary:

    *Stage 1* (``max_epochs`` epochs, ``stage == "source"`` in ``history``): the module
    :math:`C(M_s(x))` learns the labeled rows,

    .. math::

        \min_{M_s, C} \mathcal{L}_{\mathrm{cls}} = \mathbb{E}_{(x_s, y_s) \sim S}[\ell(C(M_s(x_s)), y_s)]
        + \mathbb{E}_{(x_l, y_l) \sim T_L}[\ell(C(M_s(x_l)), y_l)]

    (:math:`\ell` the cross-entropy; for :class:`ADDARegressor` the squared error).

    Labeled target rows enter here, and only here: the classifier :math:`C` is fixed
    after stage 1, so stage 1 is where a label can teach it; they also give :math:`M_s`,
    the initialisation of :math:`M_t`, a start on the target. Without labeled target
    rows the second expectation is absent (the paper's unsupervised setting).

    *Stage 2* (``adapt_epochs`` epochs, ``stage == "target"``): :math:`M_t` starts as a copy
    of :math:`M_s` (kept, frozen, in ``source_module_``) and plays against :math:`D` with
    the GAN loss with inverted labels, while :math:`M_s` and :math:`C` stay fixed:

    .. math::

        \min_D \mathcal{L}_{\mathrm{adv}_D} = \mathbb{E}_{x_s \sim S}[-\log(1 - D(M_s(x_s)))]
        + \mathbb{E}_{x_t \sim T}[-\log D(M_t(x_t))],

    .. math::

        \min_{M_t} \mathcal{L}_{\mathrm{adv}_M} = \mathbb{E}_{x_t \sim T}[-\log(1 - D(M_t(x_t)))]

    (the paper writes :math:`D` as P(source); the losses are the same with the labels
    swapped). Each training step of stage 2 is two phases (``DomainNet.step_phases``):
    :math:`D` descends :math:`\mathcal{L}_{\mathrm{adv}_D}` (logged as ``train_loss_adversary``),
    then :math:`M_t` descends :math:`\mathcal{L}_{\mathrm{adv}_M}` on the same batch
    seen through the stepped :math:`D` (``train_loss_map``, also the stage's
    ``train_loss``); each has its own optimizer (the net's ``optimizer`` class and
    ``optimizer__*``; Adam gets betas (0.5, 0.999) unless ``optimizer__betas`` is given,
    as is usual for GANs). Labels play no part in stage 2; labeled target rows are
    target rows there. All target rows (``sample_domain < 0``) are one target domain.

    Prediction is :math:`C(M_t(x))`: after ``fit``, ``module_`` is the target network
    (:math:`M_t` and the stage-1 head :math:`C`), ``source_module_`` the source one.
    ``adapt_epochs=0`` gives the stage-1 net alone (the source-only baseline of the
    method). A fit without target rows runs stage 1 only. ``partial_fit`` (and ``fit``
    with ``warm_start=True``) runs the epochs of stage 1 not done yet, then
    ``adapt_epochs`` further epochs of stage 2.
@GATE@
    Parameters
    ----------
    module : torch module class or instance, default=DomainMLP
        The network ``C(M(x))``; its features (the module's second output, or the layer
        named by ``feature_layer``) are the encoder's output. See :class:`DANNClassifier`
        for custom modules.
    adversary : torch module class or instance, default=Discriminator
        :math:`D` of stage 2: maps features to one logit of P(target). A class is built as
        ``adversary(n_features, **adversary__params)``.
    adapt_epochs : int, default=20
        Epochs of stage 2 (``max_epochs`` are those of stage 1).
@GATE_PARAMS@    **kwargs : dict
        The net's parameters (``lr``, ``max_epochs`` -- stage 1's epochs --, ``batch_size``,
        ``random_state``, ``device``, ``train_split``, ``module__*``, ``adversary__*``,
        ``optimizer__*``, skorch's callbacks, ...), as for :class:`DANNClassifier`.

    Attributes
    ----------
    module_ : torch.nn.Module
        The target network :math:`C(M_t(x))` (after stage 1 alone, the source one).
    source_module_ : torch.nn.Module
        The source network :math:`C(M_s(x))` as stage 1 left it (frozen).
    adversary_ : torch.nn.Module
        The trained :math:`D` of stage 2.
    n_features_in_ : int
        Number of input features.
@GATE_ATTRIBUTES@    history_ : skorch.History
        Per epoch ``stage`` (``"source"`` or ``"target"``) and ``train_loss``; per epoch and
        per batch, in stage 1 ``train_loss_task`` (:math:`\mathcal{L}_{\mathrm{cls}}`), in
        stage 2 ``train_loss_adversary`` (:math:`\mathcal{L}_{\mathrm{adv}_D}`) and ``train_loss_map``
        (:math:`\mathcal{L}_{\mathrm{adv}_M}`).@GATE_HISTORY@

    References
    ----------
    .. [1] E. Tzeng, J. Hoffman, K. Saenko and T. Darrell, "Adversarial Discriminative
       Domain Adaptation", CVPR 2017.
@GATE_REFS@"""

_GATE_HOW = r"""ADDA classifies with labels in stage 1 only, so the gate acts there: :math:`\omega` weights
    the source rows of :math:`\mathcal{L}_{\mathrm{cls}}`, from a discriminator
    ``discriminator_`` on :math:`(\mathrm{SG}(M_s(x)), y)` -- the gate's own, not the
    adversary of stage 2, which sees features alone and plays against :math:`M_t`. It is
    trained in stage 1 by :math:`-\mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}}` on the
    *detached* features (logged as ``train_loss_adv`` in stage 1), so :math:`M_s` and
    :math:`C` get nothing from it but the weights :math:`\omega`, and stage 2 is the same game gated or
    not: the gated net differs from the plain one by the weighting of stage 1 alone (the
    classifier :math:`C` that stage 2 keeps, and :math:`M_s`, where :math:`M_t` starts)."""


def _gate_parts():
    parts = detached_gate_doc_parts("ADDA")
    parts["gate"] = gate_doc(_GATE_HOW, "ADDA")
    parts["gate_history"] = (
        "\n        Gated, also ``train_loss_adv`` (the gate's D) and ``omega_mean`` in stage 1."
    )
    return parts


def _build(net, prefix, *widths):
    """Build the module ``net.<prefix>`` on the device (a class as ``cls(*widths, **<prefix>__params)``)."""
    kwargs = net.get_params_for(prefix)
    spec = getattr(net, prefix)
    if isinstance(spec, torch.nn.Module):
        module = net.initialized_instance(spec, kwargs)
    else:
        module = spec(*widths, **kwargs)
    return module.to(net.device)


class _ADDAMixin:
    """ADDA's two stages: the stage of an epoch, the target encoder's copy, the phases of stage 2."""

    _parameter_constraints = {"adapt_epochs": [Interval(Integral, 0, None, closed="left")]}

    def _check_own_params(self):
        super()._check_own_params()
        self._check_mlp_params("adversary", Discriminator)

    # ------------------------------------------------------------------ modules, optimizers
    def initialize_extra_modules(self):
        """Build the adversary ``adversary_`` and ``source_module_`` (a frozen copy of ``module_``)."""
        super().initialize_extra_modules()
        if not self.has_feature_:
            raise ValueError(
                f"{type(self).__name__} needs the encoder's features: the module must return "
                "(output, features), or name its feature layer with feature_layer='name'."
            )
        self.adversary_ = _build(self, "adversary", self.feature_dims_[0])
        self.source_module_ = copy.deepcopy(self.module_).requires_grad_(False)

    def initialize_optimizer(self, *args, **kwargs):
        """Build the optimizers: ``optimizer_`` (stage 1), ``optimizer_adversary_`` and ``optimizer_target_``.

        Parameters
        ----------
        *args : tuple
            Unused (skorch's deprecated arguments).
        **kwargs : dict
            Unused (skorch's deprecated arguments).

        Returns
        -------
        self : object
            The net, with its three optimizers.
        """
        extra = [("adversary", self.adversary_), ("target", self.module_)]
        return phase_optimizers(self, extra, ADVERSARIAL_BETAS)

    # ------------------------------------------------------------------ stages
    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """Run the epochs of stage 1 not done yet, then ``adapt_epochs`` epochs of stage 2.

        Parameters
        ----------
        X : Dataset
            The training rows.
        y : None
            Unused (the labels travel in the dataset).
        epochs : int or None, default=None
            Epochs of the call; ``None`` is the rest of stage 1 plus ``adapt_epochs``.
        **fit_params : dict
            The fit parameters (skorch's).

        Returns
        -------
        self : object
            The net.
        """
        if epochs is None:
            epochs = max(self.max_epochs - len(self.history), 0)
            if self.has_target_:
                epochs += self.adapt_epochs
        return super().fit_loop(X, y, epochs=epochs, **fit_params)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Record the epoch's ``stage``; at the first epoch of stage 2, start ``M_t`` from ``M_s``.

        Parameters
        ----------
        net : DomainNet
            The net (skorch's callback signature).
        dataset_train : Dataset, default=None
            The training rows.
        dataset_valid : Dataset, default=None
            The validation rows.
        **kwargs : dict
            Further arguments of skorch's ``on_epoch_begin``.
        """
        super().on_epoch_begin(net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs)
        stage = STAGE_SOURCE if len(self.history) <= self.max_epochs else STAGE_TARGET
        previous = self.history[-2]["stage"] if len(self.history) > 1 else None
        if stage == STAGE_TARGET and previous != STAGE_TARGET:
            self._start_target_stage()
        self.history.record("stage", stage)

    def _start_target_stage(self):
        """Freeze the stage-1 network in ``source_module_``: ``M_t`` (``module_``) starts equal to it."""
        self.source_module_.load_state_dict(self.module_.state_dict())

    def step_phases(self):
        """Return the phases of a training step: stage 1 one, stage 2 the adversary's then the encoder's.

        Returns
        -------
        phases : list of (str, list of str)
            ``[("main", ["optimizer"])]`` in stage 1, ``[("adversary", ["optimizer_adversary"]),
            ("map", ["optimizer_target"])]`` in stage 2.
        """
        if self.history[-1]["stage"] == STAGE_SOURCE:
            return [("main", ["optimizer"])]
        return [("adversary", ["optimizer_adversary"]), ("map", ["optimizer_target"])]

    def _source_features(self, X):
        r""":math:`M_s(x)` of the frozen source network on a tensor ``X`` (no gradient)."""
        module = self.source_module_
        with torch.no_grad():
            if self.feature_layer is None:
                return flatten_features(module(X)[1])
            hook = FeatureHook(module, [self.feature_layer])
            try:
                module(X)
                return flatten_features(hook.take()[self.feature_layer])
            finally:
                hook.remove()

    def phase_loss(self, name, y_pred, y_true, X, batch):
        r"""Compute the loss of a stage-2 phase: D's (``"adversary"``) or the target encoder's (``"map"``).

        :math:`\mathcal{L}_{\mathrm{adv}_D}` on :math:`M_s(x_s)` and :math:`\mathrm{SG}(M_t(x_t))`,
        or :math:`\mathcal{L}_{\mathrm{adv}_M}` on :math:`M_t(x_t)` (:func:`adda_losses`).

        Parameters
        ----------
        name : {"adversary", "map"}
            The phase.
        y_pred : tuple of Tensor
            The target network's output for the batch, ``(output, feature)``: :math:`M_t(x)`
            second.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch (unused: stage 2 needs no label).
        X : dict of str to Tensor
            The batch dict; its source rows go through ``source_module_``.
        batch : DomainBatch
            The batch's row groups.

        Returns
        -------
        loss : Tensor
            The phase's scalar loss (see :func:`adda_losses`).
        """
        z_t = y_pred[1][torch.as_tensor(batch.target_cpu, device=y_pred[1].device)]
        if name == "adversary":
            src = torch.as_tensor(batch.source_cpu)
            x_s = torch.as_tensor(X["X"][src], device=self.device)
            logits_s = self.adversary_(self._source_features(x_s))
            return adda_losses(logits_s, self.adversary_(z_t.detach()))[0]
        return adda_losses(z_t.new_zeros(0), self.adversary_(z_t))[1]


class ADDAClassifier(_DetachedGateMixin, _ADDAMixin, DomainClassifierMixin, DomainNet):
    __doc__ = (
        "Adversarial discriminative domain adaptation (ADDA) for classification (a skorch net).\n"
        + fill_doc(_ADDA_DOC, **_gate_parts())
        + r"""
    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import ADDAClassifier
    >>> X, y, sd = make_domain_shift(100, 100, random_state=0)
    >>> net = ADDAClassifier(max_epochs=3, adapt_epochs=2, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> net.predict(X[sd < 0]).shape
    (100,)
    >>> [row["stage"] for row in net.history]
    ['source', 'source', 'source', 'target', 'target']
    >>> [k for k in ("train_loss_task", "train_loss_adversary", "train_loss_map") if k in net.history[-1]]
    ['train_loss_adversary', 'train_loss_map']
"""
    )

    def __init__(
        self,
        module=DomainMLP,
        *,
        adversary=Discriminator,
        adapt_epochs=20,
        discriminator=Discriminator,
        gate=False,
        source_weight=1.0,
        omega_clip=10.0,
        **kwargs,
    ):
        super().__init__(
            module,
            discriminator=discriminator,
            gate=gate,
            source_weight=source_weight,
            omega_clip=omega_clip,
            **kwargs,
        )
        self.adversary = adversary
        self.adapt_epochs = adapt_epochs


class ADDARegressor(_ADDAMixin, DomainRegressorMixin, DomainNet):
    __doc__ = (
        "Adversarial discriminative domain adaptation (ADDA) for regression (a skorch net); no gate.\n"
        + r"""
    Stage 2 needs no label, so the regressor runs the same two stages as
    :class:`ADDAClassifier`; stage 1's loss is the squared error. Like the family's other
    regressors it has no gate (the gate's discriminator sees the one-hot class).
"""
        + fill_doc(_ADDA_DOC)
        + r"""
    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import ADDARegressor
    >>> X, y, sd = make_domain_shift(100, 100, task="regression", random_state=0)
    >>> net = ADDARegressor(max_epochs=3, adapt_epochs=2, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> net.predict(X[sd < 0]).shape
    (100,)
    >>> [row["stage"] for row in net.history]
    ['source', 'source', 'source', 'target', 'target']
"""
    )

    def __init__(self, module=DomainMLP, *, adversary=Discriminator, adapt_epochs=20, **kwargs):
        super().__init__(module, **kwargs)
        self.adversary = adversary
        self.adapt_epochs = adapt_epochs
