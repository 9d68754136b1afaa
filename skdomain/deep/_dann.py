r"""Domain-adversarial networks (Ganin & Lempitsky, 2015), with the discriminator gate (Wang et al., 2019)."""

import math
import textwrap
from numbers import Real

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions

from ._classifier import DomainClassifierMixin
from ._losses import dann_lambda, grad_reverse
from ._modules import Discriminator, DomainMLP
from ._net import _MODULE_PARAM_DOC, _NET_PARAMS_DOC, DomainNet
from ._regressor import DomainRegressorMixin

__all__ = ["DANNClassifier", "DANNRegressor", "GatedDANNClassifier"]

#: Adam's betas for the adversarial game when the caller names none (beta1 = 0.5, as for GANs:
#: Radford et al., 2016); Adam's own (0.9, 0.999) let the game oscillate (issue 12).
ADVERSARIAL_BETAS = (0.5, 0.999)


class _DANNMixin:
    """The adversarial term of DANN, shared by both flavours (and the gated classifier)."""

    _parameter_constraints = {
        "mu": [Interval(Real, 0, None, closed="left")],
        "grl_lambda": [StrOptions({"schedule"}), Interval(Real, 0, None, closed="left")],
        "grl_gamma": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        module=DomainMLP,
        *,
        discriminator=Discriminator,
        mu=0.3,
        grl_lambda="schedule",
        grl_gamma=10.0,
        **kwargs,
    ):
        super().__init__(module, **kwargs)
        self.discriminator = discriminator
        self.mu = mu
        self.grl_lambda = grl_lambda
        self.grl_gamma = grl_gamma

    def _check_own_params(self):
        super()._check_own_params()
        self._check_mlp_params("discriminator", Discriminator)

    def get_params_for_optimizer(self, prefix, named_parameters):
        """Return skorch's optimizer arguments; Adam without ``optimizer__betas`` gets betas (0.5, 0.999).

        Parameters
        ----------
        prefix : str
            The optimizer's name (``"optimizer"``).
        named_parameters : iterable of (str, Parameter)
            The parameters it trains.

        Returns
        -------
        args : list
            The parameter groups.
        kwargs : dict
            The optimizer's keyword arguments (``lr``, ``optimizer__*``, and the betas).
        """
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if prefix == "optimizer" and self.optimizer is torch.optim.Adam and "betas" not in kwargs:
            kwargs["betas"] = ADVERSARIAL_BETAS
        return args, kwargs

    def _discriminator_width(self):
        """Return the input width of ``D``: the feature width."""
        return self.feature_dims_[0]

    def initialize_extra_modules(self):
        """Build the discriminator ``discriminator_`` on the feature width (+ classes when gated)."""
        if not self.has_feature_:
            raise ValueError(
                f"{type(self).__name__} needs the features F(x): the module must return "
                "(output, features), or name its feature layer with feature_layer='name'."
            )
        n_in = self._discriminator_width()
        kwargs = self.get_params_for("discriminator")
        disc = self.discriminator
        if isinstance(disc, torch.nn.Module):
            self.discriminator_ = self.initialized_instance(disc, kwargs)
        else:
            self.discriminator_ = disc(n_in, **kwargs)
        self.discriminator_.to(self.device)

    def current_lambda(self):
        r"""Return the reversal coefficient now: :math:`\lambda_p` of the schedule, or the constant.

        Returns
        -------
        lambda_p : float
            :math:`\lambda_p = 2 / (1 + e^{-\gamma p}) - 1` at the training progress
            :math:`p` (:meth:`progress`) with ``grl_lambda="schedule"``, else
            ``grl_lambda``.
        """
        if self.grl_lambda == "schedule":
            return dann_lambda(self.progress(), self.grl_gamma)
        return float(self.grl_lambda)

    def _reversed_features(self, y_pred, batch, lam):
        r"""Reverse the batch's features: :math:`R_{\lambda}(F(x))`, through the reversal layer."""
        return grad_reverse(y_pred[1], lam)

    def _discriminate_unlabeled(self, z):
        """Return D's logits on reversed features without labels."""
        return self.discriminator_(z)

    def _labeled_adversarial(self, batch):
        """Return further adversarial terms on labeled pairs (the gate's); none for plain DANN."""
        return None

    def adaptation_loss(self, y_pred, y_true, X, batch):
        r""":math:`\mu` times D's cross-entropy, reaching ``F`` through :math:`R_{\lambda_p}`.

        .. math::

            \mu \, \bigl(-\mathcal{L}_{\mathrm{ADV}}\bigr), \quad
            -\mathcal{L}_{\mathrm{ADV}} = \mathbb{E}_{x_u \sim T}[-\log D(R_{\lambda_p}(F(x_u)))]
            + \mathbb{E}_{x_s \sim S}[-\log(1 - D(R_{\lambda_p}(F(x_s))))],

        each expectation the mean over its own rows of the batch: ``D`` descends this
        cross-entropy while ``F`` receives :math:`-\lambda_p` times its gradient (the
        reversal layer :math:`R_{\lambda_p}`), i.e. ascends it. Gated, ``D`` sees
        :math:`(F(x), \mathrm{nil})` here, and on batches with labeled target rows the
        joint terms :math:`\mathbb{E}_{T_L}[-\log D(F(x_l), y_l)] +
        \mathbb{E}_S[-\log(1 - D(F(x_s), y_s))]` are added.

        Parameters
        ----------
        y_pred : tuple of Tensor
            The net's output for the batch, ``(output, feature)``: :math:`C(F(x))` and
            :math:`F(x)`.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` / NaN for masked rows).
        X : dict of str to Tensor
            The batch dict.
        batch : DomainBatch
            The batch's row groups (see :meth:`DomainNet.task_loss`); gated, its
            ``cache`` holds the joint discriminator's output from :meth:`task_loss`.

        Returns
        -------
        loss : Tensor
            The scalar adversarial term (logged as ``train_loss_adv`` before the factor
            :math:`\mu`).
        """
        lam = self.current_lambda()
        self._log_term("lambda_p", lam)
        z = self._reversed_features(y_pred, batch, lam)
        d_nil = self._discriminate_unlabeled(z)
        bce = F.binary_cross_entropy_with_logits(d_nil, batch.w_target, reduction="none")
        # E_{T}[-log D(F(x_u))] + E_{S}[-log(1 - D(F(x_s)))], each its own batch mean
        adv = batch.mean(bce, "target") + batch.mean(bce, "source")
        joint = self._labeled_adversarial(batch)
        if joint is not None:
            adv = adv + joint
        self._log_term("train_loss_adv", adv)
        return self.mu * adv


