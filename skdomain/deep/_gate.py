r"""The discriminator gate (Wang et al., 2019), one mechanism for every classifier of the deep family.

The gate weights the source rows of the task loss by the density ratio
:math:`\omega = \mathrm{SG}(D/(1 - D))` of a discriminator :math:`D(F(x), y)` that sees the
features and the label. Two mixins share one implementation of :math:`\omega`, of the
gated task loss :math:`\mathcal{L}^{\mathrm{gate}}_{\mathrm{CLF}}` and of the augmented
discriminator loss :math:`\mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}}`:

* :class:`_GateMixin`, the mechanism, on a discriminator that the method already has
  (DANN's, which the features play against through the reversal layer);
* :class:`_DetachedGateMixin`, for a method without a discriminator (DAN, Deep CORAL): the
  gate adds one, ``discriminator_``, trained on *detached* features, so the gated net
  differs from the plain one by the gate alone.
"""

import math
from numbers import Real

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval

from ._modules import Discriminator, DomainMLP

__all__ = []

GATE_PARAMS_DOC = r"""    gate : bool, default=False
        Use the discriminator gate.
    source_weight : float, default=1.0
        :math:`\lambda` of the gated task loss (weight of the source term).
    omega_clip : float, default=10.0
        Upper clip of :math:`\omega` (the ratio is :math:`\exp` of D's logit, clipped at
        ``log(omega_clip)``, so it stays in ``[0, omega_clip]``).
"""


def gate_doc(how, plain):
    r"""Return the gate's section of a docstring: :math:`\omega`, the two losses, the edge cases.

    ``how`` says how the method's objective takes the gate (which ``D``, which features),
    ``plain`` names the plain method (what the gated net is without labeled target rows).
    """
    return (
        r"""
    With ``gate=True`` (Wang et al., 2019) ``D`` also sees the label: :math:`D(z, y)` with
    :math:`y` one-hot, or ``nil`` (zeros) for a row without label. It estimates the
    density ratio :math:`P_T(x, y) / P_S(x, y) = D / (1 - D)` and gates the source loss:

    .. math::

        \mathcal{L}^{\mathrm{gate}}_{\mathrm{CLF}} = \mathbb{E}_{T_L}[\ell(C(F(x_l)), y_l)]
        + \lambda \, \mathbb{E}_{S}[\omega(x_s, y_s) \, \ell(C(F(x_s)), y_s)],
        \quad \omega = \mathrm{SG}\!\left(\frac{D(x_s, y_s)}{1 - D(x_s, y_s)}\right),

    .. math::

        \mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}} = \mathbb{E}_{T}[\log D(F(x_u), \mathrm{nil})]
        + \mathbb{E}_{S}[\log(1 - D(F(x_s), \mathrm{nil}))]
        + \mathbb{E}_{T_L}[\log D(F(x_l), y_l)] + \mathbb{E}_{S}[\log(1 - D(F(x_s), y_s))],

    """
        + how
        + r"""

    Each expectation is its own batch mean (a pooled cross-entropy would bias
    :math:`\omega` by :math:`n_{T_L}/n_S`); the two labeled terms are taken on batches
    that hold labeled target rows, so D's prior between the labeled pairs stays
    balanced. :math:`\omega = \exp(\text{logit of } D)` is clipped at ``omega_clip``.
    With no labeled target row in the whole fit the joint discriminator would see
    labeled pairs from the source only and drive :math:`\omega \to 0`: then
    :math:`\omega \equiv 1`, and the gated net is plain """
        + plain
        + """.
"""
    )


_DETACHED_GATE_PARAMS_DOC = r"""    discriminator : torch module class or instance, default=Discriminator
        The gate's ``D`` (``gate=True`` only): maps features and one-hot labels to one logit
        of P(target). A class is built as ``discriminator(n_in, **discriminator__params)``.
"""

_DOC_KEYS = ("gate", "gate_params", "gate_attributes", "gate_history", "gate_refs")


