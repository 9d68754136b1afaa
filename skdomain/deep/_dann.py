r"""Domain-adversarial networks (Ganin & Lempitsky, 2015), with the discriminator gate (Wang et al., 2019)."""

import textwrap
from numbers import Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ._classifier import DomainClassifierMixin
from ._gate import GATE_PARAMS_DOC, _GateMixin, build_discriminator, domain_cross_entropy, gate_doc
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
        self.discriminator_ = build_discriminator(self, self._discriminator_width())

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

    def _adversarial_loss(self, z, batch):
        r"""Return D's cross-entropy :math:`-\mathcal{L}_{\mathrm{ADV}}` on the reversed features ``z``."""
        return domain_cross_entropy(self.discriminator_(z), batch)

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
        # E_{T}[-log D(F(x_u))] + E_{S}[-log(1 - D(F(x_s)))], each its own batch mean (+ the gate's terms)
        adv = self._adversarial_loss(z, batch)
        self._log_term("train_loss_adv", adv)
        return self.mu * adv


class _DANNGateMixin(_GateMixin):
    """The shared gate (:mod:`._gate`) on DANN's own discriminator, which F plays against."""

    def _gate_features(self, y_pred, batch):
        r"""Return :math:`R_{\lambda_p}(F(x))`: on the labeled pairs too, F plays against D."""
        return grad_reverse(y_pred[1], self.current_lambda())

    def _reversed_features(self, y_pred, batch, lam):
        """Reuse the reversed features of :meth:`task_loss` when the gate computed them on this batch."""
        if "gate" in batch.cache:
            return batch.cache["gate"][0]
        return super()._reversed_features(y_pred, batch, lam)

    def _adversarial_loss(self, z, batch):
        r"""Return :math:`-\mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}}` gated, else the plain cross-entropy."""
        return self._gate_adversarial(z, batch)


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

_GATE = gate_doc(
    r"""and :math:`\min_{F,C} \max_D \mathcal{L}^{\mathrm{gate}}_{\mathrm{CLF}} + \mu
    \mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}}`: the gate uses DANN's own ``D``, and ``F``
    plays against it on the labeled pairs too (through :math:`R_{\lambda_p}`).""",
    "DANN",
)

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


class DANNClassifier(_DANNGateMixin, _DANNMixin, DomainClassifierMixin, DomainNet):
    __doc__ = (
        "Domain-adversarial neural network for classification (a skorch net).\n"
        + _DANN_OBJECTIVE
        + _GATE
        + _DANN_PARAMS
        + GATE_PARAMS_DOC
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
