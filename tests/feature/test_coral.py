"""CORAL: the whitening / re-colouring map against a dense reference, its options and its contract.

The transform contract shared with SubspaceAlignment (fit_transform vs transform, a routed
sample_domain) is tested in tests/feature/test_source_target_maps.py.
"""

import warnings

import numpy as np
import pytest
from scipy import linalg

from skdomain import CORAL
from skdomain.utils import DomainWarning


def _shifted(seed=0, n_source=200, n_target=150, d=4):
    """Gaussian rows whose covariances and means differ between the domains (full rank)."""
    rng = np.random.RandomState(seed)
    Xs = rng.randn(n_source, d) @ rng.randn(d, d) + 1.0
    Xt = rng.randn(n_target, d) @ rng.randn(d, d) - 2.0
    X = np.vstack([Xs, Xt])
    sd = np.r_[np.zeros(n_source, int), -np.ones(n_target, int)]
    return X, sd


def _reference_cov(X, reg, scale):
    C = np.cov(X, rowvar=False)
    return C + reg * (np.trace(C) / C.shape[0] if scale == "trace" else 1.0) * np.eye(C.shape[0])


@pytest.mark.parametrize("reg_scale", ["trace", "absolute"])
@pytest.mark.parametrize("reg", [0.0, 0.1, 1.0])
def test_coloring_matches_a_dense_sqrtm_reference(reg, reg_scale):
    X, sd = _shifted()
    coral = CORAL(reg=reg, reg_scale=reg_scale).fit(X, sample_domain=sd)
    Cs = _reference_cov(X[sd >= 0], reg, reg_scale)
    Ct = _reference_cov(X[sd < 0], reg, reg_scale)
    # another way: scipy's Schur-based sqrtm of each symmetric positive-definite covariance
    A_ref = linalg.inv(linalg.sqrtm(Cs)).real @ linalg.sqrtm(Ct).real
    np.testing.assert_allclose(coral.coloring_[0], A_ref, rtol=1e-7, atol=1e-9)
    # and the defining property: A^T C_S A = C_T
    A = coral.coloring_[0]
    np.testing.assert_allclose(A.T @ Cs @ A, Ct, rtol=1e-8, atol=1e-10)


def test_without_ridge_the_aligned_source_has_the_target_mean_and_covariance():
    X, sd = _shifted()
    Z = CORAL(reg=0.0).fit_transform(X, sample_domain=sd)
    np.testing.assert_allclose(np.cov(Z[sd >= 0], rowvar=False), np.cov(X[sd < 0], rowvar=False), atol=1e-9)
    np.testing.assert_allclose(Z[sd >= 0].mean(axis=0), X[sd < 0].mean(axis=0), atol=1e-9)
    np.testing.assert_array_equal(Z[sd < 0], X[sd < 0])  # target rows unchanged


def test_the_ridge_shrinks_the_recoloured_covariance_by_a_known_term():
    """cov(X_s A) = A^T (C_S - r_S I) A = C_T - r_S A^T A, with r_S = reg tr(cov_S)/d."""
    X, sd = _shifted(seed=1)
    coral = CORAL(reg=0.5).fit(X, sample_domain=sd)
    Z = coral.transform(X, sample_domain=sd)
    cov_s = np.cov(X[sd >= 0], rowvar=False)
    r_s = 0.5 * np.trace(cov_s) / X.shape[1]
    A = coral.coloring_[0]
    expected = _reference_cov(X[sd < 0], 0.5, "trace") - r_s * A.T @ A
    np.testing.assert_allclose(np.cov(Z[sd >= 0], rowvar=False), expected, atol=1e-9)


def test_without_mean_alignment_the_map_is_the_papers():
    X, sd = _shifted()
    coral = CORAL(align_means=False).fit(X, sample_domain=sd)
    Z = coral.transform(X, sample_domain=sd)
    np.testing.assert_allclose(Z[sd >= 0], X[sd >= 0] @ coral.coloring_[0], atol=1e-12)
    aligned = CORAL().fit(X, sample_domain=sd).transform(X, sample_domain=sd)
    # the same covariance, a different mean: the paper's map does not move m_s to m_t
    np.testing.assert_allclose(np.cov(Z[sd >= 0], rowvar=False), np.cov(aligned[sd >= 0], rowvar=False))
    assert np.abs(Z[sd >= 0].mean(axis=0) - X[sd < 0].mean(axis=0)).max() > 0.5


