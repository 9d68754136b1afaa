"""ADDA: the inverted-label loss by hand, the two stages (what each trains, what stays fixed), the gate.

Its gain over its stage-1 net on a shift: tests/test_adaptation_gains.py.
"""

import math

import numpy as np
import pytest
import torch

from skdomain.datasets import make_domain_shift
from skdomain.deep import ADDAClassifier, ADDARegressor, DomainBatch
from skdomain.deep._adda import adda_losses

SMALL = dict(batch_size=16, module__hidden_units=(8, 6), adversary__hidden_units=(8,), random_state=0)


def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def _equal(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def test_adda_losses_by_hand_on_a_tiny_batch():
    a_s, a_t = [0.3, -1.2], [2.0, -0.5, 0.1]
    sig = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
    # D = P(target): D learns source -> 0, target -> 1; M_t learns target -> 0 (the inverted label)
    loss_d = np.mean([-math.log(1 - sig(a)) for a in a_s]) + np.mean([-math.log(sig(a)) for a in a_t])
    loss_m = np.mean([-math.log(1 - sig(a)) for a in a_t])
    got_d, got_m = adda_losses(torch.tensor(a_s, dtype=torch.float64), torch.tensor(a_t, dtype=torch.float64))
    assert got_d.item() == pytest.approx(loss_d, rel=1e-12)
    assert got_m.item() == pytest.approx(loss_m, rel=1e-12)
    # the inverted label: the loss falls as D calls the target rows source
    assert (
        adda_losses(torch.zeros(1), torch.tensor([-3.0]))[1]
        < adda_losses(torch.zeros(1), torch.tensor([3.0]))[1]
    )
    # an empty group adds 0
    assert adda_losses(torch.zeros(0), torch.zeros(0))[0].item() == 0.0


def test_phase_losses_are_adda_losses_through_the_right_encoders():
    X, y, sd = make_domain_shift(40, 30, random_state=0)
    net = ADDAClassifier(max_epochs=2, adapt_epochs=1, **SMALL).fit(X, y, sample_domain=sd)
    Xi = {"X": torch.as_tensor(X, dtype=torch.float32), "sample_domain": torch.as_tensor(sd)}
    yi = torch.as_tensor(y)
    y_pred = net.infer(Xi)
    rows, labeled = net._row_losses(y_pred, yi)
    batch = DomainBatch(Xi["sample_domain"], labeled, "cpu", rows.dtype, row_loss=rows)
    src, tgt = sd >= 0, sd < 0
    with torch.no_grad():
        z_s = net.source_module_(Xi["X"][src])[1]  # M_s on the source rows
        z_t = net.module_(Xi["X"][tgt])[1]  # M_t on the target rows
        exp_d, exp_m = adda_losses(net.adversary_(z_s), net.adversary_(z_t))
    assert net.phase_loss("adversary", y_pred, yi, Xi, batch).item() == pytest.approx(exp_d.item(), rel=1e-6)
    assert net.phase_loss("map", y_pred, yi, Xi, batch).item() == pytest.approx(exp_m.item(), rel=1e-6)
    # the two encoders differ after stage 2, so the source rows did go through M_s
    assert not torch.allclose(z_s, net.module_(Xi["X"][src])[1])


def test_stage_two_keeps_the_source_encoder_and_the_classifier_and_trains_the_target_encoder():
    X, y, sd = make_domain_shift(60, 50, n_target_labeled=6, random_state=0)
    only = ADDAClassifier(max_epochs=3, adapt_epochs=0, **SMALL).fit(X, y, sample_domain=sd)
    net = ADDAClassifier(max_epochs=3, adapt_epochs=4, **SMALL).fit(X, y, sample_domain=sd)
    stage1 = _params(only.module_)
    # M_s and C as stage 1 left them: bit-equal to the stage-1-only net's (same seed, same stage 1)
    assert _equal(_params(net.source_module_), stage1)
    # C: the head of the target network is the stage-1 head, bit for bit
    assert _equal(_params(net.module_.head), _params(only.module_.head))
    # M_t moved away from M_s
    assert not _equal(_params(net.module_.feature_extractor), _params(only.module_.feature_extractor))
    assert [r["stage"] for r in net.history] == ["source"] * 3 + ["target"] * 4
    assert {"train_loss_task"} <= set(net.history[0]) and "train_loss_adversary" not in net.history[0]
    last = net.history[-1]
    assert {"train_loss_adversary", "train_loss_map"} <= set(last) and "train_loss_task" not in last
    assert last["train_loss_map"] == pytest.approx(np.mean(net.history[-1, "batches", :, "train_loss_map"]))
    # the stage's train_loss is the encoder's phase (the last one)
    assert last["batches"][-1]["train_loss"] == pytest.approx(last["batches"][-1]["train_loss_map"], rel=1e-6)


def test_the_regressor_runs_the_same_two_stages_on_the_squared_error():
    X, y, sd = make_domain_shift(60, 50, task="regression", n_target_labeled=6, random_state=0)
    only = ADDARegressor(max_epochs=3, adapt_epochs=0, **SMALL).fit(X, y, sample_domain=sd)
    net = ADDARegressor(max_epochs=3, adapt_epochs=4, **SMALL).fit(X, y, sample_domain=sd)
    assert _equal(_params(net.source_module_), _params(only.module_))
    assert _equal(_params(net.module_.head), _params(only.module_.head))
    assert not _equal(_params(net.module_.feature_extractor), _params(only.module_.feature_extractor))
    assert [r["stage"] for r in net.history] == ["source"] * 3 + ["target"] * 4
    # stage 1's task term is the squared error: near the final weights' MSE on the labeled rows
    lab = ~np.isnan(y)  # NaN marks the unlabeled rows
    with torch.no_grad():
        out = only.module_(torch.as_tensor(X[lab], dtype=torch.float32))[0].squeeze(-1).numpy()
    mse = np.mean((out - y[lab]) ** 2)
    assert only.history[-1, "train_loss_task"] == pytest.approx(
        mse, rel=0.5
    )  # an epoch's mean, moving weights
    pred = net.predict(X[sd < 0])
    assert pred.shape == (50,) and np.isfinite(pred).all()
    assert not np.allclose(pred, only.predict(X[sd < 0]))  # through M_t, not M_s


def test_the_target_encoder_starts_equal_to_the_source_encoder():
    X, y, sd = make_domain_shift(40, 30, random_state=0)
    net = ADDAClassifier(max_epochs=2, adapt_epochs=2, **SMALL)
    seen = []

    class Spy(ADDAClassifier):
        def _start_target_stage(self):
            super()._start_target_stage()
            seen.append((_params(self.module_), _params(self.source_module_), len(self.history)))

    Spy(**net.get_params()).fit(X, y, sample_domain=sd)
    assert len(seen) == 1
    target, source, epoch = seen[0]
    assert epoch == 3 and _equal(target, source)


def test_predictions_go_through_the_target_encoder():
    X, y, sd = make_domain_shift(40, 30, random_state=0)
    net = ADDAClassifier(max_epochs=2, adapt_epochs=3, **SMALL).fit(X, y, sample_domain=sd)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    with torch.no_grad():
        via_target = torch.softmax(net.module_.head(net.module_.feature_extractor(Xt)), 1).numpy()
        via_source = torch.softmax(net.source_module_(Xt)[0], 1).numpy()
    np.testing.assert_allclose(net.predict_proba(X), via_target, rtol=1e-6, atol=1e-7)
    assert not np.allclose(net.predict_proba(X), via_source, atol=1e-4)
    np.testing.assert_allclose(net.embed(X), net.module_.feature_extractor(Xt).detach().numpy(), rtol=1e-6)


def test_bit_identical_cpu_refits_and_no_stage_two_without_target_rows():
    X, y, sd = make_domain_shift(40, 30, random_state=0)
    a = ADDAClassifier(max_epochs=2, adapt_epochs=2, **SMALL).fit(X, y, sample_domain=sd)
    b = ADDAClassifier(max_epochs=2, adapt_epochs=2, **SMALL).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert _equal(_params(a.adversary_), _params(b.adversary_))
    src = sd >= 0
    with pytest.warns(UserWarning, match="without adaptation"):
        c = ADDAClassifier(max_epochs=2, adapt_epochs=2, **SMALL).fit(X[src], y[src], sample_domain=sd[src])
    assert [r["stage"] for r in c.history] == ["source", "source"]


def test_partial_fit_continues_stage_two():
    X, y, sd = make_domain_shift(40, 30, random_state=0)
    net = ADDAClassifier(max_epochs=2, adapt_epochs=1, **SMALL).fit(X, y, sample_domain=sd)
    source = _params(net.source_module_)
    net.partial_fit(X, y, sample_domain=sd)
    assert [r["stage"] for r in net.history] == ["source"] * 2 + ["target"] * 2
    assert _equal(_params(net.source_module_), source)  # no new copy: M_s stays stage 1's


def test_gate_weights_stage_one_only():
    X, y, sd = make_domain_shift(60, 50, n_target_labeled=8, random_state=0)
    net = ADDAClassifier(max_epochs=2, adapt_epochs=2, gate=True, discriminator__hidden_units=(8,), **SMALL)
    net.fit(X, y, sample_domain=sd)
    first, last = net.history[0], net.history[-1]
    assert {"omega_mean", "train_loss_adv", "train_loss_task"} <= set(first)
    assert "omega_mean" not in last and "train_loss_adv" not in last
    # the gate's D sees features and one-hot classes; the adversary features alone
    assert net.discriminator_.body[0].in_features == net.feature_dims_[0] + len(net.classes_)
    assert net.adversary_.body[0].in_features == net.feature_dims_[0]
    # without labeled target rows, omega == 1 and stage 1 is the plain one
    X0, y0, sd0 = make_domain_shift(60, 50, random_state=0)
    plain = ADDAClassifier(max_epochs=2, adapt_epochs=2, **SMALL).fit(X0, y0, sample_domain=sd0)
    gated = ADDAClassifier(max_epochs=2, adapt_epochs=2, gate=True, **SMALL).fit(X0, y0, sample_domain=sd0)
    np.testing.assert_allclose(
        plain.history[1, "train_loss_task"], gated.history[1, "train_loss_task"], rtol=1e-5
    )


def test_needs_features_and_checks_its_parameters():
    X, y, sd = make_domain_shift(40, 30, random_state=0)

    class OutputOnly(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(X.shape[1], 2)

        def forward(self, x):
            return self.lin(x)

    with pytest.raises(ValueError, match="needs the encoder's features"):
        ADDAClassifier(OutputOnly, max_epochs=1, adapt_epochs=1).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="adapt_epochs"):
        ADDAClassifier(adapt_epochs=-1).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="adversary__hidden_units"):
        ADDAClassifier(adversary__hidden_units=(0,)).fit(X, y, sample_domain=sd)
