"""TCA: the fast solvers against a dense generalized eigensolve, and its effect on a shift.

Its gain over source-only training (in a pipeline): tests/test_adaptation_gains.py.
"""

import numpy as np
import pytest
import sklearn
from scipy import linalg

from skdomain import SSTCA, TCA
from skdomain.datasets import make_domain_shift
from skdomain.feature import _tca
from skdomain.metrics import kernel_matrix, median_heuristic_gamma, nystroem_factor
from skdomain.utils import DomainWarning


def _data(n_source=60, n_target=60, seed=0):
    return make_domain_shift(n_source, n_target, random_state=seed, return_target_labels=True)


def _dense_reference(X, sd, gamma, mu, m, K=None):
    """Top-m solutions of (KHK) w = lambda (KLK + mu I) w by a dense generalized eigh."""
    n = X.shape[0]
    K = kernel_matrix(X, gamma=gamma) if K is None else K
    H = np.eye(n) - np.ones((n, n)) / n
    src = sd >= 0
    e = np.where(src, 1 / src.sum(), -1 / (~src).sum())
    A = K @ H @ K
    Bm = K @ np.outer(e, e) @ K + mu * np.eye(n)
    lam, W = linalg.eigh((A + A.T) / 2, (Bm + Bm.T) / 2, subset_by_index=[n - m, n - 1])
    return lam[::-1], K @ W[:, ::-1]


def _assert_same_up_to_sign(Z, Zref, atol):
    for j in range(Z.shape[1]):
        s = np.sign(Z[:, j] @ Zref[:, j])
        np.testing.assert_allclose(s * Z[:, j], Zref[:, j], atol=atol)


@pytest.mark.parametrize("n_each", [60, 320], ids=["dense-eigh", "lanczos"])
@pytest.mark.parametrize("mu", [0.1, 1.0, 10.0])
def test_matches_dense_generalized_eigh(n_each, mu):
    X, y, sd, _ = _data(n_each, n_each)
    tca = TCA(n_components=4, gamma=0.5, mu=mu, n_landmarks=None, random_state=0)
    Z = tca.fit_transform(X, y, sample_domain=sd)
    lam, Zref = _dense_reference(X, sd, 0.5, mu, 4)
    np.testing.assert_allclose(tca.eigenvalues_, lam, rtol=1e-6)
    _assert_same_up_to_sign(Z, Zref, atol=1e-6 * np.abs(Zref).max())


def test_landmarks_on_every_row_reproduce_the_exact_solution():
    X, y, sd, _ = _data(50, 50)
    exact = TCA(n_components=3, gamma=0.5, n_landmarks=None).fit(X, y, sample_domain=sd)
    lm = TCA(n_components=3, gamma=0.5, n_landmarks=100, random_state=0).fit(X, y, sample_domain=sd)
    np.testing.assert_allclose(lm.eigenvalues_, exact.eigenvalues_, rtol=1e-5)
    _assert_same_up_to_sign(lm.transform(X), exact.transform(X), atol=1e-5)


def test_few_landmarks_approximate_the_exact_solution():
    X, y, sd, y_true = _data(500, 500, seed=1)
    exact = TCA(n_components=3, n_landmarks=None).fit(X, y, sample_domain=sd)
    lm = TCA(n_components=3, n_landmarks=200, random_state=0).fit(X, y, sample_domain=sd)
    np.testing.assert_allclose(lm.eigenvalues_, exact.eigenvalues_, rtol=0.05)
    # same subspace: principal angles between the embeddings are small
    Qa, _ = np.linalg.qr(exact.transform(X))
    Qb, _ = np.linalg.qr(lm.transform(X))
    cosines = np.linalg.svd(Qa.T @ Qb, compute_uv=False)
    assert cosines.min() > 0.98


def test_nystroem_path_is_exact_tca_on_the_nystroem_kernel():
    # With r < n landmarks the path solves TCA exactly for K ~ Phi Phi^T: a dense generalized
    # eigh on that n x n matrix (the factor drawn with the same seed) is the reference.
    X, y, sd, _ = _data(150, 150, seed=2)
    Phi, _ = nystroem_factor(X, 40, gamma=0.5, random_state=0)
    lam, Zref = _dense_reference(X, sd, 0.5, 2.0, 5, K=Phi @ Phi.T)
    tca = TCA(n_components=5, gamma=0.5, mu=2.0, n_landmarks=40, random_state=0)
    Z = tca.fit_transform(X, y, sample_domain=sd)
    np.testing.assert_allclose(tca.eigenvalues_, lam, rtol=1e-7)
    _assert_same_up_to_sign(Z, Zref, atol=1e-7 * np.abs(Zref).max())


