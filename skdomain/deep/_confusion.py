r"""Domain confusion with soft labels (Tzeng, Hoffman, Darrell & Saenko, ICCV 2015).

A domain classifier :math:`\theta_D` and the representation :math:`\theta_{\mathrm{repr}}`
are trained in alternation: the classifier learns to tell the domains apart, the
representation learns to make its posterior uniform (a confusion loss, not a reversed
gradient). The classifier flavour adds the soft-label loss, which matches on labeled
target rows the per-class average source softmax at a high temperature.
"""

import warnings
from numbers import Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval

from ..exceptions import SoftLabelWarning
from ._adda import _build
from ._classifier import DomainClassifierMixin
from ._dann import ADVERSARIAL_BETAS
from ._gate import (
    _DetachedGateMixin,
    detached_gate_doc_parts,
    domain_cross_entropy,
    fill_doc,
    gate_doc,
    phase_optimizers,
)
from ._modules import Discriminator, DomainMLP
from ._net import DomainNet, _outside_stacklevel
from ._regressor import DomainRegressorMixin

__all__ = ["DomainConfusionClassifier", "DomainConfusionRegressor"]


def confusion_loss(logits, batch):
    r"""Return the confusion loss :math:`\mathcal{L}_{\mathrm{conf}}` on the domain classifier's logits.

    With two domains (source, target) and one logit :math:`a` per row,
    :math:`q = (1 - \sigma(a), \sigma(a))` and the cross-entropy with the uniform
    distribution is

    .. math::

        c(a) = -\sum_{d} \tfrac{1}{D} \log q_d
        = \tfrac{1}{2}\bigl(-\log \sigma(a) - \log(1 - \sigma(a))\bigr),
        \qquad
        \mathcal{L}_{\mathrm{conf}} = \mathbb{E}_{x_s \sim S}[c(a_s)] + \mathbb{E}_{x_t \sim T}[c(a_t)],

    each expectation the mean over its own rows of the batch (0 for an empty group). Its
    minimum, :math:`2 \log 2`, is at :math:`a = 0` (the posterior uniform).

    Parameters
    ----------
    logits : Tensor of shape (n_rows,)
        The domain classifier's logit of P(target) per row.
    batch : DomainBatch
        The batch's row groups.

    Returns
    -------
    loss : Tensor
        The scalar :math:`\mathcal{L}_{\mathrm{conf}}`.
    """
    # -log sigmoid(a) = softplus(-a), -log(1 - sigmoid(a)) = softplus(a)
    c = 0.5 * (F.softplus(-logits) + F.softplus(logits))
    return batch.mean(c, "source") + batch.mean(c, "target")


def class_soft_labels(logits, y, n_classes, temperature):
    r"""Per-class average softmax at temperature :math:`T`: the soft labels :math:`l^{(k)}`.

    .. math::

        l^{(k)} = \frac{1}{|S_k|} \sum_{x_s \in S_k} \mathrm{softmax}(z(x_s) / T),

    :math:`S_k` the rows of class :math:`k`. A class without rows gets a row of NaN.

    Parameters
    ----------
    logits : Tensor of shape (n_rows, n_classes)
        The classifier's logits :math:`z` on the (source) rows.
    y : Tensor of int of shape (n_rows,)
        Their encoded classes (``0 .. n_classes - 1``).
    n_classes : int
        Number of classes.
    temperature : float
        :math:`T`.

    Returns
    -------
    soft : Tensor of shape (n_classes, n_classes)
        Row :math:`k` is :math:`l^{(k)}` (NaN where class :math:`k` has no row).
    """
    p = torch.softmax(logits / temperature, dim=1)
    y = y.to(p.device)
    total = p.new_zeros(n_classes, p.shape[1]).index_add_(0, y, p)
    count = torch.bincount(y, minlength=n_classes).to(p.dtype)
    return total / count.unsqueeze(1)  # 0 / 0 = NaN for a class without rows


