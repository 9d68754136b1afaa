"""Time and peak memory against the number of rows: KMM, TCA, CORAL, and skada's equivalents.

What is measured
----------------
The Gaussian pair of issue 17: source rows N(0, I), target rows N(0.5, 1.2^2 I),
10 features, ``n`` rows in each domain (``2n`` in all), seed 0; source labels
``1[x_0 + x_1 > 0]``, target labels masked. Each (method, n) runs in a fresh
subprocess with one thread (``OMP_NUM_THREADS=1`` and the like, as in the issue's
figures), which reports

* ``fit_s``: wall time of the fit (data made and modules imported before), and
  ``cpu_s`` its CPU time (one thread: the wall time of an idle machine; on a
  shared machine the wall time grows with the load, the CPU time much less);
* ``peak_gib``: VmHWM of the subprocess (its peak resident memory, imports and data
  included), and ``base_gib`` the VmHWM just before the fit;

and a method stops growing (sizes double) after the first size whose fit takes more
than ``--budget`` CPU seconds (default 60), fails or exceeds ``--timeout`` wall
seconds. The growth exponent is the slope of a least-squares line through
``log cpu_s`` against ``log n`` over the sizes whose fit takes at least 0.5 s
(shorter fits are dominated by fixed costs).

Methods: ``kmm`` (skdomain.KMM, default rank 1000, LogisticRegression),
``kmm-r100`` / ``kmm-r300`` (``n_components=100`` / ``300``), ``tca-exact``
(``n_landmarks=None``), ``tca-landmarks`` (``n_landmarks=1000``; the default above
6000 rows), ``coral`` (skdomain.feature.CORAL), and skada 0.6:
``skada-kmm`` (``KMMReweightAdapter``, Frank-Wolfe, then LogisticRegression with
the weights), ``skada-tca`` (``TransferComponentAnalysisAdapter(n_components=100)``,
fit), ``skada-coral`` (``CORALAdapter``, fit). skdomain's TCA uses ``n_components``
"auto" (at most 100).

``--check`` compares TCA's landmark path with the exact solve on a subsample
(``--check-n`` rows per domain): the eigenvalues' relative differences and the
cosines of the principal angles between the two embeddings of the training rows
(1 = same subspace), for the leading 5, 10 and all components.

``--inference`` measures bounded-memory inference on 1,000,000 rows: TCA's
``transform`` (exact path fitted on ``--inference-fit`` rows per domain, 3000 by
default, landmark path on 50,000 + 50,000; ``--inference-components``) and
``DANNClassifier.predict_proba``, each in a subprocess: time and VmHWM before /
after (the unblocked exact-path kernel at 3000 + 3000 would be 1e6 x 6000 x 8
bytes = 45 GiB).

Run
---
    python benchmarks/bench_scale.py --save            # every method (~20 min, 1 thread each)
    python benchmarks/bench_scale.py --methods tca-landmarks,coral --save
    python benchmarks/bench_scale.py --check --inference --methods none --save
    python benchmarks/bench_scale.py --quick           # small sizes, a smoke test

``--save`` writes ``benchmarks/results/<name>[_quick].json`` (``--name``, default
``bench_scale``).
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from _common import peak_rss_gib, print_load_at_start, print_table, print_total, save_json

N_FEATURES = 10
SIZES = {  # rows per domain, doubling
    "kmm": [500, 1000, 2000, 4000, 8000],
    "kmm-r100": [1000, 2000, 4000, 8000, 16000, 32000, 64000],
    "kmm-r300": [1000, 2000, 4000, 8000, 16000, 32000, 64000],
    "tca-exact": [500, 1000, 2000, 4000, 8000],  # 16000 + 16000 would need 16 GiB
    "tca-landmarks": [1000, 2000, 4000, 8000, 16000, 32000, 50000, 100000],
    "coral": [1000, 4000, 16000, 64000, 256000, 500000],
    "skada-kmm": [500, 1000, 2000, 4000, 8000],
    "skada-tca": [250, 500, 1000, 2000, 4000],
    "skada-coral": [1000, 4000, 16000, 64000, 256000, 500000],
}
QUICK = {k: v[:3] for k, v in SIZES.items()}
ONE_THREAD = {
    k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
}


def gaussian_pair(n, seed=0, n_features=N_FEATURES):
    """``n`` source rows N(0, I), ``n`` target rows N(0.5, 1.2^2 I); labels 1[x0 + x1 > 0], target masked."""
    rng = np.random.default_rng(seed)
    Xs = rng.normal(size=(n, n_features))
    Xt = 0.5 + 1.2 * rng.normal(size=(n, n_features))
    X = np.vstack([Xs, Xt])
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    sd = np.r_[np.ones(n, int), -np.ones(n, int)]
    y_masked = np.where(sd > 0, y, -1)
    return X, y, y_masked, sd


def _fitter(method):
    """Return ``fit(X, y, y_masked, sd)`` for a method (imports done here, outside the timing)."""
    from sklearn.linear_model import LogisticRegression

    def lr():
        return LogisticRegression(max_iter=1000)

    if method.startswith("kmm"):
        from skdomain import KMM

        kw = {} if method == "kmm" else {"n_components": int(method.split("-r")[1])}
        return lambda X, y, ym, sd: KMM(lr(), random_state=0, **kw).fit(X, ym, sample_domain=sd)
    if method.startswith("tca"):
        from skdomain import TCA

        r = None if method == "tca-exact" else 1000
        return lambda X, y, ym, sd: TCA(n_landmarks=r, random_state=0).fit(X, sample_domain=sd)
    if method == "coral":
        from skdomain.feature import CORAL

        return lambda X, y, ym, sd: CORAL().fit(X, sample_domain=sd)
    if method == "skada-kmm":
        from skada import KMMReweightAdapter

        from skdomain.metrics import median_heuristic_gamma

        def fit(X, y, ym, sd):  # the bandwidth rule of skdomain's KMM, so both solve one problem
            ad = KMMReweightAdapter(gamma=median_heuristic_gamma(X)).fit(X, sample_domain=sd)
            w = ad.compute_weights(X, sample_domain=sd)[sd > 0]
            return lr().fit(X[sd > 0], y[sd > 0], sample_weight=w)

        return fit
    if method == "skada-tca":
        from skada import TransferComponentAnalysisAdapter

        return lambda X, y, ym, sd: TransferComponentAnalysisAdapter(n_components=100).fit(
            X, sample_domain=sd
        )
    if method == "skada-coral":
        from skada import CORALAdapter

        return lambda X, y, ym, sd: CORALAdapter().fit(X, sample_domain=sd)
    raise ValueError(f"unknown method {method!r}")


def child_fit(method, n):
    """Run one fit in this (fresh) process; print a JSON line."""
    X, y, ym, sd = gaussian_pair(n)
    fit = _fitter(method)
    base = peak_rss_gib()
    t0, c0 = time.perf_counter(), time.process_time()
    fit(X, y, ym, sd)
    fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    peak = peak_rss_gib()
    row = {"method": method, "n": n, "fit_s": fit_s, "cpu_s": cpu_s}
    print(json.dumps({**row, "base_gib": base, "peak_gib": peak}))


def run_child(args, timeout):
    """Run ``bench_scale.py --child ...`` in a one-thread subprocess; return its JSON dict or an error."""
    env = {**os.environ, **ONE_THREAD}
    cmd = [sys.executable, os.path.abspath(__file__), "--child", *map(str, args)]
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout > {timeout} s"}
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or [f"exit {out.returncode}"]
        return {"error": f"exit {out.returncode}: {tail[0][:120]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def growth_exponent(rows, key="cpu_s", floor=0.5):
    """Slope of log(key) against log(rows per domain) over the sizes with ``key >= floor``."""
    pts = [(r["n"], r[key]) for r in rows if r.get(key) is not None and r[key] >= floor]
    if len(pts) < 2:
        return None
    n, v = np.log(np.array(pts, dtype=float)).T
    return float(np.polyfit(n, v, 1)[0])


def scale_runs(methods, sizes, budget, timeout):
    """Grow each method's size until a fit passes ``budget`` seconds; return the rows and the exponents."""
    rows, summary = [], []
    for method in methods:
        mine = []
        for n in sizes[method]:
            res = run_child([method, n], timeout)
            row = {"method": method, "n": n, "rows": 2 * n, **res}
            mine.append(row)
            shown = row.get("error") or (
                f"wall {row['fit_s']:6.2f} s, cpu {row['cpu_s']:6.2f} s, peak {row['peak_gib']:.2f} GiB"
            )
            print(f"  {method:14s} n = {n:>6} + {n:<6} {shown}", flush=True)
            if "error" in row or row["cpu_s"] > budget:
                break
        rows += mine
        ok = [r for r in mine if "error" not in r]
        summary.append(
            {
                "method": method,
                "largest": max((r["n"] for r in ok if r["cpu_s"] <= budget), default=None),
                "exponent": growth_exponent(ok, key="cpu_s"),
                "mem_exponent": _mem_exponent(ok),
            }
        )
    return rows, summary