def _spy_kernel_rows(monkeypatch):
    """Record the number of rows of every kernel block TCA computes."""
    rows = []

    def spy(A, B=None, **kwargs):
        rows.append(A.shape[0])
        return kernel_matrix(A, B, **kwargs)

    monkeypatch.setattr(_tca, "kernel_matrix", spy)
    return rows


@pytest.mark.parametrize("n_landmarks", [None, 100], ids=["exact", "nystroem"])
def test_blocked_transform_equals_one_block_and_is_bounded(n_landmarks, monkeypatch):
    X, y, sd, _ = _data(150, 150)
    tca = TCA(n_landmarks=n_landmarks, random_state=0).fit(X, y, sample_domain=sd)
    n_fit = tca.X_fit_.shape[0]
    X_new = np.random.default_rng(1).normal(size=(203, 2))
    rows = _spy_kernel_rows(monkeypatch)
    Z = tca.transform(X_new)
    assert rows == [203]  # one block in the default working memory (1 GiB)
    pairs = [X_new[i : i + 2] for i in range(0, 200, 2)] + [X_new[200:]]
    ref = np.vstack([tca.transform(rows_) for rows_ in pairs])
    rows.clear()
    with sklearn.config_context(working_memory=7 * 16 * n_fit / 2**20):  # 7 rows per block
        Zb = tca.transform(X_new)
    assert rows == [7] * 29
    rows.clear()
    with sklearn.config_context(working_memory=1 / 2**20):  # less than a row: 2 rows per block
        Z2 = tca.transform(X_new)
    assert rows == [2] * 100 + [3]  # never a lone row (numpy sends it to a matrix-vector routine)
    # Bit for bit where the blocks are the same: the rows of a block do not depend on the others.
    np.testing.assert_array_equal(Z2, ref)
    # OpenBLAS rounds a row of a matrix product differently with the number of rows of the
    # call (its blocking and edge kernels: measured on 67 of 108 shapes, up to ~1e-16 of the
    # largest entry), so blocks of other sizes agree to round-off, not bit for bit.
    scale = np.abs(Z).max()
    np.testing.assert_allclose(Zb, Z, rtol=0, atol=1e-13 * scale)
    np.testing.assert_allclose(Z2, Z, rtol=0, atol=1e-13 * scale)


def test_blocked_landmark_fit_holds_blocks_only_and_matches_one_block(monkeypatch):
    X, y, sd, _ = _data(150, 150)
    one = TCA(n_components=5, n_landmarks=100, random_state=0).fit(X, y, sample_domain=sd)
    rows = _spy_kernel_rows(monkeypatch)
    with sklearn.config_context(working_memory=10 * 8 * (2 * 100 + 100) / 2**20):
        tca = TCA(n_components=5, n_landmarks=100, random_state=0).fit(X, y, sample_domain=sd)
    # the 300 training rows in blocks of at most 10 rows (k <= 100 columns of the factor:
    # a few more when the landmarks' kernel has fewer numerical directions), never 300 x 100
    assert sum(rows) == 300 and len(rows) > 20 and max(rows) <= 15
    # sums over blocks round differently: equal to round-off, not bit for bit
    np.testing.assert_allclose(tca.eigenvalues_, one.eigenvalues_, rtol=1e-10)
    _assert_same_up_to_sign(tca.transform(X), one.transform(X), atol=1e-8)


@pytest.mark.parametrize("cls", [TCA, SSTCA])
def test_exact_path_larger_than_the_memory_is_a_clear_error(cls, monkeypatch):
    X, y, sd, _ = _data(150, 150)
    monkeypatch.setattr(_tca, "_physical_memory", lambda: 16 * 299**2)  # 300 rows need more
    with pytest.raises(ValueError, match=r"300 x 300 kernel matrix.*n_landmarks='auto'"):
        cls(n_landmarks=None).fit(X, y, sample_domain=sd)
    cls(n_landmarks=100, random_state=0).fit(X, y, sample_domain=sd)  # landmarks: fine
    monkeypatch.setattr(_tca, "_physical_memory", lambda: None)  # the OS does not say: no check
    cls(n_landmarks=None).fit(X, y, sample_domain=sd)


def _normalised_mean_gap(Z, sd):
    """||mean_S - mean_T||^2 / tr(Cov): a scale-free linear MMD of an embedding."""
    src = sd >= 0
    return np.sum((Z[src].mean(0) - Z[~src].mean(0)) ** 2) / np.trace(np.cov(Z.T))


def test_tca_shrinks_the_domain_gap_and_mu_trades_it_for_variance():
    X, y, sd, _ = _data(200, 200)
    with pytest.warns(DomainWarning):
        kpca = TCA(n_components=3).fit_transform(X)  # no target: kernel PCA
    gaps = {}
    for mu in (0.01, 1.0, 1e4):
        Z = TCA(n_components=3, mu=mu, random_state=0).fit_transform(X, y, sample_domain=sd)
        gaps[mu] = _normalised_mean_gap(Z, sd)
    gap_kpca = _normalised_mean_gap(kpca, sd)
    assert gaps[0.01] < 0.1 * gap_kpca
    assert gaps[0.01] <= gaps[1.0] <= gaps[1e4]