def test_trace_scaled_ridge_is_scale_free_and_the_absolute_one_is_not():
    X, sd = _shifted()
    Z = CORAL(reg=1.0).fit_transform(X, sample_domain=sd)
    np.testing.assert_allclose(CORAL(reg=1.0).fit_transform(100 * X, sample_domain=sd), 100 * Z, rtol=1e-9)
    Za = CORAL(reg=1.0, reg_scale="absolute").fit_transform(X, sample_domain=sd)
    Za100 = CORAL(reg=1.0, reg_scale="absolute").fit_transform(100 * X, sample_domain=sd)
    assert not np.allclose(Za100, 100 * Za, rtol=1e-3)


def test_ledoit_wolf_shrinkage():
    from sklearn.covariance import LedoitWolf

    X, sd = _shifted(n_source=30, n_target=30, d=8)
    coral = CORAL(reg="ledoit_wolf").fit(X, sample_domain=sd)
    cs, ct = (LedoitWolf().fit(X[m]).covariance_ * 30 / 29 for m in (sd >= 0, sd < 0))
    A = coral.coloring_[0]
    np.testing.assert_allclose(A.T @ cs @ A, ct, rtol=1e-8, atol=1e-10)


def test_each_source_id_is_aligned_separately_and_targets_are_pooled():
    X, sd = _shifted()
    X2, sd2 = _shifted(seed=3)
    X2 = X2[sd2 >= 0] * 3.0 + 5.0  # a second source with other statistics
    Xall = np.vstack([X, X2])
    multi = np.r_[sd, np.full(len(X2), 4)]
    multi[np.flatnonzero(sd < 0)[::2]] = -2  # two target ids
    Z = CORAL().fit_transform(Xall, sample_domain=multi)
    assert CORAL().fit(Xall, sample_domain=multi).source_ids_.tolist() == [0, 4]
    # source 4 alone against the pooled targets gives the same rows
    only4 = np.r_[sd[sd < 0], np.zeros(len(X2), int)]
    Z4 = CORAL().fit_transform(np.vstack([X[sd < 0], X2]), sample_domain=only4)
    np.testing.assert_allclose(Z[multi == 4], Z4[only4 == 0], atol=1e-10)
    Z0 = CORAL().fit_transform(X, sample_domain=sd)
    np.testing.assert_allclose(Z[: len(X)], Z0, atol=1e-10)


def test_singular_source_covariance_without_ridge_is_an_error():
    X, sd = _shifted()
    X = np.c_[X, np.ones(len(X))]  # a constant column: cov_S is singular
    with pytest.raises(ValueError, match="covariance of source domain 0 is singular.*raise reg"):
        CORAL(reg=0.0).fit(X, sample_domain=sd)
    Z = CORAL(reg=1e-3).fit_transform(X, sample_domain=sd)  # a ridge makes it invertible
    assert np.all(np.isfinite(Z))


def test_without_target_rows_every_map_is_the_identity():
    X, sd = _shifted()
    with pytest.warns(DomainWarning, match="No target rows"):
        coral = CORAL().fit(X[sd >= 0], sample_domain=sd[sd >= 0])
    np.testing.assert_array_equal(coral.transform(X, sample_domain=np.zeros(len(X), int)), X)


def test_paper_lambda_is_reachable():
    """reg=1, reg_scale="absolute" adds the identity, as Algorithm 1 of the paper (cov + eye)."""
    X, sd = _shifted()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        coral = CORAL(reg=1.0, reg_scale="absolute", align_means=False).fit(X, sample_domain=sd)
    Cs = np.cov(X[sd >= 0], rowvar=False) + np.eye(4)
    Ct = np.cov(X[sd < 0], rowvar=False) + np.eye(4)
    A_ref = linalg.inv(linalg.sqrtm(Cs)).real @ linalg.sqrtm(Ct).real
    np.testing.assert_allclose(coral.transform(X[:5], sample_domain=np.zeros(5, int)), X[:5] @ A_ref)
