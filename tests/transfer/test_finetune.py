"""FineTuningClassifier / Regressor: new head, freezing (parameters and buffers), layer-wise rates."""

import copy
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from skorch import NeuralNetClassifier

from skdomain.transfer import FineTuningClassifier, FineTuningRegressor, NetFeatures


def _net(seed=0, n_in=6, n_out=4, dropout=0.0):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return torch.nn.Sequential(
            torch.nn.Linear(n_in, 16),
            torch.nn.BatchNorm1d(16),
            torch.nn.ReLU(),
            torch.nn.Dropout(dropout),
            torch.nn.Linear(16, 8),
            torch.nn.ReLU(),
            torch.nn.Linear(8, n_out),
        )


def _data(n=120, d=6, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + 2 * (X[:, 2] > 0)
    return X, y


_FAST = dict(max_epochs=8, lr=1e-2, batch_size=16, random_state=0)


def _state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_layers_head_and_caller_module_untouched():
    net = _net()
    before = _state(net)
    X, y = _data()
    clf = FineTuningClassifier(net, freeze=1, **_FAST).fit(X, y)
    assert clf.head_ == "6" and clf.layers_ == ["0", "4"] and clf.frozen_layers_ == ["0"]
    assert clf.module_[6].out_features == 4 and clf.classes_.tolist() == [0, 1, 2, 3]
    after = _state(net)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert net.training  # the caller's module keeps its mode


def test_frozen_parameters_and_buffers_are_bit_identical():
    """freeze=1 freezes Linear 0 and its BatchNorm: weights and running statistics unchanged."""
    net = _net()
    X, y = _data()
    clf = FineTuningClassifier(net, freeze=1, **_FAST).fit(X, y)
    before, after = _state(net), _state(clf.module_)
    frozen = [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
    ]
    for k in frozen:
        assert torch.equal(before[k], after[k]), k
    assert not torch.equal(before["4.weight"], after["4.weight"])
    # without freezing, the same fit moves the BatchNorm statistics: the test above can fail
    full = FineTuningClassifier(net, freeze=0, **_FAST).fit(X, y)
    assert not torch.equal(before["1.running_mean"], full.module_.state_dict()["1.running_mean"])
    assert not torch.equal(before["0.weight"], full.module_.state_dict()["0.weight"])


_MODES = []


class _Probe(torch.nn.Module):
    """Records its training flag at each forward (a parameter-free module)."""

    def forward(self, x):
        _MODES.append(self.training)
        return x


def test_frozen_bottom_runs_in_eval_mode_and_the_rest_trains():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = torch.nn.Sequential(
            torch.nn.Linear(6, 8),
            _Probe(),
            torch.nn.ReLU(),
            torch.nn.Linear(8, 8),
            torch.nn.ReLU(),
            torch.nn.Linear(8, 2),
        )
    X, y = _data()
    y = y % 2
    _MODES.clear()
    FineTuningClassifier(net, freeze=1, **_FAST).fit(X, y)
    assert _MODES and not any(_MODES)  # below the first trainable layer: eval, also in training
    _MODES.clear()
    FineTuningClassifier(net, freeze=0, **_FAST).fit(X, y)
    assert any(_MODES)


def test_freeze_all_and_by_name():
    X, y = _data()
    clf = FineTuningClassifier(_net(), freeze="all", **_FAST).fit(X, y)
    assert clf.frozen_layers_ == ["0", "4"]
    trained = {id(p) for g in clf.optimizer_.param_groups for p in g["params"]}
    assert trained == {id(p) for p in clf.module_[6].parameters()}
    named = FineTuningClassifier(_net(), freeze=["4"], **_FAST).fit(X, y)
    assert named.frozen_layers_ == ["4"]
    assert torch.equal(named.module_[4].weight, _net()[4].weight)
    assert not torch.equal(named.module_[0].weight, _net()[0].weight)


def test_lr_decay_gives_each_layer_its_rate():
    X, y = _data()
    clf = FineTuningClassifier(_net(), lr_decay=0.1, **_FAST).fit(X, y)
    lrs = {}
    for g in clf.optimizer_.param_groups:
        for p in g["params"]:
            lrs[id(p)] = g["lr"]
    m = clf.module_
    assert lrs[id(m[6].weight)] == pytest.approx(1e-2)
    assert lrs[id(m[4].weight)] == pytest.approx(1e-3)
    assert lrs[id(m[0].weight)] == pytest.approx(1e-4)
    assert lrs[id(m[1].weight)] == pytest.approx(1e-4)  # BatchNorm goes with the layer before it
    # skorch's own param_groups come first; the rest is split by layer
    user = FineTuningClassifier(
        _net(), lr_decay=0.1, optimizer__param_groups=[("0.*", {"lr": 0.5})], **_FAST
    ).fit(X, y)
    lrs = {id(p): g["lr"] for g in user.optimizer_.param_groups for p in g["params"]}
    assert lrs[id(user.module_[0].weight)] == 0.5 and lrs[id(user.module_[4].weight)] == pytest.approx(1e-3)


def test_frozen_net_with_sgd_is_gradient_descent_on_the_features():
    """freeze="all", full batch SGD: the head follows gradient descent on NetFeatures' output."""
    net = _net()
    X, y = _data(n=60)
    kwargs = dict(freeze="all", optimizer=torch.optim.SGD, lr=0.1, batch_size=60, random_state=3)
    start = FineTuningClassifier(net, max_epochs=0, **kwargs).fit(X, y)
    W = start.module_[6].weight.detach().double().clone().requires_grad_(True)
    b = start.module_[6].bias.detach().double().clone().requires_grad_(True)
    Z = torch.as_tensor(NetFeatures(net).fit(X).transform(X))
    t = torch.as_tensor(y)
    for _ in range(5):
        loss = torch.nn.functional.cross_entropy(Z @ W.T + b, t)
        gW, gb = torch.autograd.grad(loss, (W, b))
        with torch.no_grad():
            W -= 0.1 * gW
            b -= 0.1 * gb
    clf = FineTuningClassifier(net, max_epochs=5, **kwargs).fit(X, y)
    np.testing.assert_allclose(clf.module_[6].weight.detach().double(), W.detach(), atol=1e-5)
    np.testing.assert_allclose(clf.module_[6].bias.detach().double(), b.detach(), atol=1e-5)


def test_skorch_net_and_frozen_estimator_come_in_and_clone_keeps_them():
    X, y = _data()
    skorch_net = NeuralNetClassifier(
        _net(), criterion=torch.nn.CrossEntropyLoss, max_epochs=2, train_split=None, lr=1e-2
    ).fit(X.astype(np.float32), y)
    a = FineTuningClassifier(FrozenEstimator(skorch_net), freeze=1, **_FAST).fit(X, y)
    b = FineTuningClassifier(copy.deepcopy(skorch_net.module_), freeze=1, **_FAST).fit(X, y)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-6)
    c = clone(a).fit(X, y)
    np.testing.assert_allclose(c.predict_proba(X), a.predict_proba(X), atol=1e-6)
    with pytest.raises(ValueError, match="not fitted"):
        FineTuningClassifier(clone(skorch_net), **_FAST).fit(X, y)


