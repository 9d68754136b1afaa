"""Deep domain adaptation: skdomain's skorch nets side by side with skada.deep.

What is measured
----------------
Everything runs in ONE process with skada 0.6, on MNIST -> UCI digits
(``load_mnist_digits("mnist->digits")``: 5,000 MNIST rows, 500 per digit, as
source; the 1,797 UCI digits rows as target; 64 features, counts 0-16). Every
method is scored on the target rows whose label it never saw (all 1,797 in the
unsupervised rows), with the held-back labels.

Same network on both sides: ``BenchMLP`` below, a feature extractor
``Linear(64, 64)-ReLU-Linear(64, 128)-ReLU-Linear(128, 64)-ReLU`` (the submodule
``feature_extractor``: F(x), 64 features) and a linear head ``Linear(64, 10)``;
``forward`` returns the logits. It is the architecture of skdomain's default
``DomainMLP(hidden_units=(64, 128, 64))``. For each run ONE freshly seeded
instance is built (``torch.manual_seed(seed)``) and handed to the net, so for a
given seed both libraries start from the same weights. skada gets it as
``module`` with ``layer_name="feature_extractor"``; skdomain as ``module`` with
``feature_layer="feature_extractor"`` (a forward hook reads F(x)).

Same training: Adam, lr 1e-3, ``--epochs`` epochs (30; ``--quick`` 5), 128 rows
per optimisation step. How each library counts a batch:

* skada's ``DomainBalancedDataLoader(batch_size=b)`` yields batches of ``2 b``
  rows, ``b`` source and ``b`` target: skada gets ``batch_size=64``. Its epoch is
  ``floor(5000 / 64) = 78`` steps (rows beyond a multiple of ``b`` dropped).
* skdomain's ``batch_size`` is rows *per domain* (``BalancedDomainBatches``): 64
  source + 64 target rows, an epoch one pass over the larger domain,
  ``ceil(5000 / 64) = 79`` steps (the last with 8 + 8 rows).
* Source-only: skada's ``SourceOnly`` (``DomainOnlyDataLoader``, 64 source rows
  per step, 78 steps); ours is ``DANNClassifier`` fitted on the source rows only
  (no target row: the net warns and trains without adaptation, 64 source rows
  per step, 79 steps). Both therefore see 64 rows per step here, not 128.
* ``train_split=None`` on both (skada's ``DomainAwareNet`` is a
  ``NeuralNetClassifier`` whose default ``ValidSplit(5)`` would hold out a fifth of
  the rows, target rows included).

Methods (the printed ``method`` column):

* skada ``SourceOnly``; skada ``DANN`` with its default domain classifier
  (``Linear-BatchNorm-ReLU-Linear(100, 1)-Softmax``: a softmax over ONE unit is
  the constant 1, so its BCE loss is constant and no gradient reaches F: DANN
  silently degenerates to source-only on balanced batches); skada ``DANN`` with
  a proper discriminator: skdomain's ``Discriminator(64, hidden_units=(64,))``
  behind skada's gradient reversal layer (constant coefficient 1, skada has no
  schedule) and a sigmoid (skada's ``DANNLoss`` is ``BCELoss`` on probabilities);
  skada ``DAN`` (its ``dan_loss``: 33 Gaussian bandwidths around the median
  source-feature distance, ``reg=1``); skada ``DeepCoral`` (``reg=1``, its
  ``deepcoral_loss`` on ``feature_extractor``).
* skdomain ``DANNClassifier`` (the defaults before issue 12, pinned so that both
  libraries train alike: ``mu=1``, reversal coefficient on Ganin's schedule, the
  same ``Discriminator(hidden_units=(64,))``, Adam's betas (0.9, 0.999); the
  defaults since are judged by ``bench_shift_suite.py``), ``DANClassifier`` (defaults:
  ``mu=1``, 5 bandwidths 2^-3..2^1 around the median heuristic, unbiased
  MK-MMD^2), ``DeepCORALClassifier`` (defaults: ``mu=1``, the CORAL term on the
  features, i.e. ``feature_extractor``), source-only as above; in the semi-supervised rows ``+50``, 50
  labeled target rows (5 per digit, drawn by the seed) for ``DANNClassifier`` and
  ``GatedDANNClassifier`` (scored on the 1,747 other target rows); skada has no
  semi-supervised counterpart there.
* ``settings`` section: documented settings, interleaved the same way:
  ``lr=3e-3`` for skada's DANN (same discriminator), DAN and DeepCoral and for our
  ``DANNClassifier``, ``DANClassifier`` and ``DeepCORALClassifier``; our ``DANNClassifier(grl_lambda=1.0)``
  (skada's constant reversal coefficient instead of the schedule).

Deep CORAL, the same loss on both sides: skada's ``deepcoral_loss`` and skdomain's
``coral_loss`` are both ||C_S - C_T||_F^2 / (4 d^2) with C the unbiased covariance
(``torch.cov`` of the features' columns; skada centres the features first, which
changes nothing) and d the width of the layer (64 here); skada adds ``reg`` times it
to the source cross-entropy, skdomain ``mu`` times it: ``reg=1`` and ``mu=1`` are the
same weight, no conversion (the two functions agree to the last bit on random
batches).

Preprocessing, the same arrays to both libraries: ``x/16`` (the counts scaled to
[0, 1]) and ``per_domain`` (``load_mnist_digits(standardize="per_domain")``: each
domain centred and scaled with its own moments).

Reported per method: median time per epoch (skorch's ``history[:, "dur"]``, the
median over epochs, then the median over seeds), the ratio ours / skada of the
paired methods, steps per epoch, and target accuracy mean +- std over seeds
(3 seeds; ``--quick`` 1).

Fairness on a shared machine: ``torch.set_num_threads(1)`` for both libraries
(torch's intra-op pool degrades badly when the 2 cores are contended); the runs
alternate between the libraries (skada, skdomain, skada, ...) so that background
load hits both alike; the load average is printed at start and end.

Metadata routing: importing skada switches scikit-learn's metadata routing on
globally (``skada/__init__.py``). skdomain's nets are fitted and scored inside
``sklearn.config_context(enable_metadata_routing=False)``, as a user without
routing calls them (direct ``fit(X, y, sample_domain=sd)`` calls, which do not
depend on routing either way); skada's are called with routing on, as it sets.

Run
---
    python benchmarks/bench_deep.py --save | tee benchmarks/results/bench_deep.log  # ~16 min
    python benchmarks/bench_deep.py --quick      # smoke run: 5 epochs, 1 seed, main only (~20 s)
    python benchmarks/bench_deep.py --methods "source only,DeepCORAL" --save  # ~5 min

``--save`` writes the rows to ``benchmarks/results/bench_deep[_quick].json``
(with ``--methods``: ``bench_deep_<methods>[_quick].json``, so that a partial run
does not overwrite the full one); nothing else is written.
"""

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from torch import nn

