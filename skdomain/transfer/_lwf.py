r"""Learning without Forgetting (Li & Hoiem, 2016): a new head, the old task's responses kept."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import PassthroughScoring
from skorch.utils import to_tensor
from torch import nn

from ._finetune import FineTuningClassifier, _FineTuningNet
from ._pretrained import _unwrap, first_output, get_layer, layers, pretrained_module

__all__ = ["LwFClassifier"]


class _TwoHeads(nn.Module):
    """The pretrained network (shared layers and old head) and a new head on the old head's input."""

    def __init__(self, net, head, n_new):
        super().__init__()
        self.net = net
        self.head = head
        old = get_layer(net, head, "LwFClassifier")
        self.new_head = nn.Linear(old.in_features, n_new)

    def forward(self, x):
        taken = {}
        old = get_layer(self.net, self.head, "LwFClassifier")
        handle = old.register_forward_pre_hook(lambda m, a: taken.__setitem__("z", a[0]))
        try:
            old_out = first_output(self.net(x))
        finally:
            handle.remove()
        return self.new_head(taken["z"]), old_out


def two_head_parts(net, owner, role, why):
    """Copy the pretrained network, find its head, check the net uses neither ``freeze`` nor ``lr_decay``.

    Shared by the two-head nets (LwF, selective joint fine-tuning): ``role`` names the
    pretrained head (``"old"``, ``"source"``), ``why`` says why every layer learns.
    Returns ``(network, layers, head name, head module)``.
    """
    if not (isinstance(net.freeze, Integral) and net.freeze == 0) or net.lr_decay is not None:
        raise ValueError(f"{owner} does not use freeze or lr_decay: {why}")
    module = pretrained_module(net.pretrained, owner)
    found = layers(module)
    if not found:
        raise ValueError(f"{owner}: the pretrained network has no layer with parameters.")
    head = net.head if net.head is not None else found[-1][0]
    old = get_layer(module, head, owner)
    if not isinstance(old, nn.Linear):
        raise ValueError(
            f"{owner}: the {role} head {head!r} must be a torch.nn.Linear; it is a {type(old).__name__}."
        )
    return module, found, head, old


def set_two_heads(net, module, found, head):
    """Put a new head beside the pretrained one (``module_``) and reset the fine-tuning bookkeeping."""
    net.module_ = _TwoHeads(module, head, net._n_outputs()).to(net.device)
    net.head_ = head
    net.layers_ = [n for n, _ in found if n != head]
    net.frozen_layers_ = []
    net._eval_modules = []
    net._depth = {}


def head_classes(pretrained, given, n_out, owner, name, role):
    """Return the pretrained head's labels: ``given``, a fitted skorch net's ``classes_``, or 0..n-1."""
    if given is not None:
        classes = np.asarray(given)
    else:
        classes = getattr(_unwrap(pretrained), "classes_", None)
        classes = np.arange(n_out) if classes is None else np.asarray(classes)
    if n_out is not None and classes.shape != (n_out,):
        raise ValueError(f"{owner}: {name} has {classes.size} labels; the {role} head has {n_out} outputs.")
    return classes


