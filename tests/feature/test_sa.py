"""SubspaceAlignment: the maps against scikit-learn's PCA, the choice of d, several domains."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from skdomain import SubspaceAlignment
from skdomain.utils import DomainWarning


def _shifted(seed=0, n_source=200, n_target=150, d=6):
    rng = np.random.RandomState(seed)
    scales = np.linspace(3.0, 0.5, d)  # distinct variances: a well-defined PCA basis
    Xs = (rng.randn(n_source, d) * scales) @ np.linalg.qr(rng.randn(d, d))[0] + 1.0
    Xt = (rng.randn(n_target, d) * scales) @ np.linalg.qr(rng.randn(d, d))[0] - 2.0
    return np.vstack([Xs, Xt]), np.r_[np.zeros(n_source, int), -np.ones(n_target, int)]


@pytest.mark.parametrize("k", [1, 3, 6])
def test_maps_match_pca_bases(k):
    X, sd = _shifted()
    sa = SubspaceAlignment(n_components=k).fit(X, sample_domain=sd)
    Z = sa.transform(X, sample_domain=sd)
    ps = PCA(k, svd_solver="full").fit(X[sd >= 0])
    pt = PCA(k, svd_solver="full").fit(X[sd < 0])
    Zt = pt.transform(X[sd < 0])  # (x_t - m_t) P_T, signs up to the solver
    signs = np.sign(np.sum(Z[sd < 0] * Zt, axis=0))
    np.testing.assert_allclose(Z[sd < 0], Zt * signs, atol=1e-9)
    Ps, Pt = ps.components_.T, pt.components_.T * signs
    expected = (X[sd >= 0] - ps.mean_) @ Ps @ (Ps.T @ Pt)  # (x_s - m_s) P_S M, M = P_S^T P_T
    np.testing.assert_allclose(Z[sd >= 0], expected, atol=1e-9)
    np.testing.assert_allclose(sa.alignments_[0], sa.source_components_[0].T @ sa.target_components_)


def test_every_component_is_per_domain_centring_and_one_rotation():
    """With d = D components P_S P_S^T = I, so the source map is (x_s - m_s) P_T, the target's rotation."""
    X, sd = _shifted()
    sa = SubspaceAlignment(n_components=X.shape[1]).fit(X, sample_domain=sd)
    Z = sa.transform(X, sample_domain=sd)
    Xs = X[sd >= 0]
    np.testing.assert_allclose(Z[sd >= 0], (Xs - Xs.mean(0)) @ sa.target_components_, atol=1e-9)
    np.testing.assert_allclose(Z[sd >= 0].mean(0), 0, atol=1e-9)  # the means are aligned (both at 0)
    np.testing.assert_allclose(Z[sd < 0].mean(0), 0, atol=1e-9)


def test_signs_are_deterministic_under_row_order():
    X, sd = _shifted()
    perm = np.random.RandomState(0).permutation(len(X))
    a = SubspaceAlignment(n_components=3).fit(X, sample_domain=sd)
    b = SubspaceAlignment(n_components=3).fit(X[perm], sample_domain=sd[perm])
    np.testing.assert_allclose(a.target_components_, b.target_components_, atol=1e-10)
    np.testing.assert_allclose(a.transform(X, sample_domain=sd), b.transform(X, sample_domain=sd), atol=1e-9)


def test_auto_and_too_many_components():
    X, sd = _shifted()
    assert SubspaceAlignment().fit(X, sample_domain=sd).n_components_ == 6  # every feature
    few = np.r_[np.flatnonzero(sd >= 0), np.flatnonzero(sd < 0)[:4]]
    assert SubspaceAlignment().fit(X[few], sample_domain=sd[few]).n_components_ == 4  # 4 target rows
    with pytest.raises(ValueError, match="n_components=5 exceeds 4"):
        SubspaceAlignment(n_components=5).fit(X[few], sample_domain=sd[few])


def test_each_source_id_has_its_own_basis_and_targets_are_pooled():
    X, sd = _shifted()
    multi = sd.copy()
    multi[np.flatnonzero(sd >= 0)[100:]] = 2
    multi[np.flatnonzero(sd < 0)[::2]] = -3
    sa = SubspaceAlignment(n_components=2).fit(X, sample_domain=multi)
    assert sa.source_ids_.tolist() == [0, 2] and sa.alignments_.shape == (2, 2, 2)
    alone = multi != 0  # source 2 and every target row
    sd2 = np.where(multi[alone] == 2, 0, -1)
    Z2 = SubspaceAlignment(n_components=2).fit_transform(X[alone], sample_domain=sd2)
    np.testing.assert_allclose(sa.transform(X, sample_domain=multi)[alone], Z2, atol=1e-9)


def test_without_target_rows_it_is_pca():
    X, sd = _shifted()
    with pytest.warns(DomainWarning, match="No target rows"):
        sa = SubspaceAlignment(n_components=2).fit(X[sd >= 0], sample_domain=sd[sd >= 0])
    Z = sa.transform(X, sample_domain=np.zeros(len(X), int))
    np.testing.assert_allclose(Z, sa.transform(X), atol=1e-12)
    pca = PCA(2, svd_solver="full").fit(X[sd >= 0]).transform(X)
    np.testing.assert_allclose(np.abs(Z), np.abs(pca), atol=1e-9)
