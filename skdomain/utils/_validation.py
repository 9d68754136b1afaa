"""Small parameter checks shared by the numeric layers (private)."""

import math
from numbers import Real


def is_finite_real(value):
    """Return whether ``value`` is a finite real number (a bool is not one).

    Examples
    --------
    >>> from skdomain.utils._validation import is_finite_real
    >>> is_finite_real(2.0), is_finite_real(float("nan")), is_finite_real(True)
    (True, False, False)
    """
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
