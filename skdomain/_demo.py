"""The skdomain demo: every estimator on MNIST → UCI digits, with a results table and a figure.

``python -m skdomain`` runs it; ``--quick`` keeps it under a minute on two CPU cores.
"""

import os
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np


@dataclass
class Method:
    """One row of the demo.

    ``fit(ctx)`` fits the row's model on the demo data ``ctx`` and returns it
    (``None`` for rows that report their own score); ``kind`` is ``"source only"``,
    ``"target only"``, ``"transfer"`` (gets an NTG) or ``"active"`` (uses more labels).
    An ``optional`` row runs only when ``--methods`` selects it (or ``--methods all``),
    so that the default demo stays a few minutes on two cores.
    """

    name: str
    fit: object
    kind: str = "transfer"
    note: str = ""
    optional: bool = False


@dataclass
class Context:
    """What every row sees: the contract data, the seed, the device and the epochs of the nets."""

    X: np.ndarray
    y: np.ndarray
    sd: np.ndarray
    y_true: np.ndarray
    seed: int
    device: str
    epochs: int
    quick: bool = False

    @property
    def test(self):
        """The evaluation rows: target rows whose label is masked."""
        return (self.sd < 0) & (self.y == -1)

    @property
    def target_labeled(self):
        return (self.sd < 0) & (self.y != -1)


def load_data(quick, seed, n_target_labeled, out):
    """MNIST → digits when the loader's package is installed, else the synthetic covariate shift."""
    from .datasets import load_mnist_digits, make_domain_shift

    try:
        X, y, sd, y_true = load_mnist_digits(
            "mnist->digits",
            n_source=2500 if quick else None,
            n_target_labeled=n_target_labeled,
            return_target_labels=True,
            random_state=seed,
        )
    except ImportError as exc:
        print(f"{exc}\nFalling back to the synthetic covariate shift.\n", file=out)
        n = 300 if quick else 2000
        X, y, sd, y_true = make_domain_shift(
            n,
            n,
            shift="covariate",
            n_target_labeled=n_target_labeled,
            random_state=seed,
            return_target_labels=True,
        )
        return X, y, sd, y_true, f"synthetic covariate shift ({n} source rows, {n} target rows)"
    name = f"MNIST ({(sd >= 0).sum()} rows) → UCI digits ({(sd < 0).sum()} rows), 8×8 counts / 16"
    return X / 16.0, y, sd, y_true, name


#: Nyström rank of the MMD query selector in the demo: on MNIST → digits (64 features) rank 100
#: fits in a few seconds
KMM_RANK = 100


def _kmm(ctx):
    from . import KMM

    # the default: the exact optimum (a rank-70 Nyström start, then the working-set refinement)
    return KMM(_lr(), B=10.0, random_state=ctx.seed)


def _lr():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def _domain_fit(model, ctx):
    from ._base import _domain_fit_params

    return model.fit(ctx.X, ctx.y, **_domain_fit_params(model, ctx.sd))


def _net(cls, ctx, **kwargs):
    params = dict(max_epochs=ctx.epochs, batch_size=64, device=ctx.device, random_state=ctx.seed)
    return cls(**{**params, **kwargs})


def _active(strategy, ctx, n_rounds=2, batch_size=20):
    """One active-learning run; the model after the last round is scored on the test rows."""
    from . import MMDQuerySelector
    from .active import active_learning_curve

    selector = MMDQuerySelector(
        _lr(), _kmm(ctx), batch_size=batch_size, n_components=KMM_RANK, random_state=ctx.seed
    )
    test = ctx.test
    curve = active_learning_curve(
        selector,
        ctx.X,
        ctx.y,
        ctx.sd,
        ctx.y_true,
        n_rounds=n_rounds,
        strategy=strategy,
        X_test=ctx.X[test],
        y_test=ctx.y_true[test],
        random_state=ctx.seed,
    )
    return float(curve.scores[-1])


