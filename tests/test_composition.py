"""Composition with scikit-learn: Pipeline, GridSearchCV, cross_val_score; routing off and on."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skdomain import KMM, TCA, LabeledOnly
from skdomain.datasets import make_domain_shift
from skdomain.utils import DomainWarning


@pytest.fixture
def data():
    return make_domain_shift(120, 120, n_target_labeled=20, random_state=0, return_target_labels=True)


def _tca_pipe():
    return make_pipeline(StandardScaler(), TCA(n_components=3, random_state=0), LabeledOnly())


CV = KFold(3, shuffle=True, random_state=0)


def test_pipeline_domains_reach_tca_routing_off(data):
    X, y, sd, _ = data
    explicit = _tca_pipe().fit(X, y, tca__sample_domain=sd)
    inferred = _tca_pipe().fit(X, y)  # masked rows are inferred as target
    # labeled target rows are invisible to the inference, so the two differ slightly
    assert explicit.score(X, y) > 0.8 and inferred.score(X, y) > 0.8
    # with sample_domain that matches the inference, the two are identical
    sd_inferred = np.where(y == -1, -1, 0)
    np.testing.assert_allclose(
        _tca_pipe().fit(X, y, tca__sample_domain=sd_inferred).predict_proba(X),
        inferred.predict_proba(X),
    )


def test_final_step_learns_from_labeled_rows_only(data):
    X, y, sd, _ = data
    pipe = _tca_pipe().fit(X, y, tca__sample_domain=sd)
    final = pipe[-1]
    assert final.n_labeled_ == (y != -1).sum()
    np.testing.assert_array_equal(final.classes_, [0, 1])


def test_gridsearch_and_cross_val_score_routing_off(data):
    X, y, sd, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", DomainWarning)  # every fold has target rows
        gs = GridSearchCV(_tca_pipe(), {"tca__mu": [0.1, 1.0]}, cv=CV)
        gs.fit(X, y, tca__sample_domain=sd)
        assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))
        gs_kmm = GridSearchCV(KMM(B=5.0), {"B": [2.0, 5.0]}, cv=CV).fit(X, y, sample_domain=sd)
        assert np.all(np.isfinite(gs_kmm.cv_results_["mean_test_score"]))
        scores = cross_val_score(_tca_pipe(), X, y, cv=CV, params={"tca__sample_domain": sd})
        assert scores.shape == (3,) and np.all(scores > 0.5)
        # no sample_domain at all: inferred from the masked labels in every fold
        scores = cross_val_score(KMM(B=5.0), X, y, cv=CV)
        assert np.all(scores > 0.5)


def test_gridsearch_and_cross_val_score_routing_on(data):
    X, y, sd, _ = data
    with sklearn.config_context(enable_metadata_routing=True):
        gs = GridSearchCV(_tca_pipe(), {"tca__mu": [0.1, 1.0]}, cv=CV)
        gs.fit(X, y, sample_domain=sd)  # routed to TCA and LabeledOnly by default
        assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))
        gs_kmm = GridSearchCV(KMM(B=5.0), {"B": [2.0, 5.0]}, cv=CV).fit(X, y, sample_domain=sd)
        scores = cross_val_score(KMM(B=5.0), X, y, cv=CV, params={"sample_domain": sd})
        assert np.all(scores > 0.5)
    # the same search with routing off gives the same result
    gs_off = GridSearchCV(KMM(B=5.0), {"B": [2.0, 5.0]}, cv=CV).fit(X, y, sample_domain=sd)
    np.testing.assert_allclose(gs_kmm.cv_results_["mean_test_score"], gs_off.cv_results_["mean_test_score"])
    assert not sklearn.get_config()["enable_metadata_routing"]


def test_routed_sample_domain_changes_the_fit(data):
    """Routing on: sample_domain really arrives (labeled target rows counted as target)."""
    X, y, sd, _ = data
    with sklearn.config_context(enable_metadata_routing=True):
        with_sd = _tca_pipe().fit(X, y, sample_domain=sd)
        without = _tca_pipe().fit(X, y)
    off = _tca_pipe().fit(X, y, tca__sample_domain=sd)
    np.testing.assert_allclose(with_sd.predict_proba(X), off.predict_proba(X))
    assert not np.allclose(with_sd.predict_proba(X), without.predict_proba(X))


@pytest.mark.parametrize("routing", [False, True], ids=["routing-off", "routing-on"])
def test_kmm_weights_reach_the_last_step_of_an_inner_pipeline(data, routing):
    X, y, sd, _ = data
    inner = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    with sklearn.config_context(enable_metadata_routing=routing):
        kmm = KMM(inner, B=5.0, random_state=0).fit(X, y, sample_domain=sd)
    keep = y != -1  # every labeled row (source rows with beta_i = 0 included)
    # reference: the scaler fitted unweighted, the classifier with the weights
    scaler = StandardScaler().fit(X[keep])
    ref = LogisticRegression().fit(scaler.transform(X[keep]), y[keep], sample_weight=kmm.sample_weight_[keep])
    np.testing.assert_allclose(kmm.estimator_[-1].coef_, ref.coef_, rtol=1e-6)
    np.testing.assert_allclose(kmm.estimator_[0].mean_, scaler.mean_)
    assert not np.allclose(kmm.sample_weight_[keep], 1.0)
    # the user's pipeline is left as it was
    assert inner.steps[-1][1].get_metadata_routing().fit.requests.get("sample_weight") is None
