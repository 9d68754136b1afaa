"""Data generators (and, later, offline loaders) that follow the domain contract."""

from ._shift import make_domain_shift

__all__ = ["make_domain_shift"]