import skdomain
from skdomain.datasets import load_mnist_digits
from skdomain.deep import (
    DANClassifier,
    DANNClassifier,
    DeepCORALClassifier,
    Discriminator,
    GatedDANNClassifier,
)
from skdomain.utils import DomainWarning

from _common import print_load_at_start, print_table, print_total, save_json

HIDDEN = (64, 128, 64)
BATCH = 64  # skada: source + target rows per step = 2 * 64; ours: 64 per domain
LR = 1e-3
N_LABELED = 50


# ------------------------------------------------------------------------ modules


class BenchMLP(nn.Module):
    """F: 64-128-64 ReLU MLP (``feature_extractor``), C: a linear head; returns the logits.

    ``sample_weight`` is accepted and ignored: skada's ``DomainAwareModule`` passes it
    at prediction time.
    """

    def __init__(self, n_features=64, n_classes=10, hidden_units=HIDDEN):
        super().__init__()
        layers, width = [], n_features
        for h in hidden_units:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.feature_extractor = nn.Sequential(*layers)
        self.head = nn.Linear(width, n_classes)

    def forward(self, X, sample_weight=None):
        return self.head(self.feature_extractor(X))


class SkadaDomainClassifier(nn.Module):
    """skdomain's ``Discriminator`` for skada: gradient reversal (coefficient 1), D, sigmoid.

    skada's domain classifier owns the reversal layer and its ``DANNLoss`` is a
    ``BCELoss`` on probabilities; ``Discriminator`` returns one logit.
    """

    def __init__(self, n_features=HIDDEN[-1], alpha=1.0):
        super().__init__()
        self.disc = Discriminator(n_features, hidden_units=(64,))
        self.alpha = alpha

    def forward(self, x, sample_weight=None):
        from skada.deep.modules import GradientReversalLayer

        return torch.sigmoid(self.disc(GradientReversalLayer.apply(x, self.alpha)))


