r"""Progressive networks (Rusu et al., 2016): frozen earlier columns, a new column with lateral adapters."""

from numbers import Integral, Real

import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import Interval
from skorch import NeuralNet
from torch import nn

from ._features import check_pretrained_width
from ._finetune import FineTuningClassifier, FineTuningRegressor, _FineTuningNet
from ._pretrained import layers, pretrained_module

__all__ = ["ProgressiveNetClassifier", "ProgressiveNetRegressor"]


def _column_list(pretrained):
    """``pretrained`` as a list of columns (one network, or a list / tuple of them)."""
    return list(pretrained) if isinstance(pretrained, (list, tuple)) else [pretrained]


def _linear_names(column, j, owner):
    """Return the names of column ``j``'s ``Linear`` layers (refusing any other layer with parameters)."""
    found = layers(column)
    if not found:
        raise ValueError(f"{owner}: column {j} of pretrained has no layer with parameters.")
    names = []
    for name, mods in found:
        if not isinstance(mods[0], nn.Linear):
            raise ValueError(
                f"{owner} needs MLP-like columns: every layer with parameters a torch.nn.Linear "
                f"(normalisation modules aside), called once per forward in named_modules() order; "
                f"column {j} has a {type(mods[0]).__name__} at {name!r}."
            )
        names.append(name)
    if len(names) < 2:
        raise ValueError(
            f"{owner}: column {j} has {len(names)} Linear layer; a column needs at least two "
            "(a hidden layer and the head) for a lateral connection."
        )
    return names


def _layer_inputs(column, names, x):
    """Return the inputs of the named ``Linear`` layers of ``column`` on ``x`` (h_0, ..., h_{L-1})."""
    mods = dict(column.named_modules())
    seen = {name: [] for name in names}
    handles = [
        mods[name].register_forward_pre_hook(lambda m, a, name=name: seen[name].append(a[0]))
        for name in names
    ]
    try:
        column(x)
    finally:
        for h in handles:
            h.remove()
    calls = [len(seen[name]) for name in names]
    if calls != [1] * len(names):
        raise ValueError(
            "ProgressiveNet needs MLP-like columns whose Linear layers are each called once per "
            f"forward; the column's layers {names} were called {calls} times."
        )
    return [seen[name][0] for name in names]


class _Adapter(nn.Module):
    r"""The lateral adapter :math:`U \sigma(V \alpha h)` (a learned scalar, then a one-hidden-layer MLP)."""

    def __init__(self, n_in, n_hidden, n_out, alpha_init):
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor(float(alpha_init)))
        self.V = nn.Linear(n_in, n_hidden, bias=False)
        self.U = nn.Linear(n_hidden, n_out, bias=False)

    def forward(self, h):
        return self.U(torch.relu(self.V(self.alpha * h)))


class _ProgressiveModule(nn.Module):
    """Frozen earlier columns (always in eval mode) and the new column with its adapters."""

    def __init__(self, columns, names, col_widths, widths, n_out, adapter_units, alpha_init):
        super().__init__()
        self.columns = nn.ModuleList(columns)
        for p in self.columns.parameters():
            p.requires_grad_(False)
        self.names = [list(n) for n in names]
        sizes = list(widths) + [n_out]
        self.layers = nn.ModuleList(nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1))
        # adapters[i - 1][j]: from h_{i-1} of column j into layer i (0-based; layer 0 reads x only)
        self.adapters = nn.ModuleList()
        for i in range(1, len(self.layers)):
            n_hidden = sizes[i] if adapter_units is None else int(adapter_units)
            self.adapters.append(
                nn.ModuleList(_Adapter(w[i], n_hidden, sizes[i + 1], alpha_init) for w in col_widths)
            )

    def train(self, mode=True):
        """Set the new column's mode; the earlier columns stay in eval mode (frozen feature maps)."""
        super().train(mode)
        self.columns.eval()
        return self

    def forward(self, x):
        with torch.no_grad():
            lateral = [_layer_inputs(c, n, x) for c, n in zip(self.columns, self.names)]
        h = x
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            z = layer(h)
            if i > 0:
                for adapter, hs in zip(self.adapters[i - 1], lateral):
                    z = z + adapter(hs[i])
            h = torch.relu(z) if i < last else z
        return h


