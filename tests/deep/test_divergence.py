"""Diverging training: TrainingDivergedError, the exploding-loss warning, the state left behind."""

import os
import pickle
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from skdomain.datasets import make_domain_shift
from skdomain.deep import (
    DANClassifier,
    DANNClassifier,
    DANNRegressor,
    DANRegressor,
    DistillationClassifier,
    DomainClassifierMixin,
    DomainMLP,
    DomainNet,
    GatedDANNClassifier,
)
from skdomain.exceptions import DivergenceWarning, TrainingDivergedError

# the reproducers of the issue
NET = dict(max_epochs=3, batch_size=32, module__hidden_units=(16,), random_state=0)
SMALL = dict(max_epochs=3, batch_size=32, module__hidden_units=(8,), random_state=0)

# each net, and the history key of the term only it logs
NETS = {
    "DANNClassifier": (DANNClassifier, {}, "train_loss_adv"),
    "GatedDANNClassifier": (GatedDANNClassifier, {}, "omega_mean"),
    "DANNRegressor": (DANNRegressor, {}, "train_loss_adv"),
    "DANClassifier": (DANClassifier, {}, "train_loss_mmd"),
    "DANRegressor": (DANRegressor, {}, "train_loss_mmd"),
    "DANClassifier(gate=True)": (DANClassifier, {"gate": True}, "omega_mean"),
    "DistillationClassifier": (DistillationClassifier, {"teacher": LogisticRegression()}, "train_loss_kd"),
}


@pytest.fixture(scope="module")
def issue_data():
    X, y, sd, _ = make_domain_shift(60, 60, n_target_labeled=6, random_state=0, return_target_labels=True)
    Xr, yr, sdr = make_domain_shift(60, 60, n_target_labeled=6, task="regression", random_state=0)
    return {"classification": (X, y, sd), "regression": (Xr, yr, sdr)}


def _fit_data(cls, issue_data):
    return issue_data["regression" if "Regressor" in cls.__name__ else "classification"]


def _first_nan_epoch(net):
    losses = np.asarray([[b["train_loss"] for b in e["batches"]] for e in net.history], dtype=float)
    return 1 + int(np.flatnonzero(~np.isfinite(losses).all(axis=1))[0])


@pytest.mark.parametrize("name", list(NETS))
def test_sgd_with_a_huge_lr_raises_training_diverged(name, issue_data):
    cls, kw, own_term = NETS[name]
    X, y, sd = _fit_data(cls, issue_data)
    net = cls(**kw, lr=1e6, optimizer=torch.optim.SGD, **NET)
    # the loss explodes in epoch 1 (a warning), then becomes NaN (the error)
    with pytest.warns(DivergenceWarning, match="epoch 1"):
        with pytest.raises(TrainingDivergedError, match=r"training diverged at epoch \d") as info:
            net.fit(X, y, sample_domain=sd)
    msg = str(info.value)
    epoch = _first_nan_epoch(net)
    assert f"at epoch {epoch}:" in msg  # the epoch whose batches went NaN, not a later one
    assert len(net.history) == epoch  # training stopped there
    assert "the total loss (train_loss)" in msg and own_term in msg
    assert "lower lr (now 1000000.0)" in msg and "StandardScaler" in msg and "GradientNormClipping" in msg
    assert isinstance(info.value, RuntimeError)


@pytest.mark.parametrize("name", list(NETS))
def test_adam_with_a_huge_lr_warns_that_the_loss_explodes(name, issue_data):
    cls, kw, _ = NETS[name]
    X, y, sd = _fit_data(cls, issue_data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net = cls(**kw, lr=1e6, **NET).fit(X, y, sample_domain=sd)
    exploding = [w for w in caught if issubclass(w.category, DivergenceWarning)]
    assert len(exploding) == 1  # once per fit, not once per epoch
    msg = str(exploding[0].message)
    assert "exploding: the mean loss of epoch 1" in msg and "lower lr (now 1000000.0)" in msg
    assert exploding[0].filename == __file__  # points at the caller's line, not into skorch
    assert np.isfinite(net.history[:, "train_loss"]).all()  # finite: training went on
    net.predict(X)  # and the net is fitted


def test_huge_inputs_are_a_training_diverged_error_at_epoch_1(issue_data):
    Xr, yr, sdr = issue_data["regression"]
    net = DANNRegressor(**NET)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)  # NaN from the first batch: the error only
        with pytest.raises(TrainingDivergedError, match="at epoch 1: the total loss .* the task term"):
            net.fit(Xr * 1e30, yr, sample_domain=sdr)
    assert len(net.history) == 1


