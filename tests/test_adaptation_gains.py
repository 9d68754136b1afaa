"""Adaptation beats training on the source alone, on a shift: one test, one case per method.

Each case keeps its own data, seeds, settings and margins (the figures measured when the
margins were set are beside each case). A case measures, per seed, the adapted model and
its source-only baseline on the target rows; the test asserts the case's margins:

- ``mean_gain``: mean target accuracy, adapted > source only + ``mean_gain``;
- ``min_gain``: on every seed, adapted accuracy - source-only accuracy > ``min_gain``;
- ``error_ratio``: mean target error (regression), adapted < ``error_ratio`` x source only;
- ``domain_gap``: mean accuracy of a domain classifier on the learned features (0.5 is
  chance), adapted < source only - ``domain_gap``.
"""

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdomain import CORAL, KMM, SSTCA, TCA, LabeledOnly, SubspaceAlignment
from skdomain.datasets import make_domain_shift
from skdomain.deep import ADDAClassifier, DANClassifier, DANNClassifier, DeepCORALClassifier
from skdomain.utils import DomainWarning


@dataclass(frozen=True)
class Case:
    """A method against its source-only baseline.

    ``measure(seed, shifted_blobs=..., domain_accuracy=...)`` returns ``{"target": (adapted,
    source_only)}`` (accuracies, or errors when ``error_ratio`` is set), plus ``"domain":
    (adapted, source_only)`` for the cases with a ``domain_gap``.
    """

    measure: Callable
    seeds: Sequence[int]
    mean_gain: float | None = None
    min_gain: float | None = None
    error_ratio: float | None = None
    domain_gap: float | None = None

    def __post_init__(self):
        # a case asserts something on the target rows: a gain in accuracy, or a smaller error
        accuracy = self.mean_gain is not None or self.min_gain is not None
        if accuracy == (self.error_ratio is not None):
            raise ValueError("a case sets mean_gain / min_gain (accuracies) or error_ratio (errors)")


def _kmm_classifier(seed, **_):
    X, y, sd, y_true = make_domain_shift(300, 300, random_state=seed, return_target_labels=True)
    t = sd < 0
    src = LogisticRegression().fit(X[~t], y[~t]).score(X[t], y_true[t])
    kmm = KMM(LogisticRegression(), B=10.0).fit(X, y, sample_domain=sd).score(X[t], y_true[t])
    return {"target": (kmm, src)}


def _kmm_regressor(seed, **_):
    """Shimodaira's shift: y = -x + x^3; reweighting helps a linear model on the target."""
    X, y, sd, y_true = make_domain_shift(
        300, 300, random_state=seed, return_target_labels=True, task="regression", n_features=1
    )
    t = sd < 0
    src = LinearRegression().fit(X[~t], y[~t])
    kmm = KMM(LinearRegression(), B=10.0).fit(X, y, sample_domain=sd)
    err_src = mean_squared_error(y_true[t], src.predict(X[t]))
    err_kmm = mean_squared_error(y_true[t], kmm.predict(X[t]))
    return {"target": (err_kmm, err_src)}


def _embedding_pipeline(transformer):
    """TCA or SSTCA (5 components) in a pipeline, against LR on the source rows."""

    def measure(seed, **_):
        X, y, sd, y_true = make_domain_shift(300, 300, random_state=seed, return_target_labels=True)
        t = sd < 0
        src = LogisticRegression().fit(X[~t], y[~t]).score(X[t], y_true[t])
        step = transformer(n_components=5, random_state=0)
        pipe = make_pipeline(StandardScaler(), step, LabeledOnly(LogisticRegression()))
        with warnings.catch_warnings():
            warnings.simplefilter("error", DomainWarning)  # the domains do reach the transformer
            pipe.fit(X, y, **{f"{type(step).__name__.lower()}__sample_domain": sd})
        return {"target": (pipe.score(X[t], y_true[t]), src)}

    return measure


def _aligned(make):
    """CORAL / SA at their defaults in a pipeline, against source-only LogisticRegression."""

    def measure(seed, **_):
        X, y, sd, y_true = make_domain_shift(300, 300, random_state=seed, return_target_labels=True)
        t = sd < 0
        src = LogisticRegression().fit(X[~t], y[~t]).score(X[t], y_true[t])
        pipe = make_pipeline(make(), LabeledOnly(LogisticRegression()))
        pipe.fit(X, y, **{f"{pipe.steps[0][0]}__sample_domain": sd})
        return {"target": (pipe.score(X[t], y_true[t]), src)}

    return measure


# the deep nets' source-only baseline is the same net without its adaptation term (mu=0)
_DEEP = dict(max_epochs=50, lr=5e-3, batch_size=32, module__hidden_units=(32, 16))


def _deep(make_net):
    def measure(seed, shifted_blobs, domain_accuracy):
        X, y, sd, yt = shifted_blobs(150, seed)
        acc, dom = {}, {}
        for mu in (0.0, None):  # source-only, then the net's default mu
            net = make_net({} if mu is None else {"mu": mu}, seed).fit(X, y, sample_domain=sd)
            acc[mu] = np.mean(net.predict(X[sd < 0]) == yt)
            dom[mu] = domain_accuracy(net.embed(X), sd)
        return {"target": (acc[None], acc[0.0]), "domain": (dom[None], dom[0.0])}

    return measure


