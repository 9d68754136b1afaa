"""Domain-aware splitters, the negative-transfer guard, and thread limits for parallel searches."""

from ._parallel import thread_counts, thread_limits_env
from ._safe import SafeTransfer
from ._split import DomainShuffleSplit, DomainStratifiedShuffleSplit, LeaveOneDomainOut

__all__ = [
    "DomainShuffleSplit",
    "DomainStratifiedShuffleSplit",
    "LeaveOneDomainOut",
    "SafeTransfer",
    "thread_counts",
    "thread_limits_env",
]