class LwFClassifier(ClassifierMixin, _FineTuningNet):
    r"""Learning without Forgetting: learn a new task, keep the old task's responses (a skorch net).

    The pretrained network has shared parameters :math:`\theta_s` and an old-task head
    :math:`\theta_o`; a new head :math:`\theta_n` is added on the old head's input. Before
    training, the old network's responses on the new task's rows are recorded,
    :math:`Y_o = \mathrm{softmax}(v_o / T)` with :math:`v_o` its old-head logits. Then,
    using only the new task's rows :math:`(X_n, Y_n)`,

    .. math::

        \theta_s^*, \theta_o^*, \theta_n^* = \arg\min\;
        \lambda_o \mathcal{L}_{old}(Y_o, \hat Y_o) + \mathcal{L}_{new}(Y_n, \hat Y_n)
        + \mathcal{R}(\theta_s, \theta_o, \theta_n),

    :math:`\mathcal{L}_{new}` the cross-entropy of the new head and
    :math:`\mathcal{L}_{old}(y_o, \hat y_o) = -\sum_j y_o'^{(j)} \log \hat y_o'^{(j)}` the
    knowledge-distillation loss at temperature :math:`T`
    (:math:`y'^{(j)} = (y^{(j)})^{1/T} / \sum_k (y^{(k)})^{1/T}`, i.e. a softmax of the
    logits over :math:`T`), without a :math:`T^2` factor, as in the paper [1]_;
    :math:`\mathcal{R}` is the optimiser's weight decay (``optimizer__weight_decay``). A
    warm-up first trains :math:`\theta_n` alone (:math:`\theta_s, \theta_o` frozen, in eval
    mode) for ``warmup_epochs`` epochs. The defaults are the paper's: :math:`T = 2`,
    :math:`\lambda_o = 1`.

    ``predict`` / ``predict_proba`` / ``score`` are the new task's; ``predict_old``,
    ``predict_proba_old`` and ``score_old`` the old head's (how much of the old task was
    forgotten). ``lambda_old=0`` is plain fine-tuning with the old head kept for
    scoring; ``warmup_epochs=max_epochs`` trains the new head alone (feature
    extraction). Fits on the new task's rows with ``fit(X, y)``: no ``sample_domain``.

    Parameters
    ----------
    pretrained : torch.nn.Module, fitted skorch net, or FrozenEstimator of either
        The network trained on the old task, whose ``forward`` returns the old logits
        (or a tuple whose first element they are). Never mutated.
    head : str or None, default=None
        Name of the old head (a ``torch.nn.Linear``, as ``named_modules()`` names it);
        ``None`` is the last layer with parameters. The new head reads its input.
    old_classes : array-like or None, default=None
        Labels of the old head's outputs, for ``predict_old``; ``None`` takes a fitted
        skorch net's ``classes_``, else ``0 .. n_old - 1``.
    temperature : float, default=2.0
        :math:`T`.
    lambda_old : float, default=1.0
        :math:`\lambda_o`, weight of the old task's term.
    warmup_epochs : int, default=5
        Epochs that train the new head alone, before the joint training (counted in
        ``max_epochs``).
    **kwargs : dict
        ``lr``, ``max_epochs``, ``batch_size``, ``optimizer``, ``early_stopping``,
        ``validation_fraction``, ``patience``, ``random_state``, ``device`` and skorch's
        parameters, as in :class:`FineTuningClassifier` (``freeze`` and ``lr_decay`` are
        refused: the warm-up, then every layer).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The new task's classes.
    old_classes_ : ndarray of shape (n_old,)
        The old head's labels.
    module_ : torch.nn.Module
        ``net`` (the copy of the pretrained network, old head included) and ``new_head``.
    history_ : skorch.History
        ``train_loss``, ``train_loss_new``, ``train_loss_old`` per epoch.

    See Also
    --------
    FineTuningClassifier : Fine-tuning without keeping the old task.

    References
    ----------
    .. [1] Z. Li and D. Hoiem, "Learning without Forgetting", ECCV, 2016
       (extended in IEEE TPAMI 40(12), 2018).

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skdomain.transfer import LwFClassifier
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    >>> X = np.random.RandomState(0).normal(size=(40, 4))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> lwf = LwFClassifier(net, max_epochs=6, warmup_epochs=2, random_state=0).fit(X, y)
    >>> lwf.predict_proba(X[:2]).shape, lwf.predict_proba_old(X[:2]).shape
    ((2, 2), (2, 3))
    """

    _parameter_constraints = {
        "old_classes": ["array-like", None],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "lambda_old": [Interval(Real, 0, None, closed="left")],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
    }
    _stratified = True
    _multi_output = False

    def __init__(
        self,
        pretrained=None,
        *,
        head=None,
        old_classes=None,
        temperature=2.0,
        lambda_old=1.0,
        warmup_epochs=5,
        **kwargs,
    ):
        super().__init__(pretrained, head=head, **kwargs)
        self.old_classes = old_classes
        self.temperature = temperature
        self.lambda_old = lambda_old
        self.warmup_epochs = warmup_epochs

    _encode_y = FineTuningClassifier._encode_y

    def get_default_callbacks(self):
        """Return the fine-tuning callbacks and the epoch means of ``train_loss_new`` / ``train_loss_old``.

        Returns
        -------
        callbacks : list of (str, Callback)
            The default callbacks.
        """
        return [
            *super().get_default_callbacks(),
            ("train_loss_new", PassthroughScoring(name="train_loss_new", on_train=True)),
            ("train_loss_old", PassthroughScoring(name="train_loss_old", on_train=True)),
        ]

    _n_outputs = FineTuningClassifier._n_outputs
    _get_predict_nonlinearity = FineTuningClassifier._get_predict_nonlinearity

    def initialize_module(self):
        """Copy the pretrained network and put a new head beside the old one.

        Returns
        -------
        self : object
            The net, with ``module_``, ``head_`` and ``old_classes_``.
        """
        owner = type(self).__name__
        why = (
            "the warm-up trains the new head alone, then every layer learns (lambda_old keeps the old task)."
        )
        module, found, head, old = two_head_parts(self, owner, "old", why)
        old_classes = head_classes(
            self.pretrained, self.old_classes, old.out_features, owner, "old_classes", "old"
        )
        set_two_heads(self, module, found, head)
        self.old_classes_ = old_classes
        return self

    # ------------------------------------------------------------------ data and training
    def _old_targets(self, X):
        """:math:`Y_o`: the old network's softmax at temperature T on ``X`` (eval mode, before training)."""
        net = self.module_.net
        net.eval()
        out = []
        with torch.no_grad():
            for start in range(0, X.shape[0], 256):
                xb = torch.as_tensor(X[start : start + 256], device=self.device)
                out.append(torch.softmax(first_output(net(xb)) / float(self.temperature), dim=1).cpu())
        net.train()
        return torch.cat(out).numpy()

    def _fit_arrays(self, X, y):
        return {"X": X, "old": self._old_targets(X)}, y

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Warm-up: during the first ``warmup_epochs`` epochs only the new head learns.

        Parameters
        ----------
        net : LwFClassifier
            This net (skorch's callback signature).
        dataset_train, dataset_valid : Dataset or None
            The epoch's data.
        **kwargs : dict
            Further arguments of skorch's notification.
        """
        super().on_epoch_begin(net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs)
        warm = len(self.history) <= self.warmup_epochs
        for p in self.module_.net.parameters():
            p.requires_grad_(not warm)
        self._eval_modules = list(self.module_.net.modules()) if warm else []

    def get_all_learnable_params(self):
        """Every parameter (the warm-up freezes by ``requires_grad``, epoch by epoch).

        Yields
        ------
        named_parameter : tuple of (str, Parameter)
            Names as ``module_.named_parameters()`` gives them.
        """
        yield from self.module_.named_parameters()

    def infer(self, x, **fit_params):
        """Return ``(new logits, old logits)`` for a batch (a tensor, or the fit's dict).

        Parameters
        ----------
        x : Tensor or dict
            The batch.
        **fit_params : dict
            Unused.

        Returns
        -------
        out : tuple of Tensor
            The new head's and the old head's logits.
        """
        X = x["X"] if isinstance(x, dict) else x
        return self.module_(to_tensor(X, device=self.device))

    def get_loss(self, y_pred, y_true, X=None, training=False):
        r""":math:`\mathcal{L}_{new} + \lambda_o \mathcal{L}_{old}` (the old term after the warm-up).

        Parameters
        ----------
        y_pred : tuple of Tensor
            ``(new logits, old logits)``.
        y_true : Tensor
            Encoded new-task labels.
        X : dict
            The batch, with ``"old"``, the recorded :math:`Y_o`.
        training : bool, default=False
            Whether this is a training step.

        Returns
        -------
        loss : Tensor
            The scalar loss.
        """
        new, old = y_pred
        y_true = to_tensor(y_true, device=self.device)
        loss_new = nn.functional.cross_entropy(new, y_true)
        if not isinstance(X, dict) or "old" not in X:
            return loss_new
        target = to_tensor(X["old"], device=self.device)
        log_q = torch.log_softmax(old / float(self.temperature), dim=1)
        loss_old = -(target * log_q).sum(dim=1).mean()
        if training:
            self.history.record_batch("train_loss_new", loss_new.item())
            self.history.record_batch("train_loss_old", loss_old.item())
        warm = len(self.history) <= self.warmup_epochs
        if warm:
            return loss_new
        return loss_new + float(self.lambda_old) * loss_old

    # ------------------------------------------------------------------ the two heads
    def _heads(self, X):
        X = self._validate_X(X)
        with self._predicting():
            self.module_.eval()
            outs_new, outs_old = [], []
            with torch.no_grad():
                for start in range(0, X.shape[0], self.batch_size):
                    new, old = self.module_(
                        torch.as_tensor(X[start : start + self.batch_size], device=self.device)
                    )
                    outs_new.append(torch.softmax(new, dim=1).cpu())
                    outs_old.append(torch.softmax(old, dim=1).cpu())
        return torch.cat(outs_new).double().numpy(), torch.cat(outs_old).double().numpy()

    def predict_proba(self, X):
        """New-task class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return self._heads(X)[0]

    def predict(self, X):
        """New-task labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def predict_proba_old(self, X):
        """Old-task class probabilities (the old head, after training).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_old)
            Columns in the order of ``old_classes_``.
        """
        return self._heads(X)[1]

    def predict_old(self, X):
        """Old-task labels (the old head, after training).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``old_classes_``.
        """
        proba = self.predict_proba_old(X)
        return self.old_classes_[proba.argmax(axis=1)]

    def score_old(self, X, y):
        """Accuracy of the old head on old-task rows (what was not forgotten).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Old-task rows.
        y : array-like of shape (n_samples,)
            Their labels, from ``old_classes_``.

        Returns
        -------
        score : float
            The accuracy.
        """
        check_is_fitted(self, "module_")
        return float(np.mean(self.predict_old(X) == np.asarray(y)))