def test_a_diverged_net_is_not_fitted_until_a_fit_completes(issue_data, tmp_path):
    X, y, sd = issue_data["classification"]
    net = DANNClassifier(lr=1e6, optimizer=torch.optim.SGD, **NET)
    with pytest.warns(DivergenceWarning), pytest.raises(TrainingDivergedError):
        net.fit(X, y, sample_domain=sd)
    # initialised, with the weights of the failing epoch and the history up to it
    assert net.initialized_ and len(net.history) == 2
    assert not all(torch.isfinite(p).all() for p in net.module_.parameters())
    assert not np.isfinite(net.history[-1]["train_loss_task"])
    # but not fitted: every prediction path refuses
    for method in ("predict", "predict_proba", "embed"):
        with pytest.raises(NotFittedError, match="training diverged at epoch 2"):
            getattr(net, method)(X)
    with pytest.raises(NotFittedError, match="Fit it again"):
        net.score(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(net)
    # partial_fit continues from the diverged weights: it diverges again at once
    with pytest.raises(TrainingDivergedError, match="at epoch 3"):
        net.partial_fit(X, y, sample_domain=sd)
    # weights saved from a good fit, loaded back, make it usable again
    good = DANNClassifier(**NET).fit(X, y, sample_domain=sd)
    good.save_params(f_params=tmp_path / "params.pt")
    net.load_params(f_params=tmp_path / "params.pt")
    np.testing.assert_array_equal(net.predict_proba(X), good.predict_proba(X))
    # and a fit with a sane lr starts afresh and is fitted
    with pytest.warns(DivergenceWarning), pytest.raises(TrainingDivergedError):
        net.fit(X, y, sample_domain=sd)
    net.set_params(lr=1e-2).fit(X, y, sample_domain=sd)  # still SGD
    check_is_fitted(net)
    assert np.isfinite(net.predict_proba(X)).all()


class _Scripted(DomainClassifierMixin, DomainNet):
    """A net whose loss and logged probe follow a script by training step (the rule's cases).

    ``script(step)`` returns ``(loss_value, probe_value)``: the loss of the batch is forced
    to ``loss_value`` (its gradient is the task loss's times 0) and ``probe_value`` is
    logged as ``train_loss_probe`` without entering the loss.
    """

    def __init__(self, module=DomainMLP, *, script=None, **kwargs):
        super().__init__(module, **kwargs)
        self.script = script

    def task_loss(self, y_pred, y_true, X, batch):
        loss_value, probe = self.script(self._train_step_count)
        self._log_term("train_loss_probe", torch.as_tensor(probe, device=batch.device))
        return super().task_loss(y_pred, y_true, X, batch) * 0.0 + loss_value


def _scripted(script, **kw):
    # the conftest data: 60 source rows, batch_size 32 -> 2 training batches per epoch
    return _Scripted(script=script, **{**SMALL, **kw})


@pytest.mark.parametrize(
    "first, later, warns",
    [
        (0.5, 0.99e4, False),  # first taken as 1: 0.99e4 times, under the rule's 1e4
        (0.5, 1.01e4, True),  # 1.01e4 times the first batch (taken as 1)
        (10.0, 1.01e4, False),  # relative: 1.01e3 times a first batch of 10
        (10.0, 1.01e5, True),
        (0.5, -1.01e4, True),  # magnitudes: a loss that runs off downwards explodes too
    ],
)
def test_the_exploding_loss_rule(data, first, later, warns):
    X, y, sd = data
    net = _scripted(lambda step: (first if step == 0 else later, 0.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.fit(X, y, sample_domain=sd)
    msgs = [str(w.message) for w in caught if issubclass(w.category, DivergenceWarning)]
    # epoch 1's mean is (first + later) / 2, under the threshold in every case: the warning is epoch 2's
    assert len(msgs) == int(warns)
    if warns:
        ratio = abs(later) / max(first, 1.0)
        assert f"the mean loss of epoch 2 ({later:.3g}) is {ratio:.3g} times" in msgs[0]


def test_ordinary_fits_do_not_warn(data):
    X, y, sd = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        for cls, kw, _ in NETS.values():
            if "Regressor" not in cls.__name__:
                cls(**kw, **SMALL).fit(X, y, sample_domain=sd)


def test_a_non_finite_logged_term_is_named_even_when_it_is_one_batch(data):
    X, y, sd = data
    # the probe is NaN on the first batch of epoch 2 only; the loss stays finite: the epoch's
    # flag must remember that batch (ANDed over batches), and the message names the probe alone
    net = _scripted(lambda step: (1.0, float("nan") if step == 2 else 0.0), max_epochs=4)
    with pytest.raises(TrainingDivergedError, match=r"at epoch 2: train_loss_probe became NaN") as info:
        net.fit(X, y, sample_domain=sd)
    assert "total loss" not in str(info.value)
    batches = net.history[-1]["batches"]
    assert np.isnan(batches[0]["train_loss_probe"]) and batches[1]["train_loss_probe"] == 0.0
    net = _scripted(lambda step: (1.0, float("inf") if step == 5 else 0.0), max_epochs=4)
    with pytest.raises(TrainingDivergedError, match=r"at epoch 3: train_loss_probe"):
        net.fit(X, y, sample_domain=sd)


def test_the_check_reads_the_device_once_per_epoch(data, monkeypatch):
    """Host reads of tensors from skdomain's code during a fit: one per epoch, none per batch.

    The check adds nothing per batch: its flags travel with the terms' batch values at the
    epoch's end, and so do the batch losses (``DomainNet.run_single_epoch``; skorch's own
    loop would read each with ``loss.item()``): one ``tolist`` per epoch
    (tests/deep/test_host_sync.py counts skorch's reads too).
    """
    X, y, sd = data
    root = os.path.dirname(sys.modules["skdomain"].__file__)
    reads = []

    def counting(name):
        original = getattr(torch.Tensor, name)

        def read(self, *args, **kwargs):
            if sys._getframe(1).f_code.co_filename.startswith(root):
                reads.append(name)
            return original(self, *args, **kwargs)

        return read

    for name in ("item", "tolist", "cpu", "numpy", "__bool__", "__float__"):
        monkeypatch.setattr(torch.Tensor, name, counting(name))
    for cls in (DANNClassifier, GatedDANNClassifier, DANClassifier):
        reads.clear()
        net = cls(**{**SMALL, "batch_size": 16, "max_epochs": 3}).fit(X, y, sample_domain=sd)
        assert len(net.history[-1]["batches"]) == 4
        assert reads == ["tolist"] * 3, cls.__name__


def _stray_tensors(net):
    """Tensors kept in the net's own attributes (skorch's modules and optimizer aside)."""
    stray = []
    for k, v in vars(net).items():
        values = list(v.values()) if isinstance(v, dict) else [v]
        if any(torch.is_tensor(x) or (isinstance(x, list) and any(map(torch.is_tensor, x))) for x in values):
            stray.append(k)
    return stray


def test_the_watch_leaves_no_tensor_on_the_net_and_the_state_pickles(issue_data):
    """No device tensor of the watch outlives a call (it would tie a pickle to the device)."""
    X, y, sd = issue_data["classification"]
    net = DANNClassifier(**NET).fit(X, y, sample_domain=sd)
    assert _stray_tensors(net) == []
    net = DANNClassifier(lr=1e6, optimizer=torch.optim.SGD, **NET)
    with pytest.warns(DivergenceWarning), pytest.raises(TrainingDivergedError):
        net.fit(X, y, sample_domain=sd)
    assert _stray_tensors(net) == []
    restored = pickle.loads(pickle.dumps(net))
    with pytest.raises(NotFittedError, match="training diverged at epoch 2"):
        restored.predict(X)
    assert not restored.__sklearn_is_fitted__()
    assert not clone(net).__sklearn_is_fitted__()


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_divergence_is_caught_on_cuda(issue_data):
    X, y, sd = issue_data["classification"]
    net = DANClassifier(lr=1e6, optimizer=torch.optim.SGD, device="cuda", **NET)
    with pytest.warns(DivergenceWarning), pytest.raises(TrainingDivergedError, match="the MMD term"):
        net.fit(X, y, sample_domain=sd)
    assert _stray_tensors(net) == []
    ok = DANClassifier(device="cuda", **NET).fit(X, y, sample_domain=sd)
    assert np.isfinite(ok.history[:, "train_loss_mmd"]).all() and np.isfinite(ok.predict_proba(X)).all()
