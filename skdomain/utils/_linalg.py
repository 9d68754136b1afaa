"""Dense linear algebra helpers (private)."""

from scipy import linalg
from threadpoolctl import threadpool_limits


def eigh(a, b=None, **kwargs):
    """:func:`scipy.linalg.eigh` with single-threaded BLAS.

    LAPACK's symmetric eigensolvers spend their time in level-2 BLAS
    (tridiagonalisation), where threads gain little; when the cores are shared
    (``pytest -n 2``, a benchmark beside another process) multi-threaded OpenBLAS
    spin-waits and a 1000 x 1000 ``eigh`` was measured 36x slower with two threads
    than with one (5.6 s vs 0.155 s). scikit-learn limits threads the same way
    inside some estimators.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return linalg.eigh(a, b, **kwargs)
