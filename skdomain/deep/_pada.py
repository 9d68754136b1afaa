r"""Partial adversarial domain adaptation, PADA (Cao et al., 2018): DANN with class weights γ.

In partial domain adaptation the target's classes are a subset of the source's. DANN
aligns the whole source distribution with the target and so pulls the target rows towards
the source classes the target lacks. PADA weights each source row by
:math:`\gamma_{y}`, the classifier's average probability of the row's class over the target
rows, normalised by its maximum: the classes the target lacks get a weight near 0, in the
source classification loss and in the source part of the adversarial loss.
"""

import numpy as np
import torch
import torch.nn.functional as F
from skorch.utils import to_numpy

from ._dann import _DANN_PARAMS, DANNClassifier, _dann_tail
from ._gate import GATE_PARAMS_DOC, gate_doc

__all__ = ["PADAClassifier"]


def _target_rows(dataset):
    """Return the features of the target rows of a training dataset (a DomainDataset or a Subset of one)."""
    idx = None
    if isinstance(dataset, torch.utils.data.Subset):
        idx = torch.as_tensor(np.asarray(dataset.indices), dtype=torch.int64)
        dataset = dataset.dataset
    X, sd = dataset.X, dataset.sample_domain
    if idx is not None:
        X, sd = X[idx], sd[idx]
    return X[sd < 0]


class _PADAMixin:
    r"""PADA's class weights :math:`\gamma` on DANN's source terms (plain or gated)."""

    def initialize_extra_modules(self):
        r"""Build DANN's discriminator, and set :math:`\gamma = \mathbf{1}` (every class weighted 1)."""
        super().initialize_extra_modules()
        self._gamma = torch.ones(len(self.classes_), device=self.device)
        self.gamma_ = np.ones(len(self.classes_))

    def _class_row_weights(self, y_true, batch):
        r"""Per-row weights: :math:`\gamma_{y_i}` on the labeled source rows, 1 on every other row.

        Kept in ``batch.cache["pada"]`` for the adversarial terms of the same batch.
        """
        if "pada" not in batch.cache:
            gamma = self._gamma.to(batch.w_source_labeled.dtype)
            g = gamma[y_true.clamp_min(0).to(gamma.device)]
            # 1 + (γ_y - 1) m: exactly 1 where m = 0 (and everywhere while γ ≡ 1, so that
            # PADA's first epoch is DANN's to the bit)
            batch.cache["pada"] = 1.0 + (g - 1.0) * batch.w_source_labeled
        return batch.cache["pada"]

    def task_loss(self, y_pred, y_true, X, batch):
        r"""Task term with the source rows weighted by :math:`\gamma_{y_i}` (then, gated, by :math:`\omega`).

        Plain: :math:`\mathbb{E}_S[\gamma_{y_s} \ell(C(F(x_s)), y_s)] + \mathbb{E}_{T_L}[\ell]`.
        Gated: :math:`\lambda \, \mathbb{E}_S[\gamma_{y_s} \, \omega(x_s, y_s) \,
        \ell(C(F(x_s)), y_s)] + \mathbb{E}_{T_L}[\ell]`. The batch's per-row loss
        ``batch.row_loss`` is replaced by :math:`\gamma_{y_i} \ell_i` on the source rows
        before the task term (DANN's, or the gate's) reads it.

        Parameters
        ----------
        y_pred : tuple of Tensor
            The net's output for the batch, ``(output, feature)``.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` for masked rows).
        X : dict of str to Tensor
            The batch dict.
        batch : DomainBatch
            The batch's row groups and per-row task loss.

        Returns
        -------
        loss : Tensor
            The scalar task term.
        """
        batch.row_loss = batch.row_loss * self._class_row_weights(y_true, batch)
        return super().task_loss(y_pred, y_true, X, batch)

    def _adversarial_loss(self, z, batch):
        r"""D's cross-entropy, its source rows weighted by :math:`\gamma_{y_i}` (gated: the joint terms too).

        .. math::

            \mathbb{E}_{x_u \sim T}[-\log D(z_u)]
            + \mathbb{E}_{(x_s, y_s) \sim S}[-\gamma_{y_s} \log(1 - D(z_s))],

        :math:`D` seeing :math:`(z, \mathrm{nil})` when gated, plus then the joint terms of
        :meth:`_gate_labeled_terms`.
        """
        w = batch.cache["pada"]
        bce = F.binary_cross_entropy_with_logits(
            self.discriminator_(self._gate_input(z)), batch.w_target, reduction="none"
        )
        adv = batch.mean(bce, "target") + batch.mean(bce * w, "source")
        joint = self._gate_labeled_terms(batch)
        return adv if joint is None else adv + joint

    def _gate_labeled_terms(self, batch):
        r"""Return the gate's joint terms, the source pairs weighted by :math:`\gamma_{y_s}`.

        .. math::

            \mathbb{E}_{T_L}[-\log D(F(x_l), y_l)] + \mathbb{E}_S[-\gamma_{y_s} \log(1 - D(F(x_s), y_s))].

        As the gate's terms (:meth:`_GateMixin._gate_labeled_terms`), with the source pairs
        weighted by :math:`\gamma`, so that :math:`D` sees the same :math:`\gamma`-weighted
        source as in the unlabeled terms.
        """
        if "gate" not in batch.cache or not batch.n_target_labeled:
            return None
        d_joint = batch.cache["gate"][1]
        bce_j = F.binary_cross_entropy_with_logits(d_joint, batch.w_target, reduction="none")
        return batch.mean(bce_j, "target_labeled") + batch.mean(bce_j * batch.cache["pada"], "source_labeled")

    def _update_gamma(self, dataset):
        r"""Set :math:`\gamma` from a pass over the target rows: the mean softmax, over its maximum."""
        Xt = _target_rows(dataset)
        if Xt.shape[0] == 0:
            return
        total = None
        for out in self.forward_iter(Xt, training=False, device=self.device):
            s = torch.softmax(out[0], dim=1).sum(0)
            total = s if total is None else total + s
        mean = total / Xt.shape[0]
        gamma = mean / mean.max()
        self._gamma = gamma.detach()
        self.gamma_ = to_numpy(gamma).astype(np.float64)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        r"""Write the epoch's terms (DANN's), then update :math:`\gamma` and log its extremes.

        :math:`\gamma` is computed on all target rows of the training data, in evaluation
        mode, at the end of each epoch, and weights the next epoch's source rows
        (``history``: ``gamma_min`` and ``gamma_max``; the vector is ``gamma_``).

        Parameters
        ----------
        net : PADAClassifier
            The net (skorch's callback signature: ``self``).
        dataset_train : Dataset, default=None
            The training rows.
        dataset_valid : Dataset, default=None
            The validation rows (``None`` without a ``train_split``).
        **kwargs : dict
            Further arguments of skorch's ``on_epoch_end``.
        """
        super().on_epoch_end(net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs)
        if self.has_target_ and dataset_train is not None:
            self._update_gamma(dataset_train)
        self.history.record("gamma_min", float(self.gamma_.min()))
        self.history.record("gamma_max", float(self.gamma_.max()))


