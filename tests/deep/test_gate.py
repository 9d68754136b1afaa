"""The gate shared by the family (skdomain/deep/_gate.py), on DAN: its own D on detached features.

DANN's gate (D through the reversal layer) is tested in tests/deep/test_dann.py.
"""

import numpy as np
import pytest
import torch

from skdomain.datasets import make_domain_shift
from skdomain.deep import DANClassifier, DANNClassifier
from skdomain.deep._dan import _DANMixin

SMALL = dict(batch_size=16, module__hidden_units=(8, 6), discriminator__hidden_units=(5,), random_state=0)


def _tiny_batch(net, X, y, sd):
    Xi = {"X": torch.as_tensor(X, dtype=torch.float32), "sample_domain": torch.as_tensor(sd)}
    return Xi, torch.as_tensor(y)


def _gated_dan(**params):
    """Return a gated DAN initialised on data with 4 labeled target rows (max_epochs=0)."""
    X, y, sd = make_domain_shift(30, 20, n_target_labeled=4, random_state=0)
    return DANClassifier(gate=True, max_epochs=0, **SMALL, **params).fit(X, y, sample_domain=sd)


def _by_hand(net, X, y, sd):
    """Return omega, the gated task loss and D's augmented cross-entropy, in float64 numpy."""
    with torch.no_grad():
        out, feats = net.module_(torch.as_tensor(X, dtype=torch.float32))
        n_cls = len(net.classes_)
        onehot = np.zeros((len(y), n_cls))
        lab = y >= 0
        onehot[lab, y[lab]] = 1.0
        Z = np.hstack([feats.numpy(), onehot]).astype(np.float32)
        Z_nil = np.hstack([feats.numpy(), np.zeros((len(y), n_cls))]).astype(np.float32)
        d_joint = torch.sigmoid(net.discriminator_(torch.as_tensor(Z))).double().numpy()
        d_nil = torch.sigmoid(net.discriminator_(torch.as_tensor(Z_nil))).double().numpy()
        logp = torch.log_softmax(out.double(), dim=1).numpy()
    src, tgt = sd >= 0, sd < 0
    ce = -logp[np.arange(len(y)), np.clip(y, 0, None)]
    omega = np.minimum(d_joint / (1.0 - d_joint), net.omega_clip)  # D / (1 - D), clipped
    s_lab, t_lab = src & lab, tgt & lab
    task = net.source_weight * np.mean(omega[s_lab] * ce[s_lab]) + np.mean(ce[t_lab])
    adv = (
        np.mean(-np.log(d_nil[tgt]))
        + np.mean(-np.log(1 - d_nil[src]))
        + np.mean(-np.log(d_joint[t_lab]))
        + np.mean(-np.log(1 - d_joint[s_lab]))
    )
    return omega[s_lab], task, adv


def test_gated_dan_omega_task_and_discriminator_loss_against_a_hand_computation():
    """A tiny batch: 3 labeled source rows, 1 unlabeled source row, 2 labeled and 2 unlabeled target rows."""
    net = _gated_dan(source_weight=0.7, omega_clip=3.0)
    rng = np.random.RandomState(1)
    X = rng.normal(size=(8, net.n_features_in_)).astype(np.float32)
    sd = np.array([1, 1, 1, 1, -1, -1, -1, -1])
    y = np.array([0, 1, 1, -1, 1, 0, -1, -1])
    omega, task, adv = _by_hand(net, X, y, sd)
    Xi, yi = _tiny_batch(net, X, y, sd)
    net._terms = {}
    net.get_loss(net.infer(Xi), yi, X=Xi, training=True)
    terms = {k: v[0].item() for k, v in net._terms.items()}
    assert terms["omega_mean"] == pytest.approx(omega.mean(), rel=1e-5)
    assert terms["train_loss_task"] == pytest.approx(task, rel=1e-5)
    assert terms["train_loss_adv"] == pytest.approx(adv, rel=1e-5)
    # the clip itself: exp of the logit, capped at omega_clip
    w = net._gate_weights(torch.tensor([-3.0, 0.0, 30.0]))
    torch.testing.assert_close(w, torch.tensor([np.exp(-3.0), 1.0, 3.0], dtype=torch.float32))


def test_gated_dan_discriminator_reaches_neither_f_nor_c():
    """F's and C's gradients are those of L_CLF^gate (omega held fixed) + mu MK-MMD: D's loss adds nothing."""
    net = _gated_dan(mu=0.5)
    X, y, sd = make_domain_shift(30, 20, n_target_labeled=4, random_state=0)
    Xi, yi = _tiny_batch(net, X, y, sd)
    net._terms = {}
    net.module_.zero_grad()
    net.discriminator_.zero_grad()
    net.get_loss(net.infer(Xi), yi, X=Xi, training=True).backward()
    grads = [p.grad.clone() for p in net.module_.parameters()]
    assert any(p.grad.abs().max() > 0 for p in net.discriminator_.parameters())  # D learns
    # the same batch without the discriminator's loss: gated task term + MMD term only
    net.module_.zero_grad()
    y_pred = net.infer(Xi)
    rows, labeled = net._row_losses(y_pred, yi)
    from skdomain.deep import DomainBatch

    batch = DomainBatch(Xi["sample_domain"], labeled, "cpu", rows.dtype, row_loss=rows)
    loss = net.task_loss(y_pred, yi, Xi, batch) + _DANMixin.adaptation_loss(net, y_pred, yi, Xi, batch)
    loss.backward()
    for g, p in zip(grads, net.module_.parameters()):
        torch.testing.assert_close(g, p.grad, rtol=1e-5, atol=1e-7)


