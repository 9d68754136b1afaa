r"""The seeds' gate table (issue 13 §3): each deep method plain and gated, ε = 0.7, L% = 10%.

The negative-transfer talk (Wang et al., CVPR 2019; ``shared/seeds/000_*.txt``, the table
after "ε = 0.7, L% = 10%") perturbs the source inputs and labels at a rate
:math:`\epsilon = \epsilon_x = \epsilon_y = 0.7`, labels 10 % of the target rows, and
reports for DAN, DCORAL, DANN, ADDA, PADA and GTA the target accuracy and the negative
transfer gap, plain and with the discriminator gate, and the gate's gain
:math:`\Delta` = gated − plain. This script does the same on MNIST → UCI digits and
digits → MNIST (:func:`skdomain.datasets.load_mnist_digits`), the source perturbed by
:func:`skdomain.datasets.perturb_source`:

* the labeled target rows :math:`T_L` (10 %, balanced over the classes) and the
  perturbation are drawn per seed; the test rows are the unlabeled target rows;
* **target only**: the same MLP fitted on :math:`T_L` alone, for as many optimizer
  steps as an adaptive net's epochs take; :math:`\mathrm{NTG}` = error of the method
  − error of target only, in points (> 0: negative transfer);
* **source only**: the same MLP fitted on the perturbed source alone (context: how
  misleading the perturbed source is on the target).

Methods are a registry, one line each (``METHODS``): a class whose constructor takes
``gate=`` and the common net parameters, and a function of the epoch count for extra
parameters. ``--methods DAN,DANN`` selects rows, ``--quick`` runs a small version.

Usage::

    python benchmarks/bench_gate_table.py                 # the full table, 3 seeds
    python benchmarks/bench_gate_table.py --quick         # 1 seed, 3 epochs, a subsample
    python benchmarks/bench_gate_table.py --methods DANN --seeds 2 --x-how swap --y-how uniform

``--save`` writes the cells to ``benchmarks/results/bench_gate_table[_quick].json``.
"""

import argparse
import time
import warnings

import numpy as np
import torch

from skdomain.datasets import load_mnist_digits, perturb_source
from skdomain.deep import (
    ADDAClassifier,
    DANClassifier,
    DANNClassifier,
    DeepCORALClassifier,
    DomainConfusionClassifier,
    GTAClassifier,
    PADAClassifier,
)
from skdomain.utils import DomainWarning

from _common import print_load_at_start, print_total, save_json

#: name -> (net class taking ``gate=``, function of the epoch count giving extra parameters).
#: One line per method.
METHODS = {
    "DAN": (DANClassifier, None),
    "DCORAL": (DeepCORALClassifier, None),
    "DANN": (DANNClassifier, None),
    "ADDA": (ADDAClassifier, lambda epochs: {"adapt_epochs": epochs}),
    "PADA": (PADAClassifier, None),
    "GTA": (GTAClassifier, None),
    "confusion": (DomainConfusionClassifier, None),
}

#: The seed's table at ε = 0.7, L% = 10%: (plain acc, plain NTG, gated acc, gated NTG, Δ)
#: on its digits task (SVHN → MNIST) and averaged over its eight tasks.
SEED = {
    "DAN": {"SVHN->MNIST": (78.5, -4.4, 82.2, -8.1, 3.7), "Avg": (49.8, 0.1, 54.6, -4.7, 4.8)},
    "DCORAL": {"SVHN->MNIST": (75.2, -1.2, 81.0, -7.0, 5.8), "Avg": (49.6, 0.0, 54.7, -5.1, 5.1)},
    "DANN": {"SVHN->MNIST": (68.3, 7.7, 78.1, -2.1, 9.8), "Avg": (47.0, 3.0, 57.4, -7.4, 10.4)},
    "ADDA": {"SVHN->MNIST": (63.2, 12.2, 79.4, -4.0, 16.2), "Avg": (45.5, 4.4, 59.5, -9.6, 14.0)},
    "PADA": {"SVHN->MNIST": (69.7, 6.5, 81.8, -5.6, 12.1), "Avg": (47.9, 2.0, 58.0, -8.1, 10.1)},
    "GTA": {"SVHN->MNIST": (81.2, -6.8, 83.3, -8.9, 2.1), "Avg": (52.9, -2.7, 60.8, -10.6, 7.9)},
}