def fresh_module(seed):
    torch.manual_seed(seed)
    return BenchMLP()


# --------------------------------------------------------------------------- data


def load(prep, seed, n_target_labeled=0):
    """``X, y (target masked), sd, y_true`` with preprocessing ``prep`` ("x/16" or "per_domain")."""
    X, y, sd, y_true = load_mnist_digits(
        "mnist->digits",
        n_target_labeled=n_target_labeled,
        standardize="per_domain" if prep == "per_domain" else None,
        return_target_labels=True,
        random_state=seed,
    )
    if prep == "x/16":
        X = X / 16.0
    return X.astype(np.float32), y, sd, y_true


# -------------------------------------------------------------------------- nets


def training(epochs, lr=LR):
    """Return the training settings both libraries' nets get ("Same training" in the module docstring)."""
    return dict(
        optimizer=torch.optim.Adam,
        lr=lr,
        max_epochs=epochs,
        batch_size=BATCH,
        train_split=None,
        device="cpu",
        verbose=0,
    )


def skada_net(kind, seed, epochs, lr=LR):
    from skada.deep import DAN, DANN, DeepCoral, SourceOnly

    common = training(epochs, lr)
    module = fresh_module(seed)
    if kind == "SourceOnly":
        return SourceOnly(module, layer_name="feature_extractor", **common)
    if kind == "DANN (default D)":
        return DANN(module, layer_name="feature_extractor", num_features=HIDDEN[-1], **common)
    if kind == "DANN (our D)":
        torch.manual_seed(seed + 1000)
        return DANN(
            module, layer_name="feature_extractor", domain_classifier=SkadaDomainClassifier(), **common
        )
    if kind == "DAN":
        return DAN(module, layer_name="feature_extractor", **common)
    if kind == "DeepCoral":
        return DeepCoral(module, layer_name="feature_extractor", reg=1, **common)
    raise ValueError(kind)


#: DANN's settings before issue 12, pinned: the same discriminator and Adam as skada's nets get
#: (the defaults since, mu=0.3, a 256-256 discriminator and betas (0.5, 0.999), are judged by
#: bench_shift_suite.py against their own source-only net)
PINNED = dict(mu=1.0, discriminator__hidden_units=(64,), optimizer__betas=(0.9, 0.999))
OUR_KINDS = {
    "source only": (DANNClassifier, {"optimizer__betas": (0.9, 0.999)}),
    "DANN": (DANNClassifier, PINNED),
    "DAN": (DANClassifier, {}),
    "DeepCORAL": (DeepCORALClassifier, {"mu": 1.0}),
    "DANN +50": (DANNClassifier, PINNED),
    "GatedDANN +50": (GatedDANNClassifier, PINNED),
}


def our_net(kind, seed, epochs, **params):
    cls, extra = OUR_KINDS.get(kind.split(" [")[0], (None, None))
    if cls is None:
        raise ValueError(kind)
    kw = dict(
        module=fresh_module(seed),
        feature_layer="feature_extractor",
        random_state=seed,
        **training(epochs),
    )
    kw.update(extra)
    kw.update(params)
    return cls(**kw)


# --------------------------------------------------------------------------- runs


def no_routing():
    return sklearn.config_context(enable_metadata_routing=False)


def epoch_stats(net):
    dur = np.asarray(net.history[:, "dur"], dtype=float)
    steps = len(net.history[-1]["batches"])
    return float(np.median(dur)), steps


