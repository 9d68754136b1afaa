"""Domain-aware cross-validation splitters."""

from ._split import DomainShuffleSplit, DomainStratifiedShuffleSplit, LeaveOneDomainOut

__all__ = ["DomainShuffleSplit", "DomainStratifiedShuffleSplit", "LeaveOneDomainOut"]
