"""Instance-based adaptation: reweighting source rows."""

from ._kmm import KMM, kmm_objective

__all__ = ["KMM", "kmm_objective"]