def test_no_target_is_kernel_pca_of_the_pencil():
    X, y, sd, _ = _data(40, 40)
    src = sd >= 0
    with pytest.warns(DomainWarning, match="without adaptation"):
        tca = TCA(n_components=3, gamma=0.5, mu=2.0).fit(X[src], y[src])
    n = src.sum()
    K = kernel_matrix(X[src], gamma=0.5)
    H = np.eye(n) - 1 / n
    lam = linalg.eigh(K @ H @ K, subset_by_index=[n - 3, n - 1], eigvals_only=True)[::-1] / 2.0
    np.testing.assert_allclose(tca.eigenvalues_, lam, rtol=1e-8)


def test_fit_transform_equals_fit_then_transform_and_new_rows():
    X, y, sd, _ = _data()
    tca = TCA(n_components=3, random_state=0)
    Z = tca.fit_transform(X, y, sample_domain=sd)
    np.testing.assert_array_equal(Z, tca.transform(X))
    assert tca.transform(X[:5] + 0.1).shape == (5, 3)
    assert list(tca.get_feature_names_out()) == ["tca0", "tca1", "tca2"]


def test_too_many_components_is_an_error():
    X, y, sd, _ = _data(5, 5)
    with pytest.raises(ValueError, match="n_components=20 must be <= n_samples = 10"):
        TCA(n_components=20).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="numerical rank"):
        TCA(n_components=8, n_landmarks=3).fit(X, y, sample_domain=sd)


def test_eigenvalues_descending_and_components_normalised():
    X, y, sd, _ = _data()
    tca = TCA(n_components=5, gamma=0.5, mu=3.0, n_landmarks=None).fit(X, y, sample_domain=sd)
    assert np.all(np.diff(tca.eigenvalues_) <= 0)
    n = len(y)
    K = kernel_matrix(X, gamma=0.5)
    src = sd >= 0
    u = K @ np.where(src, 1 / src.sum(), -1 / (~src).sum())
    W = tca.components_
    # w^T (KLK + mu I) w = I
    np.testing.assert_allclose(W.T @ (np.outer(u, u) + 3.0 * np.eye(n)) @ W, np.eye(5), atol=1e-8)


@pytest.mark.parametrize("n_landmarks", [None, 50], ids=["exact", "nystroem"])
def test_caller_X_changed_after_fit_does_not_change_transform(n_landmarks):
    X, y, sd, _ = _data()
    X = np.ascontiguousarray(X, dtype=np.float64)  # validation would hand this very array back
    tca = TCA(n_components=3, n_landmarks=n_landmarks, random_state=0).fit(X, y, sample_domain=sd)
    new = X[:7] + 0.25
    before = tca.transform(new)
    assert not np.shares_memory(tca.X_fit_, X)
    X *= 3.0  # the caller reuses its array in place
    np.testing.assert_array_equal(tca.transform(new), before)


def _reference_rank(K):
    """Count the eigenvalues of K above 1e-10 times the largest (the Nyström rule), all computed."""
    lam = np.linalg.eigvalsh(K)
    return int(np.sum(lam > 1e-10 * lam.max()))


@pytest.mark.parametrize(
    "kernel, n_each, m",
    [("linear", 60, 5), ("linear", 60, 3), ("rbf", 60, 119), ("linear", 300, 3)],
    ids=["linear-5", "linear-3", "rbf-119-of-120", "linear-lanczos"],
)
def test_components_above_the_numerical_rank_are_the_same_error_on_both_paths(kernel, n_each, m):
    X, y, sd, _ = _data(n_each, n_each)
    tca = TCA(n_components=m, kernel=kernel, random_state=0)
    params = {"gamma": median_heuristic_gamma(X)} if kernel == "rbf" else {}
    rank = _reference_rank(kernel_matrix(X, kernel=kernel, **params))
    assert rank < m  # measured: 2 (linear, 2 features) and 69 (rbf, 120 rows)
    with pytest.raises(
        ValueError, match=f"n_components={m} exceeds the numerical rank {rank} of the kernel matrix"
    ):
        tca.set_params(n_landmarks=None).fit(X, y, sample_domain=sd)
    with pytest.raises(
        ValueError, match=f"n_components={m} exceeds the numerical rank {rank} of the Nyström"
    ):
        tca.set_params(n_landmarks=2 * n_each).fit(X, y, sample_domain=sd)  # every row a landmark


