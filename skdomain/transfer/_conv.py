"""A small convolutional net for flat rows of square digit images."""

import math

from torch import nn
from torch.nn import functional as F

from ..deep import DomainMLP

__all__ = ["DigitConvNet"]


class DigitConvNet(DomainMLP):
    r"""Two convolutional blocks in front of :class:`~skdomain.deep.DomainMLP` (flat rows in).

    A row of width :math:`d` is read as a square one-channel image of side
    :math:`s = \max(\lceil \sqrt{d} \rceil, 4)`, pixels in row-major order (as MNIST's
    784 columns and :func:`~sklearn.datasets.load_digits`' 64 are laid out), zeros
    appended when :math:`d < s^2` (so any width fits; a 28 × 28 or 8 × 8 image fills
    the square exactly). Then two blocks, ``block1`` and ``block2``, each a 3 × 3
    convolution (padding 1), a ReLU and a 2 × 2 max-pooling (28 × 28 → 14 × 14 → 7 × 7;
    8 × 8 → 4 × 4 → 2 × 2), flattened into the MLP ``feature_extractor`` (``F``'s
    dense part) and the linear ``head`` (``C``). ``forward`` returns
    ``(C(F(x)), F(x))`` as :class:`~skdomain.deep.DomainMLP` does, so the nets fill
    ``n_features`` and ``n_outputs`` from the data.

    The blocks' outputs are spatial feature maps :math:`A \in \mathbb{R}^{C \times H \times W}`,
    the layers that :class:`AttentionTransferClassifier` matches by name.

    Parameters
    ----------
    n_features : int
        Input width :math:`d`.
    n_outputs : int
        Output width (classes).
    channels : tuple of (int, int), default=(16, 32)
        Channels of ``block1`` and ``block2`` (e.g. ``(32, 64)`` for a wider teacher).
    hidden_units : tuple of int, default=(64,)
        Widths of the dense layers after the blocks; the last is the feature width.
    dropout : float, default=0.0
        Dropout after each dense hidden activation.
    activation : type, default=torch.nn.ReLU
        Activation module class of the dense layers.

    Attributes
    ----------
    side : int
        The image side :math:`s`.
    """

    def __init__(
        self, n_features, n_outputs, channels=(16, 32), hidden_units=(64,), dropout=0.0, activation=nn.ReLU
    ):
        channels = tuple(channels)
        if len(channels) != 2 or not all(isinstance(c, int) and c >= 1 for c in channels):
            raise ValueError(f"channels must be two ints >= 1 (block1, block2); got {channels!r}.")
        side = max(math.isqrt(max(int(n_features) - 1, 0)) + 1, 4)
        flat = channels[1] * (side // 4) ** 2
        super().__init__(flat, n_outputs, hidden_units=hidden_units, dropout=dropout, activation=activation)
        self.n_features = int(n_features)
        self.side = side
        self.block1 = nn.Sequential(nn.Conv2d(1, channels[0], 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.block2 = nn.Sequential(
            nn.Conv2d(channels[0], channels[1], 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)
        )

    def forward(self, X):
        """Map flat rows to ``(C(F(X)), F(X))``.

        Parameters
        ----------
        X : Tensor of shape (n, n_features)
            Flat rows of images (row-major pixels).

        Returns
        -------
        output : Tensor of shape (n, n_outputs)
            Logits.
        features : Tensor of shape (n, hidden_units[-1])
            The features ``F(X)``.
        """
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(
                f"DigitConvNet was built for rows of {self.n_features} features; got a tensor of shape "
                f"{tuple(X.shape)}."
            )
        x = F.pad(X, (0, self.side**2 - self.n_features)).reshape(-1, 1, self.side, self.side)
        a = self.block2(self.block1(x))
        z = self.feature_extractor(a.flatten(1))
        return self.head(z), z