def methods():
    """Return the rows of the demo, in order: two baselines, every transfer estimator, active learning."""
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from . import (
        CORAL,
        SSTCA,
        TCA,
        DANNClassifier,
        DictionaryTransferClassifier,
        GatedDANNClassifier,
        LabeledOnly,
        SafeTransfer,
        SubspaceAlignment,
        TrAdaBoostClassifier,
    )
    from .deep import (
        ADDAClassifier,
        DANClassifier,
        DeepCORALClassifier,
        DistillationClassifier,
        DomainConfusionClassifier,
        GTAClassifier,
        PADAClassifier,
    )

    def aligned(cls):  # CORAL / SA at their defaults: standardised rows, aligned, LR on the labeled rows
        def fit(ctx):
            lr = LogisticRegression(max_iter=1000)
            return _domain_fit(make_pipeline(StandardScaler(), cls(), LabeledOnly(lr)), ctx)

        return fit

    def source_only(ctx):
        return _lr().fit(ctx.X[ctx.sd >= 0], ctx.y[ctx.sd >= 0])

    def target_only(ctx):
        tl = ctx.target_labeled
        return _lr().fit(ctx.X[tl], ctx.y[tl])

    def embedding_lr(transformer, ctx):  # TCA or SSTCA, 30 components, then LR on the labeled rows
        return _domain_fit(
            make_pipeline(
                StandardScaler(),
                transformer(n_components=30, random_state=ctx.seed),
                LabeledOnly(LogisticRegression(max_iter=1000)),
            ),
            ctx,
        )

    def guard(ctx):
        # the guard over four adapters, 3 folds x 1 repeat (4 fits of each); --quick: over DAN
        # alone, 2 folds (3 fits of DAN and of its mu=0 baseline), to stay within a minute
        tca = make_pipeline(StandardScaler(), TCA(n_components=30, random_state=ctx.seed), LabeledOnly(_lr()))
        if ctx.quick:
            candidates = [("DAN", _net(DANClassifier, ctx))]
        else:
            candidates = [
                ("KMM", _kmm(ctx)),
                ("TCA", tca),
                ("DANN", _net(DANNClassifier, ctx)),
                ("DAN", _net(DANClassifier, ctx)),
            ]
        model = SafeTransfer(
            candidates, baseline=_lr(), n_splits=2 if ctx.quick else 3, n_repeats=1, random_state=ctx.seed
        )
        return _domain_fit(model, ctx)

    def distill(ctx):
        teacher = FrozenEstimator(_domain_fit(_kmm(ctx), ctx))
        return _domain_fit(_net(DistillationClassifier, ctx, teacher=teacher), ctx)

    return [
        Method("source only (LR)", source_only, kind="source only"),
        Method("target only (LR)", target_only, kind="target only"),
        Method("KMM + LR", lambda ctx: _domain_fit(_kmm(ctx), ctx), note="exact optimum"),
        Method("TCA + LR", lambda ctx: embedding_lr(TCA, ctx)),
        Method("SSTCA + LR", lambda ctx: embedding_lr(SSTCA, ctx)),
        Method("CORAL + LR", aligned(CORAL)),
        Method("SA + LR", aligned(SubspaceAlignment)),
        Method(
            "dictionary transfer",
            lambda ctx: _domain_fit(
                make_pipeline(
                    StandardScaler(), DictionaryTransferClassifier(n_atoms=10, random_state=ctx.seed)
                ),
                ctx,
            ),
        ),
        Method(
            # 10 rounds at most: on the demo data the second round already fits the 30 labeled
            # target rows (error 0) and boosting stops (0.8 s full, seed 0; 0.777 accuracy)
            "TrAdaBoost + LR",
            lambda ctx: _domain_fit(TrAdaBoostClassifier(_lr(), n_estimators=10, random_state=ctx.seed), ctx),
            note="{stop}",
        ),
        Method("DANN (MLP)", lambda ctx: _domain_fit(_net(DANNClassifier, ctx), ctx)),
        Method("DANN + gate (MLP)", lambda ctx: _domain_fit(_net(GatedDANNClassifier, ctx), ctx)),
        Method("DAN (MLP)", lambda ctx: _domain_fit(_net(DANClassifier, ctx), ctx)),
        Method("Deep CORAL (MLP)", lambda ctx: _domain_fit(_net(DeepCORALClassifier, ctx), ctx)),
        Method(
            "ADDA (MLP)",
            lambda ctx: _domain_fit(_net(ADDAClassifier, ctx, adapt_epochs=ctx.epochs), ctx),
            note="{stages}",
        ),
        # partial adaptation: here the target holds every class, so gamma_ stays near 1 and PADA is
        # close to DANN (one forward pass over the target rows per epoch on top of DANN's cost)
        Method("PADA (MLP)", lambda ctx: _domain_fit(_net(PADAClassifier, ctx), ctx)),
        # a third of the epochs (at least 4): each GTA step is three phases (D, G, then F and C),
        # with a generator and a discriminator on the 64 input columns, 2-3x a DAN step. Measured
        # (seed 0, busy 2 cores, before z had its own stream): full, 10 epochs 30.5 s, 0.836 (DANN's
        # 30: 41.4 s, 0.860); quick, 4 epochs 7.3 s, 0.716 (2 epochs: 0.325, as DAN's mu=0 net)
        Method(
            "GTA (MLP)",
            lambda ctx: _domain_fit(_net(GTAClassifier, ctx, max_epochs=max(ctx.epochs // 3, 4)), ctx),
            note="{epochs} epochs",
            optional=True,
        ),
        # two phases per step (the domain classifier's, the network's) and one pass over the source
        # rows per epoch for the soft labels: about 1.5x DANN's epoch
        Method(
            "domain confusion + soft labels (MLP)",
            lambda ctx: _domain_fit(_net(DomainConfusionClassifier, ctx), ctx),
            optional=True,
        ),
        Method("guard (SafeTransfer)", guard, note="over {candidates}; picks {selected}"),
        Method("distillation (KMM teacher)", distill, note="fit time includes the teacher's"),
        Method(
            "MMD query + KMM",
            lambda ctx: _active("mmd", ctx),
            kind="active",
            note="+40 target labels, 2 rounds of 20",
        ),
        Method(
            "random query + KMM",
            lambda ctx: _active("random", ctx),
            kind="active",
            note="+40 target labels, 2 rounds of 20",
        ),
    ]


def _accuracy(model, ctx):
    return float(np.mean(model.predict(ctx.X[ctx.test]) == ctx.y_true[ctx.test]))


def _plain_error(model, ctx):
    """Target error of the row's own learner fitted on the labeled target rows alone (NTG's baseline)."""
    from .deep import DomainNet
    from .metrics import plain_learner

    tl = ctx.target_labeled
    if not tl.any():
        return 1.0 - 1.0 / np.unique(ctx.y_true).size
    base = plain_learner(model)
    if isinstance(base, DomainNet):  # as many optimizer steps as the adaptive net took
        steps = ctx.epochs * -(-max((ctx.sd >= 0).sum(), (ctx.sd < 0).sum()) // base.batch_size)
        base.set_params(max_epochs=max(ctx.epochs, steps // -(-tl.sum() // base.batch_size)))
    base.fit(ctx.X[tl], ctx.y[tl])
    return 1.0 - _accuracy(base, ctx)


def select(rows, methods=None):
    """Return the rows to run: the default ones, every one, or those that ``methods`` names.

    Parameters
    ----------
    rows : list of Method
        Every row (:func:`methods`).
    methods : str, sequence of str or None
        ``None``: every row that is not optional; ``"all"``: every row; else names, or
        parts of names, of rows, matched without regard to case (a comma-separated
        string or a sequence). The two baselines (source only, target only) always run.

    Returns
    -------
    rows : list of Method
        The selected rows, in the demo's order.
    """
    if methods is None:
        return [m for m in rows if not m.optional]
    wanted = [w.strip().lower() for w in (methods.split(",") if isinstance(methods, str) else methods)]
    wanted = [w for w in wanted if w]
    if wanted == ["all"]:
        return list(rows)
    unknown = [w for w in wanted if not any(w in m.name.lower() for m in rows)]
    if unknown or not wanted:
        names = ", ".join(repr(m.name) + (" (optional)" if m.optional else "") for m in rows)
        raise ValueError(f"--methods: no demo row is named {unknown or methods!r}; the rows are {names}.")
    baselines = ("source only", "target only")
    return [m for m in rows if m.kind in baselines or any(w in m.name.lower() for w in wanted)]


def run(
    quick=False,
    seed=0,
    n_target_labeled=30,
    device="cpu",
    figure="skdomain_demo.png",
    out=None,
    progress=True,
    threads=1,
    methods=None,
):
    """Fit every estimator on MNIST → digits and print a results table.

    Parameters
    ----------
    quick : bool
        Half the source rows and fewer epochs: under a minute on two CPU cores.
    seed : int
        Seeds the labeled target rows and every estimator.
    n_target_labeled : int
        Target rows whose labels the estimators may use (the rest are masked and
        are the evaluation set).
    device : str
        Where the deep rows train (``"cpu"``, ``"cuda"``, ``"auto"``).
    figure : str or None
        Path of the summary PNG (``None``: no figure).
    out : file-like, default=None
        Where the table goes (``None``: standard output).
    progress : bool
        Show a progress bar (on standard error).
    threads : int, default=1
        BLAS and torch threads while the demo runs (restored afterwards). One thread is
        the default: the demo's problems are small, and multi-threaded BLAS / torch pools
        degrade badly when the cores are shared (a 1000-iteration logistic regression on
        MNIST took 82 s of CPU with two OpenBLAS threads against 1.6 s with one, on a
        busy two-core machine).
    methods : str, sequence of str or None, default=None
        The rows to run (see :func:`select`): ``None`` runs every row but the optional
        ones, ``"all"`` every row.

    Returns
    -------
    rows : list of dict
        One per method: ``method``, ``target_accuracy``, ``ntg``, ``fit_time_s``, ``note``, ``kind``.
    """
    import torch
    from threadpoolctl import threadpool_limits

    out = sys.stdout if out is None else out
    chosen = _selected(methods)  # before any work: a wrong name fails at once
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(threads):
            return _run(quick, seed, n_target_labeled, device, figure, out, progress, threads, chosen)
    finally:
        torch.set_num_threads(previous)


def _selected(selection):
    """:func:`select` on every row (``run``'s parameter ``methods`` hides the function)."""
    return select(methods(), selection)


def _run(quick, seed, n_target_labeled, device, figure, out, progress, threads, ms):
    X, y, sd, y_true, data_name = load_data(quick, seed, n_target_labeled, out)
    ctx = Context(X, y, sd, y_true, seed, device, epochs=8 if quick else 30, quick=quick)
    print(
        f"skdomain demo: {data_name}; {ctx.target_labeled.sum()} labeled target rows; accuracy on "
        f"the {ctx.test.sum()} unlabeled target rows; seed {seed}, deep rows on {device}, "
        f"{threads} BLAS / torch thread{'s' if threads > 1 else ''}\n",
        file=out,
    )
    rows = []
    bar = _progress(ms, progress)
    for m in bar:
        if progress:
            bar.set_description(f"{m.name:<28s}")
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = m.fit(ctx)
            fit_time = time.perf_counter() - t0
            acc = model if m.kind == "active" else _accuracy(model, ctx)
            ntg = (1.0 - acc) - _plain_error(model, ctx) if m.kind == "transfer" else np.nan
        note = m.note.format(
            stop=f"{len(getattr(model, 'estimators_', []))} round(s)",
            selected=getattr(model, "selected_", ""),
            candidates=", ".join(n for n, _ in getattr(model, "candidates", [])),
            stages=f"{getattr(model, 'max_epochs', 0)} + {getattr(model, 'adapt_epochs', 0)} epochs",
            epochs=getattr(model, "max_epochs", 0),
        )
        rows.append(
            {
                "method": m.name,
                "target_accuracy": acc,
                "ntg": ntg,
                "fit_time_s": fit_time,
                "note": note,
                "kind": m.kind,
            }
        )
    _print_table(rows, out)
    if figure:
        path = _figure(rows, figure, data_name)
        print(f"\nsummary figure written to {path}", file=out)
    return rows


def _progress(items, enabled):
    if not enabled:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, unit="method", file=sys.stderr, leave=False)


def _print_table(rows, out):
    width = max(len(r["method"]) for r in rows)
    print(f"{'method':<{width}}  target acc     NTG  fit time  note", file=out)
    for r in rows:
        ntg = "" if np.isnan(r["ntg"]) else f"{r['ntg']:+.3f}"
        print(
            f"{r['method']:<{width}}  {r['target_accuracy']:10.3f}  {ntg:>6s}  {r['fit_time_s']:6.2f} s"
            f"  {r['note']}".rstrip(),
            file=out,
        )
    print(
        "\nNTG = target error of the method minus that of its own learner fitted on the labeled "
        "target rows alone (Wang et al., 2019): negative means the source helped.",
        file=out,
    )


def _figure(rows, path, title):
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["method"] for r in rows][::-1]
    acc = np.array([r["target_accuracy"] for r in rows])[::-1]
    ntg = np.array([r["ntg"] for r in rows])[::-1]
    kinds = [r["kind"] for r in rows][::-1]
    colors = [{"transfer": "C0", "active": "C1"}.get(k, "0.6") for k in kinds]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 0.45 * len(rows) + 1.6), sharey=True)
    ax1.barh(names, acc, color=colors)
    for r in rows:
        if r["kind"] in ("source only", "target only"):
            ax1.axvline(r["target_accuracy"], ls="--", lw=1, color="0.3")
    ax1.set_xlim(0, 1)
    ax1.set_xlabel("target accuracy (unlabeled target rows)")
    ok = ~np.isnan(ntg)
    ax2.barh(np.array(names)[ok], ntg[ok], color=np.where(ntg[ok] > 0, "C3", "C2"))
    ax2.axvline(0, color="k", lw=1)
    ax2.set_xlabel("negative transfer gap (< 0: the source helped)")
    fig.suptitle(f"skdomain demo: {title}", fontsize=10)
    fig.tight_layout()
    path = os.path.abspath(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
