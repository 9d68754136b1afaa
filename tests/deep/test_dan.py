"""DAN: the torch MK-MMD against skdomain's numpy MMD, the bandwidth rule, the layers it adapts.

Its gain over source-only training and its feature alignment: tests/test_adaptation_gains.py.
"""

import re

import numpy as np
import pytest
import torch

from skdomain.datasets import make_domain_shift
from skdomain.deep import DANClassifier, DANRegressor, mk_mmd_torch, multiscale_gammas_torch
from skdomain.metrics import median_sq_distance, mk_mmd, multiscale_gammas


@pytest.mark.parametrize("n_rows", [9, 10])  # odd and even pair counts: numpy's median interpolates
def test_bandwidth_rule_mirrors_numpy(n_rows):
    Z = np.random.RandomState(0).normal(size=(n_rows, 3))
    g_np = multiscale_gammas(Z)
    g_t = multiscale_gammas_torch(torch.as_tensor(Z))
    np.testing.assert_allclose(g_t.numpy(), g_np, rtol=1e-12)
    np.testing.assert_allclose(g_np[3], 1.0 / median_sq_distance(Z), rtol=1e-12)  # k = 0
    # degenerate sample: every distance 0 -> the rule falls back to 1
    assert multiscale_gammas_torch(torch.zeros(4, 2))[3].item() == 1.0


@pytest.mark.parametrize("unbiased", [False, True])
@pytest.mark.parametrize("sizes", [(30, 30), (25, 40)])
def test_torch_mk_mmd_equals_numpy_mk_mmd(unbiased, sizes):
    rng = np.random.RandomState(1)
    A = rng.normal(size=(sizes[0], 4))
    B = rng.normal(loc=0.5, size=(sizes[1], 4))
    expected = mk_mmd(A, B, unbiased=unbiased)
    got = mk_mmd_torch(torch.as_tensor(A), torch.as_tensor(B), estimator="unbiased" if unbiased else "biased")
    assert got.item() == pytest.approx(expected, rel=1e-10)
    # given weights are normalised the same way
    w = [1.0, 0.0, 2.0, 0.0, 1.0]
    gam = multiscale_gammas(np.vstack([A, B]))
    exp_w = mk_mmd(A, B, gammas=gam, weights=w, unbiased=unbiased)
    got_w = mk_mmd_torch(
        torch.as_tensor(A),
        torch.as_tensor(B),
        gammas=torch.as_tensor(gam),
        weights=torch.as_tensor(w, dtype=torch.float64),
        estimator="unbiased" if unbiased else "biased",
    )
    assert got_w.item() == pytest.approx(exp_w, rel=1e-10)


def test_linear_time_mmd_against_a_loop():
    rng = np.random.RandomState(2)
    A, B = rng.normal(size=(11, 3)), rng.normal(loc=0.3, size=(8, 3))  # unequal: 8 rows -> 4 pairs
    gam = np.array([0.5, 2.0])

    def k(u, v):
        return np.mean([np.exp(-g * np.sum((u - v) ** 2)) for g in gam])

    h = [
        k(A[2 * i], A[2 * i + 1])
        + k(B[2 * i], B[2 * i + 1])
        - k(A[2 * i], B[2 * i + 1])
        - k(A[2 * i + 1], B[2 * i])
        for i in range(4)
    ]
    got = mk_mmd_torch(
        torch.as_tensor(A), torch.as_tensor(B), gammas=torch.as_tensor(gam), estimator="linear"
    )
    assert got.item() == pytest.approx(np.mean(h), rel=1e-12)
    with pytest.raises(ValueError, match="at least 2 rows"):
        mk_mmd_torch(torch.as_tensor(A), torch.as_tensor(B[:1]), estimator="linear")


def test_mmd_is_differentiable_and_shrinks_when_samples_meet():
    A = torch.randn(20, 2, generator=torch.Generator().manual_seed(0))
    B = (torch.randn(20, 2, generator=torch.Generator().manual_seed(1)) + 2.0).requires_grad_(True)
    far = mk_mmd_torch(A, B)
    far.backward()
    assert B.grad.abs().sum() > 0
    near = mk_mmd_torch(A, B.detach() - 2.0)
    assert near < far / 5


