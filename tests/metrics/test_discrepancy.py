"""MMD, multi-kernel MMD and the proxy A-distance against direct computations."""

import numpy as np
import pytest

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
