"""Default torch modules for tabular data: an MLP feature extractor with a head, a discriminator."""

from numbers import Integral

from torch import nn

__all__ = ["DomainMLP", "Discriminator", "FeatureHook"]


def check_hidden_units(hidden_units, name="hidden_units"):
    """Return ``hidden_units`` as a tuple of widths, or raise a ``ValueError`` naming ``name``.

    Every width is an int of at least 1 (a layer of width 0 outputs nothing, and the
    predictions are then constant); an empty sequence is no hidden layer.
    """
    try:
        widths = tuple(hidden_units)
    except TypeError:
        widths = None
    if widths is None or not all(
        isinstance(w, Integral) and not isinstance(w, bool) and w >= 1 for w in widths
    ):
        raise ValueError(
            f"{name} must be a sequence of layer widths, each an int >= 1 (e.g. (64,)); got "
            f"{hidden_units!r}. A layer of width 0 outputs nothing and makes the predictions constant."
        )
    return widths


def _mlp(n_in, hidden_units, dropout, activation):
    layers = []
    for width in check_hidden_units(hidden_units):
        layers += [nn.Linear(n_in, width), activation()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        n_in = width
    return nn.Sequential(*layers), n_in


class DomainMLP(nn.Module):
    """MLP feature extractor ``F`` and a linear head ``C``; ``forward`` returns ``(C(F(x)), F(x))``.

    The nets fill ``n_features`` and ``n_outputs`` from the data; set the rest with
    ``module__hidden_units=...``, ``module__dropout=...``.

    Parameters
    ----------
    n_features : int
        Input width.
    n_outputs : int
        Output width (classes, or 1 for regression).
    hidden_units : tuple of int, default=(64, 128, 64)
        Widths of the hidden layers of ``F``; the last is the feature width.
    dropout : float, default=0.0
        Dropout after each hidden activation.
    activation : type, default=torch.nn.ReLU
        Activation module class.
    """

    def __init__(self, n_features, n_outputs, hidden_units=(64, 128, 64), dropout=0.0, activation=nn.ReLU):
        super().__init__()
        self.feature_extractor, width = _mlp(n_features, hidden_units, dropout, activation)
        self.head = nn.Linear(width, n_outputs)

    def forward(self, X):
        """Map rows to ``(C(F(X)), F(X))``.

        Parameters
        ----------
        X : Tensor of shape (n, n_features)
            Input rows.

        Returns
        -------
        output : Tensor of shape (n, n_outputs)
            Logits (classification) or predictions (regression).
        features : Tensor of shape (n, hidden_units[-1])
            The features ``F(X)``.
        """
        z = self.feature_extractor(X)
        return self.head(z), z


class Discriminator(nn.Module):
    """Domain discriminator ``D``: an MLP ending in one logit (``sigmoid`` gives P(target)).

    One logit with a binary cross-entropy, never a one-unit softmax (whose output is
    the constant 1 and passes no gradient).

    Parameters
    ----------
    n_features : int
        Input width (feature width, plus the number of classes for the gated discriminator).
    hidden_units : tuple of int, default=(256, 256)
        Hidden layer widths. Two layers of 256: with one layer of 64 (the default before
        issue 12) the feature extractor fooled ``D`` by degrading the features, and DANN
        lost to its own source-only net on MNIST -> UCI digits and the issue's toy shift.
    dropout : float, default=0.0
        Dropout after each hidden activation.
    activation : type, default=torch.nn.ReLU
        Activation module class.
    """

    def __init__(self, n_features, hidden_units=(256, 256), dropout=0.0, activation=nn.ReLU):
        super().__init__()
        self.body, width = _mlp(n_features, hidden_units, dropout, activation)
        self.out = nn.Linear(width, 1)

    def forward(self, Z):
        """Logit of P(target | z).

        Parameters
        ----------
        Z : Tensor of shape (n, n_features)
            Features (and one-hot labels for the gated discriminator).

        Returns
        -------
        logit : Tensor of shape (n,)
            One logit per row.
        """
        return self.out(self.body(Z)).squeeze(-1)


class _Capture:
    """A forward hook that keeps a submodule's output under its name (picklable, unlike a closure)."""

    def __init__(self, outputs, name):
        self.outputs = outputs
        self.name = name

    def __call__(self, module, inputs, output):
        self.outputs[self.name] = output[0] if isinstance(output, tuple) else output


class FeatureHook:
    """Capture the outputs of named submodules during forward passes (forward hooks).

    Used when a custom module returns only its output: ``feature_layer="name"``
    names the layer whose output is the feature of ``F``. The nets register the hooks
    once for a whole fit or prediction and read each forward's outputs with
    :meth:`take`.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    names : sequence of str
        Names of its submodules (as in ``module.named_modules()``).
    """

    def __init__(self, module, names):
        self.names = tuple(names)
        self.outputs = {}
        self._handles = []
        modules = dict(module.named_modules())
        for name in self.names:
            if name not in modules:
                known = ", ".join(n for n in modules if n) or "none"
                raise ValueError(f"The module has no submodule named {name!r}; its submodules: {known}.")
            self._handles.append(modules[name].register_forward_hook(_Capture(self.outputs, name)))

    def take(self):
        """Return the outputs captured since the last call, and forget them.

        Returns
        -------
        outputs : dict of str to Tensor
            The last output of each hooked submodule (no tensor is kept here afterwards).
        """
        outputs = dict(self.outputs)
        self.outputs.clear()
        return outputs

    def remove(self):
        """Remove the hooks."""
        for h in self._handles:
            h.remove()
        self._handles = []
        self.outputs.clear()


def flatten_features(z):
    """Features as a 2-D tensor (rows x everything else)."""
    return z if z.ndim == 2 else z.reshape(z.shape[0], -1)