def test_gated_dan_without_labeled_target_rows_is_plain_dan():
    """No labeled target row in the fit: omega == 1, and F, C train exactly as plain DAN's."""
    X, y, sd = make_domain_shift(60, 50, random_state=0)
    kw = dict(max_epochs=3, **SMALL)
    gated = DANClassifier(gate=True, **kw).fit(X, y, sample_domain=sd)
    plain = DANClassifier(**kw).fit(X, y, sample_domain=sd)
    assert gated.n_target_labeled_ == 0 and "omega_mean" not in gated.history[-1]
    assert "train_loss_adv" in gated.history[-1]  # D is trained all the same, on nil pairs
    # omega == 1 on a batch: the task term is the plain source mean
    Xi, yi = _tiny_batch(gated, X, y, sd)
    gated._terms = {}
    out = gated.infer(Xi)
    gated.get_loss(out, yi, X=Xi, training=True)
    src = sd >= 0
    ce = torch.nn.functional.cross_entropy(out[0][src], yi[src])
    assert gated._terms["train_loss_task"][0].item() == pytest.approx(ce.item(), rel=1e-6)
    # bit-identical on CPU: D's init comes after F's, the batches have their own generator,
    # and D's loss reaches only D's parameters (Adam steps every parameter on its own)
    np.testing.assert_array_equal(gated.predict_proba(X), plain.predict_proba(X))
    np.testing.assert_array_equal(gated.history[:, "train_loss_task"], plain.history[:, "train_loss_task"])


def test_gated_dan_differs_from_plain_dan_with_labeled_target_rows():
    X, y, sd = make_domain_shift(60, 50, n_target_labeled=8, random_state=0)
    kw = dict(max_epochs=3, **SMALL)
    gated = DANClassifier(gate=True, **kw).fit(X, y, sample_domain=sd)
    plain = DANClassifier(**kw).fit(X, y, sample_domain=sd)
    omega = np.asarray(gated.history[:, "omega_mean"])
    assert np.all(np.isfinite(omega)) and np.all((omega >= 0) & (omega <= gated.omega_clip))
    assert not np.array_equal(gated.predict_proba(X), plain.predict_proba(X))
    assert plain.get_params()["gate"] is False and not hasattr(plain, "discriminator_")


def test_gated_dan_keeps_adams_own_betas_and_dann_the_adversarial_ones():
    """D plays no game in gated DAN: its optimizer is plain DAN's."""
    net = _gated_dan()
    assert net.optimizer_.defaults["betas"] == (0.9, 0.999)
    X, y, sd = make_domain_shift(30, 20, n_target_labeled=4, random_state=0)
    dann = DANNClassifier(gate=True, max_epochs=0, random_state=0).fit(X, y, sample_domain=sd)
    assert dann.optimizer_.defaults["betas"] == (0.5, 0.999)


@pytest.mark.parametrize(
    "params, fragment",
    [
        (dict(gate="yes"), "'gate' parameter"),
        (dict(gate=True, source_weight=-1.0), "'source_weight' parameter"),
        (dict(gate=True, omega_clip=0.5), "'omega_clip' parameter"),
        (dict(gate=True, discriminator__hidden_units=(0,)), "discriminator__hidden_units must be a sequence"),
    ],
)
def test_invalid_gate_parameters_are_rejected_at_fit(params, fragment):
    X, y, sd = make_domain_shift(30, 20, n_target_labeled=4, random_state=0)
    net = DANClassifier(max_epochs=1, batch_size=16, module__hidden_units=(4,), random_state=0, **params)
    with pytest.raises(ValueError, match=fragment):
        net.fit(X, y, sample_domain=sd)
    assert not hasattr(net, "module_")


def test_gated_dan_needs_the_features():
    class OutputOnly(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)

        def forward(self, x):
            return self.lin(x)

    X, y, sd = make_domain_shift(30, 20, n_target_labeled=4, random_state=0)
    net = DANClassifier(OutputOnly, gate=True, mmd_layers=("output",), max_epochs=1, random_state=0)
    with pytest.raises(ValueError, match=r"gate=True\) needs the features"):
        net.fit(X, y, sample_domain=sd)


def test_discriminator_parameters_are_kept_without_the_gate():
    """A grid over ``gate`` may fix ``discriminator__*``: the plain net accepts and ignores them."""
    X, y, sd = make_domain_shift(30, 20, n_target_labeled=4, random_state=0)
    net = DANClassifier(max_epochs=1, **SMALL).fit(X, y, sample_domain=sd)
    assert not hasattr(net, "discriminator_")
    net.set_params(gate=True).fit(X, y, sample_domain=sd)
    assert net.discriminator_.body[0].out_features == 5  # discriminator__hidden_units=(5,)
    assert any(
        p is net.discriminator_.body[0].weight for g in net.optimizer_.param_groups for p in g["params"]
    )
    with pytest.raises(ValueError, match="discriminator_hidden_units"):  # a typo still fails, gated
        DANClassifier(gate=True, max_epochs=1, discriminator_hidden_units=(4,)).fit(X, y, sample_domain=sd)