_PADA_OBJECTIVE = r"""
    Partial domain adaptation: the target's classes are a subset of the source's
    :math:`\mathcal{C}_t \subset \mathcal{C}_s`. With feature extractor :math:`G_f`, label
    predictor :math:`G_y` and domain discriminator :math:`G_d` (DANN's :math:`F`,
    :math:`C` and :math:`D`), PADA (Cao et al., 2018) weights the source rows by the class
    weights

    .. math::

        \gamma = \frac{1}{n_t} \sum_{i=1}^{n_t} \hat{y}_i, \qquad
        \gamma \leftarrow \gamma / \max(\gamma),

    :math:`\hat{y}_i = G_y(G_f(x_i)) \in \mathbb{R}^{|\mathcal{C}_s|}` the softmax
    prediction on target row :math:`x_i`, and solves

    .. math::

        C(\theta_f, \theta_y, \theta_d) = \frac{1}{n_s} \sum_{x_i \in \mathcal{D}_s}
        \gamma_{y_i} L_y(G_y(G_f(x_i)), y_i)
        - \frac{\mu}{n_s} \sum_{x_i \in \mathcal{D}_s} \gamma_{y_i} L_d(G_d(G_f(x_i)), d_i)
        - \frac{\mu}{n_t} \sum_{x_i \in \mathcal{D}_t} L_d(G_d(G_f(x_i)), d_i),

    minimised over :math:`\theta_f, \theta_y` and maximised over :math:`\theta_d`, with
    :math:`L_y` the cross-entropy, :math:`L_d` the discriminator's binary cross-entropy
    and :math:`\mu` the paper's :math:`\lambda`. As in :class:`DANNClassifier`, ``D``
    descends its cross-entropy, ``F`` receives the reversed gradient through
    :math:`R_{\lambda_p}`, and each sum is the mean over its own rows of a batch
    (``batch_size`` source and ``batch_size`` target rows). Labeled target rows add
    :math:`\mathbb{E}_{T_L}[L_y]`, unweighted.

    :math:`\gamma` is a constant of the losses (no gradient flows through it). The paper
    updates it periodically from the predictions on the target data; here it is
    recomputed at the end of every epoch from one pass over *all* target rows of the
    training data in evaluation mode (dropout off, no gradient), and weights the next
    epoch. A full pass, rather than the epoch's training batches, makes :math:`\gamma`
    the average prediction of one classifier, not of the many weights the epoch went
    through, free of dropout noise, and of every target row once (the balanced batches
    cycle the smaller domain); it costs one forward pass over the target rows per epoch,
    no backward. The first epoch runs with :math:`\gamma = \mathbf{1}`, i.e. it *is*
    DANN's first epoch. When every source class is equally present in the target,
    :math:`\gamma \approx \mathbf{1}` and PADA is DANN. :math:`\gamma` is computed from
    predictions on every target row, labeled or not (the labels are not used for it).
    PADA is a classifier only: :math:`\gamma` weights classes.
"""

