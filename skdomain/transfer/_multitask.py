"""Multi-task learning with homoscedastic uncertainty weighting (Kendall, Gal & Cipolla, 2018)."""

import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import ClassifierTags, RegressorTags, check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet
from skorch.utils import to_numpy
from torch import nn

from ..deep._modules import _mlp
from ..exceptions import TrainingDivergedError

__all__ = ["MultiTaskNet", "MultiTaskMLP"]

_KINDS = ("classification", "regression")


class MultiTaskMLP(nn.Module):
    """The default shared trunk of :class:`MultiTaskNet`: an MLP ``x -> z`` (Linear, ReLU, ...).

    The net fills ``n_features`` from the data; set the widths with
    ``module__hidden_units=...``. Any torch module that maps a batch of rows to a batch of
    features can be the trunk instead (``module=my_module``).

    Parameters
    ----------
    n_features : int
        Input width.
    hidden_units : tuple of int, default=(64, 64)
        Widths of the hidden layers; the last is the width of the shared features.
    dropout : float, default=0.0
        Dropout after each hidden activation.
    """

    def __init__(self, n_features, hidden_units=(64, 64), dropout=0.0):
        super().__init__()
        self.body, _ = _mlp(n_features, hidden_units, dropout, nn.ReLU)  # the deep nets' MLP builder

    def forward(self, X):
        """Map rows to the shared features.

        Parameters
        ----------
        X : Tensor of shape (n, n_features)
            Input rows.

        Returns
        -------
        Z : Tensor of shape (n, hidden_units[-1])
            Shared features (``X`` itself when ``hidden_units`` is empty).
        """
        return self.body(X)


class _MultiTaskModule(nn.Module):
    """Trunk, one linear head per task, and the log variances ``s_k`` (one module for skorch)."""

    def __init__(self, trunk, widths, n_outputs, learn_log_vars):
        super().__init__()
        self.trunk = trunk
        self.heads = nn.ModuleList(nn.Linear(widths, n) for n in n_outputs)
        self.log_vars = nn.Parameter(torch.zeros(len(n_outputs)), requires_grad=learn_log_vars)

    def forward(self, X):
        z = self.trunk(X)
        z = z.reshape(z.shape[0], -1)
        return tuple(head(z) for head in self.heads)


def _task_list(tasks):
    return [tasks] if isinstance(tasks, str) else list(tasks)


def _has_classification_task(net):
    """Whether ``predict_proba`` exists: some task is a classification task."""
    try:
        return "classification" in _task_list(net.tasks)
    except TypeError:
        return False


