"""Labels of the generated data: source rows labeled, then the first target rows, the rest masked."""

from ..utils._domains import masked_label

__all__ = ["check_n_target_labeled", "mask_from"]


def check_n_target_labeled(n_target_labeled, n_target):
    """Raise a ``ValueError`` when more target rows should keep their label than there are."""
    if n_target_labeled > n_target:
        raise ValueError(f"n_target_labeled={n_target_labeled} exceeds n_target={n_target}.")


def mask_from(y_true, start, task):
    """Copy ``y_true`` and mask its labels from row ``start`` on (``-1`` / NaN).

    The generators put the source rows first and keep the labels of the first
    ``n_target_labeled`` target rows: ``start = n_source + n_target_labeled``.
    """
    y = y_true.copy()
    y[start:] = masked_label(task)
    return y