class _GateMixin:
    """The discriminator gate (Wang et al., 2019) on DANN's discriminator: classification only."""

    _parameter_constraints = {
        "gate": ["boolean"],
        "source_weight": [Interval(Real, 0, None, closed="left")],
        "omega_clip": [Interval(Real, 1, None, closed="left")],
    }

    def _discriminator_width(self):
        """Return the input width of ``D``: features, plus one-hot classes when gated."""
        return super()._discriminator_width() + (len(self.classes_) if self.gate else 0)

    def _gate_weights(self, d_joint):
        r""":math:`\omega = \mathrm{SG}(D/(1-D)) = \exp(\mathrm{logit})`, clipped to ``[0, omega_clip]``."""
        return torch.exp(d_joint.detach().clamp(max=math.log(self.omega_clip)))

    def task_loss(self, y_pred, y_true, X, batch):
        r"""Task term of a training batch; gated, the source loss is weighted by :math:`\omega`.

        Plain: :math:`\mathcal{L}_{\mathrm{CLF}} = \mathbb{E}_S[\ell] + \mathbb{E}_{T_L}[\ell]`.
        Gated:

        .. math::

            \mathcal{L}^{\mathrm{gate}}_{\mathrm{CLF}} = \mathbb{E}_{T_L}[\ell(C(F(x_l)), y_l)]
            + \lambda \, \mathbb{E}_{S}[\omega(x_s, y_s) \, \ell(C(F(x_s)), y_s)],
            \quad \omega = \mathrm{SG}\!\left(\frac{D(x_s, y_s)}{1 - D(x_s, y_s)}\right),

        with :math:`\lambda` = ``source_weight`` and :math:`\omega` clipped at
        ``omega_clip``; :math:`\omega \equiv 1` when the fit has no labeled target row.
        The reversed features and the joint discriminator's output are kept in
        ``batch.cache["gate"]`` for :meth:`adaptation_loss`.

        Parameters
        ----------
        y_pred : tuple of Tensor
            The net's output for the batch, ``(output, feature)``: :math:`C(F(x))` and
            :math:`F(x)`.
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
            z = grad_reverse(feats, self.current_lambda())
            d_joint = self.discriminator_(torch.cat([z, onehot], dim=1))
            batch.cache["gate"] = (z, d_joint)
            w = self._gate_weights(d_joint)
            self._log_term("omega_mean", batch.mean(w, "source_labeled"))
        loss = self.source_weight * (rows * w * batch.w_source_labeled).sum() / max(batch.n_source_labeled, 1)
        if batch.n_target_labeled:
            loss = loss + batch.mean(rows, "target_labeled")
        return loss

    def _reversed_features(self, y_pred, batch, lam):
        """Reuse the reversed features of :meth:`task_loss` when the gate computed them on this batch."""
        if "gate" in batch.cache:
            return batch.cache["gate"][0]
        return super()._reversed_features(y_pred, batch, lam)

    def _discriminate_unlabeled(self, z):
        r"""Return D's logits on :math:`(R(F(x)), \mathrm{nil})` when gated (the label part all zeros)."""
        if self.gate:
            z = torch.cat([z, z.new_zeros(z.shape[0], len(self.classes_))], dim=1)
        return super()._discriminate_unlabeled(z)

    def _labeled_adversarial(self, batch):
        r""":math:`\mathbb{E}_{T_L}[-\log D(F(x_l), y_l)] + \mathbb{E}_S[-\log(1 - D(F(x_s), y_s))]`.

        Only on batches with labeled target rows whose joint output the gate computed.
        """
        if "gate" not in batch.cache or not batch.n_target_labeled:
            return None
        d_joint = batch.cache["gate"][1]
        bce_j = F.binary_cross_entropy_with_logits(d_joint, batch.w_target, reduction="none")
        return batch.mean(bce_j, "target_labeled") + batch.mean(bce_j, "source_labeled")