class MultiTaskNet(NeuralNet):
    r"""Multi-task net: a shared trunk, one head per task, losses weighted by learned uncertainty.

    Several tasks on the same rows — classification and regression mixed — share a trunk
    :math:`\mathbf{f}^{\mathbf{W}}` (an MLP by default, any torch module accepted) and each
    has its own linear head. Kendall, Gal & Cipolla (2018) treat each task's output as a
    likelihood with a task-dependent (homoscedastic) noise :math:`\sigma_k` —
    :math:`\mathcal{N}(\mathbf{f}^{\mathbf{W}}(\mathbf{x}), \sigma_k^2)` for regression,
    :math:`\mathrm{Softmax}(\mathbf{f}^{\mathbf{W}}(\mathbf{x}) / \sigma_k^2)` for
    classification — and minimise the joint negative log-likelihood, which weighs every
    task loss by its learned precision:

    .. math::

        \mathcal{L}(\mathbf{W}, \sigma_1, \ldots, \sigma_K)
        = \sum_{k \in \mathrm{reg}} \frac{1}{2\sigma_k^2} \mathcal{L}_k(\mathbf{W})
        + \sum_{k \in \mathrm{cls}} \frac{1}{\sigma_k^2} \mathcal{L}_k(\mathbf{W})
        + \sum_k \log \sigma_k ,

    with :math:`\mathcal{L}_k = \lVert \mathbf{y}_k - \mathbf{f}_k^{\mathbf{W}}(\mathbf{x})
    \rVert^2` (mean squared error over the batch) for regression and
    :math:`\mathcal{L}_k = -\log \mathrm{Softmax}(\mathbf{y}_k,
    \mathbf{f}_k^{\mathbf{W}}(\mathbf{x}))` (mean cross-entropy) for classification. The
    classification term is the paper's approximation (the last line of the lecture's
    derivation, exact as :math:`\sigma_k \to 1`): the loss is scaled, the logits are not. As in the
    paper, the net learns the log variance :math:`s_k = \log \sigma_k^2` (numerically stable,
    unconstrained), so the term of task :math:`k` is

    .. math::

        \tfrac{1}{2} e^{-s_k} \mathcal{L}_k + \tfrac{1}{2} s_k \quad \text{(regression)}, \qquad
        e^{-s_k} \mathcal{L}_k + \tfrac{1}{2} s_k \quad \text{(classification)},

    the factor :math:`e^{-s_k}` weighing the task and :math:`\tfrac{1}{2} s_k = \log \sigma_k`
    keeping :math:`\sigma_k` from growing without bound. For a regression task the optimum
    is :math:`\sigma_k^2 = \mathcal{L}_k`, the task's mean squared residual: the learned
    :math:`\sigma_k` estimates its noise level. ``weighting="fixed"`` replaces the learned
    factors by ``task_weights`` (:math:`\mathcal{L} = \sum_k w_k \mathcal{L}_k`, the baseline
    the paper compares with).

    This is network-to-network transfer between tasks, not domain adaptation: every row is
    labeled for every task, there is no ``sample_domain`` and no masked label (a label
    ``-1`` is an ordinary class here).

    Parameters
    ----------
    tasks : sequence of {"classification", "regression"}
        The kind of each task, one per column of ``y``.
    module : type or torch.nn.Module, default=MultiTaskMLP
        The shared trunk: a module class (built with ``module__*`` arguments; the default MLP
        gets ``n_features`` from the data) or an instance (used as it is, as in skorch). It
        maps a batch of rows to a batch of features; the heads are built on its output width.
    weighting : {"uncertainty", "fixed"}, default="uncertainty"
        Learn :math:`s_k = \log \sigma_k^2` (Kendall et al.) or weigh the task losses by
        ``task_weights``.
    task_weights : array-like of shape (n_tasks,) or None, default=None
        Fixed weights :math:`w_k \ge 0` (``weighting="fixed"`` only); ``None`` is the
        unweighted sum, :math:`w_k = 1`.
    optimizer : type, default=torch.optim.Adam
        The optimizer class (skorch's ``optimizer``); the log variances are trained with the
        weights (give them a rate of their own with
        ``optimizer__param_groups=[("log_vars", {"lr": ...})]``).
    lr : float, default=1e-3
        Learning rate.
    max_epochs : int, default=30
        Epochs.
    batch_size : int, default=64
        Rows per batch.
    train_split : callable or None, default=None
        The validation split (skorch's ``train_split``, e.g.
        ``skorch.dataset.ValidSplit(5)``); ``None`` trains on every row.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights' initialisation, dropout and the batch order (the global torch
        random state is left as it was).
    device : str or torch.device, default="cpu"
        The device of the module (skorch's ``device``).
    verbose : int, default=0
        Verbosity (skorch's ``verbose``).
    **kwargs : dict
        Further skorch arguments (``module__hidden_units``, ``callbacks``, ``warm_start``,
        ``optimizer__weight_decay``, ...).

    Attributes
    ----------
    n_tasks_ : int
        Number of tasks.
    classes_ : list of (ndarray or None), or ndarray
        The classes of each task, sorted; ``None`` for a regression task. Fitted on a 1-D
        ``y`` (one task), scikit-learn's single-output convention: the classes themselves
        (and no ``classes_`` for a regression task).
    sigma_ : ndarray of shape (n_tasks,) or None
        The learned :math:`\sigma_k = \exp(s_k / 2)`; ``None`` with ``weighting="fixed"``.
    task_weights_ : ndarray of shape (n_tasks,)
        The factor of each task loss after the fit: :math:`1/(2\sigma_k^2)` (regression),
        :math:`1/\sigma_k^2` (classification), or the fixed :math:`w_k`.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of features seen during fit; only when ``X`` has string column names.
    module_ : torch.nn.Module
        The trunk (``module_.trunk``), the heads (``module_.heads``) and the log variances
        (``module_.log_vars``).
    history_ : skorch.History
        skorch's history; every epoch also holds ``train_loss_task<k>`` (the epoch mean of
        :math:`\mathcal{L}_k`, before any weight) and, with uncertainty weighting,
        ``sigma_task<k>`` (:math:`\sigma_k` at the epoch's end).

    See Also
    --------
    skdomain.deep.DANNClassifier : Domain adaptation (one task, shifted inputs).

    Notes
    -----
    ``predict`` returns one column per task (class labels, values); ``predict_proba`` one
    array per classification task; ``score`` the mean over tasks of the accuracy
    (classification) and :math:`R^2` (regression). Fitted on a 1-D ``y`` (one task), they
    behave as a plain classifier's or regressor's, and the estimator tags say classifier or
    regressor when every task is of that kind.

    A regression task that the trunk fits exactly drives :math:`\sigma_k \to 0` and its
    weight up without bound (the likelihood rewards certainty): targets with no noise at
    all, or tiny datasets that the net memorises, are better given fixed weights.

    References
    ----------
    .. [1] A. Kendall, Y. Gal and R. Cipolla. "Multi-Task Learning Using Uncertainty to
       Weigh Losses for Scene Geometry and Semantics". CVPR, 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.transfer import MultiTaskNet
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4))
    >>> y = np.column_stack([X[:, 0] > 0, X[:, 1] + 0.1 * rng.normal(size=200)])
    >>> net = MultiTaskNet(tasks=("classification", "regression"), max_epochs=5, random_state=0)
    >>> net = net.fit(X, y)
    >>> net.predict(X[:3]).shape
    (3, 2)
    >>> net.sigma_.shape
    (2,)
    """

    _parameter_constraints = {
        "tasks": ["array-like"],
        "weighting": [StrOptions({"uncertainty", "fixed"})],
        "task_weights": ["array-like", None],
        "random_state": ["random_state"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        tasks,
        *,
        module=MultiTaskMLP,
        weighting="uncertainty",
        task_weights=None,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=30,
        batch_size=64,
        train_split=None,
        random_state=None,
        device="cpu",
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            module,
            None,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        self.tasks = tasks
        self.weighting = weighting
        self.task_weights = task_weights
        self.random_state = random_state

    # ------------------------------------------------------------------ parameters and data
    def _get_param_names(self):
        """Return skorch's parameter names, without its private bookkeeping and the unused criterion."""
        return [k for k in super()._get_param_names() if not k.startswith("_") and k != "criterion"]

    def _check_params(self):
        params = {k: getattr(self, k) for k in self._parameter_constraints}
        validate_parameter_constraints(self._parameter_constraints, params, caller_name=type(self).__name__)
        tasks = [self.tasks] if isinstance(self.tasks, str) else list(self.tasks)
        unknown = [t for t in tasks if not isinstance(t, str) or t not in _KINDS]
        if not tasks or unknown:
            raise ValueError(
                f"tasks must be a non-empty sequence of 'classification' / 'regression', one per "
                f"column of y; got {self.tasks!r} (unknown: {unknown!r})."
            )
        weights = None
        if self.task_weights is not None:
            if self.weighting != "fixed":
                raise ValueError(
                    "task_weights is used with weighting='fixed' only; got weighting="
                    f"{self.weighting!r}. Pass weighting='fixed' to weigh the tasks by hand."
                )
            weights = np.asarray(self.task_weights, dtype=float)
            if weights.shape != (len(tasks),) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
                raise ValueError(
                    f"task_weights must hold {len(tasks)} finite values >= 0, one per task; got "
                    f"{self.task_weights!r}."
                )
        elif self.weighting == "fixed":
            weights = np.ones(len(tasks))
        return tasks, weights

    def _check_y(self, y, n_rows, tasks, warn=False):
        """Return ``y`` as a 2-D object/float array with one column per task, or raise."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1 and len(tasks) == 1 and warn:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected (one task): it is "
                "read as y.ravel().",
                DataConversionWarning,
                stacklevel=4,
            )
        if y.ndim == 1 and len(tasks) == 1:
            y = y[:, None]
        if y.ndim != 2 or y.shape[1] != len(tasks):
            raise ValueError(
                f"y must have one column per task: {len(tasks)} task(s) {tuple(tasks)!r} but y has "
                f"shape {y.shape}. Pass a 2-D y of shape (n_samples, {len(tasks)}) (a 1-D y for a "
                "single task)."
            )
        if y.shape[0] != n_rows:
            raise ValueError(f"y has {y.shape[0]} rows but X has {n_rows}.")
        if np.iscomplexobj(y):
            raise ValueError("Complex data not supported in y.")
        return y

    def _encode_y(self, y, tasks):
        """Encode each column (class indices, or floats) into one float32 array; set ``classes_``."""
        columns, classes = [], []
        for k, kind in enumerate(tasks):
            col = y[:, k]
            if kind == "regression":
                try:
                    col = col.astype(np.float64)
                except (TypeError, ValueError):
                    raise ValueError(
                        f"y[:, {k}] is a regression task but holds non-numeric values (e.g. {col[0]!r})."
                    ) from None
                if not np.all(np.isfinite(col)):
                    bad = "NaN" if np.isnan(col).any() else "infinity"
                    raise ValueError(
                        f"y[:, {k}] (regression task) contains {bad}: every row needs a finite "
                        "target for every task (masked labels are not supported)."
                    )
                columns.append(col)
                classes.append(None)
                continue
            if col.dtype.kind == "f" or col.dtype == object:
                missing = [v for v in col if isinstance(v, float) and not np.isfinite(v)]
                if missing:
                    raise ValueError(
                        f"y[:, {k}] (classification task) has NaN or infinity: every row "
                        "needs a label for every task (masked labels are not supported)."
                    )
            if type_of_target(col) == "continuous":
                raise ValueError(
                    f"Unknown label type: continuous. y[:, {k}] is a classification task but holds "
                    "continuous values; declare it 'regression' in tasks, or pass class labels."
                )
            try:
                values, codes = np.unique(col, return_inverse=True)
            except TypeError:
                raise ValueError(f"y[:, {k}] mixes label types that cannot be sorted.") from None
            if values.dtype == object and all(isinstance(v, Integral) for v in values):
                values = values.astype(np.int64)
            if len(values) < 2:
                raise ValueError(
                    f"y[:, {k}] (classification task) needs at least 2 classes; got 1 class: "
                    f"{values.tolist()!r}."
                )
            columns.append(codes.astype(np.float64))
            classes.append(values)
        return np.column_stack(columns).astype(np.float32), classes

    # ------------------------------------------------------------------ set-up
    @contextmanager
    def _seeded(self):
        """Seed initialisation, dropout and the batch order from ``random_state`` (torch's state restored)."""
        if self.random_state is None:
            yield
            return
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        devices = [torch.cuda.current_device()] if str(self.device).startswith("cuda") else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield

    def initialize_module(self):
        """Build ``module_``: the trunk, one linear head per task on its output width, the ``s_k``.

        Returns
        -------
        self : object
            The net, with ``module_`` on ``device``.
        """
        kwargs = self.get_params_for("module")
        if isinstance(self.module, type) and issubclass(self.module, MultiTaskMLP):
            kwargs.setdefault("n_features", self.n_features_in_)
        trunk = self.initialized_instance(self.module, kwargs)
        with torch.no_grad():
            probe = trunk(torch.zeros(2, self.n_features_in_))
        width = int(np.prod(probe.shape[1:]))
        n_outputs = [1 if c is None else len(c) for c in self._classes]
        module = _MultiTaskModule(trunk, width, n_outputs, self.weighting == "uncertainty")
        self.module_ = module.to(self.device)
        return self

    def initialize_criterion(self):
        """No criterion module: :meth:`get_loss` computes each task's loss.

        Returns
        -------
        self : object
            The net.
        """
        self.criterion_ = None
        return self

    def get_iterator(self, dataset, training=False):
        """Build skorch's batch iterator; training batches are shuffled (``iterator_train__shuffle``).

        Parameters
        ----------
        dataset : torch Dataset
            The rows.
        training : bool, default=False
            Training (``iterator_train``) or validation / prediction (``iterator_valid``) batches.

        Returns
        -------
        iterator : iterable
            The batches.
        """
        name = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(name)
        if training:
            kwargs.setdefault("shuffle", True)
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        return getattr(self, name)(dataset, **kwargs)

    # ------------------------------------------------------------------ fitting
    def _fit(self, X, y, reset):
        tasks, weights = self._check_params()
        if not reset and len(tasks) != self.n_tasks_:
            raise ValueError(
                f"tasks has {len(tasks)} entries but the net was fitted on {self.n_tasks_} tasks."
            )
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        X = validate_data(self, X, reset=reset, dtype=np.float32)
        y_ndim = np.asarray(y).ndim
        if len(tasks) == 1 and y_ndim == 2 and np.shape(y)[1] == 1:
            y_ndim = 1  # a column vector for one task: scikit-learn's rule, read as 1-D (warned)
        y = self._check_y(y, X.shape[0], tasks, warn=True)
        if reset:
            self._y_ndim = y_ndim
            self._tasks = tuple(tasks)
            self.n_tasks_ = len(tasks)
        y_enc, classes = self._encode_y(y, tasks)
        if reset:
            self._classes = classes
            vars(self).pop("classes_", None)  # a previous fit's
            if y_ndim == 1:  # scikit-learn's single-output convention: the array itself
                if classes[0] is not None:
                    self.classes_ = classes[0]
            else:
                self.classes_ = classes
        else:
            for k, (old, new) in enumerate(zip(self._classes, classes, strict=True)):
                if old is not None and not np.isin(new, old).all():
                    raise ValueError(f"y[:, {k}] has classes not seen in the first fit: {new!r}.")
            # re-encode against the first fit's classes
            for k, old in enumerate(self._classes):
                if old is not None:
                    y_enc[:, k] = np.searchsorted(old, classes[k][y_enc[:, k].astype(int)])
        self._fixed_weights = weights
        self.sigma_ = None
        with self._seeded():
            if reset:
                self.initialize()
            NeuralNet.partial_fit(self, X, y_enc)
        self._finish_fit()
        return self

    def fit(self, X, y, **fit_params):
        """Fit the trunk, the heads and (with uncertainty weighting) the task noise levels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            One column per task (class labels, or real values); a 1-D ``y`` for one task.
        **fit_params : dict
            Not used; accepted for skorch's signature and must be empty.

        Returns
        -------
        self : object
            The fitted net.

        Raises
        ------
        TrainingDivergedError
            When the loss becomes NaN or infinite (the net is then not fitted).
        """
        if fit_params:
            raise TypeError(
                f"{type(self).__name__}.fit takes no further arguments (no sample_domain: it is not a "
                f"domain-adaptation estimator); got {sorted(fit_params)}."
            )
        reset = not self.warm_start or not self.initialized_ or not hasattr(self, "n_tasks_")
        return self._fit(X, y, reset=reset)

    def partial_fit(self, X, y, classes=None, **fit_params):
        """Train for ``max_epochs`` more epochs (initialising on the first call).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            One column per task.
        classes : None
            Unused; the classes of each task come from the first call.
        **fit_params : dict
            Not used; must be empty.

        Returns
        -------
        self : object
            The net.
        """
        if fit_params:
            raise TypeError(
                f"{type(self).__name__}.partial_fit takes no further arguments; got {sorted(fit_params)}."
            )
        return self._fit(X, y, reset=not self.initialized_ or not hasattr(self, "n_tasks_"))

    def set_fit_request(self, **kwargs):
        """Request metadata for ``fit`` under scikit-learn's metadata routing (skorch's method).

        ``fit`` takes no metadata: nothing is requested by default.

        Parameters
        ----------
        **kwargs : dict
            ``param_name=alias`` with alias ``True``, ``False``, ``None`` or a string.

        Returns
        -------
        self : object
            The net.
        """
        return super().set_fit_request(**kwargs)

    def set_partial_fit_request(self, **kwargs):
        """Request metadata for ``partial_fit`` under scikit-learn's metadata routing (skorch's method).

        Parameters
        ----------
        **kwargs : dict
            ``param_name=alias`` with alias ``True``, ``False``, ``None`` or a string.

        Returns
        -------
        self : object
            The net.
        """
        return super().set_partial_fit_request(**kwargs)

    def _factors(self):
        """Return each task loss's factor, ``c_k e^{-s_k}`` (c_k = 1/2 or 1) or ``w_k``, and ``s``."""
        if self._fixed_weights is not None:
            return torch.as_tensor(self._fixed_weights, dtype=torch.float32, device=self.device), None
        s = self.module_.log_vars
        half = torch.tensor([0.5 if t == "regression" else 1.0 for t in self._tasks], device=s.device)
        return half * torch.exp(-s), s

    def get_loss(self, y_pred, y_true, X=None, training=False):
        r"""Return the total loss of a batch, weighted by the learned or the fixed factors.

        :math:`\sum_k c_k e^{-s_k} \mathcal{L}_k + \tfrac{1}{2} s_k` (uncertainty weighting,
        :math:`c_k = 1/2` for a regression task, 1 for a classification task) or
        :math:`\sum_k w_k \mathcal{L}_k` (fixed weights).

        Parameters
        ----------
        y_pred : tuple of Tensor
            One output per task (logits, or one value per row).
        y_true : Tensor of shape (n, n_tasks)
            Encoded targets (class indices as floats, or values).
        X : object, default=None
            The batch (unused).
        training : bool, default=False
            Whether the batch is a training batch (its task losses are then logged).

        Returns
        -------
        loss : Tensor
            The scalar total loss.
        """
        y_true = y_true.to(self.device)
        losses = []
        for k, (out, kind) in enumerate(zip(y_pred, self._tasks, strict=True)):
            if kind == "regression":
                losses.append(torch.mean((out[:, 0] - y_true[:, k]) ** 2))
            else:
                losses.append(nn.functional.cross_entropy(out, y_true[:, k].long()))
        losses = torch.stack(losses)
        factors, s = self._factors()
        total = torch.sum(factors * losses)
        if s is not None:
            total = total + 0.5 * torch.sum(s)
        if training:
            for k, value in enumerate(to_numpy(losses.detach())):
                self.history.record_batch(f"train_loss_task{k}", float(value))
        return total

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        r"""Log each task's mean loss and :math:`\sigma_k`; raise if the loss diverged.

        Parameters
        ----------
        net : MultiTaskNet
            This net (skorch's callback signature).
        dataset_train, dataset_valid : Dataset or None
            The epoch's data (unused).
        **kwargs : dict
            Further skorch arguments (unused).

        Raises
        ------
        TrainingDivergedError
            When a batch loss of the epoch is NaN or infinite.
        """
        super().on_epoch_end(net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs)
        batches = [b for b in self.history[-1]["batches"] if "train_loss" in b]
        for k in range(len(self._tasks)):
            values = [b[f"train_loss_task{k}"] for b in batches if f"train_loss_task{k}" in b]
            if values:
                self.history.record(f"train_loss_task{k}", float(np.mean(values)))
        if self._fixed_weights is None:
            sigma = np.exp(0.5 * to_numpy(self.module_.log_vars.detach()).astype(float))
            for k, value in enumerate(sigma):
                self.history.record(f"sigma_task{k}", float(value))
        values = [b["train_loss"] for b in batches]
        if not np.all(np.isfinite(values)):
            self._diverged = True
            raise TrainingDivergedError(
                f"The training of {type(self).__name__} diverged at epoch {len(self.history)}: the loss "
                f"became NaN or infinite. Try a lower lr (now {self.lr!r}) or standardise the inputs "
                "and the regression targets. The net is not fitted."
            )

    def _finish_fit(self):
        self._diverged = False
        factors, s = self._factors()
        self.task_weights_ = to_numpy(factors.detach()).astype(float)
        self.sigma_ = None if s is None else np.exp(0.5 * to_numpy(s.detach()).astype(float))

    # ------------------------------------------------------------------ prediction
    def __sklearn_is_fitted__(self):
        """Return whether a fit completed (and did not diverge).

        Returns
        -------
        fitted : bool
            ``True`` after a fit that did not raise.
        """
        return getattr(self, "_diverged", None) is False

    def _validate_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float32)

    def _outputs(self, X):
        X = self._validate_X(X)
        out = self.forward(X, training=False, device="cpu")
        return [to_numpy(o) for o in out]

    def predict(self, X):
        """Predict every task: class labels for classification tasks, values for regression.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_tasks) or (n_samples,)
            One column per task, in input order (1-D when fitted on a 1-D ``y``). Numeric
            labels and values share one numeric array; string labels make it ``object``.
        """
        columns = []
        for out, classes in zip(self._outputs(X), self._classes, strict=True):
            columns.append(out[:, 0].astype(np.float64) if classes is None else classes[out.argmax(axis=1)])
        if self._y_ndim == 1:
            return columns[0]
        if all(c.dtype.kind in "biuf" for c in columns):
            return np.column_stack(columns)
        out = np.empty((len(columns[0]), len(columns)), dtype=object)
        for k, c in enumerate(columns):
            out[:, k] = c
        return out

    @available_if(_has_classification_task)
    def predict_proba(self, X):
        """Class probabilities of each classification task.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.

        Returns
        -------
        proba : list of ndarray of shape (n_samples, n_classes_k), or one such ndarray
            One array per classification task, in task order, columns in the order of its
            ``classes_[k]`` (the array itself when fitted on a 1-D ``y``).
        """
        check_is_fitted(self)
        probas = [
            torch.softmax(torch.as_tensor(out, dtype=torch.float64), dim=1).numpy()
            for out, classes in zip(self._outputs(X), self._classes, strict=True)
            if classes is not None
        ]
        return probas[0] if self._y_ndim == 1 else probas

    def score(self, X, y, sample_weight=None):
        """Mean over tasks of the accuracy (classification) and the :math:`R^2` (regression).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            True labels and values, one column per task.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights of every task's score.

        Returns
        -------
        score : float
            The unweighted mean of the per-task scores (see :meth:`score_tasks`).
        """
        return float(np.mean(self.score_tasks(X, y, sample_weight=sample_weight)))

    def score_tasks(self, X, y, sample_weight=None):
        """Score of each task: accuracy (classification) or :math:`R^2` (regression).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            True labels and values, one column per task.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        scores : ndarray of shape (n_tasks,)
            One score per task, in task order.
        """
        check_is_fitted(self)
        pred = self.predict(X)
        y = self._check_y(y, len(pred), self._tasks)
        pred = pred.reshape(len(pred), -1)
        scores = []
        for k, classes in enumerate(self._classes):
            if classes is None:
                true, values = y[:, k].astype(float), pred[:, k].astype(float)
                scores.append(r2_score(true, values, sample_weight=sample_weight))
            else:
                scores.append(accuracy_score(y[:, k], pred[:, k], sample_weight=sample_weight))
        return np.asarray(scores, dtype=float)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            tasks = [self.tasks] if isinstance(self.tasks, str) else list(self.tasks)
            kinds = set(tasks)
        except TypeError:  # invalid tasks: fit says so
            tasks, kinds = [], set()
        if kinds == {"classification"}:
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags()
        elif kinds == {"regression"}:
            tags.estimator_type = "regressor"
            tags.regressor_tags = RegressorTags()
        tags.input_tags.sparse = False
        tags.target_tags.required = True
        tags.target_tags.single_output = len(tasks) == 1
        tags.target_tags.multi_output = len(tasks) > 1
        return tags