def test_early_stopping_watches_the_validation_loss():
    X, y = _data(n=80)
    rng = np.random.RandomState(0)
    y = np.where(rng.rand(80) < 0.4, rng.randint(0, 4, 80), y)  # noisy labels: the net overfits
    clf = FineTuningClassifier(
        _net(), early_stopping=True, patience=3, max_epochs=300, lr=3e-2, batch_size=16, random_state=0
    ).fit(X, y)
    losses = clf.history[:, "valid_loss"]
    assert len(losses) < 300
    best = int(np.argmin(losses))
    assert len(losses) == best + 1 + 3  # stopped `patience` epochs after the best one


def test_regressor_one_and_several_outputs():
    X, y = _data()
    target = X[:, :2] @ np.array([[1.0, -1.0], [0.5, 2.0]])
    reg = FineTuningRegressor(_net(), max_epochs=40, lr=1e-2, batch_size=16, random_state=0)
    assert reg.fit(X, target[:, 0]).predict(X).shape == (120,)
    assert reg.fit(X, target).predict(X).shape == (120, 2)
    assert reg.score(X, target) > 0.5
    assert not hasattr(reg, "predict_proba")


def test_warm_start_continues_training():
    X, y = _data()
    clf = FineTuningClassifier(_net(), warm_start=True, **_FAST).fit(X, y)
    w = clf.module_[6].weight.detach().clone()
    clf.fit(X, y)
    assert len(clf.history) == 16 and not torch.equal(w, clf.module_[6].weight)


def test_pickle_round_trip():
    X, y = _data()
    clf = FineTuningClassifier(_net(), freeze=1, **_FAST).fit(X, y)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize(
    "kwargs, X_width, match",
    [
        (dict(freeze=3), 6, "freeze=3 but the pretrained network has 2 layers"),
        (dict(freeze=["6"]), 6, "'6' is not one of \\['0', '4'\\]"),
        (dict(head="1"), 6, "must be a torch.nn.Linear"),
        (dict(head="nope"), 6, "has no layer 'nope'"),
        (dict(), 5, "X has 5 features, but the pretrained network"),
        (dict(pretrained=None), 6, "needs a pretrained network"),
        (dict(pretrained="net"), 6, "must be a torch.nn.Module, a fitted skorch net"),
    ],
)
def test_bad_inputs_say_what_is_wrong(kwargs, X_width, match):
    X, y = _data(d=X_width)
    kwargs = {"pretrained": _net(), **kwargs}
    with pytest.raises(ValueError, match=match):
        FineTuningClassifier(**kwargs, **_FAST).fit(X, y)


def test_one_class_and_sample_domain_are_errors():
    X, y = _data()
    with pytest.raises(ValueError, match="at least 2 classes"):
        FineTuningClassifier(_net(), **_FAST).fit(X, np.zeros(len(y), dtype=int))
    with pytest.raises(TypeError, match="takes no sample_domain"):
        FineTuningClassifier(_net(), **_FAST).fit(X, y, sample_domain=np.zeros(len(y), dtype=int))
