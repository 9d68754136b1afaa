"""SSTCA: the reduced solver against a dense generalized eigensolve, its reduction to TCA, its terms."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skdomain import SSTCA, TCA, LabeledOnly
from skdomain.datasets import make_domain_shift
from skdomain.feature._sstca import _knn_laplacian
from skdomain.metrics import kernel_matrix


def _data(n_source=60, n_target=60, seed=0, **kwargs):
    return make_domain_shift(
        n_source, n_target, n_target_labeled=6, random_state=seed, return_target_labels=True, **kwargs
    )


def _assert_same_up_to_sign(Z, Zref, atol):
    for j in range(Z.shape[1]):
        s = np.sign(Z[:, j] @ Zref[:, j])
        np.testing.assert_allclose(s * Z[:, j], Zref[:, j], atol=atol)


def _reference_laplacian(X, k):
    """D - M of the symmetric k-NN graph, by loops over rows (heat weights, median bandwidth)."""
    n = X.shape[0]
    D2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(D2, np.inf)
    nbrs = [np.argsort(D2[i], kind="stable")[:k] for i in range(n)]
    scale = np.median([D2[i, j] for i in range(n) for j in nbrs[i]])
    M = np.zeros((n, n))
    for i in range(n):
        for j in nbrs[i]:
            M[i, j] = M[j, i] = np.exp(-D2[i, j] / scale)
    return np.diag(M.sum(1)) - M


def _dense_reference(X, y, sd, labeled, *, gamma, mu, label_weight, lam, k, m, regression=False):
    """Top-m solutions of B^{-1} A, A = K H Kyy H K, B = K (L + lam/n^2 Lap) K + mu I (np.linalg.eig)."""
    n = X.shape[0]
    K = kernel_matrix(X, gamma=gamma)
    H = np.eye(n) - np.ones((n, n)) / n
    src = sd >= 0
    e = np.where(src, 1 / src.sum(), -1 / (~src).sum())
    if regression:
        yl = y[labeled]
        Y = np.zeros((n, 1))
        Y[labeled, 0] = (yl - yl.mean()) / yl.std()
    else:
        Y = np.zeros((n, int(y[labeled].max()) + 1))
        Y[labeled, y[labeled].astype(int)] = 1.0
    Kyy = label_weight * Y @ Y.T + (1 - label_weight) * np.eye(n)
    A = K @ H @ Kyy @ H @ K
    B = K @ (np.outer(e, e) + lam / n**2 * _reference_laplacian(X, k)) @ K + mu * np.eye(n)
    w, V = np.linalg.eig(np.linalg.solve(B, A))  # the non-symmetric product, on purpose: another way
    top = np.argsort(-w.real)[:m]
    return w.real[top], K @ V[:, top].real, B


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize(
    "label_weight, lam", [(0.5, 1e4), (0.9, 0.0), (0.2, 1e5)], ids=["default", "labels", "graph"]
)
def test_matches_a_dense_reference_solve(task, label_weight, lam):
    X, y, sd, _ = _data(task=task)
    labeled = ~np.isnan(y) if task == "regression" else y != -1
    est = SSTCA(
        n_components=4,
        gamma=0.5,
        mu=2.0,
        label_weight=label_weight,
        locality_weight=lam,
        n_neighbors=4,
        n_landmarks=None,
    )
    Z = est.fit_transform(X, y, sample_domain=sd)
    lam_ref, Zref, B = _dense_reference(
        X,
        y,
        sd,
        labeled,
        gamma=0.5,
        mu=2.0,
        label_weight=label_weight,
        lam=lam,
        k=4,
        m=4,
        regression=task == "regression",
    )
    np.testing.assert_allclose(est.eigenvalues_, lam_ref, rtol=1e-6)
    # the reference's eigenvectors have arbitrary norms: compare directions, then SSTCA's normalisation
    Zn = Zref / np.linalg.norm(Zref, axis=0) * np.linalg.norm(Z, axis=0)
    _assert_same_up_to_sign(Z, Zn, atol=1e-6 * np.abs(Z).max())
    W = est.components_
    np.testing.assert_allclose(W.T @ B @ W, np.eye(4), atol=1e-8)


def test_every_row_a_landmark_reproduces_the_exact_solution():
    X, y, sd, _ = _data(50, 50)
    kw = dict(n_components=3, gamma=0.5, n_neighbors=4)
    exact = SSTCA(n_landmarks=None, **kw).fit(X, y, sample_domain=sd)
    lm = SSTCA(n_landmarks=100, random_state=0, **kw).fit(X, y, sample_domain=sd)
    np.testing.assert_allclose(lm.eigenvalues_, exact.eigenvalues_, rtol=1e-6)
    _assert_same_up_to_sign(lm.transform(X), exact.transform(X), atol=1e-6)


def test_few_landmarks_approximate_the_exact_solution():
    X, y, sd, _ = _data(300, 300, seed=1)
    exact = SSTCA(n_components=3, n_landmarks=None).fit(X, y, sample_domain=sd)
    lm = SSTCA(n_components=3, n_landmarks=150, random_state=0).fit(X, y, sample_domain=sd)
    Qa, _ = np.linalg.qr(exact.transform(X))
    Qb, _ = np.linalg.qr(lm.transform(X))
    # measured: smallest cosine 0.99999999
    assert np.linalg.svd(Qa.T @ Qb, compute_uv=False).min() > 0.999


@pytest.mark.parametrize("n_each", [60, 320], ids=["tca-dense", "tca-lanczos"])
def test_without_labels_and_graph_it_is_tca(n_each):
    X, y, sd, _ = _data(n_each, n_each)
    tca = TCA(n_components=4, gamma=0.5, mu=3.0, n_landmarks=None, random_state=0)
    Zt = tca.fit_transform(X, y, sample_domain=sd)
    kw = dict(n_components=4, gamma=0.5, mu=3.0, n_landmarks=None, locality_weight=0.0)
    # label_weight=0: the labels are not read
    s0 = SSTCA(label_weight=0.0, **kw)
    _assert_same_up_to_sign(s0.fit_transform(X, y, sample_domain=sd), Zt, atol=1e-7 * np.abs(Zt).max())
    np.testing.assert_allclose(s0.eigenvalues_, tca.eigenvalues_, rtol=1e-8)
    # no labeled row: K~yy = (1 - gamma) I, the same components, eigenvalues scaled by 1 - gamma
    s1 = SSTCA(label_weight=0.25, **kw)
    _assert_same_up_to_sign(s1.fit_transform(X, sample_domain=sd), Zt, atol=1e-7 * np.abs(Zt).max())
    np.testing.assert_allclose(s1.eigenvalues_, 0.75 * tca.eigenvalues_, rtol=1e-8)


def test_laplacian_matches_a_loop():
    X, _, _, _ = _data(15, 15)
    for k in (1, 3, 7):
        np.testing.assert_allclose(_knn_laplacian(X, k).toarray(), _reference_laplacian(X, k), atol=1e-12)
    assert _knn_laplacian(X[:1], 5) is None
    assert _knn_laplacian(X[:3], 5).shape == (3, 3)  # k clipped to n - 1
    dup = np.zeros((4, 2))  # all distances zero: unit weights, no division by zero
    np.testing.assert_allclose(_knn_laplacian(dup, 3).toarray(), 4 * np.eye(4) - np.ones((4, 4)))


def _laplacian_energy(Z, lap):
    """tr(Z^T Lap Z) / tr(Z^T H Z): how much neighbours differ, relative to the spread."""
    Zc = Z - Z.mean(0)
    return np.trace(Z.T @ (lap @ Z)) / np.trace(Zc.T @ Zc)


def test_locality_weight_keeps_neighbours_close():
    X, y, sd, _ = _data(100, 100)
    lap = _knn_laplacian(X, 5)
    energy = [
        _laplacian_energy(
            SSTCA(n_components=3, locality_weight=lam, n_landmarks=None).fit_transform(
                X, y, sample_domain=sd
            ),
            lap,
        )
        for lam in (0.0, 1e4, 1e6)
    ]
    # measured: 0.048, 0.033, 0.019
    assert energy[0] > energy[1] > energy[2]
    assert energy[2] < 0.5 * energy[0]


def _shift_with_a_quiet_label(seed, n=150):
    """Return a shift whose class lives on a quiet feature; two louder features are noise (one shifts)."""
    rng = np.random.default_rng(seed)

    def domain(shift):
        c = rng.integers(0, 2, n)
        X = np.c_[
            rng.normal(0, 3, n) + shift,
            (2 * c - 1) + rng.normal(0, 0.5, n) + 0.3 * shift,
            rng.normal(0, 2, n),
        ]
        return X, c

    (Xs, ys), (Xt, yt) = domain(0.0), domain(1.0)
    sd = np.r_[np.zeros(n, int), -np.ones(n, int)]
    return np.r_[Xs, Xt], np.r_[ys, -np.ones(n, int)], sd, yt


def _target_accuracy(est, X, y, sd, yt):
    pipe = make_pipeline(est, LabeledOnly(LogisticRegression()))
    pipe.fit(X, y, **{f"{type(est).__name__.lower()}__sample_domain": sd})
    return (pipe.predict(X[sd < 0]) == yt).mean()


def test_labels_make_sstca_beat_tca_with_few_components():
    # Two components: TCA keeps the loud noise (variance), SSTCA's HSIC term the labeled direction.
    # measured target accuracy over seeds 0-4: TCA 0.47-0.55; SSTCA, labels only (lambda = 0)
    # 0.61-0.89 (gains +0.06 to +0.43, mean +0.24); SSTCA at its defaults 0.73-0.94 (mean gain +0.35)
    gains_labels, gains_default = [], []
    for seed in range(5):
        X, y, sd, yt = _shift_with_a_quiet_label(seed)
        tca = _target_accuracy(TCA(n_components=2), X, y, sd, yt)
        labels = _target_accuracy(SSTCA(n_components=2, locality_weight=0.0), X, y, sd, yt)
        default = _target_accuracy(SSTCA(n_components=2), X, y, sd, yt)
        no_label = _target_accuracy(
            SSTCA(n_components=2, label_weight=0.0, locality_weight=0.0), X, y, sd, yt
        )
        assert abs(no_label - tca) < 0.02  # the gain comes from the label term (measured: equal)
        gains_labels.append(labels - tca)
        gains_default.append(default - tca)
    assert min(gains_labels) > 0.0 and np.mean(gains_labels) > 0.15
    assert min(gains_default) > 0.1 and np.mean(gains_default) > 0.25


def test_regression_labels_use_the_linear_kernel_and_units_do_not_matter():
    X, y, sd, _ = _data(task="regression")
    a = SSTCA(n_components=3, n_landmarks=None).fit(X, y, sample_domain=sd)
    b = SSTCA(n_components=3, n_landmarks=None).fit(X, 1000.0 * y + 7.0, sample_domain=sd)
    np.testing.assert_allclose(a.eigenvalues_, b.eigenvalues_, rtol=1e-8)
    forced = SSTCA(n_components=3, n_landmarks=None, label_kernel="linear").fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(forced.eigenvalues_, a.eigenvalues_)
    delta = SSTCA(n_components=3, n_landmarks=None, label_kernel="delta").fit(X, y, sample_domain=sd)
    assert not np.allclose(delta.eigenvalues_, a.eigenvalues_)


def test_string_classes_equal_their_codes():
    X, y, sd, _ = _data()
    names = np.array(["a", "b"], dtype=object)[np.maximum(y, 0)]
    names[y == -1] = -1
    a = SSTCA(n_components=3).fit(X, names.astype(object), sample_domain=sd)
    b = SSTCA(n_components=3).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


def test_errors_name_the_problem():
    X, y, sd, _ = _data(20, 20)
    with pytest.raises(ValueError, match="label_weight=1 keeps only the label dependence, and no row"):
        SSTCA(label_weight=1.0).fit(X, sample_domain=sd)
    names = np.array(["a", "b"], dtype=object)[np.maximum(y, 0)]
    names[y == -1] = -1
    with pytest.raises(ValueError, match="label_kernel='linear' needs numeric labels"):
        SSTCA(label_kernel="linear").fit(X, names, sample_domain=sd)
    with pytest.raises(ValueError, match="n_components=8 exceeds the numerical rank 2 of the kernel matrix"):
        SSTCA(n_components=8, kernel="linear", n_landmarks=None).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="label_weight"):
        SSTCA(label_weight=1.5).fit(X, y, sample_domain=sd)


def test_fit_transform_equals_fit_then_transform_and_new_rows():
    X, y, sd, _ = _data()
    est = SSTCA(n_components=3, random_state=0)
    Z = est.fit_transform(X, y, sample_domain=sd)
    np.testing.assert_array_equal(Z, est.transform(X))
    assert est.transform(X[:5] + 0.1).shape == (5, 3)
    assert list(est.get_feature_names_out()) == ["sstca0", "sstca1", "sstca2"]


def test_auto_components_follow_tca_rule():
    X, y, sd, _ = _data()
    est = SSTCA(random_state=0).fit(X, y, sample_domain=sd)
    lam = SSTCA(n_components=est.n_components_, random_state=0).fit(X, y, sample_domain=sd).eigenvalues_
    assert 1 <= est.n_components_ <= 100
    assert est.eigenvalues_[-1] > 1e-8 * est.eigenvalues_[0]
    np.testing.assert_allclose(est.eigenvalues_, lam, rtol=1e-8)


def test_transform_does_not_read_the_caller_X_after_fit():
    X, y, sd, _ = _data()
    X = np.ascontiguousarray(X, dtype=np.float64)
    est = SSTCA(n_components=3, n_landmarks=None).fit(X, y, sample_domain=sd)
    new = X[:4] + 0.5
    before = est.transform(new)
    X *= 3.0  # the caller reuses its array in place
    np.testing.assert_array_equal(est.transform(new), before)
