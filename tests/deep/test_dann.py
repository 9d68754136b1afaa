"""DANN: gradient reversal, its schedule, the adversarial gradient, the gate.

Its gain over source-only training and its feature alignment: tests/test_adaptation_gains.py.
"""

import numpy as np
import pytest
import torch

from skdomain.datasets import make_domain_shift
from skdomain.deep import DANNClassifier, GatedDANNClassifier, dann_lambda, grad_reverse


def test_gradient_reversal_is_identity_forward_and_minus_lambda_backward():
    x = torch.randn(5, 3, requires_grad=True)
    g = torch.randn(5, 3)
    y = grad_reverse(x, 0.7)
    assert torch.equal(y, x)
    y.backward(g)
    torch.testing.assert_close(x.grad, -0.7 * g)


@pytest.mark.parametrize(
    "p, expected", [(0.0, 0.0), (0.5, 2 / (1 + np.exp(-5)) - 1), (1.0, 2 / (1 + np.exp(-10)) - 1)]
)
def test_schedule_values(p, expected):
    assert dann_lambda(p) == pytest.approx(expected, abs=1e-12)
    assert dann_lambda(0.5) == pytest.approx(0.986614, abs=1e-6)


def test_schedule_rises_over_training_and_constant_is_constant():
    X, y, sd = make_domain_shift(60, 60, random_state=0)
    kw = dict(max_epochs=4, batch_size=16, module__hidden_units=(8,), random_state=0)
    net = DANNClassifier(**kw).fit(X, y, sample_domain=sd)
    lam = net.history[:, "lambda_p"]
    assert np.all(np.diff(lam) > 0) and 0 < lam[0] < lam[-1] < 1
    # the last batch sees p = (steps - 1) / steps
    steps = 4 * len(net.history[-1, "batches"])
    assert net.history[-1, "batches", -1, "lambda_p"] == pytest.approx(dann_lambda((steps - 1) / steps))
    const = DANNClassifier(grl_lambda=0.3, **kw).fit(X, y, sample_domain=sd)
    assert np.allclose(const.history[:, "lambda_p"], 0.3)


def _feature_grad(mu, gate=False):
    """Gradient of the loss of one fixed batch on F's first weight, for a given mu."""
    X, y, sd = make_domain_shift(40, 40, n_target_labeled=8, random_state=0)
    net = DANNClassifier(
        max_epochs=0, mu=mu, grl_lambda=1.0, gate=gate, module__hidden_units=(8,), random_state=0
    ).fit(X, y, sample_domain=sd)
    it = net.get_iterator(net.get_dataset(X), training=False)
    ds = it.dataset
    Xi, yi = ds.take(torch.arange(len(ds)))
    Xi["sample_domain"] = torch.as_tensor(sd)
    yi = torch.as_tensor(np.where(y >= 0, y, -1))
    net.module_.zero_grad()
    net.discriminator_.zero_grad()
    net._terms = {}
    loss = net.get_loss(net.infer(Xi), yi, X=Xi, training=True)
    loss.backward()
    first = net.module_.feature_extractor[0].weight.grad.clone()
    d_first = net.discriminator_.body[0].weight.grad.clone()
    return first, d_first


@pytest.mark.parametrize("gate", [False, True])
def test_adversarial_term_reaches_the_feature_extractor(gate):
    g0, d0 = _feature_grad(0.0, gate)
    g1, d1 = _feature_grad(1.0, gate)
    g2, _ = _feature_grad(2.0, gate)
    # F's gradient moves with mu, linearly: the discriminator's output is not constant
    assert (g1 - g0).abs().max() > 1e-4
    torch.testing.assert_close(g2 - g0, 2 * (g1 - g0), rtol=1e-3, atol=1e-6)
    assert d1.abs().max() > 1e-4  # D learns too


def test_gate_weights_are_finite_and_clipped():
    X, y, sd = make_domain_shift(60, 60, n_target_labeled=12, random_state=0)
    net = GatedDANNClassifier(
        max_epochs=3, batch_size=16, module__hidden_units=(8,), omega_clip=2.0, random_state=0
    ).fit(X, y, sample_domain=sd)
    omega = net.history[:, "batches", :, "omega_mean"]
    flat = np.concatenate([np.atleast_1d(o) for o in omega])
    assert np.all(np.isfinite(flat)) and np.all(flat >= 0) and np.all(flat <= 2.0)
    # the weights themselves, on a batch: exp of the clipped logit
    w = net._gate_weights(torch.tensor([-50.0, 0.0, 50.0]))
    torch.testing.assert_close(w, torch.tensor([np.exp(-50.0), 1.0, 2.0], dtype=torch.float32))


def test_gate_without_labeled_target_is_plain_dann():
    """No labeled target row in the fit: omega == 1, the task loss is the plain source mean."""
    X, y, sd = make_domain_shift(60, 60, random_state=0)
    net = GatedDANNClassifier(max_epochs=1, batch_size=16, module__hidden_units=(8,), random_state=0)
    net.fit(X, y, sample_domain=sd)
    assert net.n_target_labeled_ == 0 and "omega_mean" not in net.history[-1]
    Xi = {"X": torch.as_tensor(X, dtype=torch.float32), "sample_domain": torch.as_tensor(sd)}
    yi = torch.as_tensor(y)
    net._terms = {}
    out = net.infer(Xi)
    net.get_loss(out, yi, X=Xi, training=True)
    src = sd >= 0
    ce = torch.nn.functional.cross_entropy(out[0][src], yi[src])
    assert net._terms["train_loss_task"][0].item() == pytest.approx(ce.item(), rel=1e-6)


