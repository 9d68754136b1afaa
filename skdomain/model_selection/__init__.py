"""Domain-aware cross-validation splitters, and the negative-transfer guard."""

from ._safe import SafeTransfer
from ._split import DomainShuffleSplit, DomainStratifiedShuffleSplit, LeaveOneDomainOut

__all__ = ["DomainShuffleSplit", "DomainStratifiedShuffleSplit", "LeaveOneDomainOut", "SafeTransfer"]
