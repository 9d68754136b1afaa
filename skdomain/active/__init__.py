"""Active query selection for transfer: which target rows to label next."""

from ._loop import active_learning_curve
from ._mmd_query import MMDQuerySelector

__all__ = ["MMDQuerySelector", "active_learning_curve"]