def detached_gate_doc_parts(method):
    r"""Return the gate's parts of the docstring of a classifier without a discriminator.

    ``method`` names it (``"DAN"``, ``"Deep CORAL"``); the parts fill the placeholders
    ``@GATE@``, ``@GATE_PARAMS@``, ``@GATE_ATTRIBUTES@``, ``@GATE_HISTORY@`` and
    ``@GATE_REFS@`` of its template (:func:`fill_doc`).
    """
    how = (
        method
        + r""" has no discriminator: the gate adds one, ``discriminator_``, and trains it on
    the *detached* features :math:`\mathrm{SG}(F(x))`, adding
    :math:`-\mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}}` (logged as ``train_loss_adv``) to the
    loss with weight 1: ``D`` descends it and ``F``, ``C`` receive no gradient from it, so
    the gated net differs from the plain one by the gate alone: training ``F`` against
    ``D`` (through a reversal layer, as in DANN) would add a DANN term, and the gain of
    the gated net over the plain one would mix the gate with adversarial alignment. The
    optimizer is the plain net's (Adam's own betas: ``D`` plays no game here)."""
    )
    return {
        "gate": gate_doc(how, method),
        "gate_params": _DETACHED_GATE_PARAMS_DOC + GATE_PARAMS_DOC,
        "gate_attributes": r"""    discriminator_ : torch.nn.Module
        The gate's trained discriminator (``gate=True`` only).
    n_target_labeled_ : int
        Labeled target rows seen in the fit.
""",
        "gate_history": "\n        Gated, also ``train_loss_adv`` (the gate's D) and ``omega_mean``.",
        "gate_refs": r"""    .. [3] Z. Wang, Z. Dai, B. Póczos and J. Carbonell, "Characterizing and Avoiding
       Negative Transfer", CVPR 2019.
""",
    }


def fill_doc(template, **parts):
    """Return ``template`` with its ``@GATE...@`` placeholders filled by ``parts`` (empty when absent)."""
    for key in _DOC_KEYS:
        template = template.replace(f"@{key.upper()}@", parts.get(key, ""))
    return template


def domain_cross_entropy(logits, batch):
    r"""D's binary cross-entropy :math:`-\mathcal{L}_{\mathrm{ADV}}` on one logit per row of a batch.

    .. math::

        -\mathcal{L}_{\mathrm{ADV}} = \mathbb{E}_{x_u \sim T}[-\log D(z_u)]
        + \mathbb{E}_{x_s \sim S}[-\log(1 - D(z_s))],

    each expectation the mean over its own rows of the batch (0 for an empty group).
    """
    bce = F.binary_cross_entropy_with_logits(logits, batch.w_target, reduction="none")
    return batch.mean(bce, "target") + batch.mean(bce, "source")


def build_discriminator(net, n_in):
    """Build ``net.discriminator`` on ``n_in`` inputs (a class as ``discriminator(n_in, **params)``)."""
    kwargs = net.get_params_for("discriminator")
    disc = net.discriminator
    if isinstance(disc, torch.nn.Module):
        module = net.initialized_instance(disc, kwargs)
    else:
        module = disc(n_in, **kwargs)
    return module.to(net.device)


def phase_optimizers(net, extra, betas, main_betas=None):
    """Build the optimizers of a net with several phases (:meth:`DomainNet.step_phases`).

    ``optimizer_`` takes the module's parameters and, with ``gate=True``, the gate's
    discriminator's; each ``(name, module)`` of ``extra`` gets ``optimizer_<name>_`` on
    its own parameters. All are the net's ``optimizer`` class with ``optimizer__*``;
    Adam gets ``betas`` on the extra optimizers (and ``main_betas`` on ``optimizer_``
    when given) unless ``optimizer__betas`` sets them, as is usual for adversarial games.
    """

    def build(params, adam_betas):
        pargs, kw = net.get_params_for_optimizer("optimizer", params)
        if adam_betas is not None and net.optimizer is torch.optim.Adam and "betas" not in kw:
            kw["betas"] = adam_betas
        return net.optimizer(*pargs, **kw)

    main = list(net.module_.named_parameters())
    if getattr(net, "gate", False):
        main += list(net.discriminator_.named_parameters())
    net.optimizer_ = build(main, main_betas)
    for name, module in extra:
        setattr(net, f"optimizer_{name}_", build(module.named_parameters(), betas))
    return net


