"""scikit-learn's generic checks, then the contract suite, on every estimator of the table.

The estimators, their constructor arguments, expected failures and behaviour flags are the
table of ``tests/conftest.py`` (``ESTIMATORS``), whose ``pytest_generate_tests`` gives the
tests below their ``estimator`` (and ``entry``, its row). CONTRIBUTING.md, "Composing with
scikit-learn and skorch", says what the contract suite covers; "Adding an estimator", how an
estimator joins the table.
"""

import inspect
import pathlib
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
    clone,
    is_classifier,
    is_regressor,
)

from skdomain.datasets import make_domain_shift
from skdomain.utils import DomainWarning


def test_every_public_estimator_is_in_the_table(check_api, estimator_table):
    """A public class that looks like an estimator has a row, or is declared not an estimator.

    Public: in the ``__all__`` of a package of ``docs/check_api.py``. Looks like an estimator:
    subclasses scikit-learn's ``BaseEstimator`` or one of its estimator-type mixins.
    """
    estimators, not_estimators = estimator_table
    public = {obj for obj in check_api.public_names().values() if inspect.isclass(obj)}
    like = {
        c for c in public if issubclass(c, (BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin))
    }
    missing = sorted(c.__name__ for c in like - estimators.keys() - not_estimators.keys())
    assert not missing, (
        f"public estimators in no suite: {missing}; add their rows to ESTIMATORS in tests/conftest.py"
    )
    stale = sorted(c.__name__ for c in (estimators.keys() | not_estimators.keys()) - like)
    assert not stale, f"rows that name no public estimator: {stale}"
    assert not estimators.keys() & not_estimators.keys()
    assert all(isinstance(reason, str) and reason for reason in not_estimators.values())


def test_every_row_is_complete(estimator_table):
    """Each row builds instances, gives a reason per expected failure, and runs in a suite that exists."""
    root = pathlib.Path(__file__).resolve().parents[1]
    here = pathlib.Path(__file__).resolve().relative_to(root).as_posix()
    for cls, entry in estimator_table[0].items():
        assert entry.params and all(isinstance(p, dict) for p in entry.params), cls
        assert all(name.startswith("check_") and reason for name, reason in entry.xfail.items()), cls
        assert (root / entry.suite).is_file(), (cls, entry.suite)
        if entry.suite != here:  # a suite of its own says why
            assert entry.reason, cls


