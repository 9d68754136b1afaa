r"""The sweep behind SafeTransfer's rule (issue 12 §2): which ``k``, which baseline, which pick.

Not a benchmark of the guard (``bench_shift_suite.py --methods guard`` is): the
record of how its rule was chosen. Same data, seeds, budgets and scoring as
``bench_shift_suite.py`` (20 labeled target rows per seed; both budgets scored on
the same rows). For each pair, seed and budget it fits the guard once (at its
defaults, with the pair's metric as ``scoring``) and keeps every model's paired
out-of-fold row losses (``row_losses_``, ``row_weights_``); it fits every model
the guard weighs on all rows, as ``bench_shift_suite.py`` does, and scores it on
the target rows. A rule is then replayed offline on the stored losses:

* ``k``: how many standard errors a candidate's gain over the best baseline must
  exceed (the guard's ``k``);
* ``kb``: the same for another baseline to replace ``source only`` (0: the
  baseline with the lowest estimated risk);
* ``pick``: of several adopted candidates, the largest estimated ``gain`` or the
  largest lower ``bound``;
* ``est`` (without target labels only): the self-normalised importance-weighted
  mean of the gains, :math:`\sum_i w_i g_i / \sum_i w_i` with the standard
  error :math:`s(w g) / (\bar w \sqrt n)` (``ratio``, the guard's), or deep
  embedded validation's control variate (You et al., 2019; ``dev``):
  :math:`\overline{wg} + \eta(\bar w - 1)`,
  :math:`\eta = -\widehat{\mathrm{Cov}}(wg, w) / \widehat{\mathrm{Var}}(w)`, with the
  standard error :math:`s(wg + \eta w) / \sqrt n` (the weights have mean 1 under
  the source).

The score of a rule on a pair and budget is the mean over the seeds of the
target score of the model it picks, minus that of the best baseline (the one
with the higher mean over the seeds, as in ``bench_shift_suite.py``). The report
prints, per rule, the issue's targets over the tuning pairs: how many pair ×
budget rows fall more than 1 point (0.01 R²) below the best baseline, the mean
Δ, and on how many of the rows where the best candidate beats the best baseline
by 2 points or more the pick is within 1 point of it; then the same for the
held-out pair (``usa->europe``), which takes no part in choosing.

    python benchmarks/sweep_guard_rules.py run /tmp/guard_rules.pkl --seeds 10
    python benchmarks/sweep_guard_rules.py run /tmp/guard_rules_nets.pkl --guard guard+DANN \
        --pairs "mnist->digits,digits->mnist" --seeds 5
    python benchmarks/sweep_guard_rules.py run /tmp/guard_rules_5tasks.pkl --pairs "5 tasks->task"
    python benchmarks/sweep_guard_rules.py report /tmp/guard_rules.pkl /tmp/guard_rules_5tasks.pkl \
        | tee benchmarks/results/sweep_guard_rules.log

``run`` writes a pickle of the per-seed records (row losses included: a few MB,
kept out of the repository); ``report`` replays the rules on it. ``cps->nsw``
runs on the ``--quick`` subsample of ``bench_shift_suite.py`` (500 source rows):
the guard fits KMM 11 times.
"""

import argparse
import itertools
import pickle
import time
import warnings
from types import SimpleNamespace

import numpy as np
import torch
from bench_shift_suite import GUARDS, budgets, fit_method, scores
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skdomain.datasets import shift_suite
from skdomain.model_selection._safe import adopted, best_baseline, gain

from _common import print_load_at_start, print_table, print_total

HELD_OUT = "usa->europe"
K_GRID = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
KB_GRID = (0.0, 1.0, 2.0)
PICKS = ("gain", "bound")
#: (k, kb) without and with labeled target rows: the rule before this sweep, and k="auto" after it
FORMER = ((2.0, 2.0), (2.0, 2.0))
AUTO = ((2.0, 2.0), (1.0, 1.5))
ESTIMATES = ("ratio", "dev")


def dev_gain(arm, ref):
    """Gain of ``arm`` over ``ref`` with deep embedded validation's control variate, and its SE."""
    w = arm.weights
    G = w * (ref.row_loss - arm.row_loss)
    var = w.var(ddof=1)
    eta = -np.cov(G, w, ddof=1)[0, 1] / var if var > 0 else 0.0
    return float(G.mean() + eta * (w.mean() - 1)), float((G + eta * w).std(ddof=1) / np.sqrt(len(w)))


def run(path, pairs, seeds, guard):
    suite = shift_suite()
    records = []
    for name in pairs:
        pair = suite[name]
        task, metric = pair["task"], pair["metric"]
        t0 = time.perf_counter()
        for seed in seeds:
            # cps->nsw on the --quick subsample: the guard fits KMM 11 times
            for budget, X, y, sd, y_true, scored in budgets(name, pair, seed, name == "cps->nsw"):
                model = fit_method(guard, task, X, y, sd, seed, metric)
                fitted = getattr(model, "model", model)
                test = {}
                for arm in fitted.row_losses_:
                    arm_model = fit_method(arm, task, X, y, sd, seed, metric)
                    got = scores(task, metric, y_true[scored], arm_model.predict(X[scored]))
                    test[arm] = float(got[metric])
                records.append(
                    {
                        "pair": name,
                        "seed": seed,
                        "budget": budget,
                        "mode": fitted.mode_,
                        "selected": fitted.selected_,
                        "kinds": {n: s["kind"] for n, s in fitted.risk_estimates_.items()},
                        "row_losses": fitted.row_losses_,
                        "row_weights": fitted.row_weights_,
                        "test": test,
                    }
                )
            print(f"  {name} seed {seed} done", flush=True)
        print(f"  {name}: {time.perf_counter() - t0:.0f} s", flush=True)
        with open(path, "wb") as f:  # after every pair: a stopped run keeps what it did
            pickle.dump({"guard": guard, "records": records}, f)


