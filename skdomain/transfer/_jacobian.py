r"""Knowledge transfer with Jacobian matching (Srinivas & Fleuret, ICML 2018)."""

from collections.abc import Mapping
from numbers import Real

import torch
from sklearn.utils._param_validation import Interval
from skorch.utils import to_tensor

from ..deep import DistillationClassifier, DomainMLP
from ._attention import normalise_rows
from ._teacher import NoTargetFitMixin, teacher_module, teacher_pass

__all__ = ["JacobianMatchingClassifier"]


def input_jacobian(output, X, index, create_graph=False):
    r"""Per-row input gradient :math:`\nabla_x f_{i}(x)` of one output column per row, batched.

    One backward pass for the whole batch: the gradient of
    :math:`\sum_n f_{i_n}(x_n)` with respect to ``X`` has row :math:`n` equal to
    :math:`\nabla_{x_n} f_{i_n}(x_n)` when the rows do not interact (no batch
    normalisation in training mode).

    Parameters
    ----------
    output : Tensor of shape (n, k)
        The outputs (logits), computed from ``X``.
    X : Tensor of shape (n, d)
        The inputs (``requires_grad``).
    index : Tensor of int64 of shape (n,)
        The output column :math:`i_n` of each row.
    create_graph : bool, default=False
        Keep the graph of the gradient (double back-propagation, to train on it).

    Returns
    -------
    J : Tensor of shape (n, d)
        The input gradients, one row per row of ``X``.
    """
    picked = output.gather(1, index.reshape(-1, 1).to(output.device)).sum()
    return torch.autograd.grad(picked, X, create_graph=create_graph)[0].flatten(1)


def jacobian_distance(J_s, J_t):
    r"""Per-row :math:`\| J_S/\|J_S\|_2 - J_T \|_2^2` (``J_t`` already normalised)."""
    return (normalise_rows(J_s) - J_t).pow(2).sum(dim=1)


