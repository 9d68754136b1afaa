"""The hook contract of the deep nets: DomainBatch, labeled_rows, the step counter, forward hooks."""

import pickle

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

import skdomain.deep._net as net_module
from skdomain.deep import (
    DANNClassifier,
    DANNRegressor,
    DomainBatch,
    DomainClassifierMixin,
    DomainNet,
    LabeledValidSplit,
    dann_lambda,
)
from skdomain.deep._data import labeled_rows

SMALL = dict(max_epochs=3, batch_size=16, module__hidden_units=(16,), random_state=0)
SMALL_NO_EPOCHS = {k: v for k, v in SMALL.items() if k != "max_epochs"}


def test_domain_batch_groups_counts_and_means():
    sd = torch.tensor([0, 3, 0, -1, -2, -1])
    labeled = torch.tensor([True, True, True, False, True, False])
    b = DomainBatch(sd, labeled, "cpu", torch.float64, row_loss=torch.arange(6.0))
    assert (b.n_source, b.n_target, b.n_source_labeled, b.n_target_labeled) == (3, 3, 3, 1)
    np.testing.assert_array_equal(b.w_target_labeled.numpy(), [0, 0, 0, 0, 1, 0])
    assert b.w_source.dtype == torch.float64 and b.cache == {}
    v = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype=torch.float64)
    # each group's mean, against indexing on the host
    for group, mask in [
        ("source", sd >= 0),
        ("target", sd < 0),
        ("source_labeled", (sd >= 0) & labeled),
        ("target_labeled", (sd < 0) & labeled),
    ]:
        assert float(b.mean(v, group)) == pytest.approx(float(v[mask].mean()))
    empty = DomainBatch(torch.tensor([0, 1]), torch.tensor([True, True]), "cpu", torch.float32)
    assert float(empty.mean(torch.ones(2), "target")) == 0.0  # a group without rows adds 0
    with pytest.raises(ValueError, match="group must be one of"):
        b.mean(v, "labeled")


def test_labeled_rows_one_rule_for_numpy_and_torch():
    cls = np.array([0, -1, 2, -1])
    reg = np.array([0.5, np.nan, -1.0, np.nan], dtype=np.float32)
    for y, expected in [(cls, [1, 0, 1, 0]), (reg, [1, 0, 1, 0])]:
        np.testing.assert_array_equal(labeled_rows(y), np.asarray(expected, bool))
        np.testing.assert_array_equal(labeled_rows(torch.as_tensor(y)).numpy(), np.asarray(expected, bool))
    # -1.0 is a value, not a mask, for a regression target; the task can be said explicitly
    np.testing.assert_array_equal(labeled_rows(reg, "regression"), [1, 0, 1, 0])
    np.testing.assert_array_equal(labeled_rows(cls.astype(float), "classification"), [1, 0, 1, 0])


class _Recorder(DomainClassifierMixin, DomainNet):
    """Records what the two loss hooks receive."""

    def task_loss(self, y_pred, y_true, X, batch):
        self.calls_.append(("task", y_pred, y_true, X, batch))
        batch.cache["token"] = len(self.calls_)
        return super().task_loss(y_pred, y_true, X, batch)

    def adaptation_loss(self, y_pred, y_true, X, batch):
        self.calls_.append(("adapt", y_pred, y_true, X, batch))
        return y_pred[1].pow(2).mean() * 0.0


def test_both_hooks_get_the_same_objects_in_one_order(data):
    X, y, sd = data
    net = _Recorder(max_epochs=1, batch_size=16, module__hidden_units=(8,), random_state=0)
    net.calls_ = []
    net.fit(X, y, sample_domain=sd)
    assert [c[0] for c in net.calls_[:2]] == ["task", "adapt"]
    (_, p1, y1, X1, b1), (_, p2, y2, X2, b2) = net.calls_[:2]
    assert p1 is p2 and y1 is y2 and X1 is X2 and b1 is b2  # one batch, one DomainBatch
    assert isinstance(b1, DomainBatch) and b1.cache["token"] == 1  # what task_loss kept
    assert b1.row_loss.shape == y1.shape and set(X1) == {"X", "sample_domain"}
    assert b1.n_source + b1.n_target == len(y1)


