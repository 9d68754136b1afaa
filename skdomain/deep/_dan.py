r"""Deep adaptation networks: multi-kernel MMD between source and target features (Long et al., 2015)."""

from numbers import Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ..metrics._kernels import MULTISCALE_EXPONENTS
from ..utils._validation import is_finite_real
from ._classifier import DomainClassifierMixin
from ._gate import _DetachedGateMixin, detached_gate_doc_parts, fill_doc
from ._layers import _AdaptedLayersMixin
from ._losses import _mk_mmd_torch
from ._modules import Discriminator, DomainMLP
from ._net import DomainNet
from ._regressor import DomainRegressorMixin

__all__ = ["DANClassifier", "DANRegressor"]


class _DANMixin(_AdaptedLayersMixin):
    """The MK-MMD term of DAN, shared by both flavours."""

    _layers_param = "mmd_layers"

    _parameter_constraints = {
        "mu": [Interval(Real, 0, None, closed="left")],
        "mmd_layers": [list, tuple, None],
        "mmd_estimator": [StrOptions({"unbiased", "biased", "linear"})],
        "kernel_scales": [list, tuple, None],
        "kernel_weights": [list, tuple, None],
    }

    def __init__(
        self,
        module=DomainMLP,
        *,
        mu=1.0,
        mmd_layers=None,
        mmd_estimator="unbiased",
        kernel_scales=None,
        kernel_weights=None,
        **kwargs,
    ):
        super().__init__(module, **kwargs)
        self.mu = mu
        self.mmd_layers = mmd_layers
        self.mmd_estimator = mmd_estimator
        self.kernel_scales = kernel_scales
        self.kernel_weights = kernel_weights

    def _check_own_params(self):
        """Check the adapted layers and the kernels (non-empty, finite, weights per scale) at fit."""
        super()._check_own_params()
        scales = MULTISCALE_EXPONENTS if self.kernel_scales is None else tuple(self.kernel_scales)
        if not scales or not all(is_finite_real(k) for k in scales):
            raise ValueError(
                "kernel_scales must hold at least one finite number (the powers k of 2 that multiply "
                f"the median bandwidth, e.g. (-3, -2, -1, 0, 1)); got {self.kernel_scales!r}."
            )
        if self.kernel_weights is not None:
            w = tuple(self.kernel_weights)
            if len(w) != len(scales) or not all(is_finite_real(v) and v >= 0 for v in w) or not sum(w) > 0:
                raise ValueError(
                    f"kernel_weights must hold {len(scales)} non-negative finite values, not all 0 (one "
                    f"per scale); got {self.kernel_weights!r}."
                )

    def adaptation_loss(self, y_pred, y_true, X, batch):
        r""":math:`\mu \sum_l \mathrm{MK\text{-}MMD}^2(F_l(x_s), F_l(x_t))` on the batch.

        .. math::

            \mu \sum_{l} \mathrm{MK\text{-}MMD}^2\!\left(F_l(X_s), F_l(X_t)\right),
            \quad \mathrm{MK\text{-}MMD}^2 = \sum_u \beta_u \mathrm{MMD}^2_{k_u},

        over the adapted layers :math:`F_l` (``mmd_layers``), between the batch's source
        rows :math:`X_s` and target rows :math:`X_t`, with the bandwidths of the pooled
        batch and the ``mmd_estimator`` estimate (:func:`mk_mmd_torch`). A batch with
        fewer than 2 rows of a domain adds nothing.

        Parameters
        ----------
        y_pred : tuple of Tensor
            The net's output for the batch: ``(output, feature, *extra)``, the adapted
            layers' outputs among them.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (unused: the term needs no label).
        X : dict of str to Tensor
            The batch dict.
        batch : DomainBatch
            The batch's row groups: masks and counts of source / target rows (see
            :meth:`DomainNet.task_loss`).

        Returns
        -------
        loss : Tensor or None
            The scalar MMD term (logged as ``train_loss_mmd`` before the factor
            :math:`\mu`); ``None`` when a domain has fewer than 2 rows in the batch.
        """
        scales = MULTISCALE_EXPONENTS if self.kernel_scales is None else tuple(self.kernel_scales)
        weights = None if self.kernel_weights is None else torch.as_tensor(self.kernel_weights)

        def mmd(Zs, Zt):
            return _mk_mmd_torch(Zs, Zt, weights=weights, estimator=self.mmd_estimator, scales=scales)

        return self._layers_term(y_pred, batch, mmd, "train_loss_mmd")


