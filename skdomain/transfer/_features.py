r"""Off-the-shelf features: the outputs of named layers of a pretrained network (Razavian et al., 2014)."""

from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._pretrained import first_output, get_layer, input_width, layers, pretrained_module, resolve_device

__all__ = ["NetFeatures"]


def check_pretrained_width(module, X, owner):
    """Raise a ``ValueError`` when ``X``'s width is not the first Linear layer's input width."""
    width = input_width(module)
    if width is not None and X.shape[1] != width:
        raise ValueError(
            f"X has {X.shape[1]} features, but the pretrained network of {owner} takes {width} "
            "(its first layer's in_features): a pretrained network has a fixed input width."
        )


class NetFeatures(TransformerMixin, BaseEstimator):
    r"""The outputs of named layers of a pretrained network, as features ("off-the-shelf").

    A network :math:`f = f_L \circ \dots \circ f_1` trained on a source task is used as
    a fixed feature detector on a target task: the transform of a row :math:`x` is the
    concatenation of the (flattened) outputs :math:`h_l(x) = f_l \circ \dots \circ f_1(x)`
    of the chosen layers :math:`l`, and a new shallow model is trained on them (the
    lecture's recipe, Razavian et al. [1]_): ``make_pipeline(NetFeatures(net,
    layers=...), LogisticRegression())``. Nothing of the network is trained: the
    network runs in eval mode (dropout off, BatchNorm on its running statistics).

    The estimator takes no ``sample_domain`` and uses no labels: ``fit`` deep-copies the
    network and records the output widths.

    Parameters
    ----------
    pretrained : torch.nn.Module, fitted skorch net, or FrozenEstimator of either
        The pretrained network; never mutated (a deep copy is used). Wrap a fitted
        skorch net in ``sklearn.frozen.FrozenEstimator`` to keep it fitted under
        ``clone`` (a torch module is deep-copied by ``clone`` and stays trained).
    layers : str, list of str or None, default=None
        Names of the layers whose outputs are the features, as
        ``pretrained.named_modules()`` names them (e.g. ``"1"`` in an
        ``nn.Sequential``, ``"feature_extractor.2"``); their outputs are
        concatenated in the order given. ``None`` is the input of the last layer
        (the penultimate representation, what the head sees).
    batch_size : int, default=256
        Rows per forward pass.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where the network runs; ``"auto"`` takes CUDA when available.

    Attributes
    ----------
    module_ : torch.nn.Module
        The copy of the network, in eval mode.
    layers_ : list of str
        The layers read (``None`` resolved to ``"<last layer>:input"``).
    layer_widths_ : list of int
        The flattened width of each layer's output.
    n_features_in_ : int
        Input width.
    n_features_out_ : int
        Output width, the sum of ``layer_widths_``.

    See Also
    --------
    FineTuningClassifier : Train the network further on the target task.

    References
    ----------
    .. [1] A. S. Razavian, H. Azizpour, J. Sullivan and S. Carlsson, "CNN Features
       off-the-shelf: an Astounding Baseline for Recognition", CVPR Workshops, 2014.

    Examples
    --------
    >>> import torch
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skdomain.transfer import NetFeatures
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    >>> X = torch.randn(20, 4).numpy()
    >>> y = (X[:, 0] > 0).astype(int)
    >>> NetFeatures(net, layers="1").fit(X).transform(X).shape
    (20, 8)
    >>> make_pipeline(NetFeatures(net), LogisticRegression()).fit(X, y).predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints = {
        "pretrained": "no_validation",
        "layers": [str, list, tuple, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [StrOptions({"cpu", "cuda", "auto"}), torch.device],
    }

    def __init__(self, pretrained=None, *, layers=None, batch_size=256, device="cpu"):
        self.pretrained = pretrained
        self.layers = layers
        self.batch_size = batch_size
        self.device = device

    def _names(self, module):
        if self.layers is None:
            found = layers(module)
            if not found:
                raise ValueError("NetFeatures: the pretrained network has no layer with parameters.")
            return [f"{found[-1][0]}:input"]
        names = [self.layers] if isinstance(self.layers, str) else list(self.layers)
        if not names or not all(isinstance(n, str) for n in names):
            raise ValueError(
                f"NetFeatures: layers must be a layer name or a list of them; got {self.layers!r}."
            )
        for name in names:
            get_layer(module, name, "NetFeatures")
        return names

    def _run(self, module, X, names, device):
        """Return the concatenated flattened outputs (or inputs, ``name:input``) of the named layers."""
        taken = {}
        handles = []
        for name in names:
            layer_name, _, where = name.partition(":")
            layer = get_layer(module, layer_name, "NetFeatures")
            if where == "input":
                handles.append(
                    layer.register_forward_pre_hook(lambda m, a, n=name: taken.__setitem__(n, a[0]))
                )
            else:
                handles.append(
                    layer.register_forward_hook(
                        lambda m, a, out, n=name: taken.__setitem__(n, first_output(out))
                    )
                )
        blocks = []
        try:
            with torch.no_grad():
                for start in range(0, X.shape[0], self.batch_size):
                    xb = torch.as_tensor(X[start : start + self.batch_size], device=device)
                    taken.clear()
                    module(xb)
                    blocks.append(
                        torch.cat([taken[n].reshape(xb.shape[0], -1).float() for n in names], dim=1)
                        .cpu()
                        .numpy()
                    )
        finally:
            for h in handles:
                h.remove()
        return np.concatenate(blocks, axis=0).astype(np.float64)

    def fit(self, X, y=None):
        """Copy the pretrained network and record the widths of the chosen layers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows (only their width and one forward pass are used).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._validate_params()
        X = validate_data(self, X, dtype=np.float32, reset=True)
        module = pretrained_module(self.pretrained, "NetFeatures")
        check_pretrained_width(module, X, "NetFeatures")
        device = resolve_device(self.device)
        module.to(device).eval()
        names = self._names(module)
        probe = self._run(module, X[:1], names, device)
        widths = []
        for name in names:  # one row per layer, to split the widths
            widths.append(self._run(module, X[:1], [name], device).shape[1])
        self.module_ = module
        self.layers_ = names
        self.layer_widths_ = widths
        self.n_features_out_ = int(probe.shape[1])
        return self

    def transform(self, X):
        """Return the outputs of the chosen layers, flattened and concatenated.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features_out), dtype float64
            The features, rows in input order.
        """
        check_is_fitted(self, "module_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        device = resolve_device(self.device)
        self.module_.to(device).eval()
        return self._run(self.module_, X, self.layers_, device)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features: ``"<layer>_<j>"`` for column ``j`` of each layer.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Unused: the names come from the layers.

        Returns
        -------
        names : ndarray of str of shape (n_features_out,)
            The names, in column order.
        """
        check_is_fitted(self, "module_")
        return np.asarray(
            [f"{name}_{j}" for name, w in zip(self.layers_, self.layer_widths_) for j in range(w)],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.non_deterministic = False
        return tags