def test_step_counter_advances_after_each_training_batch_only(data):
    X, y, sd = data
    net = DANNClassifier(**SMALL, train_split=LabeledValidSplit(0.25)).fit(X, y, sample_domain=sd)
    per_epoch = net.history[-1]["train_batch_count"]
    assert net.history[-1]["valid_batch_count"] > 0  # validation batches ran, and were not counted
    assert net._train_step_count == SMALL["max_epochs"] * per_epoch
    assert net.progress() == 1.0
    # lambda_p of batch k is the schedule at p = k / total: the counter moves after the batch
    lam = [b["lambda_p"] for epoch in net.history for b in epoch["batches"] if "train_loss" in b]
    total = SMALL["max_epochs"] * per_epoch
    assert len(lam) == total
    np.testing.assert_allclose(lam, [dann_lambda(k / total, net.grl_gamma) for k in range(total)])


class _Hidden(torch.nn.Module):
    """A module that returns only its output: features read through a forward hook."""

    def __init__(self, n_in=2):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(n_in, 8), torch.nn.ReLU())
        self.head = torch.nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.body(x))


def _hook_counts(monkeypatch):
    made = []

    class Counting(net_module.FeatureHook):
        def __init__(self, module, names):
            made.append(tuple(names))
            super().__init__(module, names)

    monkeypatch.setattr(net_module, "FeatureHook", Counting)
    return made


def _n_hooks(module):
    return sum(len(m._forward_hooks) for m in module.modules())


def test_forward_hooks_are_registered_once_per_fit_and_prediction(data, monkeypatch):
    X, y, sd = data
    made = _hook_counts(monkeypatch)
    net = DANNClassifier(module=_Hidden, module__n_in=X.shape[1], feature_layer="body", max_epochs=3)
    net.set_params(batch_size=8, random_state=0).fit(X, y, sample_domain=sd)
    batches = sum(e["train_batch_count"] for e in net.history)
    assert batches >= 15 and made == [("body",), ("body",)]  # the width probe, then the whole fit
    assert _n_hooks(net.module_) == 0  # nothing left on the module
    net.predict_proba(X)
    assert len(made) == 3 and _n_hooks(net.module_) == 0
    assert net.embed(X).shape == (len(X), 8)


class _PickleAtEpochEnd(Callback):
    def initialize(self):
        self.pickles = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.pickles.append(pickle.dumps(net))


def test_a_pickle_taken_during_a_fit_carries_no_hook(data):
    X, y, sd = data
    cb = _PickleAtEpochEnd()
    net = DANNClassifier(
        module=_Hidden,
        module__n_in=X.shape[1],
        feature_layer="body",
        callbacks=[cb],
        max_epochs=2,
        batch_size=16,
        random_state=0,
    ).fit(X, y, sample_domain=sd)
    assert len(cb.pickles) == 2 and _n_hooks(net.module_) == 0
    again = pickle.loads(cb.pickles[-1])  # taken at the last epoch's end: the final weights
    assert _n_hooks(again.module_) == 0 and getattr(again, "_hook", None) is None
    np.testing.assert_allclose(again.predict_proba(X), net.predict_proba(X), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(again.embed(X), net.embed(X), rtol=1e-6, atol=1e-7)


def test_dann_regressor_has_no_gate_parameters():
    params = DANNRegressor().get_params()
    assert {"mu", "grl_lambda", "grl_gamma", "discriminator"} <= set(params)
    assert not {"gate", "source_weight", "omega_clip"} & set(params)
    assert {"gate", "source_weight", "omega_clip"} <= set(DANNClassifier().get_params())


class _Alternating(DomainClassifierMixin, DomainNet):
    """Domain confusion in miniature: a critic with its own optimizer and phase, then the main phase.

    The main phase's adaptation term (the critic's output pushed to 1/2) reaches the critic's
    parameters too, but only the critic's phase steps them.
    """

    def initialize_extra_modules(self):
        self.critic_ = torch.nn.Linear(self.feature_dims_[0], 1).to(self.device)

    def initialize_optimizer(self, *args, **kwargs):
        args, kw = self.get_params_for_optimizer("optimizer", self.module_.named_parameters())
        self.optimizer_ = self.optimizer(*args, **kw)
        self.optimizer_critic_ = torch.optim.SGD(self.critic_.parameters(), lr=0.5)
        return self

    def step_phases(self):
        return [("critic", ["optimizer_critic"]), ("main", ["optimizer"])]

    def phase_loss(self, name, y_pred, y_true, X, batch):
        logits = self.critic_(y_pred[1].detach()).squeeze(1)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, batch.w_target, reduction="none")
        return batch.mean(bce, "target") + batch.mean(bce, "source")

    def adaptation_loss(self, y_pred, y_true, X, batch):
        logits = self.critic_(y_pred[1]).squeeze(1)
        half = torch.full_like(logits, 0.5)
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, half)


