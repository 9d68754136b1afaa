"""MMD, multi-kernel MMD and the proxy A-distance against direct computations."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.cluster import KMeans
from sklearn.linear_model import Ridge

from skdomain.metrics import (
    _kernels,
    median_heuristic_gamma,
    mk_mmd,
    mmd,
    multiscale_gammas,
    proxy_a_distance,
)


def _k(x, y, kernel, gamma):
    if kernel == "rbf":
        return np.exp(-gamma * np.sum((x - y) ** 2))
    return (gamma * x @ y + 1.0) ** 3  # poly, degree 3, coef0 1


def _mmd_loop(A, B, kernel, gamma, unbiased):
    n, m = len(A), len(B)
    saa = sum(_k(A[i], A[j], kernel, gamma) for i in range(n) for j in range(n) if not (unbiased and i == j))
    sbb = sum(_k(B[i], B[j], kernel, gamma) for i in range(m) for j in range(m) if not (unbiased and i == j))
    sab = sum(_k(A[i], B[j], kernel, gamma) for i in range(n) for j in range(m))
    da, db = (n * (n - 1), m * (m - 1)) if unbiased else (n * n, m * m)
    return saa / da + sbb / db - 2 * sab / (n * m)


@pytest.mark.parametrize("kernel", ["rbf", "poly"])
@pytest.mark.parametrize("unbiased", [False, True])
def test_mmd_matches_a_double_loop(kernel, unbiased):
    rng = np.random.RandomState(0)
    A, B = rng.normal(size=(9, 3)), rng.normal(loc=0.5, size=(7, 3))
    got = mmd(A, B, kernel=kernel, gamma=0.3, unbiased=unbiased)
    assert got == pytest.approx(_mmd_loop(A, B, kernel, 0.3, unbiased), rel=1e-10)


def test_biased_rbf_is_the_mean_formula():
    rng = np.random.RandomState(1)
    A, B = rng.normal(size=(20, 2)), rng.normal(size=(15, 2))
    from sklearn.metrics.pairwise import rbf_kernel

    expected = (
        rbf_kernel(A, A, gamma=0.7).mean()
        + rbf_kernel(B, B, gamma=0.7).mean()
        - 2 * rbf_kernel(A, B, gamma=0.7).mean()
    )
    assert mmd(A, B, gamma=0.7) == pytest.approx(expected, rel=1e-12)


def test_blockwise_path_equals_the_one_block_path(monkeypatch):
    rng = np.random.RandomState(2)
    A, B = rng.normal(size=(300, 2)), rng.normal(loc=0.3, size=(250, 2))
    whole = mmd(A, B, gamma=0.5, unbiased=True)
    monkeypatch.setattr(_kernels, "_BLOCK", 1000)  # about 3 rows per block
    assert mmd(A, B, gamma=0.5, unbiased=True) == pytest.approx(whole, rel=1e-12)


def test_unbiased_estimate_is_centred_and_biased_is_not():
    rng = np.random.RandomState(3)
    u, b = [], []
    for _ in range(30):
        A, B = rng.normal(size=(40, 2)), rng.normal(size=(40, 2))
        u.append(mmd(A, B, gamma=0.5, unbiased=True))
        b.append(mmd(A, B, gamma=0.5))
    assert abs(np.mean(u)) < 3 * np.std(u) / np.sqrt(len(u))
    assert np.mean(b) > 5 * np.std(b) / np.sqrt(len(b))


def test_median_heuristic_default_and_monotone_in_shift():
    rng = np.random.RandomState(4)
    A = rng.normal(size=(100, 2))
    B1, B2 = rng.normal(loc=0.5, size=(100, 2)), rng.normal(loc=2.0, size=(100, 2))
    g = median_heuristic_gamma(np.vstack([A, B1]))
    assert mmd(A, B1) == pytest.approx(mmd(A, B1, gamma=g))
    assert mmd(A, B2, gamma=0.5) > mmd(A, B1, gamma=0.5) > 0


def test_mk_mmd_is_the_weighted_sum_of_single_kernel_mmds():
    rng = np.random.RandomState(5)
    A, B = rng.normal(size=(30, 2)), rng.normal(loc=1.0, size=(25, 2))
    g = np.array([0.1, 1.0, 3.0])
    w = np.array([1.0, 2.0, 1.0])
    expected = sum(wi / 4 * mmd(A, B, gamma=gi) for gi, wi in zip(g, w))
    assert mk_mmd(A, B, gammas=g, weights=w) == pytest.approx(expected, rel=1e-12)
    default = mk_mmd(A, B)
    gs = multiscale_gammas(np.vstack([A, B]))
    assert default == pytest.approx(np.mean([mmd(A, B, gamma=gi) for gi in gs]), rel=1e-12)


def test_proxy_a_distance_separates_domains():
    rng = np.random.RandomState(6)
    A = rng.normal(size=(200, 2))
    same = proxy_a_distance(A, rng.normal(size=(200, 2)), random_state=0)
    apart = proxy_a_distance(A, rng.normal(loc=6.0, size=(200, 2)), random_state=0)
    assert 0.0 <= same < 0.4
    assert apart > 1.9


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="same number of features"):
        mmd(np.ones((3, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="at least 2 rows"):
        mmd(np.ones((1, 2)), np.ones((3, 2)), unbiased=True)
    with pytest.raises(ValueError, match="NaN"):
        mmd(np.array([[np.nan, 1.0]]), np.ones((3, 2)))
    with pytest.raises(ValueError, match="gammas must be"):
        mk_mmd(np.ones((3, 2)), np.ones((3, 2)), gammas=[0.1, -1.0])
    with pytest.raises(ValueError, match="weights must be"):
        mk_mmd(np.ones((3, 2)), np.ones((3, 2)), gammas=[0.1, 1.0], weights=[1.0])


def _pair(seed=0):
    rng = np.random.RandomState(seed)
    return rng.normal(size=(30, 3)), rng.normal(loc=0.7, size=(25, 3))


@pytest.mark.parametrize("gamma", [-1.0, 0.0, np.nan, np.inf])
def test_mmd_rejects_a_gamma_that_is_not_positive_and_finite(gamma):
    A, B = _pair()
    with pytest.raises(ValueError, match=r"'gamma' parameter of mmd must be a float in the range \(0.0, inf"):
        mmd(A, B, gamma=gamma)


@pytest.mark.parametrize("gammas", [[np.nan, 1.0], [np.inf], [0.5, 0.0], []])
def test_mk_mmd_rejects_gammas_that_are_not_positive_and_finite(gammas):
    A, B = _pair()
    with pytest.raises(ValueError, match="gammas must be a non-empty 1-D array of positive, finite values"):
        mk_mmd(A, B, gammas=gammas)


@pytest.mark.parametrize("weights", [[np.nan, 1.0], [np.inf, 1.0], [-1.0, 2.0], [0.0, 0.0], [1e308, 1e308]])
def test_mk_mmd_rejects_weights_that_are_not_finite_non_negative_with_a_positive_sum(weights):
    A, B = _pair()
    with pytest.raises(ValueError, match="weights must be 2 finite, non-negative values with a positive sum"):
        mk_mmd(A, B, gammas=[0.1, 1.0], weights=weights)


@pytest.mark.parametrize("k", [400, 1000, -400, -1000])
@pytest.mark.parametrize("unbiased", [False, True])
def test_mmd_of_huge_or_tiny_samples_equals_the_unscaled_estimate(k, unbiased):
    # Multiplying the samples by 2**k and gamma by 2**(-2k) changes no kernel value; the
    # unscaled formula returned NaN (k > 0: squares overflow) or lost every digit (k < 0).
    A, B = _pair()
    As, Bs = np.ldexp(A, k), np.ldexp(B, k)
    assert mmd(As, Bs, unbiased=unbiased) == mmd(A, B, unbiased=unbiased)  # median heuristic
    assert mk_mmd(As, Bs, unbiased=unbiased) == mk_mmd(A, B, unbiased=unbiased)
    assert mmd(As, Bs, kernel="cosine", unbiased=unbiased) == mmd(A, B, kernel="cosine", unbiased=unbiased)
    if abs(k) == 400:  # rescaled too (2**400 is about 1e120), and gamma * 2**(-2k) is representable
        g = np.ldexp(0.3, -2 * k)
        assert mmd(As, Bs, gamma=g, unbiased=unbiased) == pytest.approx(_mmd_loop(A, B, "rbf", 0.3, unbiased))
        assert mk_mmd(As, Bs, gammas=[g, 2 * g], unbiased=unbiased) == mk_mmd(
            A, B, gammas=[0.3, 0.6], unbiased=unbiased
        )


def test_mmd_of_samples_scaled_by_1e200_matches_the_reference():
    A, B = _pair()
    ref = _mmd_loop(A, B, "rbf", median_heuristic_gamma(np.vstack([A, B])), False)
    assert mmd(A * 1e200, B * 1e200) == pytest.approx(ref, rel=1e-12)
    assert mk_mmd(A * 1e200, B * 1e200) == pytest.approx(mk_mmd(A, B), rel=1e-12)


def test_mmd_with_a_gamma_far_beyond_the_scale_is_finite_and_silent():
    # gamma = 1 on rows of size 1e200: every off-diagonal kernel value is exp(-1e400) = 0
    A, B = _pair()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = mmd(A * 1e200, B * 1e200, gamma=1.0)
    assert 0.0 < value <= 1 / 30 + 1 / 25 + 1e-12


def test_mmd_whose_kernel_overflows_is_an_error():
    A, B = _pair()
    with pytest.raises(ValueError, match="kernel 'linear' gave non-finite values"):
        mmd(A * 1e200, B * 1e200, kernel="linear")


def test_proxy_a_distance_needs_a_classifier():
    A, B = _pair()
    with pytest.raises(ValueError, match=r"needs a classifier as estimator.*got Ridge\(\), a regressor"):
        proxy_a_distance(A, B, estimator=Ridge())
    with pytest.raises(ValueError, match=r"needs a classifier as estimator.*a clusterer"):
        proxy_a_distance(A, B, estimator=KMeans(2, n_init=1))
    with pytest.raises(ValueError, match="'estimator' parameter of proxy_a_distance"):
        proxy_a_distance(A, B, estimator="logistic")


class _UntaggedLabels(BaseEstimator):
    """No estimator-type tag, predicts labels: the side of a threshold on the first feature."""

    def fit(self, X, y):
        return self

    def predict(self, X):
        return (X[:, 0] > 0.35).astype(int)


def test_proxy_a_distance_takes_an_untagged_estimator_that_predicts_labels():
    A, B = _pair()
    X = np.vstack([A, B])
    d = np.r_[np.zeros(len(A)), np.ones(len(B))]
    acc = np.mean(_UntaggedLabels().predict(X) == d)  # the rule needs no fitting: every fold scores it
    got = proxy_a_distance(A, B, estimator=_UntaggedLabels(), cv=5, random_state=0)
    assert got == pytest.approx(np.clip(2 * (1 - 2 * (1 - acc)), 0, 2), abs=0.05)


class _ScoresFail(ClassifierMixin, BaseEstimator):
    """A classifier whose predictions are not labels: accuracy cannot score them."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.linspace(0.1, 0.9, len(X))


def test_proxy_a_distance_raises_a_failing_fold_instead_of_returning_nan():
    A, B = _pair()
    with pytest.raises(ValueError, match="continuous"):
        proxy_a_distance(A, B, estimator=_ScoresFail(), random_state=0)