def test_sklearn_compatible(estimator, check):
    """scikit-learn's checks; the expected failures are the table's, each with its reason."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        check(estimator)


def _task(est):
    return "regression" if is_regressor(est) else "classification"


def _data(est, entry=None, n_source=60, n_target=50, n_target_labeled=None, seed=0):
    if n_target_labeled is None:  # a few labeled target rows where adaptation needs them
        n_target_labeled = 8 if entry.learns_from_target_labels else 0
    return make_domain_shift(
        n_source,
        n_target,
        task=_task(est),
        n_target_labeled=n_target_labeled,
        random_state=seed,
        return_target_labels=True,
    )


def _output(est, X):
    """Return what an estimator produces on rows: predictions or an embedding."""
    if hasattr(est, "transform") and not hasattr(est, "predict"):
        return est.transform(X)
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)
    return est.predict(X)


def test_contract_masked_and_labeled_target_rows(estimator, entry):
    X, y, sd, y_true = _data(estimator, n_target_labeled=10)
    est = clone(estimator).fit(X, y, sample_domain=sd)
    out = _output(est, X[sd < 0])
    assert np.all(np.isfinite(out)) and out.shape[0] == (sd < 0).sum()
    # labeled target rows are used: the fit differs from one without them
    y_masked = y.copy()
    y_masked[sd < 0] = np.nan if _task(est) == "regression" else -1
    if entry.requires_target_labels:  # without them: an error that says the method needs some
        with pytest.raises(ValueError, match="needs labeled target rows"):
            clone(estimator).fit(X, y_masked, sample_domain=sd)
        return
    other = clone(estimator).fit(X, y_masked, sample_domain=sd)
    if not hasattr(est, "transform"):  # TCA is unsupervised: labels do not change it
        assert not np.allclose(_output(other, X), _output(est, X))


def test_contract_inferred_domains_equal_explicit(estimator, entry):
    X, y, sd, _ = _data(estimator, n_target_labeled=0)  # inference sees masked rows only
    if entry.requires_target_labels:  # no labeled target row either way: the same error
        with pytest.raises(ValueError, match="needs labeled target rows.*pass sample_domain"):
            clone(estimator).fit(X, y)
        with pytest.raises(ValueError, match="needs labeled target rows.*label some target rows"):
            clone(estimator).fit(X, y, sample_domain=sd)
        return
    a = _output(clone(estimator).fit(X, y, sample_domain=sd), X)
    b = _output(clone(estimator).fit(X, y), X)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def test_contract_multi_source_ids_pool(estimator, entry):
    """Several source / target ids are accepted; most estimators pool them."""
    X, y, sd, _ = _data(estimator, entry)
    multi = sd.copy()
    multi[(sd >= 0) & (np.arange(len(sd)) % 2 == 1)] = 1
    multi[(sd < 0) & (np.arange(len(sd)) % 3 == 0)] = -2
    a = _output(clone(estimator).fit(X, y, sample_domain=sd), X)
    est = clone(estimator).fit(X, y, sample_domain=multi)
    b = _output(est, X)
    if not entry.pools_source_ids:
        # one task per source id (dictionary transfer): a different model, one source model per id
        assert np.all(np.isfinite(b)) and b.shape == a.shape
        assert est.n_source_tasks_ == 2 and est.source_ids_.tolist() == [0, 1]
        return
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def test_contract_row_order_after_shuffle(estimator, entry):
    X, y, sd, _ = _data(estimator, entry)
    perm = np.random.RandomState(1).permutation(len(y))
    a = _output(clone(estimator).fit(X, y, sample_domain=sd), X)
    if not entry.fit_is_order_invariant:
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


def test_contract_clone_and_pickle_identical(estimator, entry):
    X, y, sd, _ = _data(estimator, entry)
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


def test_contract_predict_needs_no_domain(estimator, entry):
    X, y, sd, _ = _data(estimator, entry)
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


def test_contract_no_target_warns(estimator, entry):
    X, y, sd, y_true = _data(estimator, entry)
    src = sd >= 0
    if not entry.adapts:
        pytest.skip(f"{type(estimator).__name__} does not adapt: it does not warn")
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
def test_contract_bad_sample_domain(estimator, entry, bad_domain, match):
    X, y, sd, _ = _data(estimator, entry)
    est = clone(estimator)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y, sample_domain=bad_domain(sd))


def test_contract_masked_source_label_is_an_error(estimator, entry):
    X, y, sd, _ = _data(estimator, entry)
    y = y.copy()
    y[0] = np.nan if _task(estimator) == "regression" else -1
    with pytest.raises(ValueError, match="source row"):
        clone(estimator).fit(X, y, sample_domain=sd)


def test_contract_nan_in_X_is_an_error(estimator, entry):
    X, y, sd, _ = _data(estimator, entry)
    X = X.copy()
    X[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clone(estimator).fit(X, y, sample_domain=sd)


def test_contract_classifiers_expose_classes(estimator, entry):
    if not is_classifier(estimator):
        pytest.skip("classifiers only")
    X, y, sd, _ = _data(estimator, entry)
    est = clone(estimator).fit(X, y, sample_domain=sd)
    assert -1 not in est.classes_
    np.testing.assert_array_equal(est.classes_, np.unique(y[sd >= 0]))


def test_contract_plus_minus_one_labels_say_minus_one_is_unlabeled(estimator, entry):
    """{-1, 1} labels without domains: one error from the contract helper, saying what -1 meant."""
    if not is_classifier(estimator):
        pytest.skip("classifiers only")
    X, _, _, y_true = _data(estimator, entry)
    y = np.where(y_true == 0, -1, 1)
    X0, y0 = X.copy(), y.copy()
    n_minus = int((y == -1).sum())
    with pytest.raises(
        ValueError, match=f"the {n_minus} row\\(s\\) labeled -1 were taken as unlabeled target"
    ):
        clone(estimator).fit(X, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_contract_string_labels_masked_by_integer_minus_one(estimator, entry):
    """String classes through stack_domains: masked by the integer -1, fitted as the integer classes."""
    if not is_classifier(estimator):
        pytest.skip("classifiers only")
    from skdomain.utils import stack_domains

    X, y, sd, y_true = _data(estimator, entry)
    names = np.array(["cat", "dog"])  # sorted as 0, 1: the same encoding
    src, tgt = sd >= 0, sd < 0
    yt = names[y_true[tgt]].astype(object)
    yt[y[tgt] == -1] = -1  # the mask of string labels
    Xa, ya, sda = stack_domains(X[src], names[y[src]], X[tgt], yt)
    assert ya.dtype == object and (ya == -1).sum() == (y == -1).sum()
    est = clone(estimator).fit(Xa, ya, sample_domain=sda)
    np.testing.assert_array_equal(est.classes_, names)
    ref = clone(estimator).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(est.predict(X), names[ref.predict(X)])