def replay(rec, k, kb, pick, est="ratio"):
    """Return the name of the model the rule ``(k, kb, pick, est)`` picks on one stored fit."""
    arms = [
        SimpleNamespace(name=n, kind=rec["kinds"][n], row_loss=loss, weights=rec["row_weights"], error=None)
        for n, loss in rec["row_losses"].items()
    ]
    estimate = dev_gain if est == "dev" and rec["mode"] == "importance weighted" else gain
    best = best_baseline(arms, kb, estimate)
    good = adopted(arms, best, k, estimate)
    if not good:
        return best.name
    if pick == "bound":
        return max(good, key=lambda a: (lambda g: g[0] - k * g[1])(estimate(a, best))).name
    return good[0].name


def report(paths):
    records, guards = [], set()
    for path in paths:
        with open(path, "rb") as f:
            data = pickle.load(f)
        records += data["records"]
        guards.add(data["guard"])
    cells = {}  # (pair, budget) -> records
    for rec in records:
        cells.setdefault((rec["pair"], rec["budget"]), []).append(rec)
    print(f"{', '.join(sorted(guards))}: {len(records)} fits, pairs {sorted({p for p, _ in cells})}")
    # per cell: the best baseline and the best candidate by their mean over the seeds
    ref = {}
    for key, recs in cells.items():
        names = list(recs[0]["test"])
        means = {n: np.mean([r["test"][n] for r in recs]) for n in names}
        kinds = recs[0]["kinds"]
        bases = [n for n in names if kinds[n] != "candidate"]
        cands = [n for n in names if kinds[n] == "candidate"]
        best_base = max(bases, key=means.get)
        best_cand = max(cands, key=means.get)
        ref[key] = (best_base, means[best_base], best_cand, means[best_cand])
    # one grid per budget: 0 labels is the importance-weighted mode, 20 the labeled target cv
    for budget in sorted({b for _, b in cells}):
        rows = []
        for k, kb, pick, est in itertools.product(K_GRID, KB_GRID, PICKS, ESTIMATES):
            if est == "dev" and budget:
                continue  # the control variate applies to the label-free mode only
            row = {"k": k, "kb": kb, "pick": pick, "est": est}
            for part, keep in (("tune", lambda p: p != HELD_OUT), ("held", lambda p: p == HELD_OUT)):
                deltas, misses, near, big = [], 0, 0, 0
                for key, recs in cells.items():
                    if key[1] != budget or not keep(key[0]):
                        continue
                    best_base, base_mean, best_cand, cand_mean = ref[key]
                    score = np.mean([r["test"][replay(r, k, kb, pick, est)] for r in recs])
                    d = score - base_mean
                    deltas.append(d)
                    misses += d < -0.01
                    if cand_mean - base_mean >= 0.02:
                        big += 1
                        near += score >= cand_mean - 0.01
                if deltas:
                    row[f"{part}_miss"] = f"{misses}/{len(deltas)}"
                    row[f"{part}_mean"] = float(np.mean(deltas))
                    row[f"{part}_worst"] = float(np.min(deltas))
                    row[f"{part}_near"] = f"{near}/{big}"
            rows.append(row)
        print(f"\n{budget} labeled target rows: Δ to the best baseline, tuning pairs, then {HELD_OUT}")
        print_table(
            rows,
            [
                ("k", "k", "{:g}"),
                ("kb", "kb", "{:g}"),
                ("pick", "pick", "{}"),
                ("est", "est", "{}"),
                ("miss >1pt", "tune_miss", "{}"),
                ("mean Δ", "tune_mean", "{:+.4f}"),
                ("worst Δ", "tune_worst", "{:+.4f}"),
                ("near best", "tune_near", "{}"),
                ("held Δ", "held_mean", "{:+.4f}"),
                ("held near", "held_near", "{}"),
            ],
        )
    print(f"\nper pair and budget (pick=gain, est=ratio): the former rule {FORMER} and k='auto' {AUTO}")
    for key in sorted(cells):
        best_base, base_mean, best_cand, cand_mean = ref[key]
        recs = cells[key]
        out = []
        for label, rule in (("former", FORMER), ("auto", AUTO)):
            k, kb = rule[1 if key[1] else 0]
            picks = [replay(r, k, kb, "gain") for r in recs]
            score = np.mean([r["test"][p] for r, p in zip(recs, picks)])
            counts = {p: picks.count(p) for p in dict.fromkeys(picks)}
            out.append(f"{label} (k={k:g}, kb={kb:g}): {score:.3f} (Δ {score - base_mean:+.3f}) {counts}")
        print(
            f"  {key[0]:>14} {key[1]:>2}: best baseline {best_base} {base_mean:.3f}, best candidate "
            f"{best_cand} {cand_mean:.3f}\n      " + "\n      ".join(out)
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("run", "report"))
    parser.add_argument("path", nargs="+", help="run: the pickle to write; report: one or more")
    parser.add_argument("--pairs", default=",".join(shift_suite()))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--guard", default="guard", choices=tuple(GUARDS))
    args = parser.parse_args()
    if args.action == "report":
        report(args.path)
        return
    if len(args.path) != 1:
        parser.error("run writes one pickle")
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    threadpool_limits(1)
    torch.set_num_threads(1)
    print_load_at_start()
    t_start = time.perf_counter()
    run(args.path[0], args.pairs.split(","), list(range(args.seeds)), args.guard)
    print_total(t_start)


if __name__ == "__main__":
    main()
