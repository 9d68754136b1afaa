"""Network-to-network transfer: a source task (its own labels) helps a target task."""

from ._multitask import MultiTaskMLP, MultiTaskNet

__all__ = [
    "MultiTaskMLP",
    "MultiTaskNet",
]