def run_skada(kind, data, seed, epochs, **params):
    X, y, sd, y_true = data
    net = skada_net(kind, seed, epochs, **params)
    torch.manual_seed(seed)  # skada's samplers draw from the global generator
    with warnings.catch_warnings():
        # skada's default domain classifier: nn.Softmax() without dim (the one-unit softmax)
        warnings.filterwarnings("ignore", message="Implicit dimension choice for softmax")
        net.fit(X, y, sample_domain=sd)
    score = y < 0  # every target row is unlabeled here
    tgt = sd < 0
    pred = net.predict(X[tgt & score], sample_domain=sd[tgt & score])
    acc = float(np.mean(pred == y_true[tgt & score]))
    return acc, *epoch_stats(net)


def run_ours(kind, data, seed, epochs, **params):
    X, y, sd, y_true = data
    net = our_net(kind, seed, epochs, **params)
    score = (sd < 0) & (y < 0)
    with no_routing(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        if kind.startswith("source only"):
            src = sd >= 0
            net.fit(X[src], y[src], sample_domain=sd[src])
        else:
            net.fit(X, y, sample_domain=sd)
        acc = float(net.score(X[score], y_true[score]))
    return acc, *epoch_stats(net)


# (skada kind, our kind): interleaved A, B, A, B; ratios between these pairs
PAIRS = [
    ("SourceOnly", "source only"),
    ("DANN (default D)", "DANN"),
    ("DANN (our D)", "DAN"),
    ("DAN", "DANN +50"),
    (None, "GatedDANN +50"),
    ("DeepCoral", "DeepCORAL"),
]
RATIO_OF = {  # our method -> skada method it is timed against
    "source only": "SourceOnly",
    "DANN": "DANN (our D)",
    "DAN": "DAN",
    "DeepCORAL": "DeepCoral",
}
SETTINGS = [  # (skada kind, params), (our kind, params): documented settings, interleaved
    (("DANN (our D)", {"lr": 3e-3}), ("DANN", {"lr": 3e-3})),
    (("DAN", {"lr": 3e-3}), ("DAN", {"lr": 3e-3})),
    (("DeepCoral", {"lr": 3e-3}), ("DeepCORAL", {"lr": 3e-3})),
    (None, ("DANN", {"grl_lambda": 1.0})),
]


def label(kind, params):
    if not params:
        return kind
    return (
        f"{kind} ["
        + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
        + "]"
    )


def record(raw, prep, seed, lib, method, result):
    acc, dur, steps = result
    raw.append(dict(prep=prep, seed=seed, lib=lib, method=method, acc=acc, epoch_s=dur, steps=steps))
    print(
        f"  [{prep} seed {seed}] {lib:<8} {method:<26} acc {acc:.4f}  {dur:.3f} s/epoch ({steps} steps)",
        flush=True,
    )


def selected(kinds, methods):
    """Return ``kinds`` (skada's, ours; ``None`` for none) with those outside ``methods`` set to ``None``."""
    if methods is None:
        return kinds
    return tuple(k if k is not None and k.split(" [")[0] in methods else None for k in kinds)


def bench(preps, seeds, epochs, sections, methods=None):
    """Every run, interleaved skada / skdomain; one dict per (prep, seed, lib, method).

    ``methods``: names (either library's, as in ``PAIRS``) to run; ``None`` runs all.
    """
    raw = []
    for prep in preps:
        for seed in seeds:
            data0 = load(prep, seed)
            data50 = load(prep, seed, n_target_labeled=N_LABELED)
            if "main" in sections:
                for pair in PAIRS:
                    sk_kind, our_kind = selected(pair, methods)
                    if sk_kind is not None:
                        record(raw, prep, seed, "skada", sk_kind, run_skada(sk_kind, data0, seed, epochs))
                    if our_kind is None:
                        continue
                    data = data50 if our_kind.endswith("+50") else data0
                    record(raw, prep, seed, "skdomain", our_kind, run_ours(our_kind, data, seed, epochs))
            if "settings" in sections:
                for sk, (kind, params) in SETTINGS:
                    sk_kind, kind = selected((sk and sk[0], kind), methods)
                    sk = sk if sk_kind is not None else None
                    if sk is not None:
                        res = run_skada(sk[0], data0, seed, epochs, **sk[1])
                        record(raw, prep, seed, "skada", label(*sk), res)
                    if kind is None:
                        continue
                    res = run_ours(kind, data0, seed, epochs, **params)
                    record(raw, prep, seed, "skdomain", label(kind, params), res)
    return raw


def summarise(raw):
    rows = []
    keys = []
    for r in raw:
        k = (r["prep"], r["lib"], r["method"])
        if k not in keys:
            keys.append(k)
    for prep, lib, method in keys:
        sel = [r for r in raw if (r["prep"], r["lib"], r["method"]) == (prep, lib, method)]
        accs = [r["acc"] for r in sel]
        rows.append(
            dict(
                prep=prep,
                lib=lib,
                method=method,
                epoch_s=float(np.median([r["epoch_s"] for r in sel])),
                steps=sel[0]["steps"],
                acc_mean=float(np.mean(accs)),
                acc_std=float(np.std(accs)),
                accs=" ".join(f"{a:.3f}" for a in accs),
                n=len(sel),
            )
        )
    for r in rows:
        base, _, suffix = r["method"].partition(" [")
        ref = RATIO_OF.get(base) if r["lib"] == "skdomain" else None
        match = []
        for cand in [f"{ref} [{suffix}", ref] if suffix else [ref]:
            match = match or [
                q for q in rows if q["prep"] == r["prep"] and q["lib"] == "skada" and q["method"] == cand
            ]
        ref = match[0]["method"] if match else ref
        r["vs"] = ref if match else None
        r["ratio"] = r["epoch_s"] / match[0]["epoch_s"] if match else None
    return rows


def checks_of(rows):
    """Check the issue's targets, PASS / FAIL, for the defaults and (marked) for the documented settings."""
    out = []

    def get(prep, lib, method):
        m = [r for r in rows if (r["prep"], r["lib"], r["method"]) == (prep, lib, method)]
        return m[0] if m else None

    for prep in sorted({r["prep"] for r in rows}):
        ours_rows = [r for r in rows if r["prep"] == prep and r["lib"] == "skdomain"]
        for r in ours_rows:
            base = r["method"].split(" [")[0]
            if base not in ("DANN", "DAN", "DeepCORAL"):
                continue
            tag = f"[{prep}] {r['method']}"
            if r["ratio"] is not None:
                out.append(
                    (
                        f"{tag}: time/epoch {r['epoch_s']:.3f} s <= skada {r['vs']} "
                        f"{r['epoch_s'] / r['ratio']:.3f} s (ours/skada {r['ratio']:.2f})",
                        r["ratio"] <= 1.0,
                    )
                )
            target = {"DANN": 0.78, "DAN": 0.80}.get(base)  # issue 9's targets; none for Deep CORAL
            if target is not None:
                out.append(
                    (
                        f"{tag}: target accuracy {r['acc_mean']:.4f} +- {r['acc_std']:.4f} >= {target}",
                        r["acc_mean"] >= target,
                    )
                )
            # accuracy against skada: issue 9's targets for DANN and DAN; none for Deep CORAL (the table
            # shows both accuracies)
            refs = {"DANN": ["DANN (default D)", r["vs"]], "DAN": [r["vs"]]}.get(base, [])
            for sk in dict.fromkeys(x for x in refs if x):
                q = get(prep, "skada", sk)
                if q:
                    out.append(
                        (
                            f"{tag}: accuracy {r['acc_mean']:.4f} > skada {sk} {q['acc_mean']:.4f}",
                            r["acc_mean"] > q["acc_mean"],
                        )
                    )
    return out


def git_state():
    """Return the commit of the checkout, and whether skdomain/ differs from it (numbers depend on both)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "skdomain"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head + (" (skdomain/ modified)" if dirty else "")


def environment():
    import skada
    import skorch

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "skorch": skorch.__version__,
        "sklearn": sklearn.__version__,
        "skada": skada.__version__,
        "skdomain": skdomain.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "git": git_state(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 epochs, 1 seed, x/16 only")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default 3, quick 1)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default 30, quick 5)")
    parser.add_argument(
        "--prep", default=None, help="comma-separated subset of x/16,per_domain (default both; quick x/16)"
    )
    parser.add_argument("--sections", default="main,settings", help="comma-separated subset of main,settings")
    names = sorted(
        {k for pair in PAIRS for k in pair if k}
        | {k for sk, (kind, _) in SETTINGS for k in (sk and sk[0], kind) if k}
    )
    parser.add_argument(
        "--methods",
        default=None,
        help="comma-separated methods to run, either library's names, each with the other "
        "library's method it is timed against (default all): " + ", ".join(names),
    )
    parser.add_argument(
        "--save", action="store_true", help="write the rows to benchmarks/results/bench_deep[_quick].json"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    n_seeds = args.seeds or (1 if args.quick else 3)
    epochs = args.epochs or (5 if args.quick else 30)
    preps = (args.prep or ("x/16" if args.quick else "x/16,per_domain")).split(",")
    sections = set(args.sections.split(","))
    if args.quick:
        sections.discard("settings")
    methods = None
    if args.methods is not None:
        methods = [m.strip() for m in args.methods.split(",")]
        save_name = "bench_deep_" + "_".join("".join(c for c in m.lower() if c.isalnum()) for m in methods)
        unknown = [m for m in methods if m not in names]
        if unknown:
            parser.error(f"unknown methods {unknown}; choose among {names}")
        # a method brings the other library's method it is timed against (RATIO_OF)
        paired = {**RATIO_OF, **{v: k for k, v in RATIO_OF.items()}}
        methods += [paired[m] for m in methods if m in paired and paired[m] not in methods]

    import skada  # noqa: F401  (switches metadata routing on globally; see the module docstring)

    env = environment()
    print("environment:", ", ".join(f"{k} {v}" for k, v in env.items()))
    print(
        f"torch.set_num_threads(1) for both libraries; metadata routing after importing skada: "
        f"{sklearn.get_config()['enable_metadata_routing']} (skdomain's nets run with it off)"
    )
    print_load_at_start()
    print(
        f"data: load_mnist_digits('mnist->digits'), 5000 source + 1797 target rows; epochs {epochs}; "
        f"seeds {list(range(n_seeds))}; preprocessing {preps}"
    )
    print(
        f"net: BenchMLP 64-{'-'.join(map(str, HIDDEN))}-10, Adam lr {LR}; 128 rows per step "
        f"(skada batch_size={BATCH} -> {BATCH} source + {BATCH} target; ours batch_size={BATCH} per "
        f"domain); source-only: {BATCH} source rows per step on both"
    )
    print()
    t_all = time.perf_counter()
    if methods is not None:
        print(f"methods: {methods}")
    raw = bench(preps, range(n_seeds), epochs, sections, methods)
    rows = summarise(raw)
    print()
    print("=" * 110)
    print(
        f"MNIST -> digits, {epochs} epochs, {n_seeds} seed(s): epoch_s = median over epochs of skorch's "
        f"history 'dur' (median over seeds); ours/skada = ratio of epoch_s to the method in 'vs'"
    )
    print("=" * 110)
    print_table(
        rows,
        [
            ("prep", "prep", "{}"),
            ("lib", "lib", "{}"),
            ("method", "method", "{}"),
            ("epoch_s", "epoch_s", "{:.3f}"),
            ("steps", "steps", "{}"),
            ("vs", "vs", "{}"),
            ("ours/skada", "ratio", "{:.2f}"),
            ("acc mean", "acc_mean", "{:.4f}"),
            ("acc std", "acc_std", "{:.4f}"),
            ("acc per seed", "accs", "{}"),
        ],
    )
    print(
        "(+50 rows: 50 labeled target rows, scored on the 1747 other target rows; the other rows on "
        "all 1797 target rows)"
    )
    checks = checks_of(rows)
    print()
    print("targets" + (" (quick run: fewer epochs than the targets assume)" if args.quick else ""))
    for text, ok in checks:
        print(f"  [{'PASS' if ok else 'FAIL'}] {text}")
    total = print_total(t_all)
    if args.save:
        payload = {
            "environment": env,
            "quick": args.quick,
            "epochs": epochs,
            "seeds": n_seeds,
            "preps": preps,
            "methods": methods,
            "runs": raw,
            "rows": rows,
            "checks": [{"check": t, "ok": bool(ok)} for t, ok in checks],
            "total_s": total,
        }
        path = save_json("bench_deep" if methods is None else save_name, payload, quick=args.quick)
        print(f"results written to {path}")


if __name__ == "__main__":
    main()
