"""Scorers for selection without target labels: values, signs, routing, and a misleading case."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, cross_val_score

from skdomain import KMM, LabeledOnly
from skdomain.datasets import make_domain_shift
from skdomain.metrics import (
    DeepEmbeddedValidationScorer,
    ImportanceWeightedScorer,
    PredictionEntropyScorer,
    ReverseValidationScorer,
    SupervisedTargetScorer,
)
from skdomain.model_selection import DomainShuffleSplit

SCORERS = [
    ImportanceWeightedScorer(),
    DeepEmbeddedValidationScorer(),
    PredictionEntropyScorer(),
    ReverseValidationScorer(),
    SupervisedTargetScorer(),
]


@pytest.fixture(scope="module")
def shifted():
    X, y, sd, _ = make_domain_shift(300, 300, random_state=0, return_target_labels=True)
    Xv, yv, sdv, ytv = make_domain_shift(300, 300, random_state=1, return_target_labels=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = {
            "source only": LabeledOnly(LogisticRegression()).fit(X, y, sample_domain=sd),
            "kmm": KMM(B=10.0).fit(X, y, sample_domain=sd),
        }
    return models, Xv, yv, sdv, ytv


def test_source_score_misleads_and_importance_weighting_does_not(shifted):
    models, Xv, yv, sdv, ytv = shifted
    t = sdv < 0
    src = {k: m.score(Xv[~t], yv[~t]) for k, m in models.items()}
    tgt = {k: m.score(Xv[t], ytv[t]) for k, m in models.items()}
    # measured: source 0.863 vs 0.653, target 0.567 vs 0.953
    assert src["source only"] > src["kmm"] + 0.1
    assert tgt["kmm"] > tgt["source only"] + 0.3
    for scorer in (ImportanceWeightedScorer(), DeepEmbeddedValidationScorer(), PredictionEntropyScorer()):
        s = {k: scorer(m, Xv, yv) for k, m in models.items()}
        assert s["kmm"] > s["source only"], scorer  # IW: 0.96 vs 0.30


def test_dev_matches_its_formula(shifted):
    from skdomain.metrics._scorers import _density_ratio

    models, Xv, yv, sdv, _ = shifted
    m = models["kmm"]
    src = sdv >= 0
    w = _density_ratio(Xv[src], Xv[~src], LogisticRegression(max_iter=1000))
    L = w * (m.predict(Xv[src]) != yv[src])
    eta = -np.cov(L, w)[0, 1] / np.var(w, ddof=1)
    expected = 1 - (L.mean() + eta * w.mean() - eta)
    assert DeepEmbeddedValidationScorer()(m, Xv, yv) == pytest.approx(expected, rel=1e-10)


def test_supervised_target_scorer_and_signs(shifted):
    models, Xv, yv, sdv, ytv = shifted
    y_semi = yv.copy()
    tgt = np.flatnonzero(sdv < 0)[:50]
    y_semi[tgt] = ytv[tgt]
    m = models["kmm"]
    assert SupervisedTargetScorer()(m, Xv, y_semi, sample_domain=sdv) == pytest.approx(
        np.mean(m.predict(Xv[tgt]) == ytv[tgt])
    )
    with pytest.raises(ValueError, match="labeled target rows"):
        SupervisedTargetScorer()(m, Xv, yv)
    assert PredictionEntropyScorer()(m, Xv, yv) <= 0.0
    assert 0.0 <= ReverseValidationScorer()(m, Xv, yv) <= 1.0


def test_regression_scorers_are_finite():
    X, y, sd = make_domain_shift(100, 100, task="regression", n_features=1, random_state=0)
    m = KMM(Ridge(), B=5.0).fit(X, y, sample_domain=sd)
    for scorer in (ImportanceWeightedScorer(), DeepEmbeddedValidationScorer(), ReverseValidationScorer()):
        assert np.isfinite(scorer(m, X, y))


@pytest.mark.parametrize("routing", [False, True], ids=["routing-off", "routing-on"])
def test_usable_as_scoring_in_gridsearch(routing):
    X, y, sd = make_domain_shift(80, 80, n_target_labeled=20, random_state=0)
    cv = DomainShuffleSplit(2, test_size=0.3, random_state=0)
    for scorer in SCORERS:
        with sklearn.config_context(enable_metadata_routing=routing), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if routing:  # sample_domain routed to the estimator, the splitter and the scorer
                gs = GridSearchCV(KMM(), {"B": [2.0, 10.0]}, cv=cv, scoring=scorer, error_score="raise")
                gs.fit(X, y, sample_domain=sd)
                scores = cross_val_score(
                    KMM(B=5.0), X, y, cv=cv, scoring=scorer, params={"sample_domain": sd}, error_score="raise"
                )
            elif isinstance(scorer, SupervisedTargetScorer):
                continue  # labeled target rows are invisible without routed domains
            else:  # domains from the masked labels, everywhere
                gs = GridSearchCV(KMM(), {"B": [2.0, 10.0]}, cv=cv, scoring=scorer, error_score="raise")
                gs.fit(X, y)
                scores = cross_val_score(KMM(B=5.0), X, y, cv=cv, scoring=scorer, error_score="raise")
        assert np.all(np.isfinite(gs.cv_results_["mean_test_score"])), scorer
        assert np.all(np.isfinite(scores)), scorer


def test_routed_sample_domain_reaches_the_scorer():
    """With routing on, labeled target rows are seen as target by the scorer."""
    X, y, sd = make_domain_shift(80, 80, n_target_labeled=20, random_state=0)
    cv = DomainShuffleSplit(2, test_size=0.3, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_val_score(
            KMM(B=5.0),
            X,
            y,
            cv=cv,
            scoring=SupervisedTargetScorer(),
            params={"sample_domain": sd},
            error_score="raise",
        )
    assert np.all((scores >= 0) & (scores <= 1))


def test_kmm_density_ratio_option(shifted):
    models, Xv, yv, sdv, _ = shifted
    scorer = ImportanceWeightedScorer(ratio="kmm", kmm_params={"B": 10.0})
    s = {k: scorer(m, Xv, yv) for k, m in models.items()}
    assert s["kmm"] > s["source only"]  # KMM's weights agree with the domain classifier's verdict
    with pytest.raises(ValueError, match="ratio must be"):
        ImportanceWeightedScorer(ratio="oracle")(models["kmm"], Xv, yv)


def test_kmm_ratio_is_kmm_weights_as_when_kmm_was_fitted(shifted):
    """ratio="kmm" gives the score it gave when the scorer fitted KMM(DummyClassifier())."""
    from sklearn.dummy import DummyClassifier

    models, Xv, yv, sdv, _ = shifted
    src = sdv >= 0  # every source row of the fold is labeled
    Xs, Xt = Xv[src], Xv[~src]
    X = np.vstack([Xs, Xt])
    # the source labels (two classes: masking must leave a classifier two); KMM's weights do not read them
    y = np.r_[yv[src], np.full(len(Xt), -1)]
    sd = np.r_[np.zeros(len(Xs), dtype=int), -np.ones(len(Xt), dtype=int)]
    params = {"B": 10.0, "n_components": 50, "random_state": 0}
    w = KMM(DummyClassifier(), **params).fit(X, y, sample_domain=sd).weights_
    for name, m in models.items():
        loss = (m.predict(Xs) != yv[src]).astype(float)
        expected = 1.0 - float(np.sum(w * loss) / np.sum(w))
        assert ImportanceWeightedScorer(ratio="kmm", kmm_params=params)(m, Xv, yv) == expected, name


def test_scorer_errors_name_the_problem(shifted):
    from sklearn.linear_model import LinearRegression

    models, Xv, yv, sdv, _ = shifted
    m = models["kmm"]
    src = sdv >= 0
    for scorer, match in [
        (PredictionEntropyScorer(), "needs target rows"),
        (ImportanceWeightedScorer(), "needs source and target rows"),
        (ReverseValidationScorer(), "needs source and target rows"),
    ]:
        with pytest.raises(ValueError, match=match):
            scorer(m, Xv[src], yv[src])
    # a domain classifier without probabilities: the density ratio cannot be read from it
    from sklearn.svm import LinearSVC

    for scorer in (ImportanceWeightedScorer, DeepEmbeddedValidationScorer):
        with pytest.raises(TypeError, match="must have predict_proba.*LinearSVC has none"):
            scorer(domain_classifier=LinearSVC())(m, Xv, yv, sample_domain=sdv)
    # a plain estimator is reverse-validated on its pseudo-labels alone
    plain = LogisticRegression().fit(Xv[src], yv[src])
    assert 0.0 <= ReverseValidationScorer()(plain, Xv, yv) <= 1.0
    # regression: the supervised target scorer reports R^2
    Xr, yr, sdr, ytr = make_domain_shift(
        60,
        60,
        task="regression",
        n_features=1,
        n_target_labeled=20,
        random_state=0,
        return_target_labels=True,
    )
    reg = LinearRegression().fit(Xr[sdr >= 0], yr[sdr >= 0])
    tl = (sdr < 0) & ~np.isnan(yr)
    from sklearn.metrics import r2_score

    assert SupervisedTargetScorer()(reg, Xr, yr, sample_domain=sdr) == pytest.approx(
        r2_score(yr[tl], reg.predict(Xr[tl]))
    )


def test_reverse_validation_with_string_classes_keeps_the_mask():
    """The pseudo-labeled reverse fit masks the source rows with the integer -1, never a class '-1'.

    A model fitted on a plain string array (every target row labeled) predicts strings of that
    dtype, which numpy would join with the mask by turning it into the string '-1'.
    """
    X, _, sd, y_true = make_domain_shift(60, 60, random_state=0, return_target_labels=True)
    names = np.array(["cat", "dog"])
    strings = KMM(LogisticRegression(), B=10.0).fit(X, names[y_true], sample_domain=sd)
    assert strings.predict(X[:2]).dtype.kind == "U"
    ints = KMM(LogisticRegression(), B=10.0).fit(X, y_true, sample_domain=sd)
    score = ReverseValidationScorer()(strings, X, names[y_true], sd)
    assert score == ReverseValidationScorer()(ints, X, y_true, sd)
