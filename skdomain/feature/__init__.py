"""Feature-based adaptation: representations shared by the domains."""

from ._tca import TCA

__all__ = ["TCA"]