def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def test_step_phases_step_each_optimizer_on_its_own_loss_in_order(data):
    X, y, sd = data
    net = _Alternating(optimizer=torch.optim.SGD, lr=0.1, max_epochs=0, **SMALL_NO_EPOCHS)
    net.fit(X, y, sample_domain=sd)
    rows = np.r_[np.flatnonzero(sd >= 0)[:8], np.flatnonzero(sd < 0)[:8]]
    Xi = {"X": torch.as_tensor(X[rows], dtype=torch.float32), "sample_domain": torch.as_tensor(sd[rows])}
    yi = torch.as_tensor(y[rows])
    m0, c0 = _params(net.module_), _params(net.critic_)
    # by hand: the critic's step on its own loss, then the main step with the stepped critic
    critic = torch.nn.Linear(net.critic_.in_features, 1)
    module = pickle.loads(pickle.dumps(net.module_))
    with torch.no_grad():
        for p, q in zip(critic.parameters(), c0):
            p.copy_(q)
    net._terms = {}
    twin = pickle.loads(pickle.dumps(net))
    twin.critic_ = critic
    twin.module_ = module
    y_pred = twin.infer(Xi)
    rows, labeled = twin._row_losses(y_pred, yi)
    loss_c = twin.phase_loss(
        "critic", y_pred, yi, Xi, DomainBatch(Xi["sample_domain"], labeled, "cpu", rows.dtype)
    )
    grads_c = torch.autograd.grad(loss_c, list(critic.parameters()))
    with torch.no_grad():
        for p, g in zip(critic.parameters(), grads_c):
            p -= 0.5 * g
    twin._terms = {}
    loss_m = twin.get_loss(twin.infer(Xi), yi, X=Xi, training=True)
    grads_m = torch.autograd.grad(loss_m, list(module.parameters()))
    expected_m = [p - 0.1 * g for p, g in zip(m0, grads_m)]
    expected_c = [p.detach() for p in critic.parameters()]

    net._terms = {}
    step = net.train_step((Xi, yi))
    for got, exp in zip(net.module_.parameters(), expected_m):
        torch.testing.assert_close(got.detach(), exp, rtol=1e-6, atol=1e-7)
    # the critic moved by its own phase only, though the main loss reached it
    for got, exp in zip(net.critic_.parameters(), expected_c):
        torch.testing.assert_close(got.detach(), exp, rtol=1e-6, atol=1e-7)
    assert step["loss"].item() == pytest.approx(loss_m.item(), rel=1e-6)  # the main phase's loss
    assert set(net._terms) == {"train_loss_critic", "train_loss_task"}
    assert net._terms["train_loss_critic"][0].item() == pytest.approx(loss_c.item(), rel=1e-6)
    assert not torch.equal(m0[0], net.module_.feature_extractor[0].weight)


def test_step_phases_fit_logs_each_phase_and_refits_identically(data):
    X, y, sd = data
    kw = dict(max_epochs=2, **SMALL_NO_EPOCHS)
    a = _Alternating(**kw).fit(X, y, sample_domain=sd)
    b = _Alternating(**kw).fit(X, y, sample_domain=sd)
    assert {"train_loss", "train_loss_task", "train_loss_critic"} <= set(a.history[-1])
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.critic_.weight.detach().numpy(), b.critic_.weight.detach().numpy())


def test_step_phases_name_unknown_optimizers_and_unimplemented_losses(data):
    X, y, sd = data

    class Unknown(_Alternating):
        def step_phases(self):
            return [("critic", ["optimizer_nope"]), ("main", ["optimizer"])]

    with pytest.raises(ValueError, match=r"phase 'critic' names optimizers \['optimizer_nope'\]"):
        Unknown(max_epochs=1, **SMALL_NO_EPOCHS).fit(X, y, sample_domain=sd)

    class NoLoss(_Alternating):
        phase_loss = DomainNet.phase_loss

    with pytest.raises(NotImplementedError, match="implement phase_loss"):
        NoLoss(max_epochs=1, **SMALL_NO_EPOCHS).fit(X, y, sample_domain=sd)