class _GateMixin:
    r"""The gate on ``self.discriminator_``: :math:`\omega`, the gated task loss, the joint terms.

    A host method provides ``discriminator_`` (its width from
    :meth:`_discriminator_width`, which adds the one-hot classes when gated) and says
    which features :math:`D` sees on the labeled pairs (:meth:`_gate_features`:
    detached by default; DANN passes them through its reversal layer). The method's
    adversarial loss, or the gate's own one (:class:`_DetachedGateMixin`), is
    :meth:`_gate_adversarial`.
    """

    _parameter_constraints = {
        "gate": ["boolean"],
        "source_weight": [Interval(Real, 0, None, closed="left")],
        "omega_clip": [Interval(Real, 1, None, closed="left")],
    }

    def _discriminator_width(self):
        """Return the input width of ``D``: the method's, plus one-hot classes when gated."""
        return super()._discriminator_width() + (len(self.classes_) if self.gate else 0)

    def _gate_weights(self, d_joint):
        r""":math:`\omega = \mathrm{SG}(D/(1-D)) = \exp(\mathrm{logit})`, clipped to ``[0, omega_clip]``."""
        return torch.exp(d_joint.detach().clamp(max=math.log(self.omega_clip)))

    def _gate_features(self, y_pred, batch):
        """Return the features ``D`` sees: detached ``F(x)`` (D learns, F gets nothing from it)."""
        return y_pred[1].detach()

    def task_loss(self, y_pred, y_true, X, batch):
        r"""Task term of a training batch; gated, the source loss is weighted by :math:`\omega`.

        Plain: :math:`\mathcal{L}_{\mathrm{CLF}} = \mathbb{E}_S[\ell] + \mathbb{E}_{T_L}[\ell]`.
        Gated:

        .. math::

            \mathcal{L}^{\mathrm{gate}}_{\mathrm{CLF}} = \mathbb{E}_{T_L}[\ell(C(F(x_l)), y_l)]
            + \lambda \, \mathbb{E}_{S}[\omega(x_s, y_s) \, \ell(C(F(x_s)), y_s)],
            \quad \omega = \mathrm{SG}\!\left(\frac{D(F(x_s), y_s)}{1 - D(F(x_s), y_s)}\right),

        with :math:`\lambda` = ``source_weight`` and :math:`\omega` clipped at
        ``omega_clip``; :math:`\omega \equiv 1` when the fit has no labeled target row
        (or the batch no target row). The features :math:`D` saw and its joint output
        are kept in ``batch.cache["gate"]`` for the adversarial terms.

        Parameters
        ----------
        y_pred : tuple of Tensor
            The net's output for the batch, ``(output, feature, *extra)``:
            :math:`C(F(x))` and :math:`F(x)` first.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` for masked rows).
        X : dict of str to Tensor
            The batch dict.
        batch : DomainBatch
            The batch's row groups and per-row task loss :math:`\ell` (see
            :meth:`DomainNet.task_loss`).

        Returns
        -------
        loss : Tensor
            The scalar task term.
        """
        if not self.gate:
            return super().task_loss(y_pred, y_true, X, batch)
        rows = batch.row_loss
        w = torch.ones_like(rows)
        if self.n_target_labeled_ > 0 and batch.n_target:
            # the joint discriminator's density ratio on (F(x_s), y_s); omega == 1 when the fit has
            # no labeled target row at all (it would only learn to call every labeled pair source)
            feats = y_pred[1]
            onehot = F.one_hot(y_true.clamp_min(0), len(self.classes_)).to(feats.device, feats.dtype)
            onehot = onehot * batch.w_source_labeled.unsqueeze(1) + onehot * batch.w_target_labeled.unsqueeze(
                1
            )
            z = self._gate_features(y_pred, batch)
            d_joint = self.discriminator_(torch.cat([z, onehot], dim=1))
            batch.cache["gate"] = (z, d_joint)
            w = self._gate_weights(d_joint)
            self._log_term("omega_mean", batch.mean(w, "source_labeled"))
        loss = self.source_weight * (rows * w * batch.w_source_labeled).sum() / max(batch.n_source_labeled, 1)
        if batch.n_target_labeled:
            loss = loss + batch.mean(rows, "target_labeled")
        return loss

    def _gate_input(self, z):
        r"""Return ``D``'s input for rows without label: :math:`(z, \mathrm{nil})` when gated (zeros)."""
        if self.gate:
            z = torch.cat([z, z.new_zeros(z.shape[0], len(self.classes_))], dim=1)
        return z

    def _gate_labeled_terms(self, batch):
        r""":math:`\mathbb{E}_{T_L}[-\log D(F(x_l), y_l)] + \mathbb{E}_S[-\log(1 - D(F(x_s), y_s))]`.

        Only on batches with labeled target rows whose joint output :meth:`task_loss`
        computed (``None`` otherwise), so that D's prior between the labeled pairs stays
        balanced.
        """
        if "gate" not in batch.cache or not batch.n_target_labeled:
            return None
        d_joint = batch.cache["gate"][1]
        bce_j = F.binary_cross_entropy_with_logits(d_joint, batch.w_target, reduction="none")
        return batch.mean(bce_j, "target_labeled") + batch.mean(bce_j, "source_labeled")

    def _gate_adversarial(self, z, batch):
        r"""D's cross-entropy :math:`-\mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}}` on features ``z``.

        .. math::

            -\mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}} = \mathbb{E}_{T}[-\log D(z_u, \mathrm{nil})]
            + \mathbb{E}_{S}[-\log(1 - D(z_s, \mathrm{nil}))]
            + \mathbb{E}_{T_L}[-\log D(z_l, y_l)] + \mathbb{E}_{S}[-\log(1 - D(z_s, y_s))],

        the last two terms on batches with labeled target rows. Not gated, the plain
        :math:`-\mathcal{L}_{\mathrm{ADV}}` of :math:`D(z)`.
        """
        adv = domain_cross_entropy(self.discriminator_(self._gate_input(z)), batch)
        joint = self._gate_labeled_terms(batch)
        if joint is not None:
            adv = adv + joint
        return adv


