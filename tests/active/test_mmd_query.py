"""MMD-based active query selection (skdomain.active): selection, objective, loop, errors."""

import itertools
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures
from sklearn.utils.validation import check_is_fitted

from skdomain import KMM
from skdomain.active import MMDQuerySelector, active_learning_curve
from skdomain.datasets import make_domain_shift
from skdomain.metrics import mmd
from skdomain.utils import DomainWarning

# -- scikit-learn's generic checks, where the API allows -----------------------------

# MMDQuerySelector is not a predictor: its row in the estimator table (tests/conftest.py)
# sends its generic checks here, not to the common suites, and lists the checks that fit
# (they fail on purpose: generic check data have no target pool) with that reason. What those
# checks cover is tested below on contract data.


def test_sklearn_api_checks(estimator, check):
    """The checks that need no fit pass: clone, repr, get/set_params, tags, init, unfitted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        check(estimator)


# -- data ------------------------------------------------------------------------


def _data(n_source=60, n_target=40, n_labeled=8, seed=0, task="classification", **kw):
    return make_domain_shift(
        n_source,
        n_target,
        task=task,
        n_target_labeled=n_labeled,
        random_state=seed,
        return_target_labels=True,
        **kw,
    )


def _pool(y, sd, task="classification"):
    masked = np.isnan(y) if task == "regression" else y == -1
    return np.flatnonzero((sd < 0) & masked)


# -- the batch -------------------------------------------------------------------


@pytest.mark.parametrize("reference", ["source", "target"])
@pytest.mark.parametrize("seed", [0, 1])
def test_batch_unique_inside_pool_exactly_b(reference, seed):
    X, y, sd, _ = _data(seed=seed)
    # shuffle, so that "the caller's numbering" is not the generator's
    perm = np.random.RandomState(seed).permutation(len(y))
    X, y, sd = X[perm], y[perm], sd[perm]
    sel = MMDQuerySelector(batch_size=4, reference=reference).fit(X, y, sample_domain=sd)
    idx = sel.query_indices_
    assert idx.shape == (4,) and np.unique(idx).size == 4
    assert set(idx) <= set(_pool(y, sd))
    np.testing.assert_array_equal(sel.pool_indices_, _pool(y, sd))
    np.testing.assert_array_equal(idx, np.sort(idx))
    # query() is fit() then the batch
    np.testing.assert_array_equal(clone(sel).query(X, y, sd), idx)


def test_row_order_does_not_change_the_batch():
    X, y, sd, _ = _data(seed=3)
    a = MMDQuerySelector(batch_size=3).fit(X, y, sample_domain=sd)
    perm = np.random.RandomState(0).permutation(len(y))
    b = MMDQuerySelector(batch_size=3).fit(X[perm], y[perm], sample_domain=sd[perm])
    np.testing.assert_array_equal(np.sort(perm[b.query_indices_]), a.query_indices_)
    assert b.rounded_objective_ == pytest.approx(a.rounded_objective_, rel=1e-9, abs=1e-12)


def test_large_lambda_picks_largest_disagreements():
    X, y, sd, _ = _data(seed=2)
    sel = MMDQuerySelector(batch_size=5, lambda_=1e4).fit(X, y, sample_domain=sd)
    top = sel.pool_indices_[np.argsort(-sel.scores_)[:5]]
    assert np.unique(sel.scores_).size == sel.scores_.size  # no ties: the top 5 is one set
    np.testing.assert_array_equal(sel.query_indices_, np.sort(top))


def _brute_force(X_ref, X_lab, X_pool, d, lam, b, gamma):
    """Minimise over all b-subsets of -lam * sum(d) + MMD^2 (computed by skdomain.metrics.mmd)."""
    best, best_set = np.inf, None
    for S in itertools.combinations(range(X_pool.shape[0]), b):
        S = list(S)
        val = mmd(X_ref, np.vstack([X_lab, X_pool[S]]), gamma=gamma) - lam * d[S].sum()
        if val < best:
            best, best_set = val, S
    return best, best_set


@pytest.mark.parametrize("reference", ["source", "target"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_lambda_zero_matches_brute_force(reference, seed):
    """On a pool of 10 rows, b = 3 (120 subsets), the batch reaches the global optimum."""
    X, y, sd, _ = _data(n_source=30, n_target=16, n_labeled=6, seed=seed)
    sel = MMDQuerySelector(batch_size=3, lambda_=0.0, reference=reference).fit(X, y, sample_domain=sd)
    tl = (sd < 0) & (y != -1)
    X_ref = X[sd >= 0] if reference == "source" else X[sd < 0]
    best, best_set = _brute_force(X_ref, X[tl], X[sel.pool_indices_], sel.scores_, 0.0, 3, sel.gamma_)
    assert sel.rounded_objective_ == pytest.approx(best, rel=1e-9, abs=1e-12)
    np.testing.assert_array_equal(sel.query_indices_, sel.pool_indices_[best_set])
    # the exact objective reported is the MMD^2 of the batch, computed another way
    assert sel.mmd2_ == pytest.approx(
        mmd(X_ref, np.vstack([X[tl], X[sel.query_indices_]]), gamma=sel.gamma_), rel=1e-10
    )
    # and the MMD term does its job: the batch beats the average random batch
    rng = np.random.RandomState(seed)
    rand = [
        mmd(X_ref, np.vstack([X[tl], X[rng.choice(sel.pool_indices_, 3, replace=False)]]), gamma=sel.gamma_)
        for _ in range(50)
    ]
    assert sel.mmd2_ < np.mean(rand)


def test_objective_with_lambda_is_exact_and_near_brute_force():
    X, y, sd, _ = _data(n_source=30, n_target=16, n_labeled=6, seed=5)
    sel = MMDQuerySelector(batch_size=3, lambda_=0.05, reference="source").fit(X, y, sample_domain=sd)
    tl = (sd < 0) & (y != -1)
    S = sel.query_indices_
    pos = np.searchsorted(sel.pool_indices_, S)
    exact = mmd(X[sd >= 0], np.vstack([X[tl], X[S]]), gamma=sel.gamma_) - 0.05 * sel.scores_[pos].sum()
    assert sel.rounded_objective_ == pytest.approx(exact, rel=1e-10)
    best, _ = _brute_force(X[sd >= 0], X[tl], X[sel.pool_indices_], sel.scores_, 0.05, 3, sel.gamma_)
    assert sel.relaxed_objective_ <= best + 1e-7
    assert sel.rounded_objective_ == pytest.approx(best, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    "params",
    [
        {"lambda_": 0.0},
        {"lambda_": 0.1},
        {"lambda_": 1.0, "reference": "target"},
        {"lambda_": 0.1, "n_components": 10, "random_state": 0},
        {"lambda_": 0.1, "kernel": "linear"},
        {"lambda_": 0.1, "kernel": "poly", "degree": 2, "gamma": 0.5},
    ],
)
def test_relaxed_bound_below_rounded(params):
    X, y, sd, _ = _data(n_source=80, n_target=70, n_labeled=10, seed=4)
    sel = MMDQuerySelector(batch_size=6, **params).fit(X, y, sample_domain=sd)
    assert sel.relaxed_objective_ <= sel.rounded_objective_ + 1e-7 * max(1.0, abs(sel.rounded_objective_))
    a = sel.relaxed_solution_
    assert a.min() >= 0 and a.max() <= 1 and a.sum() == pytest.approx(6, abs=1e-5)


def test_swaps_strictly_decrease_the_rounded_objective():
    """With lambda = 0 the relaxation is fractional here, and 3 exchanges improve the rounding."""
    X, y, sd, _ = _data(n_source=80, n_target=90, n_labeled=10, seed=6)
    kw = dict(batch_size=8, lambda_=0.0, reference="target")
    none = MMDQuerySelector(max_swaps=0, **kw).fit(X, y, sample_domain=sd)
    some = MMDQuerySelector(**kw).fit(X, y, sample_domain=sd)
    assert none.n_swaps_ == 0 and some.n_swaps_ >= 1
    assert some.relaxed_objective_ < some.rounded_objective_ < none.rounded_objective_
    one = MMDQuerySelector(max_swaps=1, **kw).fit(X, y, sample_domain=sd)
    assert one.n_swaps_ == 1 and some.rounded_objective_ <= one.rounded_objective_ < none.rounded_objective_
    # the exchanges stop at a local optimum: no single exchange improves the batch
    tl = (sd < 0) & (y != -1)
    pool = some.pool_indices_
    batch = list(some.query_indices_)

    def f(rows):
        return mmd(X[sd < 0], np.vstack([X[tl], X[rows]]), gamma=some.gamma_)

    best = f(batch)
    assert best == pytest.approx(some.rounded_objective_, rel=1e-10)
    outside = [r for r in pool if r not in batch]
    for p in range(len(batch)):
        for r in outside[::3]:
            assert f(batch[:p] + [r] + batch[p + 1 :]) >= best - 1e-12


def test_nystroem_with_every_pool_row_equals_dense():
    X, y, sd, _ = _data(n_source=60, n_target=50, n_labeled=8, seed=7)
    n_u = _pool(y, sd).size
    dense = MMDQuerySelector(batch_size=5, lambda_=0.1).fit(X, y, sample_domain=sd)
    nys = MMDQuerySelector(batch_size=5, lambda_=0.1, n_components=n_u, random_state=0).fit(
        X, y, sample_domain=sd
    )
    assert nys.relaxed_objective_ == pytest.approx(dense.relaxed_objective_, rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(nys.relaxed_solution_, dense.relaxed_solution_, atol=1e-4)
    np.testing.assert_array_equal(nys.query_indices_, dense.query_indices_)
    # a smaller rank still gives a lower bound of the same (exact) rounded objective
    low = MMDQuerySelector(batch_size=5, lambda_=0.1, n_components=8, random_state=0).fit(
        X, y, sample_domain=sd
    )
    assert low.relaxed_objective_ <= low.rounded_objective_ + 1e-8


# -- d_i, models and the cold start ----------------------------------------------------


def test_scores_are_l1_probability_gaps():
    X, y, sd, _ = _data(seed=8, n_labeled=12)
    sel = MMDQuerySelector(batch_size=3).fit(X, y, sample_domain=sd)
    tl = (sd < 0) & (y != -1)
    base = LogisticRegression(max_iter=1000).fit(X[tl], y[tl])
    transfer = KMM(LogisticRegression(max_iter=1000), B=1000.0).fit(X, y, sample_domain=sd)
    Xu = X[sel.pool_indices_]
    expected = np.abs(base.predict_proba(Xu) - transfer.predict_proba(Xu)).sum(axis=1)
    np.testing.assert_allclose(sel.scores_, expected, rtol=1e-6, atol=1e-9)
    assert not sel.cold_start_ and sel.lambda_used_ == sel.lambda_
    assert isinstance(sel.transfer_estimator_, KMM)


def test_regression_scores_are_absolute_prediction_gaps():
    X, y, sd, _ = _data(seed=9, n_labeled=10, task="regression")
    sel = MMDQuerySelector(Ridge(), batch_size=4).fit(X, y, sample_domain=sd)
    tl = (sd < 0) & ~np.isnan(y)
    base = Ridge().fit(X[tl], y[tl])
    transfer = KMM(Ridge(), B=1000.0).fit(X, y, sample_domain=sd)
    Xu = X[sel.pool_indices_]
    np.testing.assert_allclose(sel.scores_, np.abs(base.predict(Xu) - transfer.predict(Xu)), rtol=1e-6)
    assert set(sel.query_indices_) <= set(_pool(y, sd, "regression"))
    assert not hasattr(sel, "classes_")


def test_cold_start_uses_the_mmd_term_alone():
    X, y, sd, _ = _data(seed=10, n_labeled=0)
    with pytest.warns(DomainWarning, match="Cold start") as record:
        sel = MMDQuerySelector(batch_size=4, lambda_=5.0).fit(X, y, sample_domain=sd)
    assert record[0].filename == __file__
    with pytest.warns(DomainWarning, match="Cold start") as record:
        MMDQuerySelector(batch_size=4).query(X, y, sd)
    assert record[0].filename == __file__
    assert sel.cold_start_ and sel.lambda_used_ == 0.0 and sel.base_estimator_ is None
    np.testing.assert_array_equal(sel.scores_, 0.0)
    with pytest.warns(DomainWarning, match="Cold start"):
        lam0 = MMDQuerySelector(batch_size=4, lambda_=0.0).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(sel.query_indices_, lam0.query_indices_)


def test_cold_start_when_a_class_has_no_target_label():
    X, y, sd, yt = _data(seed=11, n_labeled=0)
    y = y.copy()
    one = np.flatnonzero((sd < 0) & (yt == 1))[:3]
    y[one] = 1  # three target labels, all of class 1: class 0 has none
    with pytest.warns(DomainWarning, match=r"class\(es\) \[0\]"):
        sel = MMDQuerySelector(batch_size=2).fit(X, y, sample_domain=sd)
    assert sel.cold_start_


def test_regression_cold_start_below_two_labels():
    X, y, sd, _ = _data(seed=12, n_labeled=1, task="regression")
    with pytest.warns(DomainWarning, match="fewer than 2"):
        sel = MMDQuerySelector(Ridge(), batch_size=2).fit(X, y, sample_domain=sd)
    assert sel.cold_start_


def test_frozen_transfer_model_is_used_as_is():
    X, y, sd, _ = _data(seed=13, n_labeled=10)
    src = sd >= 0
    prefit = LogisticRegression().fit(X[src], y[src])
    coef = prefit.coef_.copy()
    sel = MMDQuerySelector(transfer_estimator=FrozenEstimator(prefit), batch_size=3)
    sel.fit(X, y, sample_domain=sd)
    assert sel.transfer_estimator_.estimator is prefit
    np.testing.assert_array_equal(prefit.coef_, coef)
    again = clone(sel).fit(X, y, sample_domain=sd)  # clone keeps the frozen model fitted
    np.testing.assert_array_equal(again.query_indices_, sel.query_indices_)


def test_frozen_transfer_model_with_an_extra_class():
    X, y, sd, _ = _data(seed=20, n_labeled=12)
    src = sd >= 0
    y3 = y[src].copy()
    y3[:10] = 2  # the frozen model knows a class the labeled rows do not have
    prefit = LogisticRegression(max_iter=1000).fit(X[src], y3)
    sel = MMDQuerySelector(transfer_estimator=FrozenEstimator(prefit), batch_size=3).fit(
        X, y, sample_domain=sd
    )
    tl = (sd < 0) & (y != -1)
    Xu = X[sel.pool_indices_]
    base = LogisticRegression(max_iter=1000).fit(X[tl], y[tl]).predict_proba(Xu)
    expected = np.abs(np.c_[base, np.zeros(len(Xu))] - prefit.predict_proba(Xu)).sum(axis=1)
    np.testing.assert_allclose(sel.scores_, expected, rtol=1e-6, atol=1e-9)


def test_plain_transfer_estimator_fits_on_labeled_rows_pooled():
    X, y, sd, _ = _data(seed=14, n_labeled=10)
    sel = MMDQuerySelector(transfer_estimator=LogisticRegression(), batch_size=3).fit(X, y, sample_domain=sd)
    lab = y != -1
    ref = LogisticRegression().fit(X[lab], y[lab])
    np.testing.assert_allclose(sel.transfer_estimator_.coef_, ref.coef_, rtol=1e-6)


def test_multi_source_and_target_ids_pool():
    X, y, sd, _ = _data(seed=15)
    multi = sd.copy()
    multi[(sd >= 0) & (np.arange(len(sd)) % 2 == 1)] = 1
    multi[(sd < 0) & (np.arange(len(sd)) % 3 == 0)] = -2
    a = MMDQuerySelector(batch_size=3).fit(X, y, sample_domain=sd)
    b = MMDQuerySelector(batch_size=3).fit(X, y, sample_domain=multi)
    np.testing.assert_array_equal(a.query_indices_, b.query_indices_)


def test_inferred_domains_equal_explicit():
    X, y, sd, _ = _data(seed=16, n_labeled=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        a = MMDQuerySelector(batch_size=3).fit(X, y, sample_domain=sd)
        b = MMDQuerySelector(batch_size=3).fit(X, y)
    np.testing.assert_array_equal(a.query_indices_, b.query_indices_)


def test_metadata_routing_on_reaches_the_transfer_model():
    """With routing switched on, sample_domain still reaches the default KMM transfer model."""
    import sklearn

    X, y, sd, _ = _data(seed=21, n_labeled=10)
    off = MMDQuerySelector(batch_size=3).fit(X, y, sample_domain=sd)
    with sklearn.config_context(enable_metadata_routing=True):
        on = MMDQuerySelector(batch_size=3).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(on.query_indices_, off.query_indices_)
    np.testing.assert_allclose(on.transfer_estimator_.weights_, off.transfer_estimator_.weights_)


def test_regression_loop_runs():
    X, y, sd, yt = _data(n_target=40, n_labeled=4, seed=22, task="regression")
    curve = active_learning_curve(MMDQuerySelector(Ridge(), batch_size=3), X, y, sd, yt, n_rounds=2)
    assert curve.n_labels.tolist() == [4, 7, 10]
    assert np.all(np.isfinite(curve.scores)) and not curve.cold_start.any()


# -- contract: caller's arrays, clone, pickle, fitted state ----------------------------------


def test_caller_arrays_untouched_clone_and_pickle():
    X, y, sd, _ = _data(seed=17)
    X0, y0, sd0 = X.copy(), y.copy(), sd.copy()
    sel = MMDQuerySelector(batch_size=4)
    with pytest.raises(NotFittedError):
        check_is_fitted(sel)  # lambda_ ends with "_" but is a parameter
    sel.fit(X, y, sample_domain=sd)
    check_is_fitted(sel)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(sd, sd0)
    again = pickle.loads(pickle.dumps(sel))
    np.testing.assert_array_equal(again.query_indices_, sel.query_indices_)
    refit = clone(sel).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(refit.query_indices_, sel.query_indices_)
    assert refit.rounded_objective_ == pytest.approx(sel.rounded_objective_, rel=1e-10)


def test_input_types_and_feature_names():
    pd = pytest.importorskip("pandas")
    X, y, sd, _ = _data(seed=19)
    ref = MMDQuerySelector(batch_size=3).fit(X, y, sample_domain=sd)
    assert ref.n_features_in_ == X.shape[1]
    for Xa in (X.tolist(), np.asfortranarray(X), X.astype(np.float32)):
        got = MMDQuerySelector(batch_size=3).fit(Xa, list(y), sample_domain=sd)
        np.testing.assert_array_equal(got.query_indices_, ref.query_indices_)
    df = pd.DataFrame(X, columns=["a", "b"])
    got = MMDQuerySelector(batch_size=3).fit(df, pd.Series(y), sample_domain=sd)
    np.testing.assert_array_equal(got.feature_names_in_, ["a", "b"])
    np.testing.assert_array_equal(got.query_indices_, ref.query_indices_)


# -- errors -------------------------------------------------------------------------------


def test_batch_larger_than_pool_is_an_error():
    X, y, sd, _ = _data(n_target=12, n_labeled=8)
    with pytest.raises(ValueError, match="batch_size=5 exceeds the pool of 4"):
        MMDQuerySelector(batch_size=5).fit(X, y, sample_domain=sd)


def test_whole_pool_as_batch():
    X, y, sd, _ = _data(n_target=12, n_labeled=8)
    sel = MMDQuerySelector(batch_size=4).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(sel.query_indices_, _pool(y, sd))
    assert sel.relaxed_objective_ == sel.rounded_objective_


@pytest.mark.parametrize("case", ["all-target-labeled", "no-target"])
def test_no_pool_is_an_error(case):
    X, y, sd, yt = _data()
    if case == "all-target-labeled":
        y = yt
    else:
        X, y, sd = X[sd >= 0], y[sd >= 0], sd[sd >= 0]
    with pytest.raises(ValueError, match="needs an unlabeled target pool"):
        MMDQuerySelector(batch_size=1).fit(X, y, sample_domain=sd)


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda X, y, sd: (np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X), y, sd), "NaN"),
        (lambda X, y, sd: (X, np.r_[-1, y[1:]], sd), "source row"),
        (lambda X, y, sd: (X, y, sd.astype(float)), "must hold integers"),
        (lambda X, y, sd: (X, y, sd[:-1]), "sample_domain has"),
        (lambda X, y, sd: (X, y, -np.ones_like(sd)), "No source rows"),
        (lambda X, y, sd: (X, None, sd), "requires y"),
    ],
    ids=["nan-X", "masked-source", "float-domain", "length", "no-source", "no-y"],
)
def test_bad_data(mutate, match):
    X, y, sd, _ = _data()
    with pytest.raises(ValueError, match=match):
        MMDQuerySelector(batch_size=2).fit(*mutate(X, y, sd))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"lambda_": -1.0}, "lambda_"),
        ({"reference": "pool"}, "reference"),
        ({"n_components": 0}, "n_components"),
        ({"kernel": "nope"}, "kernel"),
        ({"solver": "NOPE"}, "not an installed cvxpy solver"),
        ({"transfer_estimator": Ridge()}, "same task"),
    ],
)
def test_bad_parameters(params, match):
    X, y, sd, _ = _data()
    with pytest.raises(ValueError, match=match):
        MMDQuerySelector(**{"batch_size": 2, **params}).fit(X, y, sample_domain=sd)


def test_inaccurate_relaxation_warns_at_the_caller(patch_solve):
    from sklearn.exceptions import ConvergenceWarning

    X, y, sd, _ = _data()
    sel = MMDQuerySelector(batch_size=2, transfer_estimator=LogisticRegression())
    patch_solve(lambda problem, variable: setattr(problem, "_status", "optimal_inaccurate"))
    with pytest.warns(ConvergenceWarning, match="'optimal_inaccurate'; the relaxed bound") as record:
        sel.fit(X, y, sample_domain=sd)
    assert record[0].filename == __file__ and sel.solver_status_ == "optimal_inaccurate"


# -- the loop -------------------------------------------------------------------------------


def test_loop_bookkeeping():
    X, y, sd, yt = _data(n_target=40, n_labeled=0, seed=18)
    y0 = y.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DomainWarning)  # the loop records cold starts instead
        curve = active_learning_curve(MMDQuerySelector(batch_size=3), X, y, sd, yt, n_rounds=3)
    np.testing.assert_array_equal(y, y0)
    assert curve.n_labels.tolist() == [0, 3, 6, 9]
    assert curve.scores.shape == (4,) and np.all((curve.scores >= 0) & (curve.scores <= 1))
    allq = np.concatenate(curve.queried)
    assert np.unique(allq).size == 9 and set(allq) <= set(_pool(y, sd))
    assert curve.cold_start[0]  # no target label at first


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"strategy": "greedy"}, "strategy"),
        ({"n_rounds": 100}, "exceeds the pool"),
        ({"n_rounds": -1}, "n_rounds"),
        ({"X_test": np.zeros((2, 2))}, "both X_test and y_test"),
    ],
)
def test_loop_errors(kwargs, match):
    X, y, sd, yt = _data(n_target=40)
    kwargs = {"n_rounds": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        active_learning_curve(MMDQuerySelector(batch_size=2), X, y, sd, yt, **kwargs)


def test_loop_oracle_must_know_the_pool_and_uncertainty_needs_proba():
    X, y, sd, yt = _data(n_target=40)
    with pytest.raises(ValueError, match="oracle"):
        active_learning_curve(MMDQuerySelector(batch_size=2), X, y, sd, y, n_rounds=1)
    Xr, yr, sdr, ytr = _data(n_target=40, task="regression")
    with pytest.raises(ValueError, match="predict_proba"):
        active_learning_curve(
            MMDQuerySelector(Ridge(), batch_size=2), Xr, yr, sdr, ytr, n_rounds=1, strategy="uncertainty"
        )
    with pytest.raises(TypeError, match="MMDQuerySelector"):
        active_learning_curve(KMM(), X, y, sd, yt, n_rounds=1)


def _partial_flip(seed, n_source=80, n_target=100):
    """Make a target where the source helps in one region and hurts in another, plus outliers.

    Source: N(0, I), y = [x2 > 0]. Target: two blobs at (-2, 0) and (2, 0) (45% each)
    and 10% wide outliers with random labels; the source rule holds in the left blob
    and is flipped in the right one (negative transfer there).
    """
    rng = np.random.RandomState(seed)
    Xs = rng.normal(size=(n_source, 2))
    ys = (Xs[:, 1] > 0).astype(np.int64)
    part = rng.choice(3, size=n_target, p=[0.45, 0.45, 0.10])
    Xt = np.where(part[:, None] == 0, [-2.0, 0.0], [2.0, 0.0]) + 0.7 * rng.normal(size=(n_target, 2))
    out = part == 2
    Xt[out] = 3.0 * rng.normal(size=(out.sum(), 2))
    yt = np.where(part == 1, Xt[:, 1] < 0, Xt[:, 1] > 0).astype(np.int64)
    yt[out] = rng.randint(2, size=out.sum())
    X = np.vstack([Xs, Xt])
    y = np.r_[ys, np.full(n_target, -1)]
    sd = np.r_[np.zeros(n_source, dtype=np.int64), -np.ones(n_target, dtype=np.int64)]
    return X, y, sd, np.r_[ys, yt]


def test_learning_curve_above_random():
    """MMD query beats random querying on a partly negative transfer, averaged over 5 seeds.

    Measured (mean target accuracy over rounds 1-5, 5 seeds, default lambda_=0.03): MMD
    0.565, random 0.516 (+5.0 points; MMD ahead on every seed, by 0.4 to 9.6 points).
    Stated margin: +2 points on average and ahead on at least 4 of the 5 seeds.
    """
    est = make_pipeline(PolynomialFeatures(2), LogisticRegression(max_iter=1000))
    gains = []
    for seed in range(5):
        X, y, sd, yt = _partial_flip(seed)
        curves = {
            strategy: active_learning_curve(
                MMDQuerySelector(est, batch_size=3),
                X,
                y,
                sd,
                yt,
                n_rounds=5,
                strategy=strategy,
                random_state=seed,
            )
            for strategy in ("mmd", "random")
        }
        np.testing.assert_array_equal(curves["mmd"].n_labels, curves["random"].n_labels)
        assert curves["mmd"].scores[0] == curves["random"].scores[0]  # same start
        gains.append(curves["mmd"].scores[1:].mean() - curves["random"].scores[1:].mean())
    gains = np.array(gains)
    assert gains.mean() >= 0.02, gains
    assert (gains > 0).sum() >= 4, gains


# -- labels: the masked-label convention and the oracle --------------------------------------------


def test_plus_minus_one_labels_say_minus_one_is_unlabeled():
    X, _, sd, yt = _data(n_target=40)
    y = np.where(yt == 0, -1, 1)  # every row labeled {-1, 1}, no sample_domain
    y0 = y.copy()
    n_minus = int((y == -1).sum())
    match = rf"MMDQuerySelector needs at least 2 classes.*the {n_minus} row\(s\) labeled -1 were taken"
    with pytest.raises(ValueError, match=match):
        MMDQuerySelector(batch_size=2).fit(X, y)
    with pytest.raises(ValueError, match=match):
        active_learning_curve(MMDQuerySelector(batch_size=2), X, y, None, yt, n_rounds=1)
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_loop_oracle_that_contradicts_the_known_labels_is_an_error(task):
    X, y, sd, yt = _data(n_target=40, task=task)
    sel = MMDQuerySelector(Ridge() if task == "regression" else None, batch_size=2)
    labeled = ~np.isnan(y) if task == "regression" else y != -1
    bad = yt.copy()
    bad[labeled] = bad[labeled] + 1 if task == "regression" else 1 - bad[labeled]
    bad0 = bad.copy()
    first = int(np.flatnonzero(labeled)[0])
    n = int(labeled.sum())
    match = (
        rf"oracle_y disagrees with the labels of y on {n} of the {n} labeled row\(s\), e\.g\. row {first} "
    )
    with pytest.raises(ValueError, match=match):
        active_learning_curve(sel, X, y, sd, bad, n_rounds=1, strategy="random")
    np.testing.assert_array_equal(bad, bad0)
    # one contradicting row is enough, and is named
    one = yt.copy()
    row = int(np.flatnonzero(labeled & (sd < 0))[2])
    one[row] = one[row] + 1 if task == "regression" else 1 - one[row]
    with pytest.raises(ValueError, match=rf"on 1 of the {n} labeled row\(s\), e\.g\. row {row} "):
        active_learning_curve(sel, X, y, sd, one, n_rounds=1, strategy="random")


def test_loop_oracle_may_be_masked_on_labeled_rows():
    """The oracle need not know the source labels: masked there, it is not a contradiction."""
    X, y, sd, yt = _data(n_target=40)
    oracle = yt.copy()
    oracle[sd >= 0] = -1
    kw = dict(n_rounds=2, strategy="random", random_state=0)
    a = active_learning_curve(MMDQuerySelector(batch_size=2), X, y, sd, oracle, **kw)
    b = active_learning_curve(MMDQuerySelector(batch_size=2), X, y, sd, yt, **kw)
    np.testing.assert_array_equal(a.scores, b.scores)


def test_loop_evaluation_labels_must_be_real():
    """Masked evaluation labels would count as errors: y_test, or the oracle on the target rows."""
    X, y, sd, yt = _data(n_target=40)
    t = sd < 0
    y_test = yt[t].copy()
    y_test[[0, 5]] = -1
    kw = dict(n_rounds=1, strategy="random", random_state=0)
    with pytest.raises(
        ValueError, match=r"y_test holds 2 masked label\(s\): the evaluation needs real labels"
    ):
        active_learning_curve(MMDQuerySelector(batch_size=2), X, y, sd, yt, X_test=X[t], y_test=y_test, **kw)
    oracle = yt.copy()
    oracle[np.flatnonzero(t & (y != -1))[0]] = -1  # a labeled target row: read by the evaluation
    with pytest.raises(ValueError, match=r"oracle_y \(read on every target row.*holds 1 masked label"):
        active_learning_curve(MMDQuerySelector(batch_size=2), X, y, sd, oracle, **kw)
