"""Searches on joblib's Dask and Ray backends give the serial run's ``cv_results_``; thread limits.

One local Dask cluster of two worker processes (one task thread each) is shared by the
module. The serial reference runs in this process under one BLAS / OpenMP thread (and
one torch thread, the test session's setting), as the workers do: the same code on the
same rows with the same seeds and one thread per library then does the same floating
point operations in the same order, so the results are compared **exactly**. A
tolerance would hide a candidate or a fold that went missing, got another seed or
another ``sample_domain`` on the way to a worker.
"""

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import sklearn
from joblib import parallel_backend
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skdomain import KMM, TCA, DANNClassifier, LabeledOnly
from skdomain.datasets import make_domain_shift
from skdomain.model_selection import DomainShuffleSplit, thread_counts, thread_limits_env
from skdomain.utils import DomainWarning

TIMING_KEYS = {"mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time"}


@pytest.fixture(scope="module")
def data():
    X, y, sd = make_domain_shift(100, 100, n_target_labeled=16, random_state=0)
    return X, y, sd


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        env=thread_limits_env(1),
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def serial_fit(search, X, y, **params):
    """Fit the reference: in this process, one thread per library (as on each worker)."""
    search = clone(search)
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("error", DomainWarning)  # every training fold keeps target rows
        return search.fit(X, y, **params)


def dask_fit(client, search, X, y, **params):
    """Fit the search on joblib's Dask backend; return it and the number of cluster tasks.

    The refit on the whole data runs in this process, after the search: under one thread
    per library too, as in the reference.
    """
    from distributed import get_task_stream

    search = clone(search).set_params(n_jobs=-1)
    with (
        get_task_stream(client) as stream,
        parallel_backend("dask"),
        threadpool_limits(limits=1),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("error", DomainWarning)
        search.fit(X, y, **params)
    return search, len(stream.data)


def assert_same_cv_results(a, b):
    assert a.keys() == b.keys()
    assert a["params"] == b["params"]
    for key in sorted(a.keys() - TIMING_KEYS - {"params"}):
        np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]), err_msg=key)


def _tca_pipe():
    return make_pipeline(StandardScaler(), TCA(random_state=0), LabeledOnly(LogisticRegression()))


def test_thread_limits_env_reaches_a_new_process():
    code = "import json, skdomain.model_selection as m; print(json.dumps(m.thread_counts()))"
    base = {k: v for k, v in os.environ.items() if k not in thread_limits_env()}

    def counts(env):
        args = [sys.executable, "-c", code]
        return json.loads(subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout)

    assert counts({**base, **thread_limits_env(1)}) == {"blas": 1, "openmp": 1, "torch": 1}
    if (os.cpu_count() or 1) >= 2:  # without the limits, the libraries take every core
        assert max(counts(base).values()) >= 2


def test_kernel_matrix_stays_in_its_thread_under_a_parallel_backend(monkeypatch):
    # n_jobs=None would split the matrix over the backend's workers (a cluster's cores, in
    # every worker of a search under joblib's Dask or Ray backend)
    import joblib
    import sklearn.metrics.pairwise

    from skdomain.metrics import kernel_matrix

    def no_parallel(*args, **kwargs):
        raise AssertionError("kernel_matrix dispatched to joblib")

    A = np.random.default_rng(0).normal(size=(30, 3))
    monkeypatch.setattr(sklearn.metrics.pairwise, "Parallel", no_parallel)
    with joblib.parallel_config(backend="threading", n_jobs=2):
        if joblib.effective_n_jobs() > 1:  # the probe sees scikit-learn's own dispatch
            with pytest.raises(AssertionError, match="dispatched"):
                sklearn.metrics.pairwise.pairwise_kernels(A, metric="rbf")
        K = kernel_matrix(A, kernel="rbf", gamma=0.5)
        K_callable = kernel_matrix(A[:5], kernel=lambda a, b: float(a @ b))
    np.testing.assert_allclose(K, np.exp(-0.5 * ((A[:, None] - A[None]) ** 2).sum(-1)), rtol=1e-12)
    np.testing.assert_allclose(K_callable, A[:5] @ A[:5].T, rtol=1e-12)


