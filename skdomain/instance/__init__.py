"""Instance-based adaptation: reweighting source rows."""

from ..metrics._density_ratio import kmm_objective, kmm_weights
from ._kmm import KMM

__all__ = ["KMM", "kmm_objective", "kmm_weights"]