class _ProgressiveNet(_FineTuningNet):
    """Base of the progressive nets (the fine-tuning nets' fit, data and skorch plumbing)."""

    _parameter_constraints = {
        "hidden_units": [list, tuple, None],
        "adapter_units": [Interval(Integral, 1, None, closed="left"), None],
        "alpha_init": [Interval(Real, None, None, closed="neither")],
    }

    def __init__(self, pretrained=None, *, hidden_units=None, adapter_units=None, alpha_init=0.1, **kwargs):
        super().__init__(pretrained, **kwargs)
        del self.head, self.freeze, self.lr_decay  # every earlier column is frozen; the new one learns
        self.hidden_units = hidden_units
        self.adapter_units = adapter_units
        self.alpha_init = alpha_init

    def _columns(self):
        owner = type(self).__name__
        pretrained = _column_list(self.pretrained)
        if not pretrained:
            raise ValueError(f"{owner} needs at least one pretrained column (pretrained=[]).")
        return [pretrained_module(p, owner) for p in pretrained]

    def _check_pretrained_width(self, X):
        for column in self._columns():
            check_pretrained_width(column, X, type(self).__name__)

    def initialize_module(self):
        """Copy the earlier columns, freeze them, and build the new column and its adapters.

        Returns
        -------
        self : object
            The net, with ``module_`` (on ``device``), ``column_layers_`` and ``widths_``.
        """
        owner = type(self).__name__
        columns = self._columns()
        names = [_linear_names(c, j, owner) for j, c in enumerate(columns)]
        depth = len(names[-1])
        if any(len(n) != depth for n in names):
            raise ValueError(
                f"{owner}: the columns must have the same number of Linear layers (layer i of the new "
                f"column reads layer i-1 of each); they have {[len(n) for n in names]}."
            )
        n_in = self.n_features_in_
        probe = torch.zeros(2, n_in)
        col_widths = []
        for j, (column, n) in enumerate(zip(columns, names)):
            column.eval()
            with torch.no_grad():
                try:
                    hs = _layer_inputs(column, n, probe)
                except ValueError as exc:
                    raise ValueError(f"{owner}: column {j}: {exc}") from None
            if any(h.dim() != 2 for h in hs):
                raise ValueError(
                    f"{owner} needs MLP-like columns: the inputs of column {j}'s Linear layers must be "
                    f"(batch, width) tables; their shapes are {[tuple(h.shape) for h in hs]}."
                )
            col_widths.append([h.shape[1] for h in hs])
        if self.hidden_units is None:
            hidden = col_widths[-1][1:]
        else:
            hidden = list(self.hidden_units)
            if len(hidden) != depth - 1 or not all(isinstance(w, Integral) and w > 0 for w in hidden):
                raise ValueError(
                    f"{owner}: hidden_units must list {depth - 1} positive widths (the columns have "
                    f"{depth} Linear layers); got {self.hidden_units!r}."
                )
        module = _ProgressiveModule(
            columns,
            names,
            col_widths,
            [n_in, *hidden],
            self._n_outputs(),
            self.adapter_units,
            self.alpha_init,
        )
        self.module_ = module.to(self.device)
        self.column_layers_ = names
        self.widths_ = [n_in, *(int(w) for w in hidden), self._n_outputs()]
        self._eval_modules = []
        self._depth = {}
        return self

    def get_params_for_optimizer(self, prefix, named_parameters):
        """Return skorch's optimizer arguments (one rate: the new column and its adapters).

        Parameters
        ----------
        prefix : str
            The optimizer's name (``"optimizer"``).
        named_parameters : iterable of (str, Parameter)
            The learnable parameters.

        Returns
        -------
        args : tuple
            ``(param_groups,)``.
        kwargs : dict
            The optimizer's keyword arguments.
        """
        return NeuralNet.get_params_for_optimizer(self, prefix, named_parameters)


