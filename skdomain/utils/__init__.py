"""The domain contract: checking, inferring, stacking and splitting domains."""

from ._domains import (
    DomainData,
    DomainWarning,
    check_domains,
    labeled_mask,
    split_domains,
    stack_domains,
)

__all__ = [
    "DomainData",
    "DomainWarning",
    "check_domains",
    "labeled_mask",
    "split_domains",
    "stack_domains",
]
