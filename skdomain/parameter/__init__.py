"""Parameter transfer: target models built from what source models share."""

from ._dictionary import DictionaryTransferClassifier, DictionaryTransferRegressor

__all__ = ["DictionaryTransferClassifier", "DictionaryTransferRegressor"]
