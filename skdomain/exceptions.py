"""Warnings and errors of skdomain."""

from .utils._domains import DomainWarning

__all__ = ["DomainWarning", "SolverError"]


class SolverError(RuntimeError):
    """A numerical solver failed or returned a result that cannot be trusted.

    The message names the solver, its status and what to try.
    """
