"""Deep CORAL: the loss against numpy's covariances, its gradient, the term in the nets, the gate.

Its gain over source-only training and its feature alignment: tests/test_adaptation_gains.py.
"""

import numpy as np
import pytest
import torch

from skdomain.datasets import make_domain_shift
from skdomain.deep import DANClassifier, DeepCORALClassifier, DeepCORALRegressor, DomainBatch, coral_loss

SMALL = dict(batch_size=16, module__hidden_units=(8, 6), random_state=0)


@pytest.mark.parametrize("sizes", [(7, 11), (30, 30)])
def test_coral_loss_equals_numpy_covariances_over_the_rows(sizes):
    """np.cov(A, rowvar=False): columns are the variables, rows the samples (a d x d matrix)."""
    rng = np.random.RandomState(0)
    d = 4
    A = rng.normal(size=(sizes[0], d))
    B = rng.normal(scale=1.5, size=(sizes[1], d)) @ rng.normal(size=(d, d))
    C_A, C_B = np.cov(A, rowvar=False), np.cov(B, rowvar=False)
    assert C_A.shape == (d, d)
    expected = np.sum((C_A - C_B) ** 2) / (4 * d**2)
    got = coral_loss(torch.as_tensor(A), torch.as_tensor(B))
    assert got.item() == pytest.approx(expected, rel=1e-12)
    # the unbiased estimate (n - 1), not the biased one (n)
    biased = np.sum((np.cov(A, rowvar=False, bias=True) - np.cov(B, rowvar=False, bias=True)) ** 2) / (
        4 * d**2
    )
    assert abs(got.item() - biased) > 1e-6
    # a shift of the means changes nothing; equal samples give 0
    assert coral_loss(torch.as_tensor(A + 3.0), torch.as_tensor(B)).item() == pytest.approx(
        expected, rel=1e-10
    )
    assert coral_loss(torch.as_tensor(A), torch.as_tensor(A)).item() == 0.0


