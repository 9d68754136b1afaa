r"""Selective joint fine-tuning (Ge & Yu, 2017): the target task jointly with its nearest source rows."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from skorch import NeuralNet
from skorch.callbacks import PassthroughScoring
from skorch.utils import to_tensor
from torch import nn

from ._features import NetFeatures, check_pretrained_width
from ._finetune import FineTuningClassifier, _FineTuningNet
from ._lwf import head_classes, set_two_heads, two_head_parts
from ._pretrained import get_layer, layers, pretrained_module

__all__ = ["select_source_neighbors", "SelectiveJointFineTuningClassifier"]


def _low_level(features, X_target, X_source):
    """Return both sets of rows in the feature space of ``features`` (see select_source_neighbors)."""
    if features is None:
        return X_target, X_source
    if hasattr(features, "transform"):
        try:
            check_is_fitted(features)
            fitted = features
        except NotFittedError:
            fitted = clone(features).fit(X_source)  # the caller's transformer stays unfitted
        F_t, F_s = fitted.transform(X_target), fitted.transform(X_source)
    elif callable(features):
        F_t, F_s = features(X_target), features(X_source)
    else:
        raise ValueError(
            "features must be None (the raw inputs), a transformer (e.g. NetFeatures(pretrained, "
            f"layers=...)) or a callable mapping rows to feature rows; got {type(features).__name__}."
        )
    out = []
    for name, F, X in (("target", F_t, X_target), ("source", F_s, X_source)):
        F = check_array(np.asarray(F), dtype=np.float64, allow_nd=True)
        if F.shape[0] != X.shape[0]:
            raise ValueError(f"features returned {F.shape[0]} rows for the {X.shape[0]} {name} rows.")
        out.append(F.reshape(F.shape[0], -1))
    if out[0].shape[1] != out[1].shape[1]:
        raise ValueError("features returned rows of different widths for the target and the source rows.")
    return out


@validate_params(
    {
        "X_target": ["array-like"],
        "X_source": ["array-like"],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "features": "no_validation",
    },
    prefer_skip_nested_validation=True,
)
def select_source_neighbors(X_target, X_source, *, n_neighbors=5, features=None):
    r"""Return the indices of the source rows nearest to the target rows in a low-level feature space.

    The selection step of selective joint fine-tuning (Ge & Yu [1]_): for each target row
    :math:`x^t_i`, its :math:`K` nearest source rows :math:`\mathcal{N}_K(x^t_i)` by the
    Euclidean distance between low-level descriptors :math:`\phi(x)`, and the pooled,
    deduplicated subset

    .. math::

        \mathcal{S} = \bigcup_{i=1}^{n_t} \mathcal{N}_K(x^t_i),
        \qquad \mathcal{N}_K(x^t_i) = \operatorname{arg\,min}_{|N| = K}
        \sum_{j \in N} \lVert \phi(x^t_i) - \phi(x^s_j) \rVert_2 .

    :math:`\phi` is the identity (raw inputs), or the outputs of an early layer of a
    pretrained network (``features=NetFeatures(net, layers="<early layer>")``). The paper
    uses histograms of Gabor or first-layer filter responses; here the layer's outputs
    themselves are the descriptors. Its iterative retrieval (more neighbours for target
    rows with a high loss) is not done: :math:`K` is the same for every target row.
    Ties are broken by the lower source index.

    Parameters
    ----------
    X_target : array-like of shape (n_target, n_features)
        Target rows.
    X_source : array-like of shape (n_source, n_features)
        Source rows.
    n_neighbors : int, default=5
        :math:`K`, neighbours per target row (capped at ``n_source``).
    features : None, transformer or callable, default=None
        :math:`\phi`. ``None``: the raw inputs. A transformer (e.g. :class:`NetFeatures`):
        used as it is when fitted, else a clone is fitted on ``X_source`` (the caller's
        object is untouched). A callable: ``features(X)`` returns the descriptors.

    Returns
    -------
    indices : ndarray of shape (n_selected,)
        Sorted, distinct row indices into ``X_source``.

    See Also
    --------
    SelectiveJointFineTuningClassifier : Joint fine-tuning on these source rows.

    References
    ----------
    .. [1] W. Ge and Y. Yu, "Borrowing Treasures from the Wealthy: Deep Transfer Learning
       through Selective Joint Fine-Tuning", CVPR, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.transfer import select_source_neighbors
    >>> X_source = np.array([[0.0], [1.0], [5.0], [6.0], [10.0]])
    >>> select_source_neighbors(np.array([[0.2], [9.0]]), X_source, n_neighbors=2)
    array([0, 1, 3, 4])
    """
    X_target = check_array(X_target, dtype=np.float64, input_name="X_target")
    X_source = check_array(X_source, dtype=np.float64, input_name="X_source")
    if X_target.shape[1] != X_source.shape[1]:
        raise ValueError(
            f"X_target has {X_target.shape[1]} features and X_source {X_source.shape[1]}: "
            "the rows must share a feature space."
        )
    F_t, F_s = _low_level(features, X_target, X_source)
    k = min(int(n_neighbors), F_s.shape[0])
    nn_ = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(F_s)
    _, idx = nn_.kneighbors(F_t)
    return np.unique(idx).astype(np.intp)


class SelectiveJointFineTuningClassifier(ClassifierMixin, _FineTuningNet):
    r"""Selective joint fine-tuning: the target task with its nearest source rows (a skorch net).

    Ge & Yu [1]_: the pretrained network's shared layers :math:`\theta_c` get a new
    target head :math:`\theta_t` beside the source head :math:`\theta_s` (the pretrained
    head, on the same input), and both tasks are trained together on the target rows
    :math:`\mathcal{D}_t = \{(x^t_i, y^t_i)\}` and the selected source rows
    :math:`\mathcal{S} \subset \mathcal{D}_s` (:func:`select_source_neighbors`: the
    ``n_neighbors`` source rows nearest to each target row in a low-level feature space).
    On a batch :math:`B = B_t \cup B_s` the loss is

    .. math::

        \mathcal{L}(\theta_c, \theta_t, \theta_s) =
        \frac{1}{|B_t|} \sum_{i \in B_t} \ell\big(h_t(x^t_i), y^t_i\big)
        + \lambda \frac{1}{|B_s|} \sum_{j \in B_s} \ell\big(h_s(x^s_j), y^s_j\big),

    :math:`\ell` the cross-entropy, :math:`h_t, h_s` the network with the target and the
    source head; a term whose rows are absent from the batch is 0. The paper weights the
    two tasks equally (:math:`\lambda = 1`). Its iterative retrieval (more neighbours
    for hard target rows) is not done here: :math:`K` is fixed.

    **Data contract.** ``fit(X, y, sample_domain=...)`` takes the target and the source
    rows together: ``sample_domain < 0`` marks target rows, whose labels are the target
    task's classes (``classes_``); ``sample_domain >= 0`` marks source rows, whose labels
    live in the source head's label space (``source_classes``), not the target's. No
    masked labels: every row is labeled, ``-1`` included as an ordinary class.
    ``predict`` / ``predict_proba`` / ``score`` give the target task. With
    ``sample_domain=None`` every row is a target row and the fit is plain fine-tuning
    without source (the paper's baseline "fine-tuning w/o source domain"); a
    ``sample_domain`` without source rows, or without target rows, is an error.
    ``n_neighbors=None`` trains with all source rows (the baseline "joint fine-tuning
    with all source samples").

    Parameters
    ----------
    pretrained : torch.nn.Module, fitted skorch net, or FrozenEstimator of either
        The network trained on the source task, whose ``forward`` returns the source
        logits (or a tuple whose first element they are). Never mutated.
    head : str or None, default=None
        Name of the source head (a ``torch.nn.Linear``, as ``named_modules()`` names
        it); ``None`` is the last layer with parameters. The target head reads its input.
    source_classes : array-like or None, default=None
        Labels of the source head's outputs; ``None`` takes a fitted skorch net's
        ``classes_``, else ``0 .. n_source_classes - 1``.
    n_neighbors : int or None, default=5
        :math:`K`, source rows selected per target row; ``None``: every source row.
    selection_layer : str or None, default=None
        The layer of ``pretrained`` whose outputs are the low-level descriptors
        :math:`\phi` (as ``named_modules()`` names it, an early one); ``None``: the raw
        inputs.
    lambda_source : float, default=1.0
        :math:`\lambda`, weight of the source term.
    **kwargs : dict
        ``lr``, ``max_epochs``, ``batch_size``, ``optimizer``, ``early_stopping``,
        ``validation_fraction``, ``patience``, ``random_state``, ``device`` and skorch's
        parameters, as in :class:`FineTuningClassifier` (``freeze`` and ``lr_decay`` are
        refused: every layer learns).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The target task's classes.
    source_classes_ : ndarray of shape (n_source_classes,)
        The source head's labels.
    selected_ : ndarray of shape (n_selected,)
        Indices, into the rows of the last ``fit``'s ``X``, of the source rows trained on.
    module_ : torch.nn.Module
        ``net`` (the copy of the pretrained network, source head included) and
        ``new_head`` (the target head).
    history_ : skorch.History
        ``train_loss``, ``train_loss_target``, ``train_loss_source`` per epoch.

    See Also
    --------
    select_source_neighbors : The selection step alone.
    FineTuningClassifier : Fine-tuning without source rows.

    References
    ----------
    .. [1] W. Ge and Y. Yu, "Borrowing Treasures from the Wealthy: Deep Transfer Learning
       through Selective Joint Fine-Tuning", CVPR, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skdomain.transfer import SelectiveJointFineTuningClassifier
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 4))
    >>> sd = np.r_[np.full(20, -1), np.full(40, 1)]  # 20 target rows, 40 source rows
    >>> y = np.r_[(X[:20, 0] > 0).astype(int), rng.randint(0, 3, 40)]  # source labels in 0..2
    >>> clf = SelectiveJointFineTuningClassifier(net, n_neighbors=1, max_epochs=3, random_state=0)
    >>> clf = clf.fit(X, y, sample_domain=sd)
    >>> clf.classes_, clf.predict_proba(X[:2]).shape
    (array([0, 1]), (2, 2))
    """

    _parameter_constraints = {
        "source_classes": ["array-like", None],
        "n_neighbors": [Interval(Integral, 1, None, closed="left"), None],
        "selection_layer": [str, None],
        "lambda_source": [Interval(Real, 0, None, closed="left")],
    }
    _stratified = False  # the labels of the two tasks share the integers
    _multi_output = False

    def __init__(
        self,
        pretrained=None,
        *,
        head=None,
        source_classes=None,
        n_neighbors=5,
        selection_layer=None,
        lambda_source=1.0,
        **kwargs,
    ):
        super().__init__(pretrained, head=head, **kwargs)
        self.source_classes = source_classes
        self.n_neighbors = n_neighbors
        self.selection_layer = selection_layer
        self.lambda_source = lambda_source

    def get_default_callbacks(self):
        """Return the fine-tuning callbacks and the epoch means of the two terms.

        Returns
        -------
        callbacks : list of (str, Callback)
            The default callbacks.
        """
        return [
            *super().get_default_callbacks(),
            ("train_loss_target", PassthroughScoring(name="train_loss_target", on_train=True)),
            ("train_loss_source", PassthroughScoring(name="train_loss_source", on_train=True)),
        ]

    _n_outputs = FineTuningClassifier._n_outputs
    _get_predict_nonlinearity = FineTuningClassifier._get_predict_nonlinearity

    def initialize_module(self):
        """Copy the pretrained network and put a target head beside the source head.

        Returns
        -------
        self : object
            The net, with ``module_``, ``head_`` and ``source_classes_``.
        """
        owner = type(self).__name__
        module, found, head, _ = two_head_parts(self, owner, "source", "every layer learns on both tasks.")
        set_two_heads(self, module, found, head)
        return self

    # ------------------------------------------------------------------ data
    def _source_classes(self, owner):
        """Return a probe copy of the network and the source head's labels, checked against its width."""
        probe = pretrained_module(self.pretrained, owner)
        found = layers(probe)
        head = self.head if self.head is not None else (found[-1][0] if found else None)
        if head is None:
            raise ValueError(f"{owner}: the pretrained network has no layer with parameters.")
        old = get_layer(probe, head, owner)
        n_source = getattr(old, "out_features", None)
        classes = head_classes(
            self.pretrained, self.source_classes, n_source, owner, "source_classes", "source"
        )
        return probe, classes

    def _split(self, X, y, sample_domain, owner):
        """Target and source rows: (target mask, source mask), checked."""
        if sample_domain is None:
            return np.ones(len(X), bool), np.zeros(len(X), bool)
        sd = np.asarray(sample_domain)
        if sd.ndim != 1 or sd.shape[0] != len(X):
            raise ValueError(
                f"sample_domain must be a 1-d array with one id per row of X ({len(X)}); got {sd.shape}."
            )
        if sd.dtype.kind not in "iu":
            if sd.dtype.kind != "f" or not np.all(np.isfinite(sd)) or np.any(sd != np.round(sd)):
                raise ValueError("sample_domain must hold integer ids (>= 0: source rows, < 0: target rows).")
        target = sd < 0
        if not target.any():
            raise ValueError(
                f"{owner}: sample_domain marks no target row (ids < 0); the target task needs rows."
            )
        if target.all():
            raise ValueError(
                f"{owner}: sample_domain marks no source row (ids >= 0); joint fine-tuning needs source "
                "rows. Pass sample_domain=None for fine-tuning without source."
            )
        return target, ~target

    @staticmethod
    def _part(y, mask):
        part = np.asarray(y)[mask]
        return np.asarray(part.tolist()) if part.dtype == object and part.size else part

    def _encode_target(self, y):
        return FineTuningClassifier._encode_y(self, y, reset=True)

    def fit(self, X, y, sample_domain=None, **fit_params):
        """Fine-tune a copy of the pretrained network on the target rows and the selected source rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Target and source rows; ``n_features`` is the pretrained network's input width.
        y : array-like of shape (n_samples,)
            Target-task labels on target rows, source-task labels (from ``source_classes``)
            on source rows.
        sample_domain : array-like of shape (n_samples,) or None, default=None
            ``< 0``: target row, ``>= 0``: source row. ``None``: every row a target row.
        **fit_params : dict
            Passed to the module's ``forward`` (skorch's convention).

        Returns
        -------
        self : object
            The fitted net.
        """
        owner = type(self).__name__
        if "sample_weight" in fit_params:
            raise TypeError(f"{owner} does not support sample_weight.")
        self._check_own_params()
        X, y = validate_data(self, X, y, dtype=np.float32, reset=True)
        target, source = self._split(X, y, sample_domain, owner)
        # the two label spaces are checked apart (their own dtype: y may be an object array of both)
        y_t = self._encode_target(self._part(y, target))
        probe, source_classes = self._source_classes(owner)
        check_pretrained_width(probe, X, owner)
        y_s = self._part(y, source)
        if y_s.size:
            check_classification_targets(y_s)
        index = {c: i for i, c in enumerate(source_classes.tolist())}
        pos = np.array([index.get(v, -1) for v in y_s.tolist()], dtype=np.int64)
        if (pos < 0).any():
            bad = list(dict.fromkeys(y_s[pos < 0].tolist()))[:5]
            raise ValueError(
                f"{owner}: source rows hold labels {bad!r} that are not the source head's "
                f"(source_classes {source_classes.tolist()!r}); source labels live in the source "
                "task's label space."
            )
        rows_t, rows_s = np.flatnonzero(target), np.flatnonzero(source)
        picked = np.arange(rows_s.size)  # positions among the source rows
        if rows_s.size and self.n_neighbors is not None:
            features = None
            if self.selection_layer is not None:
                get_layer(probe, self.selection_layer, owner)
                features = NetFeatures(probe, layers=self.selection_layer).fit(X[:1])
            picked = select_source_neighbors(
                X[rows_t], X[rows_s], n_neighbors=self.n_neighbors, features=features
            )
        self.source_classes_ = source_classes
        self.selected_ = rows_s[picked]
        X_train = np.concatenate([X[rows_t], X[self.selected_]])
        is_source = np.r_[np.zeros(rows_t.size, bool), np.ones(picked.size, bool)]
        y_train = np.r_[y_t, pos[picked]].astype(np.int64)
        with self._fitting():
            self.initialize()
            NeuralNet.partial_fit(self, {"X": X_train, "source": is_source}, y_train, **fit_params)
        return self

    @property
    def partial_fit(self):
        """Not available: one ``fit`` sets the selection and both label spaces (skorch's method is hidden)."""
        raise AttributeError(f"{type(self).__name__} has no partial_fit; fit on the target and source rows.")

    # ------------------------------------------------------------------ training
    def infer(self, x, **fit_params):
        """Return ``(target logits, source logits)`` for a batch (a tensor, or the fit's dict).

        Parameters
        ----------
        x : Tensor or dict
            The batch.
        **fit_params : dict
            Unused.

        Returns
        -------
        out : tuple of Tensor
            The target head's and the source head's logits.
        """
        X = x["X"] if isinstance(x, dict) else x
        return self.module_(to_tensor(X, device=self.device))

    def get_loss(self, y_pred, y_true, X=None, training=False):
        r""":math:`\mathcal{L} = \overline{\ell_t} + \lambda\, \overline{\ell_s}` on the batch.

        Parameters
        ----------
        y_pred : tuple of Tensor
            ``(target logits, source logits)``.
        y_true : Tensor
            Encoded labels: target classes on target rows, source classes on source rows.
        X : dict or Tensor
            The batch; its ``"source"`` marks the source rows (none without it).
        training : bool, default=False
            Whether this is a training step.

        Returns
        -------
        loss : Tensor
            The scalar loss.
        """
        target_logits, source_logits = y_pred
        y_true = to_tensor(y_true, device=self.device).long()
        if isinstance(X, dict) and "source" in X:
            is_source = to_tensor(X["source"], device=self.device).bool()
        else:
            is_source = torch.zeros(len(y_true), dtype=torch.bool, device=target_logits.device)
        zero = target_logits.sum() * 0.0
        is_target = ~is_source
        loss_t = (
            nn.functional.cross_entropy(target_logits[is_target], y_true[is_target])
            if is_target.any()
            else zero
        )
        loss_s = (
            nn.functional.cross_entropy(source_logits[is_source], y_true[is_source])
            if is_source.any()
            else zero
        )
        if training:
            self.history.record_batch("train_loss_target", loss_t.item())
            self.history.record_batch("train_loss_source", loss_s.item())
        return loss_t + float(self.lambda_source) * loss_s

    def get_all_learnable_params(self):
        """Every parameter (both heads and the shared layers learn).

        Yields
        ------
        named_parameter : tuple of (str, Parameter)
            Names as ``module_.named_parameters()`` gives them.
        """
        yield from self.module_.named_parameters()

    # ------------------------------------------------------------------ prediction
    def predict_proba(self, X):
        """Target-task class probabilities (softmax of the target head).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        X = self._validate_X(X)
        with self._predicting():
            self.module_.eval()
            out = []
            with torch.no_grad():
                for start in range(0, X.shape[0], self.batch_size):
                    xb = torch.as_tensor(X[start : start + self.batch_size], device=self.device)
                    out.append(torch.softmax(self.module_(xb)[0], dim=1).cpu())
        return torch.cat(out).double().numpy()

    def predict(self, X):
        """Target-task labels.

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