class ProgressiveNetClassifier(ClassifierMixin, _ProgressiveNet):
    r"""Progressive network: frozen pretrained columns, a new column fed by lateral adapters (skorch).

    Each pretrained network is a *column* :math:`j < k`, kept frozen (its parameters
    and buffers bit-identical, run in eval mode); a new column :math:`k` of :math:`L`
    layers is trained on the target task. Its layer :math:`i` reads, besides its own
    previous layer, the previous layer of every earlier column through a non-linear
    *adapter* (Rusu et al. [1]_, eq. 2):

    .. math::

        h_i^{(k)} = f\Big(W_i^{(k)} h_{i-1}^{(k)} + \sum_{j<k} U_i^{(k:j)}\,
        \sigma\big(V_i^{(k:j)}\, \alpha_{i-1}^{(k:j)}\, h_{i-1}^{(j)}\big)\Big),
        \qquad i = 2, \dots, L,

    with :math:`h_0 = x`, :math:`h_1^{(k)} = f(W_1^{(k)} x)`, :math:`f = \sigma` the
    ReLU on hidden layers and the identity on the output layer (the logits),
    :math:`\alpha` a learned scalar (initialised at ``alpha_init``; it adjusts the
    scale of the lateral input), :math:`V` a projection onto ``adapter_units``
    dimensions and :math:`U` back to the width of layer :math:`i` (:math:`W` has a
    bias, :math:`U` and :math:`V` none, so :math:`\alpha = 0` switches a lateral
    connection off). The paper's adapter reads the earlier columns concatenated,
    :math:`\sigma(V_i \alpha_{i-1} h_{i-1}^{(<k)})`; here each earlier column has an
    adapter of its own and their outputs are summed. The loss is the cross-entropy
    of the new column's logits on the target rows; the earlier columns' heads are
    not used (and not forgotten: nothing of them changes).

    Layers of a column: its ``torch.nn.Linear`` modules in ``named_modules()`` order
    (a normalisation module belongs to the one before it), each called once per
    forward; :math:`h_{i-1}^{(j)}` is the input of column :math:`j`'s Linear layer
    :math:`i` (after its activation, normalisation or dropout, as the column computes
    it). Any other layer with parameters (a convolution, an embedding) is refused. All
    columns take the same input and have the same number :math:`L` of Linear layers.
    Fits on the target task's rows with ``fit(X, y)``: no ``sample_domain``.

    Parameters
    ----------
    pretrained : torch.nn.Module, fitted skorch net, FrozenEstimator of either, or list of them
        The earlier column(s), each an MLP-like network trained on an earlier task
        (several: a list, oldest first). Never mutated: ``fit`` deep-copies them.
    hidden_units : list of int or None, default=None
        Widths of the new column's :math:`L - 1` hidden layers; ``None`` takes those of
        the last column.
    adapter_units : int or None, default=None
        Hidden width of each adapter; ``None`` is the width of the new column's layer
        :math:`i - 1`.
    alpha_init : float, default=0.1
        Initial :math:`\alpha` of every adapter (the paper: a small value).
    **kwargs : dict
        ``criterion``, ``optimizer``, ``lr``, ``max_epochs``, ``batch_size``,
        ``train_split``, ``early_stopping``, ``validation_fraction``, ``patience``,
        ``random_state`` (seeds the new column, the batches and the validation split),
        ``device``, ``verbose`` and skorch's parameters, as in
        :class:`FineTuningClassifier` (no ``head``, ``freeze`` or ``lr_decay``: the
        earlier columns are frozen, the new column and its adapters learn).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The classes of ``y``.
    module_ : torch.nn.Module
        ``columns`` (the frozen copies), ``layers`` (the new column's Linear layers)
        and ``adapters`` (``adapters[i - 2][j]``: from column :math:`j` into layer
        :math:`i`, with ``alpha``, ``V`` and ``U``).
    column_layers_ : list of list of str
        The Linear layers of each earlier column, bottom first.
    widths_ : list of int
        Widths of the new column: input, hidden layers, output.
    n_features_in_ : int
        Input width.
    history_ : skorch.History
        ``train_loss`` (and ``valid_loss`` with a validation split) per epoch.

    See Also
    --------
    FineTuningClassifier : Fine-tune the pretrained network itself (it forgets).
    LwFClassifier : Fine-tune while keeping the old task's responses.

    References
    ----------
    .. [1] A. A. Rusu, N. C. Rabinowitz, G. Desjardins, H. Soyer, J. Kirkpatrick,
       K. Kavukcuoglu, R. Pascanu and R. Hadsell, "Progressive Neural Networks",
       arXiv:1606.04671, 2016.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skdomain.transfer import ProgressiveNetClassifier
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 5))
    >>> X = np.random.RandomState(0).normal(size=(40, 4))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = ProgressiveNetClassifier(net, max_epochs=5, random_state=0).fit(X, y)
    >>> clf.widths_, clf.predict_proba(X[:2]).shape
    ([4, 8, 2], (2, 2))
    """

    _stratified = True
    _multi_output = False
    _encode_y = FineTuningClassifier._encode_y
    _n_outputs = FineTuningClassifier._n_outputs
    _get_predict_nonlinearity = FineTuningClassifier._get_predict_nonlinearity
    predict_proba = FineTuningClassifier.predict_proba
    predict = FineTuningClassifier.predict


