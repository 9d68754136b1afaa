"""The shared bandwidth rule and kernel helpers."""

import numpy as np
import pytest

from skdomain.metrics import (
    kernel_matrix,
    median_heuristic_gamma,
    median_sq_distance,
    multiscale_gammas,
    nystroem_factor,
)


def test_median_sq_distance_matches_a_double_loop():
    X = np.random.RandomState(0).normal(size=(15, 3))
    d2 = [np.sum((X[i] - X[j]) ** 2) for i in range(15) for j in range(i + 1, 15)]
    assert median_sq_distance(X) == pytest.approx(np.median(d2))
    assert median_heuristic_gamma(X) == pytest.approx(1 / np.median(d2))


def test_subsample_is_seeded_and_close():
    X = np.random.RandomState(0).normal(size=(3000, 2))
    a = median_sq_distance(X, max_samples=500, random_state=1)
    assert a == median_sq_distance(X, max_samples=500, random_state=1)
    assert a == pytest.approx(median_sq_distance(X, max_samples=3000), rel=0.1)


def test_degenerate_inputs():
    assert median_sq_distance(np.ones((4, 2))) == 1.0
    assert median_sq_distance(np.ones((1, 2))) == 1.0


def test_multiscale_gammas_spread_sigma_squared_by_powers_of_two():
    X = np.random.RandomState(0).normal(size=(20, 2))
    g = multiscale_gammas(X, scales=(-1, 0, 1))
    g0 = median_heuristic_gamma(X)
    np.testing.assert_allclose(g, [2 * g0, g0, g0 / 2])


def test_kernel_matrix_rbf():
    A = np.array([[0.0], [1.0]])
    K = kernel_matrix(A, gamma=0.5)
    np.testing.assert_allclose(K, [[1, np.exp(-0.5)], [np.exp(-0.5), 1]])


def _sample(seed=0):
    return np.random.RandomState(seed).normal(size=(40, 3))


@pytest.mark.parametrize("bad, fragment", [(np.nan, "contains NaN"), (np.inf, "contains infinity")])
def test_bandwidth_rule_rejects_non_finite_rows(bad, fragment):
    X = _sample()
    X[3, 1] = bad
    for f in (median_sq_distance, median_heuristic_gamma, multiscale_gammas):
        with pytest.raises(ValueError, match=fragment):
            f(X)


@pytest.mark.parametrize("k", [400, 510, -400, -520, 700, -700])
def test_median_of_huge_or_tiny_rows_is_the_exact_power_of_two_multiple(k):
    # Scaling by 2**k is exact, so the overflow-safe path must return exactly 2**(2k) times the
    # median of the unscaled rows (computed on unscaled data, where nothing is rescaled). The
    # unscaled formula fails at k=510 (squares overflow: it returned 1.0) and k=-520 (they
    # underflow to subnormals, losing digits), measured.
    X = _sample()
    m = median_sq_distance(X)
    if abs(k) <= 520:
        assert median_sq_distance(np.ldexp(X, k)) == np.ldexp(m, 2 * k)
        if k > -520:  # at -520, 1 / median overflows (see the next test)
            assert median_heuristic_gamma(np.ldexp(X, k)) == 1.0 / np.ldexp(m, 2 * k)
    else:  # 2**(2k) m leaves float64: an error, not the old silent 1.0
        with pytest.raises(ValueError, match="not representable in float64; scale X"):
            median_sq_distance(np.ldexp(X, k))


def test_gamma_that_overflows_is_an_error():
    X = np.ldexp(_sample(), -535)  # median squared distance ~1e-322: representable, 1 / it is not
    assert 0 < median_sq_distance(X) < 1e-300
    with pytest.raises(ValueError, match="overflows float64; scale X"):
        median_heuristic_gamma(X)


def test_bandwidth_rule_on_normal_rows_is_unchanged():
    # the numbers of the double loop above, and no rescaling inside [1e-100, 1e100]
    X = _sample() * 1e90
    d2 = [np.sum((X[i] - X[j]) ** 2) for i in range(40) for j in range(i + 1, 40)]
    assert median_sq_distance(X) == pytest.approx(np.median(d2), rel=1e-12)


def test_nystroem_factor_validates_n_components_and_rows():
    X = _sample()
    with pytest.raises(ValueError, match="'n_components' parameter of nystroem_factor must be an int"):
        nystroem_factor(X, 0)
    with pytest.raises(ValueError, match="'n_components' parameter of nystroem_factor"):
        nystroem_factor(X, 2.5)
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        nystroem_factor(X, 5)


def test_nystroem_factor_with_every_row_reproduces_the_kernel():
    X = _sample()
    Phi, idx = nystroem_factor(X, 40, gamma=0.5, random_state=0)
    np.testing.assert_allclose(Phi @ Phi.T, kernel_matrix(X, gamma=0.5), atol=1e-8)


def test_callable_kernel_returning_nan_or_an_array_is_named():
    X = _sample()

    def nan_kernel(x, y):
        return np.nan

    with pytest.raises(ValueError, match="kernel nan_kernel gave non-finite values"):
        nystroem_factor(X, 5, kernel=nan_kernel)

    def row_kernel(x, y):
        return x * y  # a vector, not one float

    with pytest.raises(ValueError, match="kernel row_kernel failed on a pair of rows.*must return one float"):
        kernel_matrix(X, kernel=row_kernel)


@pytest.mark.parametrize("coef0", [np.nan, np.inf])
def test_kernel_constraints_need_a_finite_coef0(coef0):
    from skdomain import TCA

    with pytest.raises(ValueError, match="'coef0' parameter of TCA must be a float in the range"):
        TCA(kernel="poly", coef0=coef0, n_components=2).fit(_sample())
