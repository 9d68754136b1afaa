"""scikit-learn's generic checks, then the contract suite (DESIGN.md §2), on every estimator."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdomain import LabeledOnly
from skdomain.datasets import make_domain_shift
from skdomain.utils import DomainWarning

from ._estimators import (
    all_estimators,
    expected_failed_checks,
    fit_is_order_invariant,
    learns_from_target_labels,
    pools_source_ids,
)


@parametrize_with_checks(all_estimators(), expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        check(estimator)


def _task(est):
    return "regression" if is_regressor(est) else "classification"


def _data(est, n_source=60, n_target=50, n_target_labeled=None, seed=0):
    if n_target_labeled is None:  # a few labeled target rows where adaptation needs them
        n_target_labeled = 8 if learns_from_target_labels(est) else 0
    return make_domain_shift(
        n_source,
        n_target,
        task=_task(est),
        n_target_labeled=n_target_labeled,
        random_state=seed,
        return_target_labels=True,
    )


def _output(est, X):
    """What an estimator produces on rows: predictions or an embedding."""
    if hasattr(est, "transform") and not hasattr(est, "predict"):
        return est.transform(X)
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)
    return est.predict(X)


def _set_seed(est):
    if "random_state" in est.get_params():
        est.set_params(random_state=0)
    return est


ESTIMATORS = all_estimators()
IDS = [repr(e) for e in ESTIMATORS]


@pytest.fixture(params=ESTIMATORS, ids=IDS)
def estimator(request):
    return _set_seed(clone(request.param))


def test_contract_masked_and_labeled_target_rows(estimator):
    X, y, sd, y_true = _data(estimator, n_target_labeled=10)
    est = clone(estimator).fit(X, y, sample_domain=sd)
    out = _output(est, X[sd < 0])
    assert np.all(np.isfinite(out)) and out.shape[0] == (sd < 0).sum()
    # labeled target rows are used: the fit differs from one without them
    y_masked = y.copy()
    y_masked[sd < 0] = np.nan if _task(est) == "regression" else -1
    other = clone(estimator).fit(X, y_masked, sample_domain=sd)
    if not hasattr(est, "transform"):  # TCA is unsupervised: labels do not change it
        assert not np.allclose(_output(other, X), _output(est, X))


def test_contract_inferred_domains_equal_explicit(estimator):
    X, y, sd, _ = _data(estimator, n_target_labeled=0)  # inference sees masked rows only
    a = _output(clone(estimator).fit(X, y, sample_domain=sd), X)
    b = _output(clone(estimator).fit(X, y), X)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def test_contract_multi_source_ids_pool(estimator):
    """Several source / target ids are accepted; most estimators pool them."""
    X, y, sd, _ = _data(estimator)
    multi = sd.copy()
    multi[(sd >= 0) & (np.arange(len(sd)) % 2 == 1)] = 1
    multi[(sd < 0) & (np.arange(len(sd)) % 3 == 0)] = -2
    a = _output(clone(estimator).fit(X, y, sample_domain=sd), X)
    est = clone(estimator).fit(X, y, sample_domain=multi)
    b = _output(est, X)
    if not pools_source_ids(estimator):
        # one task per source id (dictionary transfer): a different model, one source model per id
        assert np.all(np.isfinite(b)) and b.shape == a.shape
        assert est.n_source_tasks_ == 2 and est.source_ids_.tolist() == [0, 1]
        return
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def test_contract_row_order_after_shuffle(estimator):
    X, y, sd, _ = _data(estimator)
    perm = np.random.RandomState(1).permutation(len(y))
    a = _output(clone(estimator).fit(X, y, sample_domain=sd), X)
    if not fit_is_order_invariant(estimator):
        # minibatch SGD: shuffled rows make other batches; predictions still follow input order
        est = clone(estimator).fit(X, y, sample_domain=sd)
        np.testing.assert_allclose(_output(est, X[perm]), a[perm], rtol=1e-5, atol=1e-6)
        return
    b = _output(clone(estimator).fit(X[perm], y[perm], sample_domain=sd[perm]), X[perm])
    np.testing.assert_allclose(b, a[perm], rtol=1e-5, atol=1e-6)


def test_contract_caller_arrays_untouched(estimator):
    X, y, sd, _ = _data(estimator, n_target_labeled=5)
    X0, y0, sd0 = X.copy(), y.copy(), sd.copy()
    est = clone(estimator)
    params0 = pickle.dumps(est.get_params())
    est.fit(X, y, sample_domain=sd)
    _output(est, X)
    if hasattr(est, "score"):
        est.score(X, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(sd, sd0)
    assert pickle.dumps(est.get_params()) == params0


def test_contract_clone_and_pickle_identical(estimator):
    X, y, sd, _ = _data(estimator)
    est = clone(estimator).fit(X, y, sample_domain=sd)
    again = pickle.loads(pickle.dumps(est))
    # identical up to BLAS rounding (array alignment changes the kernel path)
    np.testing.assert_allclose(_output(again, X), _output(est, X), rtol=1e-12, atol=1e-14)
    c = clone(est)
    assert c.get_params().keys() == est.get_params().keys()
    # a refit of the clone: the same numbers up to BLAS rounding
    np.testing.assert_allclose(
        _output(c.fit(X, y, sample_domain=sd), X), _output(est, X), rtol=1e-10, atol=1e-12
    )


def test_contract_predict_needs_no_domain(estimator):
    X, y, sd, _ = _data(estimator)
    est = clone(estimator).fit(X, y, sample_domain=sd)
    # one target row alone, and target rows only: no sample_domain anywhere
    assert _output(est, X[-1:]).shape[0] == 1
    assert _output(est, X[sd < 0]).shape[0] == (sd < 0).sum()


def test_contract_score_counts_labeled_rows_only(estimator):
    if not hasattr(estimator, "score") or hasattr(estimator, "transform"):
        pytest.skip("no supervised score")
    X, y, sd, y_true = _data(estimator, n_target_labeled=10)
    est = clone(estimator).fit(X, y, sample_domain=sd)
    lab = sd >= 0
    lab[np.flatnonzero(sd < 0)[:10]] = True
    assert est.score(X, y) == pytest.approx(est.score(X[lab], y_true[lab]))


def test_contract_no_target_warns(estimator):
    X, y, sd, y_true = _data(estimator)
    src = sd >= 0
    if isinstance(estimator, LabeledOnly):
        pytest.skip("LabeledOnly does not adapt: it does not warn")
    with pytest.warns(DomainWarning, match="No target rows") as record:
        clone(estimator).fit(X[src], y[src])
    assert record[0].filename == __file__  # the warning points at the caller's line


@pytest.mark.parametrize(
    "bad_domain, match",
    [
        (lambda sd: sd.astype(float), "must hold integers"),
        (lambda sd: sd[:, None], "1-D integer array"),
        (lambda sd: sd[:-1], "sample_domain has"),
        (lambda sd: 0, "scalar"),
        (lambda sd: -np.ones_like(sd), "No source rows"),
    ],
    ids=["float", "2d", "length", "scalar", "no-source"],
)
def test_contract_bad_sample_domain(estimator, bad_domain, match):
    X, y, sd, _ = _data(estimator)
    est = clone(estimator)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y, sample_domain=bad_domain(sd))


def test_contract_masked_source_label_is_an_error(estimator):
    X, y, sd, _ = _data(estimator)
    y = y.copy()
    y[0] = np.nan if _task(estimator) == "regression" else -1
    with pytest.raises(ValueError, match="source row"):
        clone(estimator).fit(X, y, sample_domain=sd)


def test_contract_nan_in_X_is_an_error(estimator):
    X, y, sd, _ = _data(estimator)
    X = X.copy()
    X[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clone(estimator).fit(X, y, sample_domain=sd)


def test_contract_classifiers_expose_classes(estimator):
    if not is_classifier(estimator):
        pytest.skip("classifiers only")
    X, y, sd, _ = _data(estimator)
    est = clone(estimator).fit(X, y, sample_domain=sd)
    assert -1 not in est.classes_
    np.testing.assert_array_equal(est.classes_, np.unique(y[sd >= 0]))
