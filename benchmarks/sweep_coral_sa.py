"""The sweep behind CORAL's and SubspaceAlignment's defaults (issue 14): reg, mean alignment, d.

Not a benchmark of the defaults (``bench_shift_suite.py`` is): the record of how they
were chosen. Same data, sizes, seeds and scoring as ``bench_shift_suite.py`` (20
labeled target rows per seed; both budgets scored on the same rows; features
standardised with pooled statistics). Every setting is
``make_pipeline(<transformer>, LabeledOnly(learner))``, compared per seed with
``source only`` (``learner`` on the labeled rows). An SA setting with more components
than the pair has features uses every feature (the tabular pairs have 6-9).

    cd benchmarks && python sweep_coral_sa.py [SEEDS, default 5] [--quick] | tee results/sweep_coral_sa.log
"""

import sys
import time
import warnings

import numpy as np
from bench_shift_suite import N_LABELED, budgets, learner, scores
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from skdomain import CORAL, LabeledOnly, SubspaceAlignment
from skdomain.datasets import shift_suite

CONF = {
    "CORAL reg=100": lambda: CORAL(reg=100.0),
    "CORAL reg=10 (default)": lambda: CORAL(),
    "CORAL reg=3": lambda: CORAL(reg=3.0),
    "CORAL reg=1": lambda: CORAL(reg=1.0),
    "CORAL reg=0.1": lambda: CORAL(reg=0.1),
    "CORAL reg=0.01": lambda: CORAL(reg=0.01),
    "CORAL ledoit_wolf": lambda: CORAL(reg="ledoit_wolf"),
    "CORAL reg=10, no mean alignment": lambda: CORAL(align_means=False),
    "CORAL reg=3, no mean alignment": lambda: CORAL(reg=3.0, align_means=False),
    "CORAL reg=1, no mean alignment": lambda: CORAL(reg=1.0, align_means=False),
    "CORAL reg=0.1, no mean alignment": lambda: CORAL(reg=0.1, align_means=False),
    "SA d=5": lambda: SubspaceAlignment(n_components=5),
    "SA d=10": lambda: SubspaceAlignment(n_components=10),
    "SA d=20": lambda: SubspaceAlignment(n_components=20),
    "SA d=30": lambda: SubspaceAlignment(n_components=30),
    "SA d=40": lambda: SubspaceAlignment(n_components=40),
    "SA d=50": lambda: SubspaceAlignment(n_components=50),
    "SA d=all (default)": lambda: SubspaceAlignment(),
}


def run(seeds, quick):
    suite = shift_suite()
    out = {}  # (pair, budget, conf) -> [delta per seed]
    for name, pair in suite.items():
        task, metric = pair["task"], pair["metric"]
        clf = task == "classification"
        t0 = time.perf_counter()
        for seed in seeds:
            for budget, X, y, sd, y_true, scored in budgets(name, pair, seed, quick):
                lab = ~((y == -1) if clf else np.isnan(y))
                base = learner(task).fit(X[lab], y[lab])
                b = scores(task, metric, y_true[scored], base.predict(X[scored]))[metric]
                out.setdefault((name, budget, "source only"), []).append(b)
                for conf, make in CONF.items():
                    t = make()
                    if isinstance(t, SubspaceAlignment) and t.n_components is not None:  # <= features
                        t.set_params(n_components=min(t.n_components, X.shape[1]))
                    pipe = make_pipeline(t, LabeledOnly(learner(task)))
                    step = pipe.steps[0][0]
                    pipe.fit(X, y, **{f"{step}__sample_domain": sd})
                    s = scores(task, metric, y_true[scored], pipe.predict(X[scored]))[metric]
                    out.setdefault((name, budget, conf), []).append(s - b)
        print(f"  {name}: {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def report(out):
    pairs = list(dict.fromkeys(k[0] for k in out))
    for budget in (0, N_LABELED):
        print(f"\nbudget {budget}: mean Δ vs source only over seeds (source only's own score first)")
        head = "".join(f"{p:>15}" for p in pairs)
        print(f"{'setting':34}{head}{'mean':>9}")
        base = [np.mean(out[(p, budget, "source only")]) for p in pairs]
        print(f"{'source only (score)':34}" + "".join(f"{b:15.3f}" for b in base))
        for conf in CONF:
            d = [np.mean(out[(p, budget, conf)]) for p in pairs]
            print(f"{conf:34}" + "".join(f"{x:+15.3f}" for x in d) + f"{np.mean(d):+9.3f}")


if __name__ == "__main__":
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    threadpool_limits(1)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 5
    quick = "--quick" in sys.argv
    print(f"seeds {list(range(n))}{', QUICK' if quick else ''}")
    t0 = time.perf_counter()
    report(run(list(range(n)), quick))
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