_DAN_DOC_TEMPLATE = r"""
    With feature layers :math:`F_l` (the module's features, by default), the objective is

    .. math::

        \min_{F, C} \; \mathcal{L}_{\mathrm{CLF}}(F, C)
        + \mu \sum_{l} \mathrm{MK\text{-}MMD}^2\!\left(F_l(X_s), F_l(X_t)\right),

    :math:`\mathcal{L}_{\mathrm{CLF}} = \mathbb{E}_S[\ell] + \mathbb{E}_{T_L}[\ell]` over the
    labeled rows, and :math:`\mathrm{MK\text{-}MMD}^2 = \sum_u \beta_u \mathrm{MMD}^2_{k_u}` with
    Gaussian kernels :math:`k_u(z, z') = \exp(-\gamma_u \|z - z'\|^2)`. The bandwidths follow
    skdomain's one rule (:func:`skdomain.metrics.multiscale_gammas`): on the pooled batch,
    :math:`\sigma^2 = \mathrm{median}_{i<j} \|z_i - z_j\|^2`, :math:`\gamma_u = 1 / (\sigma^2 2^k)`
    for :math:`k` in ``kernel_scales`` (default :math:`-3, \dots, 1`), uniform :math:`\beta_u`
    by default. The estimate is the unbiased quadratic one (default), the biased one, or the
    linear-time one over :math:`\min(n_s, n_t)` rows (:func:`mk_mmd_torch`); source and target
    counts of a batch may differ.
@GATE@
    Parameters
    ----------
    module : torch module class or instance, default=DomainMLP
        The network; see :class:`DANNClassifier` for custom modules and ``feature_layer``.
    mu : float, default=1.0
        :math:`\mu`, weight of the MMD term.
    mmd_layers : sequence of str, default=None
        Layers adapted: ``"features"`` (the module's features), ``"output"`` (the head's
        output), or names of submodules (read by forward hooks). ``None`` is ``("features",)``.
    mmd_estimator : {"unbiased", "biased", "linear"}, default="unbiased"
        Which MMD estimate.
    kernel_scales : sequence of int, default=None
        Powers :math:`k` of two applied to :math:`\sigma^2`; ``None`` is
        ``skdomain.metrics._kernels.MULTISCALE_EXPONENTS``.
    kernel_weights : sequence of float, default=None
        :math:`\beta_u` (normalised); ``None`` is uniform.
@GATE_PARAMS@    **kwargs : dict
        The parameters of :class:`DANNClassifier` other than the adversarial ones
        (``lr``, ``max_epochs``, ``batch_size``, ``random_state``, ``device``, ``train_split``,
        ``module__*``, skorch's callbacks, ...).

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    n_features_in_ : int
        Number of input features.
@GATE_ATTRIBUTES@    history_ : skorch.History
        ``train_loss``, ``train_loss_task``, ``train_loss_mmd`` per epoch and per batch.@GATE_HISTORY@

    References
    ----------
    .. [1] M. Long, Y. Cao, J. Wang and M. I. Jordan, "Learning Transferable Features
       with Deep Adaptation Networks", ICML 2015.
    .. [2] A. Gretton, K. Borgwardt, M. Rasch, B. Schölkopf and A. Smola, "A Kernel
       Two-Sample Test", JMLR 13, 2012.
@GATE_REFS@"""


_DAN_DOC = fill_doc(_DAN_DOC_TEMPLATE)
_DAN_CLASSIFIER_DOC = fill_doc(_DAN_DOC_TEMPLATE, **detached_gate_doc_parts("DAN"))


class DANClassifier(_DetachedGateMixin, _DANMixin, DomainClassifierMixin, DomainNet):
    __doc__ = (
        "Deep adaptation network for classification (a skorch net), with the discriminator gate.\n"
        + _DAN_CLASSIFIER_DOC
        + r"""
    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import DANClassifier
    >>> X, y, sd = make_domain_shift(100, 100, random_state=0)
    >>> net = DANClassifier(max_epochs=5, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> net.predict(X[sd < 0]).shape
    (100,)
    >>> "train_loss_mmd" in net.history[-1]
    True
    >>> X, y, sd = make_domain_shift(100, 100, n_target_labeled=10, random_state=0)
    >>> gated = DANClassifier(gate=True, max_epochs=5, random_state=0)
    >>> gated = gated.fit(X, y, sample_domain=sd)
    >>> 0.0 <= gated.history[-1]["omega_mean"] <= gated.omega_clip
    True
"""
    )

    def __init__(
        self,
        module=DomainMLP,
        *,
        mu=1.0,
        mmd_layers=None,
        mmd_estimator="unbiased",
        kernel_scales=None,
        kernel_weights=None,
        discriminator=Discriminator,
        gate=False,
        source_weight=1.0,
        omega_clip=10.0,
        **kwargs,
    ):
        super().__init__(
            module,
            mu=mu,
            mmd_layers=mmd_layers,
            mmd_estimator=mmd_estimator,
            kernel_scales=kernel_scales,
            kernel_weights=kernel_weights,
            discriminator=discriminator,
            gate=gate,
            source_weight=source_weight,
            omega_clip=omega_clip,
            **kwargs,
        )


class DANRegressor(_DANMixin, DomainRegressorMixin, DomainNet):
    __doc__ = (
        "Deep adaptation network for regression (a skorch net).\n"
        + _DAN_DOC
        + r"""
    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import DANRegressor
    >>> X, y, sd = make_domain_shift(100, 100, task="regression", random_state=0)
    >>> net = DANRegressor(max_epochs=5, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> net.predict(X[sd < 0]).shape
    (100,)
"""
    )
