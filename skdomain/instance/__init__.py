"""Instance-based adaptation: reweighting source rows."""

from ._kmm import KMM, kmm_objective, nystroem_factor

__all__ = ["KMM", "kmm_objective", "nystroem_factor"]