def test_dan_history_layers_and_estimators():
    X, y, sd = make_domain_shift(60, 40, random_state=0)
    kw = dict(max_epochs=2, batch_size=16, module__hidden_units=(8, 4), random_state=0)
    for est in ("unbiased", "biased", "linear"):
        net = DANClassifier(mmd_estimator=est, **kw).fit(X, y, sample_domain=sd)
        assert np.all(np.isfinite(net.history[:, "train_loss_mmd"]))
    # a named hidden layer (a forward hook) next to the features
    net = DANClassifier(mmd_layers=("feature_extractor.0", "features"), **kw).fit(X, y, sample_domain=sd)
    assert net.embed(X).shape == (len(X), 4)
    with pytest.raises(ValueError, match="kernel_weights"):
        DANClassifier(kernel_weights=[1.0, 2.0], **kw).fit(X, y, sample_domain=sd)
    Xr, yr, sdr = make_domain_shift(60, 40, task="regression", random_state=0)
    reg = DANRegressor(**kw).fit(Xr, yr, sample_domain=sdr)
    assert np.isfinite(reg.score(Xr[sdr >= 0], yr[sdr >= 0]))


@pytest.mark.parametrize("n", [1, 2, 3, 10, 8128])
def test_torch_median_is_numpy_median(n):
    """The bandwidth's median (two kthvalue selections) is numpy.median, odd and even sizes."""
    from skdomain.deep._losses import _median

    v = torch.rand(n, dtype=torch.float64, generator=torch.Generator().manual_seed(n))
    assert float(_median(v)) == pytest.approx(float(np.median(v.numpy())), rel=1e-15, abs=0)


@pytest.mark.parametrize("cls", [DANClassifier, DANRegressor])
@pytest.mark.parametrize(
    "params, fragment",
    [
        (dict(kernel_scales=[]), "kernel_scales must hold at least one finite number"),
        (dict(kernel_scales=[0, float("nan")]), "kernel_scales must hold at least one finite number"),
        (
            dict(kernel_weights=[0, 0, 0, 0, 0]),
            "kernel_weights must hold 5 non-negative finite values, not all 0",
        ),
        (dict(kernel_weights=[1, 1, 1, 1, float("nan")]), "kernel_weights must hold 5"),
        (dict(kernel_scales=[0, 1], kernel_weights=[1.0, -1.0]), "kernel_weights must hold 2"),
        (dict(mmd_layers=[]), "mmd_layers must name at least one layer"),
        (dict(mu=float("inf")), "'mu' parameter"),
    ],
)
def test_invalid_kernels_and_layers_are_rejected_at_fit(cls, params, fragment):
    X, y, sd = make_domain_shift(30, 20, task=cls._task, random_state=0)
    net = cls(max_epochs=1, batch_size=16, module__hidden_units=(4,), random_state=0, **params)
    with pytest.raises(ValueError, match=re.escape(fragment)):
        net.fit(X, y, sample_domain=sd)
    assert not hasattr(net, "module_")  # before any training


def test_valid_kernel_scales_of_another_length_fit():
    X, y, sd = make_domain_shift(30, 20, random_state=0)
    net = DANClassifier(kernel_scales=[0], kernel_weights=[2.0], max_epochs=1, batch_size=16, random_state=0)
    assert np.isfinite(net.fit(X, y, sample_domain=sd).history[-1]["train_loss_mmd"])


def test_mk_mmd_torch_validates_its_inputs():
    g = torch.Generator().manual_seed(0)
    A, B = torch.randn(8, 3, generator=g), torch.randn(6, 3, generator=g)
    nan = A.clone()
    nan[2, 1] = float("nan")
    with pytest.raises(ValueError, match="A holds NaN or infinite values"):
        mk_mmd_torch(nan, B)
    with pytest.raises(ValueError, match="B holds NaN or infinite values"):
        mk_mmd_torch(A, B / 0.0)
    with pytest.raises(ValueError, match="same number of columns"):
        mk_mmd_torch(A, B[:, :2])
    with pytest.raises(ValueError, match="2-D tensor"):
        mk_mmd_torch(A[0], B)
    for gammas in ([], [-1.0], [0.0], [float("nan")], [float("inf")]):
        with pytest.raises(ValueError, match="gammas must hold at least one finite value > 0"):
            mk_mmd_torch(A, B, gammas=torch.as_tensor(gammas))
    for weights in ([1.0, 1.0], [0.0] * 5, [1, 1, 1, 1, float("nan")], [1, 1, 1, 1, -1]):
        with pytest.raises(ValueError, match="weights must hold 5 non-negative finite values"):
            mk_mmd_torch(A, B, weights=torch.as_tensor(weights))
    with pytest.raises(ValueError, match="scales must hold at least one finite number"):
        mk_mmd_torch(A, B, scales=())
    # squared distances beyond float64: a clear error instead of NaN
    with pytest.raises(ValueError, match="overflow torch.float64. Scale the inputs"):
        mk_mmd_torch(A.double() * 1e200, B.double() * 1e200)
    assert torch.isfinite(mk_mmd_torch(A.double() * 1e100, B.double() * 1e100))
