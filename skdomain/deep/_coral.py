r"""Deep CORAL: the covariances of source and target features matched (Sun & Saenko, 2016)."""

from numbers import Real

from sklearn.utils._param_validation import Interval

from ._classifier import DomainClassifierMixin
from ._gate import _DetachedGateMixin, detached_gate_doc_parts, fill_doc
from ._layers import _AdaptedLayersMixin
from ._losses import _coral_loss
from ._modules import Discriminator, DomainMLP
from ._net import DomainNet
from ._regressor import DomainRegressorMixin

__all__ = ["DeepCORALClassifier", "DeepCORALRegressor"]


class _DeepCORALMixin(_AdaptedLayersMixin):
    """The CORAL term, shared by both flavours."""

    _layers_param = "coral_layers"
    _parameter_constraints = {
        "mu": [Interval(Real, 0, None, closed="left")],
        "coral_layers": [list, tuple, None],
    }

    def __init__(self, module=DomainMLP, *, mu=1.0, coral_layers=None, **kwargs):
        super().__init__(module, **kwargs)
        self.mu = mu
        self.coral_layers = coral_layers

    def adaptation_loss(self, y_pred, y_true, X, batch):
        r""":math:`\mu \sum_l \frac{1}{4 d_l^2} \|C_S^l - C_T^l\|_F^2` on the batch.

        .. math::

            \mu \sum_{l} \frac{1}{4 d_l^2} \left\| C\!\left(F_l(X_s)\right)
            - C\!\left(F_l(X_t)\right) \right\|_F^2,

        over the adapted layers :math:`F_l` (``coral_layers``) of width :math:`d_l`,
        :math:`C` the unbiased covariance of a layer's units over the batch's rows of a
        domain (:func:`coral_loss`). A batch with fewer than 2 rows of a domain adds
        nothing.

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
            The batch's row groups (see :meth:`DomainNet.task_loss`).

        Returns
        -------
        loss : Tensor or None
            The scalar CORAL term (logged as ``train_loss_coral`` before the factor
            :math:`\mu`); ``None`` when a domain has fewer than 2 rows in the batch.
        """
        return self._layers_term(y_pred, batch, _coral_loss, "train_loss_coral")


_CORAL_DOC = r"""
    With feature layers :math:`F_l` (the module's features, by default), the objective is

    .. math::

        \min_{F, C} \; \mathcal{L}_{\mathrm{CLF}}(F, C)
        + \mu \sum_{l} \frac{1}{4 d_l^2} \left\| C_S^l - C_T^l \right\|_F^2,

    :math:`\mathcal{L}_{\mathrm{CLF}} = \mathbb{E}_S[\ell] + \mathbb{E}_{T_L}[\ell]` over the
    labeled rows, :math:`C_S^l` and :math:`C_T^l` the unbiased covariances
    (:math:`d_l \times d_l`, over the rows of a batch) of the :math:`d_l` units of layer
    :math:`l` on the source and on the target rows:
    :math:`C_S = \frac{1}{n_S - 1}(D_S^\top D_S - \frac{1}{n_S}(\mathbf{1}^\top D_S)^\top
    (\mathbf{1}^\top D_S))` with :math:`D_S` the batch's source activations
    (:func:`coral_loss`; ``np.cov(D_S, rowvar=False)``). :math:`\mu` is the paper's
    :math:`\lambda`. Sun & Saenko match the last layer (``coral_layers=("output",)``); the
    default matches the features, as DAN does. The term needs no label, so it serves
    classification and regression alike.
@GATE@
    Parameters
    ----------
    module : torch module class or instance, default=DomainMLP
        The network; see :class:`DANNClassifier` for custom modules and ``feature_layer``.
    mu : float, default=1.0
        :math:`\mu`, weight of the CORAL term (the paper's :math:`\lambda`).
    coral_layers : sequence of str, default=None
        Layers adapted: ``"features"`` (the module's features), ``"output"`` (the head's
        output), or names of submodules (read by forward hooks). ``None`` is ``("features",)``.
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
        ``train_loss``, ``train_loss_task``, ``train_loss_coral`` per epoch and per batch.@GATE_HISTORY@

    References
    ----------
    .. [1] B. Sun and K. Saenko, "Deep CORAL: Correlation Alignment for Deep Domain
       Adaptation", ECCV 2016 Workshops.
    .. [2] B. Sun, J. Feng and K. Saenko, "Return of Frustratingly Easy Domain
       Adaptation", AAAI 2016.
@GATE_REFS@"""


class DeepCORALClassifier(_DetachedGateMixin, _DeepCORALMixin, DomainClassifierMixin, DomainNet):
    __doc__ = (
        "Deep CORAL for classification (a skorch net), with the discriminator gate.\n"
        + fill_doc(_CORAL_DOC, **detached_gate_doc_parts("Deep CORAL"))
        + r"""
    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import DeepCORALClassifier
    >>> X, y, sd = make_domain_shift(100, 100, random_state=0)
    >>> net = DeepCORALClassifier(max_epochs=5, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> net.predict(X[sd < 0]).shape
    (100,)
    >>> "train_loss_coral" in net.history[-1]
    True
"""
    )

    def __init__(
        self,
        module=DomainMLP,
        *,
        mu=1.0,
        coral_layers=None,
        discriminator=Discriminator,
        gate=False,
        source_weight=1.0,
        omega_clip=10.0,
        **kwargs,
    ):
        super().__init__(
            module,
            mu=mu,
            coral_layers=coral_layers,
            discriminator=discriminator,
            gate=gate,
            source_weight=source_weight,
            omega_clip=omega_clip,
            **kwargs,
        )


class DeepCORALRegressor(_DeepCORALMixin, DomainRegressorMixin, DomainNet):
    __doc__ = (
        "Deep CORAL for regression (a skorch net); no gate.\n"
        + fill_doc(_CORAL_DOC)
        + r"""
    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import DeepCORALRegressor
    >>> X, y, sd = make_domain_shift(100, 100, task="regression", random_state=0)
    >>> net = DeepCORALRegressor(max_epochs=5, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> net.predict(X[sd < 0]).shape
    (100,)
"""
    )
