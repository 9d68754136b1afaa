"""Kernels, the shared bandwidth rule, and (later) discrepancies and scorers."""

from ._kernels import (
    kernel_matrix,
    median_heuristic_gamma,
    median_sq_distance,
    multiscale_gammas,
    nystroem_factor,
)

__all__ = [
    "kernel_matrix",
    "median_heuristic_gamma",
    "median_sq_distance",
    "multiscale_gammas",
    "nystroem_factor",
]
