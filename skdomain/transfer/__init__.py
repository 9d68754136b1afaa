"""Network-to-network transfer: a source network's knowledge helps a target task.

- ``AttentionTransferClassifier``: a student matching its teacher's spatial attention maps
  (Zagoruyko & Komodakis, 2017), optionally with distillation.
- ``JacobianMatchingClassifier``: distillation that also matches input gradients
  (Srinivas & Fleuret, 2018).
- ``DigitConvNet``: a small conv net for flat rows of square digit images.
"""

from ._attention import AttentionTransferClassifier
from ._conv import DigitConvNet
from ._jacobian import JacobianMatchingClassifier

__all__ = [
    "AttentionTransferClassifier",
    "DigitConvNet",
    "JacobianMatchingClassifier",
]