def _mem_exponent(rows):
    """Growth exponent of the fit's own memory (peak minus the VmHWM before the fit), over >= 50 MiB."""
    extra = [{"n": r["n"], "extra": r["peak_gib"] - r["base_gib"]} for r in rows]
    return growth_exponent(extra, key="extra", floor=50 / 1024)


# --------------------------------------------------------------------------- --check
def _cosines(A, B):
    """Cosines of the principal angles between the column spans of A and B (descending)."""
    Qa, _ = np.linalg.qr(A)
    Qb, _ = np.linalg.qr(B)
    return np.linalg.svd(Qa.T @ Qb, compute_uv=False)


def child_check(n_check):
    """Landmark path against the exact solve on a subsample; print a JSON line."""
    from skdomain import TCA
    from skdomain.metrics import median_heuristic_gamma

    out = {}
    X, _, _, sd = gaussian_pair(n_check, seed=1)
    gamma = median_heuristic_gamma(X)
    exact = TCA(gamma=gamma, n_landmarks=None, random_state=0).fit(X, sample_domain=sd)
    lm = TCA(gamma=gamma, n_landmarks=1000, random_state=0).fit(X, sample_domain=sd)
    m = min(exact.n_components_, lm.n_components_)
    Ze, Zl = exact.transform(X)[:, :m], lm.transform(X)[:, :m]
    rel = np.abs(lm.eigenvalues_[:m] - exact.eigenvalues_[:m]) / exact.eigenvalues_[:m]
    out["same_rows"] = {
        "n": n_check,
        "m": m,
        "eig_rel_diff_top10_max": float(rel[:10].max()),
        **{f"min_cos_top{k}": float(_cosines(Ze[:, :k], Zl[:, :k]).min()) for k in (5, 10)},
        "min_cos_all": float(_cosines(Ze, Zl).min()),
    }
    print(json.dumps(out))