@pytest.mark.parametrize("n_landmarks", [None, 120], ids=["exact", "nystroem"])
def test_components_up_to_the_numerical_rank_fit(n_landmarks):
    X, y, sd, _ = _data()
    tca = TCA(n_components=2, kernel="linear", n_landmarks=n_landmarks).fit(X, y, sample_domain=sd)
    assert tca.eigenvalues_.min() > 1e-3 * tca.eigenvalues_.max()


@pytest.mark.parametrize("certificate", [True, False], ids=["certificate", "eigenvalues"])
@pytest.mark.parametrize("n_each", [40, 300], ids=["dense-eigh", "lanczos"])
@pytest.mark.parametrize(
    "kernel, params",
    [("rbf", {"gamma": 0.5}), ("rbf", {"gamma": 0.005}), ("poly", {"degree": 2}), ("linear", {})],
)
def test_kernel_rank_counts_like_a_full_eigendecomposition(n_each, kernel, params, certificate, monkeypatch):
    # _kernel_rank proves most cases by a cheap certificate and computes the others' eigenvalues
    # (forced here with certificate=False): either way its count of the m leading eigenvalues
    # must be the full eigendecomposition's. Measured ranks: 70/132, 15, 6, 2; the certificate
    # held for every m up to the rank and failed above it.
    from skdomain.feature import _tca

    if not certificate:
        monkeypatch.setattr(_tca, "_rank_is_certified", lambda K, m: False)
    X, _, _, _ = _data(n_each, n_each)
    K = kernel_matrix(X, kernel=kernel, **params)
    n, ref = K.shape[0], _reference_rank(K)
    for m in sorted({1, 3, 6, 12, 40, ref, ref + 1}):
        v0 = None if n <= 500 else np.random.RandomState(0).uniform(-1, 1, n)
        assert _tca._kernel_rank(K, m, v0) == min(m, ref), (m, ref)


def test_callable_kernel_returning_nan_is_named():
    X, y, sd, _ = _data(20, 20)

    def broken(x, z):
        return np.nan

    with pytest.raises(ValueError, match="kernel broken gave non-finite values"):
        TCA(n_components=2, kernel=broken, n_landmarks=None).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="kernel broken gave non-finite values"):
        TCA(n_components=2, kernel=broken, n_landmarks=10).fit(X, y, sample_domain=sd)


def test_transform_whose_kernel_overflows_is_an_error():
    X, y, sd, _ = _data()
    tca = TCA(n_components=2, kernel="poly", degree=3).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="kernel 'poly' gave non-finite values.*the rows to transform"):
        tca.transform(X[:3] * 1e120)


@pytest.mark.parametrize("n_landmarks", [None, 120], ids=["exact", "nystroem"])
@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_auto_components_stop_at_the_numerical_rank(kernel, n_landmarks):
    # "auto" asks for 100 components; 120 rows of 2 features have rank 2 (linear) and 69 (rbf, as
    # in the test above): "auto" keeps them instead of raising the rank error, then drops those
    # whose eigenvalue is below 1e-8 of the largest (measured: rbf keeps 31 of the 69).
    X, y, sd, _ = _data()
    params = {"gamma": median_heuristic_gamma(X)} if kernel == "rbf" else {}
    rank = _reference_rank(kernel_matrix(X, kernel=kernel, **params))
    tca = TCA(kernel=kernel, n_landmarks=n_landmarks, random_state=0).fit(X, y, sample_domain=sd)
    fixed = TCA(n_components=rank, kernel=kernel, n_landmarks=n_landmarks, random_state=0)
    Z = fixed.fit_transform(X, y, sample_domain=sd)
    m = int(np.sum(fixed.eigenvalues_ > 1e-8 * fixed.eigenvalues_[0]))
    assert tca.n_components_ == m and (m == rank if kernel == "linear" else 10 < m < rank)
    assert tca.transform(X).shape == (120, m)
    assert tca.get_feature_names_out().shape == (m,)
    np.testing.assert_allclose(tca.eigenvalues_, fixed.eigenvalues_[:m], rtol=1e-6)
    lead = min(m, 10)  # the leading components, well separated, agree up to round-off
    np.testing.assert_allclose(tca.transform(X)[:, :lead], Z[:, :lead], rtol=1e-5, atol=1e-8)


def test_auto_components_are_100_when_the_data_allow():
    X, y, sd, _ = _data(150, 150)
    tca = TCA(random_state=0).fit(X[:, :2], y, sample_domain=sd)  # 2 features: rank well below 100
    assert tca.n_components_ < 100
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 20))
    sd = np.r_[np.zeros(150, int), -np.ones(150, int)]
    tca = TCA(random_state=0).fit(X, sample_domain=sd)
    assert tca.n_components_ == 100 and tca.transform(X[:5]).shape == (5, 100)
