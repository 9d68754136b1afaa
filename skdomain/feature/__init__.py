"""Feature-based adaptation: representations shared by the domains."""

from ._sstca import SSTCA
from ._tca import TCA

__all__ = ["SSTCA", "TCA"]