_DANN_PARAMS = (
    r"""
    Parameters
    ----------
"""
    + textwrap.indent(_MODULE_PARAM_DOC, "    ")
    + r"""    discriminator : torch module class or instance, default=Discriminator
        ``D``: maps features (and, gated, one-hot labels) to one logit of P(target).
        A class is built as ``discriminator(n_in, **discriminator__params)``.
    mu : float, default=0.3
        :math:`\mu`, weight of the adversarial term. Ganin et al. weight it by
        :math:`\lambda_p` alone (``mu=1.0``, the default before issue 12); see the user
        guide's "Defaults, and the paper's settings" for the measurements behind 0.3.
        The game's other defaults: ``D`` of two hidden layers of 256 units and, with the
        default optimizer (Adam) and no ``optimizer__betas``, Adam's betas (0.5, 0.999),
        as is usual for adversarial games (``optimizer__betas=(0.9, 0.999)`` gives
        Adam's own).
    grl_lambda : "schedule" or float, default="schedule"
        Reversal coefficient: :math:`\lambda_p = 2/(1 + e^{-\gamma p}) - 1` with ``p`` the
        training progress over ``max_epochs`` x batches, or a constant.
    grl_gamma : float, default=10.0
        :math:`\gamma` of the schedule (Ganin et al.'s 10).
"""
)

