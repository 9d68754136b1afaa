"""Feature-based adaptation: representations shared by the domains."""

from ._coral import CORAL
from ._sa import SubspaceAlignment
from ._sstca import SSTCA
from ._tca import TCA

__all__ = ["TCA", "SSTCA", "CORAL", "SubspaceAlignment"]
