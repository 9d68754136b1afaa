"""Kernels, the shared bandwidth rule, and discrepancies between samples."""

from ._discrepancy import mk_mmd, mmd, proxy_a_distance
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
    "mk_mmd",
    "mmd",
    "multiscale_gammas",
    "nystroem_factor",
    "proxy_a_distance",
]