_GATE_PARAMS = r"""    gate : bool, default=False
        Use the discriminator gate.
    source_weight : float, default=1.0
        :math:`\lambda` of the gated task loss (weight of the source term).
    omega_clip : float, default=10.0
        Upper clip of :math:`\omega` (the ratio is :math:`\exp` of D's logit, clipped at
        ``log(omega_clip)``, so it stays in ``[0, omega_clip]``).
"""


def _dann_tail(history):
    return (
        r"""    **kwargs : dict
        The net's parameters (those of :class:`DomainNet`), by keyword:

"""
        + textwrap.indent(_NET_PARAMS_DOC, " " * 8)
        + r"""
        and further skorch parameters: ``module__*``, ``discriminator__*``,
        ``optimizer__*``, ``callbacks``, ``warm_start``, ...

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    discriminator_ : torch.nn.Module
        The trained discriminator.
    n_features_in_ : int
        Number of input features.
    n_target_labeled_ : int
        Labeled target rows seen in the fit.
    history_ : skorch.History
"""
        + history
    )


_DANN_OBJECTIVE = r"""
    With feature extractor :math:`F`, head :math:`C` and discriminator
    :math:`D(z) = P(\text{target} \mid z)`, the objective is

    .. math::

        \min_{F, C} \max_D \; \mathcal{L}_{\mathrm{CLF}}(F, C) + \mu \, \mathcal{L}_{\mathrm{ADV}}(F, D),

    .. math::

        \mathcal{L}_{\mathrm{CLF}} = \mathbb{E}_{(x_s, y_s) \sim S}[\ell(C(F(x_s)), y_s)]
        + \mathbb{E}_{(x_l, y_l) \sim T_L}[\ell(C(F(x_l)), y_l)],

    .. math::

        \mathcal{L}_{\mathrm{ADV}} = \mathbb{E}_{x_u \sim T}[\log D(F(x_u))]
        + \mathbb{E}_{x_s \sim S}[\log(1 - D(F(x_s)))],

    i.e. :math:`\mathcal{L}_{\mathrm{ADV}}` is D's log-likelihood of the right domain. In
    practice ``D`` minimises its binary cross-entropy :math:`-\mathcal{L}_{\mathrm{ADV}}`
    (one logit, never a constant output) and ``F`` receives the reversed gradient through
    the layer :math:`R_{\lambda_p}` (identity forward, :math:`-\lambda_p` times the
    gradient backward). Each expectation is the mean over its own rows of a batch, and
    a batch holds ``batch_size`` source and ``batch_size`` target rows.
"""

_GATE = r"""
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

    and :math:`\min_{F,C} \max_D \mathcal{L}^{\mathrm{gate}}_{\mathrm{CLF}} + \mu
    \mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}}`. Each expectation is its own batch mean (a
    pooled cross-entropy would bias :math:`\omega` by :math:`n_{T_L}/n_S`); the two
    labeled terms are taken on batches that hold labeled target rows, so D's prior
    between the labeled pairs stays balanced. :math:`\omega = \exp(\text{logit of } D)`
    is clipped at ``omega_clip``. With no labeled target row in the whole fit the joint
    discriminator would see labeled pairs from the source only and drive
    :math:`\omega \to 0`: then :math:`\omega \equiv 1`, and the gated net is plain DANN.
"""

_REFS = r"""
    References
    ----------
    .. [1] Y. Ganin and V. Lempitsky, "Unsupervised Domain Adaptation by
       Backpropagation", ICML 2015.
    .. [2] Y. Ganin, E. Ustinova, H. Ajakan, P. Germain, H. Larochelle, F. Laviolette,
       M. Marchand and V. Lempitsky, "Domain-Adversarial Training of Neural Networks",
       JMLR 17, 2016.
    .. [3] Z. Wang, Z. Dai, B. Póczos and J. Carbonell, "Characterizing and Avoiding
       Negative Transfer", CVPR 2019.
"""


