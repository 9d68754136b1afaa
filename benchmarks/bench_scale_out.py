"""How much faster is a 12-candidate search on 2 Dask workers than in one process?

What is measured
----------------
One ``GridSearchCV`` of 12 candidates over a TCA pipeline (``StandardScaler``, ``TCA``,
``LabeledOnly(LogisticRegression())``; ``tca__n_components`` in {2, 4, 8}, ``tca__mu`` in
{0.1, 1.0}, the logistic regression's ``C`` in {0.1, 1.0}), 3 ``DomainShuffleSplit`` folds:
36 fits and a refit, on ``make_domain_shift`` data (``--n-rows`` source + as many target
rows, 16 of them labeled), ``sample_domain`` passed to the TCA step (routing off).

* ``serial``: the search in this process, ``n_jobs=None``, one BLAS / OpenMP / torch thread;
* ``dask``: the same search inside ``joblib.parallel_config(backend="dask")`` with
  ``n_jobs=-1``, on a ``LocalCluster`` of 2 worker processes of 1 task thread each, started
  with ``skdomain.model_selection.thread_limits_env(1)`` (the refit runs here, in one thread).

Wall time and CPU time are reported: the process CPU time of this process, plus that of
both workers for the Dask run (``time.process_time`` before and after, through
``client.run``); the CPU time says whether the cluster spends more work on the same search,
the wall time how long one waits on a machine that others may share.

The cluster starts once and its workers import skdomain (both times printed, not counted);
the two runs alternate (serial first in even repeats, Dask first in odd ones) and the
medians are reported. Each repeat checks that the two ``cv_results_`` agree exactly, timing
keys aside. The machine may be shared: the load averages are printed, and single timings
are noisy.

Run ``python benchmarks/bench_scale_out.py`` (``--repeats 3 --n-rows 250`` by default);
``--quick`` runs one small repeat. Results go to ``benchmarks/results/bench_scale_out.json``.
"""

import argparse
import importlib
import statistics
import time

import numpy as np
import torch
from joblib import parallel_config
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skdomain import TCA, LabeledOnly
from skdomain.datasets import make_domain_shift
from skdomain.model_selection import DomainShuffleSplit, thread_counts, thread_limits_env

from _common import print_load_at_start, print_table, print_total, save_json

TIMING_KEYS = {"mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time"}
GRID = {
    "tca__n_components": [2, 4, 8],
    "tca__mu": [0.1, 1.0],
    "labeledonly__estimator__C": [0.1, 1.0],
}


def make_search():
    pipe = make_pipeline(StandardScaler(), TCA(random_state=0), LabeledOnly(LogisticRegression()))
    return GridSearchCV(pipe, GRID, cv=DomainShuffleSplit(3, random_state=0))


def same_cv_results(a, b):
    if a.keys() != b.keys() or a["params"] != b["params"]:
        return False
    return all(
        np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a.keys() - TIMING_KEYS - {"params"}
    )


def run_serial(client, X, y, sd):
    search = make_search()
    t0, c0 = time.perf_counter(), time.process_time()
    search.fit(X, y, groups=sd, tca__sample_domain=sd)
    return time.perf_counter() - t0, time.process_time() - c0, search


def run_dask(client, X, y, sd):
    search = clone(make_search()).set_params(n_jobs=-1)
    w0 = client.run(time.process_time)
    t0, c0 = time.perf_counter(), time.process_time()
    with parallel_config(backend="dask"):
        search.fit(X, y, groups=sd, tca__sample_domain=sd)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    w1 = client.run(time.process_time)
    return wall, cpu + sum(w1[w] - w0[w] for w in w0), search


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-rows", type=int, default=250, help="source rows (as many target rows)")
    parser.add_argument("--quick", action="store_true", help="one repeat on 150 + 150 rows")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.n_rows = 1, 150
    from distributed import Client, LocalCluster

    t_start = time.perf_counter()
    print_load_at_start()
    torch.set_num_threads(1)
    X, y, sd = make_domain_shift(args.n_rows, args.n_rows, n_target_labeled=16, random_state=0)
    n_candidates = int(np.prod([len(v) for v in GRID.values()]))
    print(f"{n_candidates} candidates x 3 folds, {len(X)} rows, {X.shape[1]} features")

    t0 = time.perf_counter()
    cluster = LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, env=thread_limits_env(1), dashboard_address=None
    )
    client = Client(cluster)
    startup = time.perf_counter() - t0
    t0 = time.perf_counter()
    client.run(importlib.import_module, "skdomain")  # the workers import skdomain (and torch) once
    warmup = time.perf_counter() - t0
    workers = sorted(client.scheduler_info()["workers"])
    counts = [client.submit(thread_counts, workers=[w], pure=False).result() for w in workers]
    print(f"cluster start-up {startup:.1f} s, import of skdomain on the workers {warmup:.1f} s")
    print(f"thread counts of the workers' task threads: {counts}")

    rows = []
    try:
        with threadpool_limits(limits=1):
            for r in range(args.repeats):
                order = ["serial", "dask"] if r % 2 == 0 else ["dask", "serial"]
                times, cpu, searches = {}, {}, {}
                for name in order:
                    run = run_serial if name == "serial" else run_dask
                    times[name], cpu[name], searches[name] = run(client, X, y, sd)
                same = same_cv_results(searches["serial"].cv_results_, searches["dask"].cv_results_)
                rows.append(
                    {
                        "repeat": r,
                        **times,
                        "speedup": times["serial"] / times["dask"],
                        "serial_cpu": cpu["serial"],
                        "dask_cpu": cpu["dask"],
                        "same": same,
                    }
                )
                print(f"repeat {r}: serial {times['serial']:.1f} s, dask {times['dask']:.1f} s, same={same}")
    finally:
        client.close()
        cluster.close()

    print()
    print_table(
        rows,
        [
            ("repeat", "repeat", "{}"),
            ("serial s", "serial", "{:.1f}"),
            ("dask s", "dask", "{:.1f}"),
            ("speed-up", "speedup", "{:.2f}"),
            ("serial CPU s", "serial_cpu", "{:.1f}"),
            ("dask CPU s", "dask_cpu", "{:.1f}"),
            ("same cv_results_", "same", "{}"),
        ],
    )
    med = {k: statistics.median(r[k] for r in rows) for k in ("serial", "dask", "serial_cpu", "dask_cpu")}
    print(
        f"\nmedian: serial {med['serial']:.1f} s, 2 Dask workers {med['dask']:.1f} s, "
        f"speed-up {med['serial'] / med['dask']:.2f}x; all cv_results_ identical: "
        f"{all(r['same'] for r in rows)}\nmedian CPU time of a search: serial {med['serial_cpu']:.1f} s, "
        f"Dask {med['dask_cpu']:.1f} s (driver and both workers)"
    )
    total = print_total(t_start)
    path = save_json(
        "bench_scale_out",
        {
            "n_rows": len(X),
            "n_candidates": n_candidates,
            "startup_s": startup,
            "worker_import_s": warmup,
            "worker_thread_counts": counts,
            "rows": rows,
            "median": med,
            "total_s": total,
        },
        quick=args.quick,
    )
    print(f"results: {path}")


if __name__ == "__main__":
    main()