def test_coral_loss_gradient_by_finite_differences():
    rng = np.random.RandomState(1)
    A = torch.as_tensor(rng.normal(size=(6, 3)), dtype=torch.float64).requires_grad_()
    B = torch.as_tensor(rng.normal(size=(9, 3)), dtype=torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(coral_loss, (A, B))


def test_the_nets_term_is_mu_times_coral_loss_on_the_batch_layers():
    X, y, sd = make_domain_shift(40, 30, n_target_labeled=4, random_state=0)
    net = DeepCORALClassifier(max_epochs=0, mu=0.7, coral_layers=("features", "output"), **SMALL).fit(
        X, y, sample_domain=sd
    )
    Xi = {"X": torch.as_tensor(X, dtype=torch.float32), "sample_domain": torch.as_tensor(sd)}
    yi = torch.as_tensor(y)
    y_pred = net.infer(Xi)
    rows, labeled = net._row_losses(y_pred, yi)
    batch = DomainBatch(Xi["sample_domain"], labeled, "cpu", rows.dtype, row_loss=rows)
    net._terms = {}
    term = net.adaptation_loss(y_pred, yi, Xi, batch)
    src, tgt = sd >= 0, sd < 0
    feats, out = y_pred[1].double(), y_pred[0].double()
    expected = coral_loss(feats[src], feats[tgt]) + coral_loss(out[src], out[tgt])
    assert net._terms["train_loss_coral"][0].item() == pytest.approx(expected.item(), rel=1e-5)
    assert term.item() == pytest.approx(0.7 * expected.item(), rel=1e-5)
    # a batch with a single target row adds nothing (no unbiased covariance)
    one = np.r_[np.flatnonzero(src)[:5], np.flatnonzero(tgt)[:1]]
    small = DomainBatch(torch.as_tensor(sd[one]), labeled[one], "cpu", rows.dtype, row_loss=rows[one])
    assert net.adaptation_loss(tuple(t[one] for t in y_pred), yi[one], Xi, small) is None


@pytest.mark.parametrize("cls", [DeepCORALClassifier, DeepCORALRegressor])
def test_history_and_bit_identical_cpu_refits(cls):
    task = "regression" if cls is DeepCORALRegressor else "classification"
    X, y, sd = make_domain_shift(60, 50, task=task, random_state=0)
    a = cls(max_epochs=3, **SMALL).fit(X, y, sample_domain=sd)
    b = cls(max_epochs=3, **SMALL).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    values = a.history[-1, "batches", :, "train_loss_coral"]
    assert a.history[-1, "train_loss_coral"] == pytest.approx(np.mean(values))
    batch = a.history[-1, "batches", -1]
    assert batch["train_loss"] == pytest.approx(
        batch["train_loss_task"] + a.mu * batch["train_loss_coral"], rel=1e-5
    )


def test_coral_shrinks_the_covariance_gap_of_the_features():
    """The term does what it says: after training, the features' CORAL distance is below mu=0's."""
    X, y, sd = make_domain_shift(150, 150, random_state=0)
    kw = dict(max_epochs=30, lr=5e-3, batch_size=32, module__hidden_units=(16, 8), random_state=0)
    gaps = []
    for mu in (0.0, 10.0):
        Z = DeepCORALClassifier(mu=mu, **kw).fit(X, y, sample_domain=sd).embed(X)
        gaps.append(coral_loss(torch.as_tensor(Z[sd >= 0]), torch.as_tensor(Z[sd < 0])).item())
    assert gaps[1] < 0.5 * gaps[0], gaps


def test_gated_coral_without_labeled_target_rows_is_plain_coral_and_with_them_is_not():
    kw = dict(max_epochs=3, discriminator__hidden_units=(5,), **SMALL)
    X, y, sd = make_domain_shift(60, 50, random_state=0)
    gated = DeepCORALClassifier(gate=True, **kw).fit(X, y, sample_domain=sd)
    plain = DeepCORALClassifier(**kw).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(gated.predict_proba(X), plain.predict_proba(X))
    assert "train_loss_adv" in gated.history[-1] and "omega_mean" not in gated.history[-1]
    X, y, sd = make_domain_shift(60, 50, n_target_labeled=8, random_state=0)
    gated = DeepCORALClassifier(gate=True, **kw).fit(X, y, sample_domain=sd)
    plain = DeepCORALClassifier(**kw).fit(X, y, sample_domain=sd)
    assert not np.array_equal(gated.predict_proba(X), plain.predict_proba(X))
    omega = np.asarray(gated.history[:, "omega_mean"])
    assert np.all((omega >= 0) & (omega <= gated.omega_clip))


def test_regressor_has_no_gate():
    params = DeepCORALRegressor().get_params()
    assert {"mu", "coral_layers"} <= set(params)
    assert not {"gate", "source_weight", "omega_clip", "discriminator"} & set(params)


@pytest.mark.parametrize("cls", [DeepCORALClassifier, DeepCORALRegressor])
@pytest.mark.parametrize(
    "params, fragment",
    [
        (dict(coral_layers=()), "coral_layers must name at least one layer"),
        (dict(coral_layers="features"), "'coral_layers' parameter"),
        (dict(mu=-1.0), "'mu' parameter"),
        (dict(coral_layers=("nope",)), "nope"),
    ],
)
def test_invalid_parameters_are_rejected_at_fit(cls, params, fragment):
    task = "regression" if cls is DeepCORALRegressor else "classification"
    X, y, sd = make_domain_shift(30, 20, task=task, random_state=0)
    net = cls(max_epochs=1, **SMALL, **params)
    with pytest.raises((ValueError, KeyError, AttributeError), match=fragment):
        net.fit(X, y, sample_domain=sd)


def test_source_only_coral_is_source_only_dan():
    """mu=0: the same module, optimizer and batches as DAN's mu=0 net (the benchmark's shared baseline)."""
    X, y, sd = make_domain_shift(60, 50, random_state=0)
    kw = dict(max_epochs=2, mu=0.0, **SMALL)
    coral = DeepCORALClassifier(**kw).fit(X, y, sample_domain=sd)
    dan = DANClassifier(**kw).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(coral.predict_proba(X), dan.predict_proba(X))