def test_thread_limits_env_rejects_a_bad_count():
    with pytest.raises(ValueError, match="n_threads"):
        thread_limits_env(0)


def test_dask_workers_run_one_thread_per_library(dask_client):
    workers = sorted(dask_client.scheduler_info()["workers"])
    assert len(workers) == 2
    reports = [dask_client.submit(thread_counts, workers=[w], pure=False).result() for w in workers]
    assert reports == [{"blas": 1, "openmp": 1, "torch": 1}] * 2


def test_dask_grid_search_over_a_pipeline_routing_off(dask_client, data):
    X, y, sd = data
    search = GridSearchCV(
        _tca_pipe(),
        {"tca__n_components": [2, 4], "tca__mu": [0.1, 1.0]},
        cv=DomainShuffleSplit(3, random_state=0),
    )
    # sample_domain as a fit parameter of the TCA step, the splitter's domains as groups
    params = dict(groups=sd, tca__sample_domain=sd)
    serial = serial_fit(search, X, y, **params)
    dask, n_tasks = dask_fit(dask_client, search, X, y, **params)
    assert n_tasks > 0  # the fits ran on the cluster
    assert_same_cv_results(serial.cv_results_, dask.cv_results_)
    assert len(dask.cv_results_["params"]) == 4
    np.testing.assert_array_equal(serial.predict_proba(X), dask.predict_proba(X))


def test_dask_randomized_search_over_kmm_routing_on(dask_client, data):
    X, y, sd = data
    search = RandomizedSearchCV(
        KMM(LogisticRegression()),
        {"B": [1.5, 3.0, 10.0], "gamma": [None, 0.1]},
        n_iter=3,
        cv=DomainShuffleSplit(2, random_state=0),
        random_state=0,
    )
    with sklearn.config_context(enable_metadata_routing=True):
        # routed to KMM (which requests it by default) and to the splitter
        serial = serial_fit(search, X, y, sample_domain=sd)
        dask, n_tasks = dask_fit(dask_client, search, X, y, sample_domain=sd)
    assert n_tasks > 0
    assert_same_cv_results(serial.cv_results_, dask.cv_results_)
    np.testing.assert_array_equal(serial.best_estimator_.weights_, dask.best_estimator_.weights_)


def test_dask_grid_search_over_a_domain_net(dask_client, data):
    X, y, sd = data
    X = X.astype(np.float32)
    net = DANNClassifier(max_epochs=3, batch_size=16, module__hidden_units=(16,), random_state=0)
    search = GridSearchCV(net, {"mu": [0.0, 1.0]}, cv=DomainShuffleSplit(2, random_state=0))
    serial = serial_fit(search, X, y, sample_domain=sd, groups=sd)
    dask, n_tasks = dask_fit(dask_client, search, X, y, sample_domain=sd, groups=sd)
    assert n_tasks > 0
    assert_same_cv_results(serial.cv_results_, dask.cv_results_)
    np.testing.assert_array_equal(serial.predict_proba(X), dask.predict_proba(X))


def test_ray_grid_search_over_a_pipeline(data):
    ray = pytest.importorskip("ray")
    from ray.util.joblib import register_ray

    X, y, sd = data
    search = GridSearchCV(
        _tca_pipe(), {"tca__n_components": [2, 4]}, cv=DomainShuffleSplit(2, random_state=0)
    )
    params = dict(groups=sd, tca__sample_domain=sd)
    serial = serial_fit(search, X, y, **params)
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": thread_limits_env(1)})
    try:
        register_ray()
        with parallel_backend("ray"), threadpool_limits(limits=1):
            remote = clone(search).set_params(n_jobs=-1).fit(X, y, **params)
        counts = ray.get(ray.remote(thread_counts).remote())
    finally:
        ray.shutdown()
    assert_same_cv_results(serial.cv_results_, remote.cv_results_)
    assert counts == {"blas": 1, "openmp": 1, "torch": 1}
