r"""Knowledge distillation into a skorch student (Hinton et al., 2015)."""

from numbers import Real

import numpy as np
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from ._classifier import DomainClassifierMixin
from ._losses import distillation_loss, soft_targets_from_proba
from ._modules import DomainMLP
from ._net import DomainNet

__all__ = ["DistillationClassifier"]


def _is_fitted(estimator):
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


class DistillationClassifier(DomainClassifierMixin, DomainNet):
    r"""A student net trained on hard labels and on a teacher's soft targets (a skorch net).

    With student logits :math:`z`, :math:`q_T = \mathrm{softmax}(z / T)` and the
    teacher's distribution :math:`p_T` at the same temperature :math:`T`,

    .. math::

        \mathcal{L} = (1 - \alpha)\, \mathrm{CE}(y, q) + \alpha\, T^2\, \mathrm{KL}(p_T \,\|\, q_T),

    where the cross-entropy :math:`\mathrm{CE}(y, q) = \mathbb{E}_S[\ell] + \mathbb{E}_{T_L}[\ell]`
    is taken over the labeled rows (:math:`q = q_1`) and the distillation term over
    every row: rows with a masked label (an unlabeled transfer set, e.g. target rows)
    get the distillation term alone. The gradient of :math:`\mathrm{KL}(p_T\|q_T)` with
    respect to :math:`z` scales as :math:`1/T^2` at high :math:`T`; the :math:`T^2` factor
    keeps the two terms' relative weight independent of :math:`T`.

    The teacher's soft targets are computed once, on every fitted row, before training:

    * a torch module: its logits :math:`v`, :math:`p_T = \mathrm{softmax}(v / T)`;
    * any fitted classifier with ``predict_proba`` (skorch and skdomain nets included):
      :math:`p_T = \mathrm{softmax}(\log(\mathrm{clip}(p, 10^{-7}, 1)) / T)`, columns in
      ``teacher.classes_`` order, which become the student's ``classes_`` (for a softmax
      teacher this is :math:`\mathrm{softmax}(v / T)` up to the clip);
    * an unfitted scikit-learn classifier: a clone is first fitted on the labeled rows.

    ``clone`` returns estimators unfitted, so pass a fitted teacher as
    ``sklearn.frozen.FrozenEstimator(teacher)`` to keep it fitted in ``clone``,
    ``GridSearchCV`` or ``cross_val_score`` (a torch module is deep-copied and stays trained).
    For cross-domain distillation, fit the teacher on the source and give the student
    the target rows (``sample_domain < 0``, labels masked) with some labeled rows.

    Parameters
    ----------
    teacher : torch.nn.Module or classifier with predict_proba
        The teacher (see above).
    module : torch module class or instance, default=DomainMLP
        The student; see :class:`DANNClassifier` for custom modules.
    temperature : float, default=4.0
        :math:`T`.
    alpha : float, default=0.5
        :math:`\alpha`, weight of the distillation term.
    **kwargs : dict
        Net parameters as in :class:`DANNClassifier` (``lr``, ``max_epochs``,
        ``batch_size``, ``random_state``, ``device``, ``train_split``, ``module__*``, ...).

    Attributes
    ----------
    teacher_ : object
        The teacher used (fitted).
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes (a scikit-learn teacher) or those of the labeled rows.
    module_ : torch.nn.Module
        The trained student.
    history_ : skorch.History
        ``train_loss`` (= ``train_loss_task``, the whole student loss), ``train_loss_ce`` and
        ``train_loss_kd`` (:math:`T^2 \mathrm{KL}`), per epoch and per batch.

    References
    ----------
    .. [1] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural
       Network", NIPS Deep Learning Workshop, 2015.

    Examples
    --------
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.deep import DistillationClassifier
    >>> X, y, sd = make_domain_shift(100, 100, random_state=0)
    >>> source = LogisticRegression().fit(X[sd >= 0], y[sd >= 0])
    >>> teacher = FrozenEstimator(source)
    >>> student = DistillationClassifier(teacher, max_epochs=5, random_state=0)
    >>> student.fit(X, y, sample_domain=sd).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        "teacher": [torch.nn.Module, HasMethods(["fit", "predict_proba"])],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, teacher=None, module=DomainMLP, *, temperature=4.0, alpha=0.5, **kwargs):
        self.teacher = teacher  # before skorch's __init__: a torch module is a plain parameter here
        super().__init__(module, **kwargs)
        self.temperature = temperature
        self.alpha = alpha

    def _check_fit_data(self, X, y, sample_domain, reset):
        data = super()._check_fit_data(X, y, sample_domain, reset)
        if self.teacher is None:
            raise ValueError("DistillationClassifier needs a teacher.")
        if reset or not hasattr(self, "teacher_"):
            teacher = self.teacher
            if not isinstance(teacher, torch.nn.Module) and not _is_fitted(teacher):
                teacher = clone(teacher).fit(data.X[data.labeled], data.y[data.labeled])
            # a plain attribute: the teacher is used before training, not a module of the student
            object.__setattr__(self, "teacher_", teacher)
        return data

    def _teacher_classes(self):
        return None if isinstance(self.teacher_, torch.nn.Module) else np.asarray(self.teacher_.classes_)

    def _encode_y(self, y, labeled, reset):
        classes = self._teacher_classes()
        if reset and classes is not None:
            self.classes_ = classes
            return super()._encode_y(y, labeled, reset=False)
        return super()._encode_y(y, labeled, reset)

    def _extras(self, data):
        """Compute the teacher's soft targets ``p_T`` for every row (computed once, before training)."""
        X = data.X
        T = float(self.temperature)
        if isinstance(self.teacher_, torch.nn.Module):
            # the teacher is the caller's module: evaluated in eval mode, its modes restored after
            modes = [(m, m.training) for m in self.teacher_.modules()]
            self.teacher_.eval()
            dev = next(self.teacher_.parameters(), torch.zeros(())).device
            try:
                with torch.no_grad():
                    out = self.teacher_(torch.as_tensor(X, dtype=torch.float32, device=dev))
            finally:
                for m, training in modes:
                    m.training = training
            logits = (out[0] if isinstance(out, (tuple, list)) else out).detach().cpu().float()
            if logits.ndim != 2 or logits.shape[1] != len(self.classes_):
                raise ValueError(
                    f"The teacher module returns {tuple(logits.shape[1:])} outputs per row; the student "
                    f"has {len(self.classes_)} classes (those of the labeled rows)."
                )
            p = torch.softmax(logits / T, dim=1)
        else:
            proba = np.asarray(self.teacher_.predict_proba(X), dtype=np.float64)
            p = soft_targets_from_proba(torch.as_tensor(proba), T).float()
        return {"p_teacher": p}

    def _allows_unlabeled(self):
        return True

    def task_loss(self, y_pred, y_true, X, batch):
        r""":math:`(1-\alpha)\,\mathrm{CE} + \alpha T^2 \mathrm{KL}(p_T \| q_T)` (KL over every row).

        .. math::

            \mathcal{L} = (1 - \alpha)\, \mathrm{CE}(y, q) + \alpha\, T^2\,
            \mathbb{E}_{x}[\mathrm{KL}(p_T(x) \,\|\, q_T(x))],

        :math:`\mathrm{CE}(y, q) = \mathbb{E}_S[\ell] + \mathbb{E}_{T_L}[\ell]` over the
        labeled rows of the batch and the expectation of the KL over all its rows
        (masked ones included), with the teacher's soft targets :math:`p_T` carried in
        the batch (``X["p_teacher"]``).

        Parameters
        ----------
        y_pred : tuple of Tensor
            The student's output for the batch: ``(logits, feature)``.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` for masked rows).
        X : dict of str to Tensor
            The batch dict, with the soft targets ``"p_teacher"``.
        batch : DomainBatch
            The batch's row groups and its per-row cross-entropy
            :math:`\ell(q(x_i), y_i)` (``batch.row_loss``).

        Returns
        -------
        loss : Tensor
            The scalar student loss (``train_loss_ce`` and ``train_loss_kd`` are logged).
        """
        ce = super().task_loss(y_pred, y_true, X, batch)
        self._log_term("train_loss_ce", ce)
        p = X["p_teacher"].to(batch.device, non_blocking=True)
        kd = distillation_loss(y_pred[0], p, float(self.temperature)).mean()
        self._log_term("train_loss_kd", kd)
        return (1.0 - self.alpha) * ce + self.alpha * kd