# --------------------------------------------------------------------------- --inference
def child_infer(kind, n_rows, n_fit, n_exact, n_components):
    """Fit a model on small data, then predict / transform ``n_rows`` fresh rows; print a JSON line."""
    rng = np.random.default_rng(5)
    X_new = rng.normal(size=(n_rows, N_FEATURES))
    if kind.startswith("tca"):
        from skdomain import TCA

        n = n_exact if kind == "tca-exact" else n_fit
        X, _, _, sd = gaussian_pair(n)
        m = "auto" if n_components <= 0 else n_components
        model = TCA(n_components=m, n_landmarks=None if kind == "tca-exact" else 1000, random_state=0).fit(
            X, sample_domain=sd
        )
        del X
        predict = model.transform
    else:
        import torch

        from skdomain.deep import DANNClassifier

        torch.set_num_threads(1)
        X, y, ym, sd = gaussian_pair(2000)
        model = DANNClassifier(max_epochs=2, random_state=0).fit(X.astype(np.float32), ym, sample_domain=sd)
        predict = model.predict_proba
    base = peak_rss_gib()
    t0, c0 = time.perf_counter(), time.process_time()
    out = predict(X_new)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        json.dumps(
            {
                "kind": kind,
                "n_rows": n_rows,
                "n_fit": int(getattr(model, "X_fit_", np.empty((0, 0))).shape[0]) or None,
                "seconds": secs,
                "cpu_s": cpu,
                "base_gib": base,
                "peak_gib": peak_rss_gib(),
                "input_gib": X_new.nbytes / 2**30,
                "output_gib": out.nbytes / 2**30,
            }
        )
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--methods", default=",".join(SIZES), help="comma-separated, or 'none'")
    p.add_argument("--budget", type=float, default=60.0, help="stop growing a method past this fit time (s)")
    p.add_argument("--timeout", type=float, default=150.0, help="kill a fit after this many seconds")
    p.add_argument("--check", action="store_true", help="TCA landmarks against the exact solve")
    p.add_argument("--check-n", type=int, default=3000)
    p.add_argument("--inference", action="store_true", help="1,000,000-row transform / predict_proba")
    p.add_argument("--inference-rows", type=int, default=1_000_000)
    p.add_argument("--inference-fit", type=int, default=3000, help="rows per domain of the exact TCA")
    p.add_argument("--inference-components", type=int, default=None, help="TCA n_components (default auto)")
    p.add_argument(
        "--sizes", action="append", default=[], metavar="METHOD=N1,N2,...", help="rows per domain of a method"
    )
    p.add_argument("--quick", action="store_true")
    p.add_argument("--save", action="store_true")
    p.add_argument("--name", default="bench_scale", help="results file name (without .json)")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "check":
            return child_check(int(rest[0]))
        if kind == "infer":
            return child_infer(rest[0], *map(int, rest[1:]))
        return child_fit(kind, int(rest[0]))

    t_start = time.perf_counter()
    print_load_at_start()
    methods = [] if args.methods == "none" else args.methods.split(",")
    sizes = dict(QUICK if args.quick else SIZES)
    for spec in args.sizes:
        name, ns = spec.split("=")
        sizes[name] = [int(v) for v in ns.split(",")]
    payload = {"args": vars(args), "n_features": N_FEATURES}
    if methods:
        print(f"\nfit time and peak memory, n rows per domain, 1 thread, budget {args.budget:.0f} s of CPU")
        rows, summary = scale_runs(methods, sizes, args.budget, args.timeout)
        print()
        print_table(
            summary,
            [
                ("method", "method", "{}"),
                ("largest n per domain under budget", "largest", "{}"),
                ("time exponent", "exponent", "{:.2f}"),
                ("memory exponent", "mem_exponent", "{:.2f}"),
            ],
        )
        payload.update(rows=rows, summary=summary)
    if args.check:
        n_check = 500 if args.quick else args.check_n
        print(f"\nTCA: 1000 landmarks vs the exact solve on {n_check} + {n_check} rows")
        res = run_child(["check", n_check], 4 * args.timeout)
        print(json.dumps(res, indent=1))
        payload["check"] = res
    if args.inference:
        n_rows = 20000 if args.quick else args.inference_rows
        print(f"\nbounded-memory inference on {n_rows} rows (1 thread)")
        inf = []
        for kind in ("tca-exact", "tca-landmarks", "dann"):
            n_fit, n_exact = (2000, 1000) if args.quick else (50000, args.inference_fit)
            child = ["infer", kind, n_rows, n_fit, n_exact, args.inference_components or 0]
            res = run_child(child, 4 * args.timeout)
            inf.append({"kind": kind, **res})
        print_table(
            inf,
            [
                ("model", "kind", "{}"),
                ("rows fitted on", "n_fit", "{}"),
                ("wall (s)", "seconds", "{:.1f}"),
                ("cpu (s)", "cpu_s", "{:.1f}"),
                ("VmHWM before (GiB)", "base_gib", "{:.2f}"),
                ("VmHWM after (GiB)", "peak_gib", "{:.2f}"),
                ("input (GiB)", "input_gib", "{:.2f}"),
                ("output (GiB)", "output_gib", "{:.2f}"),
                ("error", "error", "{}"),
            ],
        )
        payload["inference"] = inf
    print_total(t_start)
    if args.save:
        print("saved", save_json(args.name, payload, quick=args.quick))


if __name__ == "__main__":
    main()