class _DetachedGateMixin(_GateMixin):
    r"""The gate for a method without a discriminator: its own ``D``, on detached features.

    With ``gate=True`` the net builds ``discriminator_`` (``discriminator``,
    ``discriminator__*``) on the features plus the one-hot classes, and adds
    :math:`-\mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}}` on :math:`\mathrm{SG}(F(x))` to the
    batch's loss (logged as ``train_loss_adv``): ``D`` descends it, ``F`` and ``C``
    receive no gradient from it, and :math:`\omega` is a stopped gradient too. The only
    path from the gate to ``F`` and ``C`` is the weighting of the source rows by
    :math:`\omega`.
    """

    def _check_own_params(self):
        super()._check_own_params()
        self._check_mlp_params("discriminator", Discriminator)

    def __init__(
        self,
        module=DomainMLP,
        *,
        discriminator=Discriminator,
        gate=False,
        source_weight=1.0,
        omega_clip=10.0,
        **kwargs,
    ):
        super().__init__(module, **kwargs)
        self.discriminator = discriminator
        self.gate = gate
        self.source_weight = source_weight
        self.omega_clip = omega_clip

    def _validate_params(self):
        """Validate skorch's parameters; ungated, ``discriminator__*`` are kept (unused) without error.

        skorch knows the prefix ``discriminator`` once ``discriminator_`` exists, i.e. only
        gated; a plain net keeps such parameters (e.g. fixed in a grid over ``gate``).
        """
        held = (
            set() if self.gate else {k for k in self._params_to_validate if k.startswith("discriminator__")}
        )
        self._params_to_validate -= held
        try:
            super()._validate_params()
        finally:
            self._params_to_validate |= held

    def _discriminator_width(self):
        """Return the input width of the gate's ``D``: features plus one-hot classes."""
        return self.feature_dims_[0] + len(self.classes_)

    def initialize_extra_modules(self):
        """Build the method's modules, then, gated, the gate's discriminator ``discriminator_``."""
        super().initialize_extra_modules()
        if not self.gate:
            return
        if not self.has_feature_:
            raise ValueError(
                f"{type(self).__name__}(gate=True) needs the features F(x) for its discriminator: the "
                "module must return (output, features), or name its feature layer with feature_layer='name'."
            )
        self.discriminator_ = build_discriminator(self, self._discriminator_width())

    def adaptation_loss(self, y_pred, y_true, X, batch):
        r"""Return the method's term plus, gated, the gate's discriminator loss on detached features.

        .. math::

            \mathcal{L}_{\mathrm{DA}} + \bigl(-\mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}}\bigr)
            \bigl(\mathrm{SG}(F(x))\bigr),

        the second term reaching ``D`` only (see :meth:`_GateMixin._gate_adversarial`).

        Parameters
        ----------
        y_pred : tuple of Tensor
            The net's output for the batch, ``(output, feature, *extra)``.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` for masked rows).
        X : dict of str to Tensor
            The batch dict.
        batch : DomainBatch
            The batch's row groups; gated, its ``cache`` holds the joint output of
            :meth:`task_loss`.

        Returns
        -------
        loss : Tensor or None
            The method's term (``None`` when it adds nothing), plus the gate's loss.
        """
        loss = super().adaptation_loss(y_pred, y_true, X, batch)
        if not self.gate:
            return loss
        z = batch.cache["gate"][0] if "gate" in batch.cache else self._gate_features(y_pred, batch)
        adv = self._gate_adversarial(z, batch)
        self._log_term("train_loss_adv", adv)
        return adv if loss is None else loss + adv