class DANNClassifier(_GateMixin, _DANNMixin, DomainClassifierMixin, DomainNet):
    __doc__ = (
        "Domain-adversarial neural network for classification (a skorch net).\n"
        + _DANN_OBJECTIVE
        + _GATE
        + _DANN_PARAMS
        + _GATE_PARAMS
        + _dann_tail(
            r"""        Per epoch (and per batch): ``train_loss``, ``train_loss_task``, ``train_loss_adv``,
        ``lambda_p``, gated also ``omega_mean``; ``valid_loss`` with a ``train_split``.
"""
        )
        + _REFS
        + r"""
    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import DANNClassifier
    >>> X, y, sd = make_domain_shift(100, 100, random_state=0)
    >>> net = DANNClassifier(max_epochs=5, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> net.predict(X[sd < 0]).shape
    (100,)
    >>> terms = ("train_loss_task", "train_loss_adv", "lambda_p")
    >>> [k for k in terms if k in net.history[-1]]
    ['train_loss_task', 'train_loss_adv', 'lambda_p']
"""
    )

    def __init__(
        self,
        module=DomainMLP,
        *,
        discriminator=Discriminator,
        mu=0.3,
        grl_lambda="schedule",
        grl_gamma=10.0,
        gate=False,
        source_weight=1.0,
        omega_clip=10.0,
        **kwargs,
    ):
        super().__init__(
            module, discriminator=discriminator, mu=mu, grl_lambda=grl_lambda, grl_gamma=grl_gamma, **kwargs
        )
        self.gate = gate
        self.source_weight = source_weight
        self.omega_clip = omega_clip


class GatedDANNClassifier(DANNClassifier):
    __doc__ = (
        "DANN with the discriminator gate: :class:`DANNClassifier` with ``gate=True``.\n"
        + _GATE
        + r"""
    Parameters
    ----------
    module : torch module class or instance, default=DomainMLP
        The network ``C(F(x))``, as in :class:`DANNClassifier`.
    gate : bool, default=True
        Use the discriminator gate (``False`` gives plain DANN).
    **kwargs : dict
        Every other parameter of :class:`DANNClassifier` (``discriminator``, ``mu``,
        ``grl_lambda``, ``source_weight``, ``omega_clip``, ``lr``, ``max_epochs``, ...).
"""
        + _REFS
        + r"""
    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import GatedDANNClassifier
    >>> X, y, sd = make_domain_shift(
    ...     100, 100, n_target_labeled=10, random_state=0
    ... )
    >>> net = GatedDANNClassifier(max_epochs=5, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> 0.0 <= net.history[-1]["omega_mean"] <= net.omega_clip
    True
"""
    )

    def __init__(self, module=DomainMLP, *, gate=True, **kwargs):
        super().__init__(module, gate=gate, **kwargs)


class DANNRegressor(_DANNMixin, DomainRegressorMixin, DomainNet):
    __doc__ = (
        "Domain-adversarial neural network for regression (a skorch net); no gate.\n"
        + _DANN_OBJECTIVE
        + _DANN_PARAMS
        + _dann_tail(
            r"""        Per epoch (and per batch): ``train_loss``, ``train_loss_task``, ``train_loss_adv``,
        ``lambda_p``; ``valid_loss`` with a ``train_split``.
"""
        )
        + _REFS
        + r"""
    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import DANNRegressor
    >>> X, y, sd = make_domain_shift(100, 100, task="regression", random_state=0)
    >>> net = DANNRegressor(max_epochs=5, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> net.predict(X[sd < 0]).shape
    (100,)
"""
    )
