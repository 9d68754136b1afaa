"""CORAL and SA: fit_transform vs transform, a routed sample_domain, pipelines and the scorers."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skdomain import CORAL, LabeledOnly, SubspaceAlignment
from skdomain.datasets import make_domain_shift
from skdomain.metrics import DeepEmbeddedValidationScorer, ImportanceWeightedScorer
from skdomain.metrics._density_ratio import _density_ratio
from skdomain.model_selection import DomainShuffleSplit

MAPS = [CORAL(), SubspaceAlignment(n_components=1)]
IDS = ["CORAL", "SA"]


@pytest.fixture(scope="module")
def data():
    return make_domain_shift(150, 150, random_state=0, return_target_labels=True)


@pytest.mark.parametrize("est", MAPS, ids=IDS)
def test_fit_transform_maps_source_rows_and_transform_treats_rows_as_target(est, data):
    X, y, sd, _ = data
    Z = sklearn.clone(est).fit_transform(X, y, sample_domain=sd)
    fitted = sklearn.clone(est).fit(X, y, sample_domain=sd)
    np.testing.assert_allclose(Z, fitted.transform(X, sample_domain=sd))
    plain = fitted.transform(X)
    np.testing.assert_allclose(Z[sd < 0], plain[sd < 0])
    assert not np.allclose(Z[sd >= 0], plain[sd >= 0])  # the source map is not the target map
    # inferred domains (masked labels are target rows) give the same rows
    np.testing.assert_allclose(sklearn.clone(est).fit_transform(X, y), Z)


@pytest.mark.parametrize("est", MAPS, ids=IDS)
def test_transform_sample_domain_errors(est, data):
    X, y, sd, _ = data
    fitted = sklearn.clone(est).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match=r"source id\(s\) \[3\], which fit did not see.*ids \[0\]"):
        fitted.transform(X, sample_domain=np.where(sd >= 0, 3, sd))
    with pytest.raises(ValueError, match="sample_domain has 5 rows but X has 300"):
        fitted.transform(X, sample_domain=sd[:5])
    with pytest.raises(ValueError, match="must hold integers"):
        fitted.transform(X, sample_domain=sd.astype(float))


@pytest.mark.parametrize("est", MAPS, ids=IDS)
def test_routed_sample_domain_reaches_transform_in_a_pipeline(est, data):
    X, y, sd, _ = data
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(sklearn.clone(est), LabeledOnly(LogisticRegression()))
        pipe.fit(X, y, sample_domain=sd)
        by_domain = pipe[-1].decision_function(pipe[0].transform(X, sample_domain=sd))
        as_target = pipe[-1].decision_function(pipe[0].transform(X))
        np.testing.assert_allclose(pipe.decision_function(X, sample_domain=sd), by_domain)
        np.testing.assert_allclose(pipe.decision_function(X), as_target)
        pipe[0].set_transform_request(sample_domain=False)
        with pytest.raises(Exception, match="sample_domain"):  # no longer consumed by any step
            pipe.predict(X, sample_domain=sd)


def _iwv_reference(pipe, X, y, sd, y_true):
    """IWV score computed by hand: held-out source rows mapped by the source map."""
    src = (sd >= 0) & (y != -1)
    w = _density_ratio(X[src], X[sd < 0], LogisticRegression(max_iter=1000))
    pred = pipe[-1].predict(pipe[0].transform(X[src], sample_domain=sd[src]))
    naive = pipe.predict(X[src])  # the target map on source rows: the wrong features
    return 1.0 - np.sum(w * (pred != y[src])) / np.sum(w), int(np.sum(pred != naive))


@pytest.mark.parametrize("routing", [False, True], ids=["routing-off", "routing-on"])
@pytest.mark.parametrize("est", MAPS, ids=IDS)
def test_importance_weighted_scorer_maps_held_out_source_rows(est, routing, data):
    X, y, sd, y_true = data
    Xv, yv, sdv, _ = make_domain_shift(150, 150, random_state=1, return_target_labels=True)
    with sklearn.config_context(enable_metadata_routing=routing):
        pipe = make_pipeline(sklearn.clone(est), LabeledOnly(LogisticRegression()))
        pipe.fit(X, y, **({"sample_domain": sd} if routing else {pipe.steps[0][0] + "__sample_domain": sd}))
        expected, changed = _iwv_reference(pipe, Xv, yv, sdv, None)
        # the source map changes predictions of held-out source rows (measured: CORAL 34, SA 44 of
        # 150), so a scorer that mapped them as target rows would give another score
        assert changed >= 5
        kwargs = {"sample_domain": sdv} if routing else {}
        got = ImportanceWeightedScorer()(pipe, Xv, yv, **kwargs)
        assert got == pytest.approx(expected, abs=1e-12)
        assert np.isfinite(DeepEmbeddedValidationScorer()(pipe, Xv, yv, **kwargs))


@pytest.mark.parametrize("routing", [False, True], ids=["routing-off", "routing-on"])
def test_gridsearch_with_a_label_free_scorer(routing, data):
    X, y, sd, _ = data
    pipe = make_pipeline(CORAL(), LabeledOnly(LogisticRegression()))
    grid = {"coral__reg": [0.1, 1.0]}
    cv = DomainShuffleSplit(n_splits=2, random_state=0)
    with sklearn.config_context(enable_metadata_routing=routing), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        search = GridSearchCV(pipe, grid, scoring=ImportanceWeightedScorer(), cv=cv)
        if routing:
            search.fit(X, y, sample_domain=sd)
        else:
            search.fit(X, y, groups=sd, coral__sample_domain=sd)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