def _perturbed(shifted_blobs, n, seed, eps=0.7, n_target_labeled=30):
    """``shifted_blobs``, a fraction ``eps`` of the source class-1 labels flipped to 0, some target labels."""
    X, y, sd, yt = shifted_blobs(n, seed)
    rng = np.random.RandomState(seed + 7)
    ones = np.flatnonzero((sd >= 0) & (y == 1))
    y = y.copy()
    y[ones[rng.rand(ones.size) < eps]] = 0
    y[np.flatnonzero(sd < 0)[:n_target_labeled]] = yt[:n_target_labeled]
    return X, y, sd, yt


def test_gate_beats_plain_dann_on_a_perturbed_source(shifted_blobs):
    """70% of the source's class-1 labels flipped, 30 of 150 target rows labeled, 6 seeds.

    Measured accuracy on the unlabeled target rows: DANN 0.792, gated DANN 0.815 (the gain
    is modest and varies by seed; with 90% flips it vanished on other seeds). Measured with
    the DANN settings before issue 12, pinned here (mu=1, a 64-unit discriminator, Adam's
    betas 0.9): with the defaults since (mu=0.3, 256-256, betas 0.5) the gate's gain over
    plain DANN shrank to +0.008 (seeds 0, +0.017, +0.017, -0.025, +0.042, 0).
    """
    kw = dict(max_epochs=50, lr=5e-3, batch_size=32, module__hidden_units=(32, 16))
    kw.update(mu=1.0, discriminator__hidden_units=(64,), optimizer__betas=(0.9, 0.999))
    gain = []
    for seed in range(6):
        X, y, sd, yt = _perturbed(shifted_blobs, 150, seed)
        scores = []
        for cls in (DANNClassifier, GatedDANNClassifier):
            net = cls(random_state=seed, **kw).fit(X, y, sample_domain=sd)
            scores.append(np.mean(net.predict(X[sd < 0][30:]) == yt[30:]))
        gain.append(scores[1] - scores[0])
    assert np.mean(gain) > 0.01


@pytest.mark.parametrize(
    "params, fragment",
    [
        (dict(discriminator__hidden_units=(0,)), "discriminator__hidden_units must be a sequence"),
        (dict(mu=float("inf")), "'mu' parameter"),
        (dict(grl_lambda=float("inf")), "'grl_lambda' parameter"),
        (dict(grl_gamma=float("inf")), "'grl_gamma' parameter"),
        (dict(gate=True, source_weight=float("inf")), "'source_weight' parameter"),
        (dict(gate=True, omega_clip=float("inf")), "'omega_clip' parameter"),
    ],
)
def test_invalid_dann_parameters_are_rejected_at_fit(params, fragment):
    X, y, sd = make_domain_shift(30, 20, n_target_labeled=4, random_state=0)
    net = DANNClassifier(max_epochs=1, batch_size=16, module__hidden_units=(4,), random_state=0, **params)
    with pytest.raises(ValueError, match=fragment):
        net.fit(X, y, sample_domain=sd)
    assert not hasattr(net, "module_")


def _issue12_blobs(seed):
    """Issue 12's reproducer: 10-d blobs, class on feature 0, target shifted by 2 on features 1-3."""
    rng = np.random.default_rng(seed)

    def blobs(n, shift):
        y = rng.integers(0, 2, n)
        X = rng.normal(0, 1, (n, 10))
        X[:, 0] += 2.5 * y
        X[:, 1:4] += shift
        return X.astype("float32"), y

    Xs, ys = blobs(600, 0.0)
    Xt, yt = blobs(600, 2.0)
    sd = np.r_[np.ones(600, int), -np.ones(600, int)]
    return np.vstack([Xs, Xt]), np.r_[ys, -np.ones(600, int)], sd, yt


def test_default_dann_does_not_lose_to_its_source_only_net_on_issue_12_shift():
    """The issue's reproducer, 3 seeds, max_epochs=30: the defaults against the same net at mu=0.

    Measured target accuracy, seeds 0/1/2: source-only net 0.852/0.837/0.778; the defaults
    before issue 12 (mu=1, a 64-unit discriminator, Adam's betas 0.9) 0.775/0.883/0.673
    (lost on 2 of 3); the defaults now (mu=0.3, 256-256, betas 0.5; the source-only net
    gets the same betas) 0.860/0.868/0.850 against 0.852/0.838/0.782: gains +0.008/+0.030/+0.068.
    """
    gains = []
    for seed in range(3):
        X, y, sd, yt = _issue12_blobs(seed)
        acc = [
            np.mean(net.fit(X, y, sample_domain=sd).predict(X[sd < 0]) == yt)
            for net in (
                DANNClassifier(max_epochs=30, random_state=seed, mu=0.0),
                DANNClassifier(max_epochs=30, random_state=seed),
            )
        ]
        gains.append(acc[1] - acc[0])
    assert min(gains) > -0.005 and np.mean(gains) > 0.01, gains


def test_adam_gets_adversarial_betas_unless_named():
    X, y, sd = make_domain_shift(40, 40, random_state=0)
    net = DANNClassifier(max_epochs=1, random_state=0).fit(X, y, sample_domain=sd)
    assert net.optimizer_.defaults["betas"] == (0.5, 0.999)
    own = DANNClassifier(max_epochs=1, random_state=0, optimizer__betas=(0.9, 0.999))
    assert own.fit(X, y, sample_domain=sd).optimizer_.defaults["betas"] == (0.9, 0.999)
    sgd = DANNClassifier(max_epochs=1, random_state=0, optimizer=torch.optim.SGD)
    assert "betas" not in sgd.fit(X, y, sample_domain=sd).optimizer_.defaults