def soft_label_loss(logits, soft, temperature):
    r"""Return the soft-label cross-entropy of each row: :math:`-\sum_i l_i \log p_i`.

    With :math:`p = \mathrm{softmax}(z / T)` the row's softened prediction and
    :math:`l` its soft label (:math:`l^{(y)}`, the soft label of its class).

    Parameters
    ----------
    logits : Tensor of shape (n_rows, n_classes)
        The classifier's logits :math:`z`.
    soft : Tensor of shape (n_rows, n_classes)
        Each row's soft label.
    temperature : float
        :math:`T`.

    Returns
    -------
    loss : Tensor of shape (n_rows,)
        The per-row cross-entropy.
    """
    return -(soft * torch.log_softmax(logits / temperature, dim=1)).sum(1)


class _ConfusionMixin:
    r"""The domain classifier :math:`\theta_D` and its alternation with the representation."""

    _parameter_constraints = {"mu": [Interval(Real, 0, None, closed="left")]}

    def _check_own_params(self):
        super()._check_own_params()
        self._check_mlp_params("domain_classifier", Discriminator)

    def initialize_extra_modules(self):
        """Build the domain classifier ``domain_classifier_`` on the features, then the others."""
        super().initialize_extra_modules()
        if not self.has_feature_:
            raise ValueError(
                f"{type(self).__name__} needs the features F(x) for its domain classifier: the module must "
                "return (output, features), or name its feature layer with feature_layer='name'."
            )
        self.domain_classifier_ = _build(self, "domain_classifier", self.feature_dims_[0])

    def initialize_optimizer(self, *args, **kwargs):
        """Build ``optimizer_`` (the network, and the gate's D when gated) and ``optimizer_domain_``.

        Both are the net's ``optimizer`` with ``lr`` and ``optimizer__*``; Adam gets betas
        (0.5, 0.999) unless ``optimizer__betas`` is given, as for DANN (both are players
        of a game).

        Parameters
        ----------
        *args : tuple
            Unused (skorch's deprecated arguments).
        **kwargs : dict
            Unused (skorch's deprecated arguments).

        Returns
        -------
        self : object
            The net, with its two optimizers.
        """
        domain = [("domain", self.domain_classifier_)]
        return phase_optimizers(self, domain, ADVERSARIAL_BETAS, main_betas=ADVERSARIAL_BETAS)

    def step_phases(self):
        """Return the phases of a step: the domain classifier's, then the network's.

        Returns
        -------
        phases : list of (str, list of str) or None
            ``[("domain", ["optimizer_domain"]), ("main", ["optimizer"])]``; ``None``
            (skorch's single step) for a fit without target rows.
        """
        if not self.has_target_:
            return None
        return [("domain", ["optimizer_domain"]), ("main", ["optimizer"])]

    def phase_loss(self, name, y_pred, y_true, X, batch):
        r"""Compute the domain classifier's loss :math:`\mathcal{L}_D` on the detached features.

        .. math::

            \mathcal{L}_D = \mathbb{E}_{x_s \sim S}[-\log q_S(\mathrm{SG}(F(x_s)))]
            + \mathbb{E}_{x_t \sim T}[-\log q_T(\mathrm{SG}(F(x_t)))],

        logged as ``train_loss_domain``.

        Parameters
        ----------
        name : {"domain"}
            The phase.
        y_pred : tuple of Tensor
            The network's output for the batch, ``(output, feature, *extra)``.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch (unused: the domain is the label here).
        X : dict of str to Tensor
            The batch dict.
        batch : DomainBatch
            The batch's row groups.

        Returns
        -------
        loss : Tensor
            The scalar :math:`\mathcal{L}_D`.
        """
        if name != "domain":
            return super().phase_loss(name, y_pred, y_true, X, batch)
        return domain_cross_entropy(self.domain_classifier_(y_pred[1].detach()), batch)

    def adaptation_loss(self, y_pred, y_true, X, batch):
        r"""Return :math:`\lambda \mathcal{L}_{\mathrm{conf}}` of the batch (the classifier adds more).

        :math:`\mathcal{L}_{\mathrm{conf}}` (:func:`confusion_loss`) of the domain
        classifier on the features :math:`F(x)`: the gradient reaches the representation;
        the domain classifier gets one too but is not stepped in this phase.

        Parameters
        ----------
        y_pred : tuple of Tensor
            The network's output for the batch, ``(output, feature, *extra)``.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host.
        X : dict of str to Tensor
            The batch dict.
        batch : DomainBatch
            The batch's row groups.

        Returns
        -------
        loss : Tensor
            The scalar term (logged before its factor as ``train_loss_conf``).
        """
        conf = confusion_loss(self.domain_classifier_(y_pred[1]), batch)
        self._log_term("train_loss_conf", conf)
        return self.mu * conf