class ProgressiveNetRegressor(RegressorMixin, _ProgressiveNet):
    r"""Progressive network for a regression task: frozen columns, a new column with lateral adapters.

    The architecture of :class:`ProgressiveNetClassifier` (Rusu et al. [1]_):

    .. math::

        h_i^{(k)} = f\Big(W_i^{(k)} h_{i-1}^{(k)} + \sum_{j<k} U_i^{(k:j)}\,
        \sigma\big(V_i^{(k:j)}\, \alpha_{i-1}^{(k:j)}\, h_{i-1}^{(j)}\big)\Big),

    trained with the squared error of the new column's output layer (one output per
    column of ``y``). Fits on the target task's rows with ``fit(X, y)``: no
    ``sample_domain``.

    Parameters
    ----------
    pretrained : torch.nn.Module, fitted skorch net, FrozenEstimator of either, or list of them
        The earlier column(s), MLP-like; never mutated.
    hidden_units : list of int or None, default=None
        Widths of the new column's hidden layers; ``None`` takes those of the last column.
    adapter_units : int or None, default=None
        Hidden width of each adapter; ``None`` is the width of the new column's layer
        :math:`i - 1`.
    alpha_init : float, default=0.1
        Initial :math:`\alpha` of every adapter.
    **kwargs : dict
        The parameters of :class:`ProgressiveNetClassifier` (skorch's included).

    Attributes
    ----------
    module_ : torch.nn.Module
        The frozen columns, the new column and its adapters.
    column_layers_ : list of list of str
        The Linear layers of each earlier column, bottom first.
    widths_ : list of int
        Widths of the new column: input, hidden layers, output.
    n_features_in_ : int
        Input width.
    history_ : skorch.History
        ``train_loss`` (and ``valid_loss`` with a validation split) per epoch.

    See Also
    --------
    ProgressiveNetClassifier : The classifier, and the architecture in full.

    References
    ----------
    .. [1] A. A. Rusu, N. C. Rabinowitz, G. Desjardins, H. Soyer, J. Kirkpatrick,
       K. Kavukcuoglu, R. Pascanu and R. Hadsell, "Progressive Neural Networks",
       arXiv:1606.04671, 2016.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skdomain.transfer import ProgressiveNetRegressor
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 5))
    >>> X = np.random.RandomState(0).normal(size=(40, 4))
    >>> reg = ProgressiveNetRegressor(net, max_epochs=5, random_state=0).fit(X, X[:, 0])
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _stratified = False
    _multi_output = True
    _default_criterion = nn.MSELoss
    _encode_y = FineTuningRegressor._encode_y
    _n_outputs = FineTuningRegressor._n_outputs
    _get_predict_nonlinearity = FineTuningRegressor._get_predict_nonlinearity
    predict = FineTuningRegressor.predict

    @property
    def predict_proba(self):
        """Not available: a regressor has no class probabilities (skorch's method is hidden)."""
        raise AttributeError("ProgressiveNetRegressor has no predict_proba; use predict.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
