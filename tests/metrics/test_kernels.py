"""The shared bandwidth rule and kernel helpers."""

import numpy as np
import pytest

from skdomain.metrics import kernel_matrix, median_heuristic_gamma, median_sq_distance, multiscale_gammas


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
