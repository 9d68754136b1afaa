"""Instance-based adaptation: reweighting source rows."""

from ..metrics._density_ratio import kmm_objective, kmm_weights
from ._kmm import KMM
from ._tradaboost import TrAdaBoostClassifier, TrAdaBoostRegressor

__all__ = ["KMM", "TrAdaBoostClassifier", "TrAdaBoostRegressor", "kmm_objective", "kmm_weights"]