class _SoftLabelMixin:
    r"""The soft labels :math:`l^{(k)}` (recomputed each epoch), :math:`\nu \mathcal{L}_{\mathrm{soft}}`."""

    _parameter_constraints = {
        "nu": [Interval(Real, 0, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
    }

    def initialize_extra_modules(self):
        """Build the modules; no soft label yet (the first epoch has no soft-label term)."""
        super().initialize_extra_modules()
        self._soft = None
        self.soft_labels_ = None

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Warn (:class:`~skdomain.exceptions.SoftLabelWarning`) when the soft-label term is empty.

        Parameters
        ----------
        net : DomainConfusionClassifier
            The net (skorch's callback signature: ``self``).
        X : Dataset, default=None
            The training rows.
        y : None, default=None
            Unused (the labels travel in the dataset).
        **kwargs : dict
            Further arguments of skorch's ``on_train_begin``.
        """
        super().on_train_begin(net, X=X, y=y, **kwargs)
        if self.has_target_ and self.nu > 0 and self.n_target_labeled_ == 0:
            warnings.warn(
                f"{type(self).__name__}: the fit has target rows but none labeled, so the soft-label loss "
                f"L_soft (nu={self.nu!r}) is empty: only the confusion loss adapts. Give a few labeled "
                "target rows, or set nu=0 to silence this warning.",
                SoftLabelWarning,
                stacklevel=_outside_stacklevel(),
            )

    def adaptation_loss(self, y_pred, y_true, X, batch):
        r"""Return :math:`\lambda \mathcal{L}_{\mathrm{conf}} + \nu \mathcal{L}_{\mathrm{soft}}` of the batch.

        .. math::

            \mathcal{L}_{\mathrm{soft}} = \mathbb{E}_{(x_l, y_l) \sim T_L}\Bigl[
            -\sum_i l^{(y_l)}_i \log p_i(x_l)\Bigr],
            \qquad p = \mathrm{softmax}(z(x_l) / T),

        over the batch's labeled target rows whose class has source rows; 0 on a batch
        without such a row and before the first soft labels (the first epoch).

        Parameters
        ----------
        y_pred : tuple of Tensor
            The network's output for the batch, ``(output, feature, *extra)``.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` for masked rows).
        X : dict of str to Tensor
            The batch dict.
        batch : DomainBatch
            The batch's row groups.

        Returns
        -------
        loss : Tensor
            The scalar term (``train_loss_soft`` logged before its factor :math:`\nu`).
        """
        loss = super().adaptation_loss(y_pred, y_true, X, batch)
        logits = y_pred[0]
        soft = logits.new_zeros(())
        if self._soft is not None and batch.n_target_labeled:
            rows = batch.target_cpu & batch.labeled_cpu
            k = y_true.clamp_min(0)
            rows = rows & self._soft_known[k]
            n = int(rows.sum())
            if n:
                idx = torch.nonzero(rows).squeeze(1).to(logits.device)
                targets = self._soft[k.to(logits.device)[idx]]
                soft = soft_label_loss(logits[idx], targets, self.temperature).sum() / n
        self._log_term("train_loss_soft", soft)
        return loss + self.nu * soft

    def _eval_logits(self, X, chunk=4096):
        """Return the logits of the rows ``X`` (a host tensor) in evaluation mode, without gradient.

        In chunks of ``chunk`` rows (the prediction batches of ``forward_iter`` are
        ``batch_size`` rows, dozens of times more calls for the same pass).
        """
        was = self.module_.training
        self.module_.eval()
        try:
            with torch.no_grad():
                return torch.cat(
                    [
                        self._forward_module(X[i : i + chunk].to(self.device))[0]
                        for i in range(0, X.shape[0], chunk)
                    ]
                )
        finally:
            self.module_.train(was)

    def _update_soft_labels(self, dataset):
        r"""Set :math:`l^{(k)}` from a pass over the labeled source rows of ``dataset`` (evaluation mode)."""
        idx = None
        if isinstance(dataset, torch.utils.data.Subset):
            idx = torch.as_tensor(np.asarray(dataset.indices), dtype=torch.int64)
            dataset = dataset.dataset
        X, y, sd = dataset.X, dataset.y, dataset.sample_domain
        if idx is not None:
            X, y, sd = X[idx], y[idx], sd[idx]
        rows = (sd >= 0) & (y >= 0)
        if not bool(rows.any()):
            return
        logits = self._eval_logits(X[rows])
        soft = class_soft_labels(logits, y[rows], len(self.classes_), self.temperature)
        known = ~torch.isnan(soft[:, 0])
        self._soft_known = known.cpu()
        self._soft = torch.nan_to_num(soft, nan=0.0).detach()
        self.soft_labels_ = soft.detach().cpu().numpy().astype(np.float64)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        r"""Write the epoch's terms, then recompute the soft labels :math:`l^{(k)}` for the next epoch.

        Parameters
        ----------
        net : DomainConfusionClassifier
            The net (skorch's callback signature: ``self``).
        dataset_train : Dataset, default=None
            The training rows.
        dataset_valid : Dataset, default=None
            The validation rows (``None`` without a ``train_split``).
        **kwargs : dict
            Further arguments of skorch's ``on_epoch_end``.
        """
        super().on_epoch_end(net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs)
        if self.has_target_ and self.nu > 0 and self.n_target_labeled_ and dataset_train is not None:
            self._update_soft_labels(dataset_train)


_CONFUSION_DOC = r"""
    With the representation :math:`f(x; \theta_{\mathrm{repr}})` (the module's features
    :math:`F(x)`), the classifier :math:`\theta_C` (its head) and a domain classifier
    :math:`\theta_D` with posterior :math:`q = \mathrm{softmax}(\theta_D^\top f(x))` over
    the :math:`D = 2` domains (all source ids pooled, all target ids pooled), Tzeng et
    al. (2015) alternate two problems at every training step:

    .. math::

        \min_{\theta_D} \mathcal{L}_D(x_S, x_T, \theta_{\mathrm{repr}}; \theta_D)
        = -\sum_d \mathbb{1}[y_D = d] \log q_d,

    .. math::

        \min_{\theta_{\mathrm{repr}}, \theta_C}
        \mathcal{L}_C(x_S, y_S, x_T, y_T; \theta_{\mathrm{repr}}, \theta_C)
        + \lambda \mathcal{L}_{\mathrm{conf}}(x_S, x_T, \theta_D; \theta_{\mathrm{repr}})
        @SOFT_OBJ@,

    .. math::

        \mathcal{L}_{\mathrm{conf}} = -\sum_d \frac{1}{D} \log q_d,

    the cross-entropy between :math:`q` and the uniform distribution: the representation
    is pushed to make the domain classifier's posterior uniform, *not* to maximise its
    loss (gradient reversal, as in DANN, would reward a classifier that swaps the
    domains). :math:`\mathcal{L}_C` is the task loss over the labeled source and target
    rows; each expectation is the mean over its own rows of a batch (``DomainBatch``).
@SOFT_DOC@
    Each training step has two phases (``DomainNet.step_phases``): ``"domain"``, where
    :math:`\theta_D` descends :math:`\mathcal{L}_D` on the *detached* features
    :math:`\mathrm{SG}(f(x))` with its own optimizer ``optimizer_domain_`` (the update of
    :math:`\theta_D` is the same with or without the detach, as only its optimizer
    steps; detached, no gradient is computed through the network, and the network's
    parameters cannot move in this phase), then ``"main"``, where the network descends
    the second objective with ``optimizer_`` through the stepped :math:`\theta_D` (which
    gets a gradient there but is not stepped). Both optimizers are the net's
    ``optimizer``; Adam gets betas (0.5, 0.999) unless ``optimizer__betas`` is given, as
    DANN's. A fit without target rows has one phase and no adaptation term.
@GATE@
    Parameters
    ----------
    module : torch module class or instance, default=DomainMLP
        The network ``C(F(x))``; see :class:`DANNClassifier` for custom modules and
        ``feature_layer``.
    domain_classifier : torch module class or instance, default=Discriminator
        :math:`\theta_D`: maps features to one logit of P(target). A class is built as
        ``domain_classifier(n_features, **domain_classifier__params)``.
    mu : float, default=0.3
        :math:`\lambda`, the weight of :math:`\mathcal{L}_{\mathrm{conf}}` (DANN's default
        weight, so that the two compare at the same weight).
@SOFT_PARAMS@@GATE_PARAMS@    **kwargs : dict
        The net's parameters (``lr``, ``max_epochs``, ``batch_size``, ``random_state``,
        ``device``, ``train_split``, ``module__*``, ``domain_classifier__*``,
        ``optimizer__*``, skorch's callbacks, ...), as for :class:`DANNClassifier`.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    domain_classifier_ : torch.nn.Module
        The trained domain classifier :math:`\theta_D`.
    n_features_in_ : int
        Number of input features.
@SOFT_ATTRIBUTES@@GATE_ATTRIBUTES@    history_ : skorch.History
        Per epoch and per batch: ``train_loss`` (the main phase's total), ``train_loss_task``
        (:math:`\mathcal{L}_C`), ``train_loss_domain`` (:math:`\mathcal{L}_D`), ``train_loss_conf``
        (:math:`\mathcal{L}_{\mathrm{conf}}`, before :math:`\lambda`).@SOFT_HISTORY@@GATE_HISTORY@

    References
    ----------
    .. [1] E. Tzeng, J. Hoffman, T. Darrell and K. Saenko, "Simultaneous Deep Transfer
       Across Domains and Tasks", ICCV 2015.
    .. [2] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural
       Network", NIPS 2014 Deep Learning Workshop.
@GATE_REFS@"""

_SOFT_PARTS = {
    "soft_obj": r"+ \nu \mathcal{L}_{\mathrm{soft}}(x_T, y_T; \theta_{\mathrm{repr}}, \theta_C)",
    "soft_doc": r"""
    The soft-label loss transfers the similarity structure of the classes from the source
    to the labeled target rows. For each class :math:`k`, the soft label is the average
    source softmax at a high temperature :math:`T` (``temperature``),

    .. math::

        l^{(k)} = \frac{1}{|S_k|} \sum_{x_s \in S_k} \mathrm{softmax}(z(x_s) / T),

    :math:`z` the logits and :math:`S_k` the labeled source rows of class :math:`k`; on a
    labeled target row of class :math:`k`, with :math:`p = \mathrm{softmax}(z(x_t) / T)`,

    .. math::

        \mathcal{L}_{\mathrm{soft}}(x_T, y_T) = -\sum_i l^{(k)}_i \log p_i

    (a batch mean over its labeled target rows). *How* :math:`l^{(k)}` *is computed*: the
    paper takes it once from a network trained on the source. Here it is recomputed at
    the end of every epoch from the net itself, in evaluation mode, on all labeled
    source rows of the training data (``soft_labels_``), and used in the next epoch: one
    ``fit`` needs no separate source network, and the soft labels follow the source
    classifier as it forms. The first epoch therefore has no soft-label term
    (``train_loss_soft`` is 0 there), and the labels lag one epoch behind. The pass
    costs one forward over the source rows per epoch. A class without labeled source
    rows has no soft label (its target rows add nothing to :math:`\mathcal{L}_{\mathrm{soft}}`).

    *Without labeled target rows* :math:`\mathcal{L}_{\mathrm{soft}}` is empty: the net
    then adapts by the confusion loss alone, and warns
    (:class:`~skdomain.exceptions.SoftLabelWarning`, once per ``fit``) unless ``nu=0``.
    :math:`\mathcal{L}_{\mathrm{soft}}` is not multiplied by :math:`T^2` (as Hinton et al.
    suggest for distillation); the paper weights it by :math:`\nu` alone.
""",
    "soft_params": r"""    nu : float, default=1.0
        :math:`\nu`, the weight of :math:`\mathcal{L}_{\mathrm{soft}}` (0 turns the
        soft labels off: domain confusion alone).
    temperature : float, default=2.0
        :math:`T` of the soft labels and of the target rows' softened prediction
        (the paper's is high, e.g. 2).
""",
    "soft_attributes": r"""    soft_labels_ : ndarray of shape (n_classes, n_classes) or None
        :math:`l^{(k)}` in row :math:`k` (columns in the order of ``classes_``), as used in the
        last epoch's successor; NaN for a class without labeled source rows; ``None``
        before the first epoch ends or without labeled target rows (nothing to match).
""",
    "soft_history": r"""
        Also ``train_loss_soft`` (:math:`\mathcal{L}_{\mathrm{soft}}`, before :math:`\nu`; 0 on a
        batch without labeled target rows and in the first epoch).""",
}

_GATE_HOW = r"""Domain confusion's own domain classifier :math:`\theta_D` sees features alone and plays
    the confusion game; the gate needs :math:`D(F(x), y)`. The gate therefore has its own
    discriminator ``discriminator_`` on :math:`(\mathrm{SG}(F(x)), y)`, trained in the
    main phase by :math:`-\mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}}` on the *detached*
    features (logged as ``train_loss_adv``), and :math:`\omega` weights the source rows
    of :math:`\mathcal{L}_C`: the confusion game and the soft labels are the same gated
    or not, and the gated net differs from the plain one by the weighting of the source
    rows alone (reusing :math:`\theta_D` with a one-hot input would change the game the
    representation plays). The soft labels are an average over the source rows and are
    not weighted by :math:`\omega`."""


def _fill(template, soft):
    parts = _SOFT_PARTS if soft else {k: "" for k in _SOFT_PARTS}
    for key, value in parts.items():
        template = template.replace(f"@{key.upper()}@", value)
    return template


def _classifier_gate_parts():
    parts = detached_gate_doc_parts("domain confusion")
    parts["gate"] = gate_doc(_GATE_HOW, "domain confusion")
    return parts


class DomainConfusionClassifier(
    _DetachedGateMixin, _SoftLabelMixin, _ConfusionMixin, DomainClassifierMixin, DomainNet
):
    __doc__ = (
        "Domain confusion with soft labels (Tzeng et al., 2015) for classification (a skorch net).\n"
        + fill_doc(_fill(_CONFUSION_DOC, soft=True), **_classifier_gate_parts())
        + r"""
    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import DomainConfusionClassifier
    >>> X, y, sd = make_domain_shift(100, 100, n_target_labeled=10, random_state=0)
    >>> net = DomainConfusionClassifier(max_epochs=3, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> net.predict(X[sd < 0]).shape
    (100,)
    >>> terms = ("train_loss_task", "train_loss_domain", "train_loss_conf", "train_loss_soft")
    >>> [k for k in terms if k in net.history[-1]] == list(terms)
    True
    >>> net.soft_labels_.shape
    (2, 2)
"""
    )

    def __init__(
        self,
        module=DomainMLP,
        *,
        domain_classifier=Discriminator,
        mu=0.3,
        nu=1.0,
        temperature=2.0,
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
        self.domain_classifier = domain_classifier
        self.mu = mu
        self.nu = nu
        self.temperature = temperature


class DomainConfusionRegressor(_ConfusionMixin, DomainRegressorMixin, DomainNet):
    __doc__ = (
        "Domain confusion (Tzeng et al., 2015) for regression (a skorch net): no soft labels, no gate.\n"
        + fill_doc(_fill(_CONFUSION_DOC, soft=False))
        + r"""
    The confusion loss needs no label, so it serves regression as it does classification;
    the soft labels are class posteriors and have no regression counterpart, so the
    regressor is domain confusion alone (:math:`\nu = 0`), and, as the family's other
    regressors, it has no gate (:math:`D(F(x), y)` takes one-hot classes).

    Examples
    --------
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import DomainConfusionRegressor
    >>> X, y, sd = make_domain_shift(100, 100, task="regression", random_state=0)
    >>> net = DomainConfusionRegressor(max_epochs=3, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> net.predict(X[sd < 0]).shape
    (100,)
"""
    )

    def __init__(self, module=DomainMLP, *, domain_classifier=Discriminator, mu=0.3, **kwargs):
        super().__init__(module, **kwargs)
        self.domain_classifier = domain_classifier
        self.mu = mu