class JacobianMatchingClassifier(NoTargetFitMixin, DistillationClassifier):
    r"""Distillation that also matches the teacher's input-Jacobians (a skorch net).

    With :math:`i^*(x) = \arg\max_i T_i(x)` the teacher's top logit and
    :math:`J_T(x) = \nabla_x T_{i^*}(x)`, :math:`J_S(x) = \nabla_x S_{i^*}(x)` the input
    gradients of that logit in the teacher :math:`T` and the student :math:`S`, the
    student minimises

    .. math::

        \mathcal{L} = (1 - \alpha)\, \mathrm{CE}(y, q) + \alpha\, T^2\, \mathrm{KL}(p_T \,\|\, q_T)
        + \beta\, \mathbb{E}_x \left\| \frac{J_S(x)}{\|J_S(x)\|_2}
        - \frac{J_T(x)}{\|J_T(x)\|_2} \right\|_2^2,

    the first two terms those of :class:`~skdomain.deep.DistillationClassifier` (the
    "activations" matched: the temperature-softened outputs), the last the paper's
    normalised, squared :math:`\ell_2` Jacobian loss, over every row of the batch (masked
    rows included: an unlabeled transfer set gets the teacher's gradients too).
    ``alpha=0`` gives "CE + Jacobians", ``beta=0`` plain distillation.

    **Which output**: one logit per row, the teacher's top class :math:`i^*(x)` (the
    same column in the student). It is defined for unlabeled rows as well, and costs one
    extra backward pass per batch instead of one per class; the paper matches a single
    output too (the lecture's "largest value" of the output being matched).

    The teacher's normalised gradients :math:`J_T/\|J_T\|_2` and :math:`i^*` are computed
    once, on every fitted row, before training (the teacher in eval mode). The student's
    :math:`J_S` is computed per batch by double back-propagation
    (``torch.autograd.grad(..., create_graph=True)``), one backward pass for the whole
    batch; that needs rows that do not interact in the forward pass (no batch
    normalisation in training mode in the student).

    ``sample_domain`` is used as by :class:`~skdomain.deep.DistillationClassifier`.

    Parameters
    ----------
    teacher : torch.nn.Module or skorch net
        The teacher, differentiable in its input: a torch module returning logits (or
        ``(logits, features)``), or a skorch net (its ``module_``), fitted (wrap it in
        ``sklearn.frozen.FrozenEstimator`` to survive ``clone``) or unfitted (fitted on
        the labeled rows first).
    module : torch module class or instance, default=DomainMLP
        The student (any module of the flat rows, e.g. :class:`DigitConvNet`).
    beta : float, default=1.0
        :math:`\beta`, weight of the Jacobian term.
    temperature : float, default=4.0
        :math:`T`.
    alpha : float, default=0.5
        :math:`\alpha`, weight of the distillation term.
    **kwargs : dict
        Net parameters as in :class:`~skdomain.deep.DANNClassifier` (``lr``,
        ``max_epochs``, ``batch_size``, ``random_state``, ``device``, ``module__*``, ...).

    Attributes
    ----------
    teacher_ : object
        The teacher used (fitted).
    classes_ : ndarray of shape (n_classes,)
        The classes.
    module_ : torch.nn.Module
        The trained student.
    history_ : skorch.History
        ``train_loss_ce``, ``train_loss_kd`` and ``train_loss_jacobian`` (the Jacobian
        term before the factor :math:`\beta`), per epoch and per batch.

    See Also
    --------
    AttentionTransferClassifier : A student matching spatial attention maps.

    References
    ----------
    .. [1] S. Srinivas and F. Fleuret, "Knowledge Transfer with Jacobian Matching",
       ICML, 2018.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import load_digits
    >>> from skdomain.transfer import JacobianMatchingClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16.0
    >>> _ = torch.manual_seed(0)
    >>> teacher = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
    >>> student = JacobianMatchingClassifier(teacher, max_epochs=2, random_state=0)
    >>> student.fit(X[:200], y[:200]).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {"beta": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, teacher=None, module=DomainMLP, *, beta=1.0, temperature=4.0, alpha=0.5, **kwargs):
        super().__init__(teacher, module, temperature=temperature, alpha=alpha, **kwargs)
        self.beta = beta

    def _extras(self, data):
        """Add the teacher's normalised input gradients and its top class per row."""
        extras = super()._extras(data)
        module = teacher_module(self.teacher_, type(self).__name__)

        def grads(xb, out, taken):
            index = out.argmax(dim=1)
            return [normalise_rows(input_jacobian(out, xb, index)), index]

        J, index = teacher_pass(module, data.X, grads, grad=True)
        extras["jacobian_teacher"] = J.float()
        extras["jacobian_index"] = index.long()
        return extras

    def infer(self, x, **fit_params):
        """Forward a batch; in training, the input tensor (requiring gradients) follows the outputs.

        Parameters
        ----------
        x : dict of str to Tensor, or Tensor
            The batch (see :meth:`skdomain.deep.DomainNet.infer`).
        **fit_params : dict
            Unused (skorch's signature).

        Returns
        -------
        out : tuple of Tensor
            ``(output, feature, *extra)``, then in training the input ``X`` of the
            forward pass, for the student's Jacobian.
        """
        if not (self.module_.training and torch.is_grad_enabled()):
            return super().infer(x, **fit_params)
        X = x["X"] if isinstance(x, Mapping) else x
        X = to_tensor(X, device=self.device).detach().requires_grad_(True)
        return (*self._forward_module(X), X)

    def task_loss(self, y_pred, y_true, X, batch):
        r"""Return the distillation loss plus the Jacobian term.

        .. math::

            \mathcal{L}_{\mathrm{KD}} + \beta\, \mathbb{E}_x
            \| J_S/\|J_S\|_2 - J_T/\|J_T\|_2 \|_2^2 .

        Parameters
        ----------
        y_pred : tuple of Tensor
            The student's output for the batch, its input tensor last.
        y_true : Tensor of shape (n_rows,)
            Encoded labels of the batch, on the host (``-1`` for masked rows).
        X : dict of str to Tensor
            The batch dict, with the soft targets and the teacher's gradients.
        batch : DomainBatch
            The batch's row groups and its per-row cross-entropy.

        Returns
        -------
        loss : Tensor
            The scalar student loss (``train_loss_jacobian`` is logged).
        """
        loss = super().task_loss(y_pred, y_true, X, batch)
        if self.beta == 0:
            return loss  # plain distillation: no double back-propagation
        J_t = X["jacobian_teacher"].to(batch.device, non_blocking=True)
        index = X["jacobian_index"].to(batch.device, non_blocking=True)
        J_s = input_jacobian(y_pred[0], y_pred[-1], index, create_graph=True)
        jac = jacobian_distance(J_s, J_t).mean()
        self._log_term("train_loss_jacobian", jac)
        return loss + float(self.beta) * jac