_PADA_GATE = gate_doc(
    r"""and :math:`\min_{F,C} \max_D \mathcal{L}^{\mathrm{gate}}_{\mathrm{CLF}} + \mu
    \mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}}` on DANN's own ``D``, as in
    :class:`DANNClassifier`. :math:`\gamma` and :math:`\omega` multiply, per source row:
    the source term of :math:`\mathcal{L}^{\mathrm{gate}}_{\mathrm{CLF}}` is
    :math:`\lambda \, \mathbb{E}_S[\gamma_{y_s} \, \omega(x_s, y_s) \, \ell]`, and both
    source terms of :math:`\mathcal{L}^{\mathrm{aug}}_{\mathrm{ADV}}` (with ``nil`` and with
    :math:`y_s`) are weighted by :math:`\gamma_{y_s}`. So ``D`` meets one source, the
    :math:`\gamma`-weighted one, everywhere; at its optimum
    :math:`D(x, y) = P_T(x, y) / (P_T(x, y) + \gamma_y P_S(x, y))`, hence
    :math:`\omega = P_T / (\gamma_y P_S)` and the product
    :math:`\gamma_{y} \, \omega = P_T(x, y) / P_S(x, y)` is the gate's density ratio:
    :math:`\omega` corrects what :math:`\gamma` leaves over, instead of discounting the
    classes the target lacks twice (once by :math:`\gamma`, once by :math:`\omega`).""",
    "PADA",
)

_PADA_REFS = r"""
    References
    ----------
    .. [1] Z. Cao, L. Ma, M. Long and J. Wang, "Partial Adversarial Domain Adaptation",
       ECCV 2018.
    .. [2] Y. Ganin and V. Lempitsky, "Unsupervised Domain Adaptation by
       Backpropagation", ICML 2015.
    .. [3] Z. Wang, Z. Dai, B. Póczos and J. Carbonell, "Characterizing and Avoiding
       Negative Transfer", CVPR 2019.
"""


class PADAClassifier(_PADAMixin, DANNClassifier):
    __doc__ = (
        "Partial adversarial domain adaptation, PADA (a skorch net): DANN with class weights.\n"
        + _PADA_OBJECTIVE
        + _PADA_GATE
        + _DANN_PARAMS
        + GATE_PARAMS_DOC
        + _dann_tail(
            r"""        Per epoch (and per batch): ``train_loss``, ``train_loss_task`` (with
        :math:`\gamma`, and gated :math:`\omega`), ``train_loss_adv`` (before :math:`\mu`),
        ``lambda_p``, gated also ``omega_mean``; per epoch ``gamma_min`` and ``gamma_max``
        (of the class weights computed at the epoch's end); ``valid_loss`` with a
        ``train_split``.
    gamma_ : ndarray of shape (n_classes,)
        The class weights :math:`\gamma` computed at the end of the last epoch
        (maximum 1), in the order of ``classes_``; all ones after a fit without target
        rows.
"""
        )
        + _PADA_REFS
        + r"""
    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import PADAClassifier
    >>> X, y, sd = make_domain_shift(100, 100, random_state=0)
    >>> net = PADAClassifier(max_epochs=5, random_state=0)
    >>> net = net.fit(X, y, sample_domain=sd)
    >>> net.predict(X[sd < 0]).shape
    (100,)
    >>> net.gamma_.shape, float(net.gamma_.max())
    ((2,), 1.0)
    >>> [k for k in ("train_loss_adv", "gamma_min", "gamma_max") if k in net.history[-1]]
    ['train_loss_adv', 'gamma_min', 'gamma_max']
"""
    )
