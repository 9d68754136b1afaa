"""Kernels, the shared bandwidth rule, and discrepancies between samples."""

from ._density_ratio import effective_sample_size
from ._discrepancy import mk_mmd, mmd, proxy_a_distance
from ._kernels import (
    kernel_matrix,
    median_heuristic_gamma,
    median_sq_distance,
    multiscale_gammas,
    nystroem_factor,
)
from ._ntg import negative_transfer_gap, plain_learner
from ._scorers import (
    DeepEmbeddedValidationScorer,
    ImportanceWeightedScorer,
    PredictionEntropyScorer,
    ReverseValidationScorer,
    SupervisedTargetScorer,
)

__all__ = [
    "DeepEmbeddedValidationScorer",
    "ImportanceWeightedScorer",
    "PredictionEntropyScorer",
    "ReverseValidationScorer",
    "SupervisedTargetScorer",
    "effective_sample_size",
    "kernel_matrix",
    "median_heuristic_gamma",
    "median_sq_distance",
    "mk_mmd",
    "mmd",
    "multiscale_gammas",
    "negative_transfer_gap",
    "nystroem_factor",
    "plain_learner",
    "proxy_a_distance",
]