def _adda(seed, shifted_blobs, **_):
    """ADDA against its stage-1 net (``adapt_epochs=0``: the same seeds, the same stage 1)."""
    X, y, sd, yt = shifted_blobs(150, seed)
    acc = [
        np.mean(
            ADDAClassifier(adapt_epochs=ae, random_state=seed, **_DEEP)
            .fit(X, y, sample_domain=sd)
            .predict(X[sd < 0])
            == yt
        )
        for ae in (20, 0)
    ]
    return {"target": tuple(acc)}


CASES = {
    # measured: +0.37, +0.34, +0.27 (source-only 0.58-0.69, KMM 0.95-0.96)
    "KMM-classifier": Case(_kmm_classifier, seeds=range(3), mean_gain=0.2, min_gain=0.1),
    "KMM-regressor": Case(_kmm_regressor, seeds=[0], error_ratio=0.7),
    # measured: +0.36, +0.30, +0.25 (source-only 0.58-0.69, TCA 0.92-0.94)
    "TCA-pipeline": Case(_embedding_pipeline(TCA), seeds=range(3), mean_gain=0.2, min_gain=0.1),
    # measured (seeds 0-4): +0.136, +0.130, +0.117, +0.100, +0.053 (source-only 0.58-0.71)
    "CORAL-pipeline": Case(_aligned(CORAL), seeds=range(5), mean_gain=0.07, min_gain=0.03),
    # measured (seeds 0-4): +0.143, +0.133, +0.147, +0.100, +0.050
    "SA-pipeline": Case(_aligned(SubspaceAlignment), seeds=range(5), mean_gain=0.07, min_gain=0.03),
    # measured: +0.37, +0.31, +0.26 (SSTCA 0.93-0.95; TCA on the same rows 0.92-0.94)
    "SSTCA-pipeline": Case(_embedding_pipeline(SSTCA), seeds=range(3), mean_gain=0.2, min_gain=0.1),
    # Over 3 seeds: target accuracy up, and a domain classifier on the features closer to chance.
    # Measured with the defaults of issue 12 (mu=0.3, a 256-256 discriminator, Adam's betas 0.5):
    # source-only (mu=0) accuracy 0.591, domain accuracy 0.802; DANN 0.642 (+0.051; seeds +0.067,
    # +0.007, +0.080), 0.679. Before (mu=1, 64 units, betas 0.9): 0.578, 0.795; DANN 0.673, 0.768.
    "DANN": Case(
        _deep(lambda mu, seed: DANNClassifier(**mu, random_state=seed, **_DEEP)),
        seeds=range(3),
        mean_gain=0.03,
        domain_gap=0.06,
    ),
    # Over 3 seeds, features and output adapted: target accuracy up, domains much closer to chance.
    # Measured: source-only (mu=0) accuracy 0.578, domain accuracy 0.796; DAN 0.631, 0.560.
    "DAN": Case(
        _deep(
            lambda mu, seed: DANClassifier(
                **mu, mmd_layers=("features", "output"), random_state=seed, **_DEEP
            )
        ),
        seeds=range(3),
        mean_gain=0.03,
        domain_gap=0.15,
    ),
    # Over 3 seeds, features and output matched (the paper matches the last layer), mu=10:
    # source-only (mu=0) accuracy 0.578; Deep CORAL 0.642 (+0.047, +0.100, +0.047). At mu=1:
    # 0.611 (+0.033); the features alone: +0.007 at mu=1 and 10. No domain-gap assertion: CORAL
    # matches covariances, not means, and this shift is a translation; a linear domain
    # classifier on the features stays at 0.797 (source only 0.796).
    "Deep-CORAL": Case(
        _deep(
            lambda mu, seed: DeepCORALClassifier(
                **(mu or {"mu": 10.0}), coral_layers=("features", "output"), random_state=seed, **_DEEP
            )
        ),
        seeds=range(3),
        mean_gain=0.03,
        min_gain=0.02,
    ),
    # ADDA (adapt_epochs=20) against its stage-1 net (adapt_epochs=0). Measured (seeds 0-4):
    # stage 1 0.553, 0.580, 0.600, 0.633, 0.527; ADDA 0.733, 0.773, 0.813, 0.840, 0.827 (+0.18
    # to +0.30). No domain-gap assertion: embed maps every row through M_t, while ADDA aligns
    # M_t(x_t) with M_s(x_s).
    "ADDA": Case(_adda, seeds=range(3), mean_gain=0.12, min_gain=0.08),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_adaptation_beats_source_only_on_a_shift(case, shifted_blobs, domain_accuracy):
    runs = [
        case.measure(seed, shifted_blobs=shifted_blobs, domain_accuracy=domain_accuracy)
        for seed in case.seeds
    ]
    adapted, source = np.array([run["target"] for run in runs]).T
    if case.mean_gain is not None:
        assert np.mean(adapted) > np.mean(source) + case.mean_gain, (adapted, source)
    if case.min_gain is not None:
        assert np.min(adapted - source) > case.min_gain, (adapted, source)
    if case.error_ratio is not None:
        assert np.mean(adapted) < case.error_ratio * np.mean(source), (adapted, source)
    if case.domain_gap is not None:
        dom_adapted, dom_source = np.array([run["domain"] for run in runs]).T
        assert np.mean(dom_adapted) < np.mean(dom_source) - case.domain_gap, (dom_adapted, dom_source)
