"""Progressive networks: frozen columns untouched, lateral adapters trained, the column's algebra."""

import copy

import numpy as np
import pytest
import torch
from sklearn.frozen import FrozenEstimator
from torch import nn

from skdomain.transfer import FineTuningClassifier, ProgressiveNetClassifier, ProgressiveNetRegressor


def _column(hidden=(16, 8), n_in=4, n_out=3, seed=0, norm=True):
    """Build an MLP column; with ``norm``, BatchNorm and dropout (train mode would show)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        mods, width = [], n_in
        for h in hidden:
            mods += [nn.Linear(width, h)]
            mods += [nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(0.5)] if norm else [nn.ReLU()]
            width = h
        mods.append(nn.Linear(width, n_out))
        net = nn.Sequential(*mods)
    if norm:  # running statistics away from their initial values, as after pretraining
        with torch.no_grad():
            for m in net.modules():
                if isinstance(m, nn.BatchNorm1d):
                    m.running_mean.normal_()
                    m.running_var.uniform_(0.5, 2.0)
    return net


def _data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    return X, y


def _state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_source_column_parameters_and_buffers_bit_identical_and_in_eval_mode():
    column = _column()
    column.train()
    before = _state(column)
    X, y = _data()
    clf = ProgressiveNetClassifier(column, max_epochs=5, lr=1e-2, batch_size=32, random_state=0).fit(X, y)
    copied = clf.module_.columns[0]
    assert _same(_state(copied), before)  # BatchNorm in train mode would have moved running_*
    assert not any(m.training for m in copied.modules())
    assert all(not p.requires_grad for p in copied.parameters())
    clf.module_.train()  # skorch's switch to train mode leaves the columns in eval mode
    assert not any(m.training for m in copied.modules()) and clf.module_.layers.training
    # the caller's module: untouched, parameters, buffers and mode
    assert _same(_state(column), before) and column.training
    assert all(p.requires_grad for p in column.parameters())


def test_lateral_connections_carry_gradient():
    X, y = _data()
    clf = ProgressiveNetClassifier(_column(), max_epochs=0, lr=1e-2, batch_size=len(X), random_state=0)
    clf.fit(X, y)  # initialised, not trained
    adapters = clf.module_.adapters
    start = {n: p.detach().clone() for n, p in adapters.named_parameters()}
    assert set(start) == {f"{i}.0.{p}" for i in range(2) for p in ("alpha", "V.weight", "U.weight")}
    clf.set_params(max_epochs=1).partial_fit(X, y)  # one step: the whole set is one batch
    for name, p in adapters.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
        assert not torch.equal(p.detach(), start[name]), name
    assert all(p.grad is None for p in clf.module_.columns.parameters())


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _plain_mlp(layers, X):
    """Compute the new column alone, in numpy: ReLU hidden layers, softmax of the last layer."""
    h = X
    for i, layer in enumerate(layers):
        W = layer.weight.detach().numpy().astype(np.float64)
        b = layer.bias.detach().numpy().astype(np.float64)
        h = h @ W.T + b
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return _softmax(h)


def test_zero_alpha_gives_the_plain_mlp_of_the_new_column():
    X, y = _data()
    clf = ProgressiveNetClassifier(_column(), max_epochs=5, lr=1e-2, batch_size=32, random_state=0).fit(X, y)
    assert clf.widths_ == [4, 16, 8, 3]
    reference = _plain_mlp(clf.module_.layers, X.astype(np.float32).astype(np.float64))
    with_laterals = clf.predict_proba(X)
    assert np.abs(with_laterals - reference).max() > 1e-3  # the adapters matter ...
    with torch.no_grad():
        for row in clf.module_.adapters:
            for adapter in row:
                adapter.alpha.zero_()
    np.testing.assert_allclose(clf.predict_proba(X), reference, rtol=0, atol=1e-5)  # ... and only them


def test_several_earlier_columns():
    X, y = _data()
    first, second = _column((16, 8), seed=1), _column((12, 6), n_out=5, seed=2, norm=False)
    before = [_state(first), _state(second)]
    clf = ProgressiveNetClassifier(
        [first, second], hidden_units=[10, 5], max_epochs=40, lr=1e-2, batch_size=32, random_state=0
    )
    clf.fit(X, y)
    assert clf.column_layers_ == [["0", "4", "8"], ["0", "2", "4"]]
    assert clf.widths_ == [4, 10, 5, 3]
    assert [len(row) for row in clf.module_.adapters] == [2, 2]
    assert clf.module_.adapters[0][1].V.in_features == 12 and clf.module_.adapters[1][1].V.in_features == 6
    assert clf.module_.adapters[1][0].U.out_features == 3
    for col, state in zip(clf.module_.columns, before):
        assert _same(_state(col), state)
    assert _same(_state(first), before[0]) and _same(_state(second), before[1])
    out = clf.predict_proba(X)
    for j in range(2):  # each column's laterals reach the output
        alt = copy.deepcopy(clf)
        with torch.no_grad():
            for row in alt.module_.adapters:
                row[j].alpha.zero_()
        assert np.abs(alt.predict_proba(X) - out).max() > 1e-4
    assert clf.score(X, y) > 0.8


def test_fitted_skorch_net_and_frozen_estimator_as_columns():
    X, y = _data()
    source = FineTuningClassifier(_column(norm=False), max_epochs=2, random_state=0).fit(X, y)
    before = _state(source.module_)
    clf = ProgressiveNetClassifier([source, FrozenEstimator(source)], max_epochs=2, random_state=0)
    clf.fit(X, y)
    assert len(clf.module_.columns) == 2 and _same(_state(source.module_), before)


def test_regressor_fits_the_squared_error():
    X, _ = _data()
    y = X[:, 0] - 2 * X[:, 1]
    reg = ProgressiveNetRegressor(_column(), max_epochs=40, lr=1e-2, batch_size=32, random_state=0).fit(X, y)
    assert reg.widths_[-1] == 1 and reg.predict(X).shape == (len(X),)
    assert reg.score(X, y) > 0.8
    assert not hasattr(reg, "predict_proba")


class _TwiceLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 2)

    def forward(self, x):
        return self.b(torch.relu(self.a(torch.relu(self.a(x)))))


@pytest.mark.parametrize(
    "pretrained, params, match",
    [
        (
            nn.Sequential(nn.Unflatten(1, (1, 2, 2)), nn.Conv2d(1, 2, 2), nn.Flatten(), nn.Linear(2, 2)),
            {},
            "MLP-like",
        ),
        (nn.Sequential(nn.Linear(4, 3)), {}, "at least two"),
        (_TwiceLinear(), {}, "called once"),
        ([_column((16, 8)), _column((16,))], {}, "same number of Linear layers"),
        (_column(), dict(hidden_units=[8]), "hidden_units must list 2"),
        ([], {}, "at least one pretrained column"),
        (None, {}, "pretrained=None"),
    ],
)
def test_unsupported_columns_are_refused(pretrained, params, match):
    X, y = _data(40)
    with pytest.raises(ValueError, match=match):
        ProgressiveNetClassifier(pretrained, max_epochs=1, **params).fit(X, y)


def test_width_mismatch_is_refused_before_training():
    X, y = _data(40)
    with pytest.raises(ValueError, match="fixed input width"):
        ProgressiveNetClassifier([_column(), _column(n_in=5)], max_epochs=1).fit(X, y)