TASKS = ["mnist->digits", "digits->mnist"]
BATCH = 64  # rows per domain in a training step


def load_task(direction, eps, labeled, seed, *, x_how, y_how, n_source=None, n_target=None):
    """One cell's data: the perturbed source, 10 % of the target labeled; inputs scaled to [0, 1]."""
    X, y, sd, y_true = load_mnist_digits(
        direction,
        n_source=n_source,
        n_target=n_target,
        n_target_labeled=labeled,
        return_target_labels=True,
        random_state=seed,
    )
    X, y = perturb_source(X, y, sd, eps_x=eps, eps_y=eps, x_how=x_how, y_how=y_how, random_state=seed)
    return X / 16.0, y, sd, y_true


def net(cls, seed, epochs, **params):
    """Build an unfitted net with the study's common settings."""
    return cls(max_epochs=epochs, batch_size=BATCH, lr=1e-3, random_state=seed, **params)


def matched_epochs(epochs, n_steps_rows, n_rows):
    """Epochs over ``n_rows`` rows that take as many optimizer steps as ``epochs`` over ``n_steps_rows``."""
    steps = epochs * -(-n_steps_rows // BATCH)
    return max(epochs, steps // -(-n_rows // BATCH))


def run_cell(direction, seed, methods, args):
    """Fit the baselines and every method plain and gated on one task and seed; return accuracies."""
    X, y, sd, y_true = load_task(
        direction,
        args.eps,
        args.labeled,
        seed,
        x_how=args.x_how,
        y_how=args.y_how,
        n_source=args.n_source,
        n_target=args.n_target,
    )
    source, target = sd >= 0, sd < 0
    test, tl = target & (y == -1), target & (y != -1)
    n_big = max(source.sum(), target.sum())  # an adaptive net's epoch: a pass over the larger domain

    def acc(model):
        return float(np.mean(model.predict(X[test]) == y_true[test]))

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        t0 = time.perf_counter()
        out["target only"] = acc(
            net(DANNClassifier, seed, matched_epochs(args.epochs, n_big, tl.sum())).fit(X[tl], y[tl])
        )
        out["source only"] = acc(
            net(DANNClassifier, seed, matched_epochs(args.epochs, n_big, source.sum())).fit(
                X[source], y[source]
            )
        )
        print(
            f"  {direction} seed {seed}: target only {100 * out['target only']:.1f}, "
            f"source only {100 * out['source only']:.1f} ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
        for name in methods:
            cls, extra = METHODS[name]
            params = extra(args.epochs) if extra else {}
            for gate in (False, True):
                t0 = time.perf_counter()
                model = net(cls, seed, args.epochs, gate=gate, **params).fit(X, y, sample_domain=sd)
                key = f"{name} gate" if gate else name
                out[key] = acc(model)
                print(
                    f"  {direction} seed {seed}: {key:<12} {100 * out[key]:.1f} "
                    f"({time.perf_counter() - t0:.0f} s)",
                    flush=True,
                )
    return out


def fmt(mean, std=None, ntg=None):
    """``acc ± std (NTG)`` in points."""
    s = f"{mean:5.1f}"
    if std is not None:
        s += f" ± {std:4.1f}"
    if ntg is not None:
        s += f" ({ntg:+5.1f})"
    return s


def print_table(results, methods, tasks):
    """Print the seed's layout: per method plain, gated, Δ; a column per task, then the seed's figures."""
    seed_cols = ["SVHN->MNIST", "Avg"]
    width = 22
    head = f"{'method':<12}" + "".join(f"{t:>{width}}" for t in tasks) + f"{'avg':>{width - 6}}"
    head += "   | seed: " + "".join(f"{c:>16}" for c in seed_cols)
    print(head)
    print("-" * len(head))
    for base in ("target only", "source only"):
        cells, means = "", []
        for t in tasks:
            a = 100 * np.array(results[t][base])
            means.append(a.mean())
            cells += f"{fmt(a.mean(), a.std()):>{width}}"
        print(f"{base:<12}{cells}{np.mean(means):>{width - 6}.1f}   |")
    for name in methods:
        deltas = []
        for key in (name, f"{name} gate"):
            cells, means, ntgs = "", [], []
            for t in tasks:
                a = 100 * np.array(results[t][key])
                to = 100 * np.array(results[t]["target only"])
                ntg = float(np.mean(to - a))  # error(method) - error(target only)
                means.append(a.mean())
                ntgs.append(ntg)
                cells += f"{fmt(a.mean(), a.std(), ntg):>{width}}"
            avg = f"{np.mean(means):.1f}({np.mean(ntgs):+.1f})"
            seed = ""
            if name in SEED:
                i = 0 if key == name else 2
                seed = "".join(f"{SEED[name][c][i]:>10.1f}({SEED[name][c][i + 1]:+5.1f})" for c in seed_cols)
            label = f"{name} gate" if key != name else name
            print(f"{label:<12}{cells}{avg:>{width - 6}}   | {seed}")
        for t in tasks:
            d = 100 * (np.array(results[t][f"{name} gate"]) - np.array(results[t][name]))
            deltas.append(d)
        cells = "".join(f"{f'{d.mean():+5.1f} ± {d.std():4.1f}':>{width}}" for d in deltas)
        avg = f"{np.mean([d.mean() for d in deltas]):+.1f}"
        seed = "".join(f"{SEED[name][c][4]:>+16.1f}" for c in seed_cols) if name in SEED else ""
        print(f"{'Δ ' + name:<12}{cells}{avg:>{width - 6}}   | {seed}")
    print(
        "\ncells: target accuracy %, mean ± std over seeds (NTG in points: error - error of target only; "
        "> 0 is negative transfer); Δ = gated - plain, mean ± std of the per-seed differences"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 3 epochs, 1000 / 600 rows")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default 3, quick 1)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per stage (default 10, quick 3)")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"subset of {','.join(METHODS)}")
    parser.add_argument("--tasks", default=",".join(TASKS), help="subset of " + ",".join(TASKS))
    parser.add_argument("--eps", type=float, default=0.7, help="ε = ε_x = ε_y (default 0.7)")
    parser.add_argument("--labeled", type=float, default=0.1, help="fraction of target rows labeled (0.1)")
    parser.add_argument("--x-how", default="noise", choices=["noise", "swap"], help="perturb_source's x_how")
    parser.add_argument(
        "--y-how", default="cyclic", choices=["uniform", "other", "cyclic"], help="perturb_source's y_how"
    )
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/bench_gate_table.json")
    args = parser.parse_args()
    torch.set_num_threads(1)  # small nets on shared cores: one thread is fastest
    args.seeds = args.seeds or (1 if args.quick else 3)
    args.epochs = args.epochs or (3 if args.quick else 10)
    args.n_source, args.n_target = (1000, 600) if args.quick else (None, None)
    methods = [m for m in args.methods.split(",") if m]
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}; choose from {list(METHODS)}")
    tasks = [t for t in args.tasks.split(",") if t]

    print_load_at_start()
    print(
        f"eps_x = eps_y = {args.eps} (x_how={args.x_how!r}, y_how={args.y_how!r}), "
        f"{100 * args.labeled:g}% of target rows labeled, {args.epochs} epochs, {args.seeds} seeds, "
        f"batch {BATCH} per domain, lr 1e-3"
    )
    t_start = time.perf_counter()
    results = {t: {} for t in tasks}
    for t in tasks:
        for seed in range(args.seeds):
            for key, value in run_cell(t, seed, methods, args).items():
                results[t].setdefault(key, []).append(value)
    print()
    print_table(results, methods, tasks)
    print_total(t_start)
    if args.save:
        path = save_json(
            "bench_gate_table",
            {"args": {k: v for k, v in vars(args).items()}, "accuracy": results},
            quick=args.quick,
        )
        print(f"saved {path}")


if __name__ == "__main__":
    main()
