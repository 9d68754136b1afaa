"""Thread limits for the worker processes of a parallel search (Dask, Ray).

A search on ``k`` worker processes over ``k`` cores oversubscribes the machine when each
worker also starts one BLAS, OpenMP and torch thread per core: ``k`` workers then run
``k * k`` threads that compete for ``k`` cores. The limits are set through the environment
of the worker processes, the one setting that reaches every thread of a process: OpenMP's
thread count (which torch's CPU kernels use) is a per-thread setting, so
:class:`threadpoolctl.threadpool_limits` or :func:`torch.set_num_threads` called in a
worker's control thread (``distributed.Client.run``) leaves the threads that run the
tasks as they were.
"""

import numbers

import torch
from sklearn.utils._param_validation import Interval, validate_params
from threadpoolctl import threadpool_info

__all__ = ["thread_counts", "thread_limits_env"]

#: the variables the BLAS libraries, the OpenMP runtimes and torch read at start-up
_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


@validate_params(
    {"n_threads": [Interval(numbers.Integral, 1, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def thread_limits_env(n_threads=1):
    """Environment variables that limit a new process to ``n_threads`` threads per library.

    Give them to the worker processes of a parallel search when they start, so that the
    workers of one machine together run no more threads than it has cores: with ``k``
    workers of one task thread each on ``c`` cores, ``n_threads = c // k``. They limit
    the BLAS libraries (OpenBLAS, MKL, BLIS, Accelerate), the OpenMP runtimes and
    therefore torch's intra-op threads (torch sets its count from ``OMP_NUM_THREADS``
    when it is imported), in every thread of the process.

    * Dask: ``LocalCluster(..., env=thread_limits_env(n))``, or for running workers
      ``client.register_plugin(distributed.diagnostics.plugin.Environ(thread_limits_env(n)))``,
      which restarts them. Dask's nanny already sets the first three variables to 1 by
      default (its ``distributed.nanny.pre-spawn-environ`` setting).
    * Ray: ``ray.init(runtime_env={"env_vars": thread_limits_env(n)})``. Ray sets
      ``OMP_NUM_THREADS`` alone, to a task's CPUs, where it is not given.

    Parameters
    ----------
    n_threads : int, default=1
        Threads per library, at least 1.

    Returns
    -------
    env : dict of str to str
        ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``,
        ``BLIS_NUM_THREADS``, ``VECLIB_MAXIMUM_THREADS`` and ``NUMEXPR_NUM_THREADS``, each
        ``str(n_threads)``.

    See Also
    --------
    thread_counts : What a process (a worker, when run as a task there) reports.

    Examples
    --------
    >>> from skdomain.model_selection import thread_limits_env
    >>> thread_limits_env(2)["OMP_NUM_THREADS"]
    '2'
    """
    return dict.fromkeys(_THREAD_VARIABLES, str(int(n_threads)))


def thread_counts():
    """Report the thread counts of the numerical libraries loaded in this process.

    Run it as a task on a worker (``joblib.Parallel`` under the engine's backend, or the
    engine's own ``submit``) to see what the worker's task threads use.

    Returns
    -------
    counts : dict
        ``"blas"``: the largest thread count of the loaded BLAS libraries (OpenBLAS,
        MKL, BLIS; ``None`` when none is loaded); ``"openmp"``: the same for the loaded
        OpenMP runtimes, as the calling thread sees them (OpenMP's count is a per-thread
        setting); ``"torch"``: :func:`torch.get_num_threads`, torch's intra-op threads
        for the calling thread.

    See Also
    --------
    thread_limits_env : Limit these counts in the processes of a cluster.

    Examples
    --------
    >>> from skdomain.model_selection import thread_counts
    >>> sorted(thread_counts())
    ['blas', 'openmp', 'torch']
    """
    counts = {"blas": None, "openmp": None}
    for lib in threadpool_info():
        api = lib["user_api"]
        if api in counts:
            counts[api] = max(counts[api] or 0, lib["num_threads"])
    counts["torch"] = torch.get_num_threads()
    return counts
