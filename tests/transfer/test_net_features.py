"""NetFeatures: the outputs of named layers of a pretrained network, computed in eval mode, batched."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from skorch import NeuralNetClassifier

from skdomain.transfer import NetFeatures


def _net(seed=0):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = torch.nn.Sequential(
            torch.nn.Linear(5, 7),
            torch.nn.BatchNorm1d(7),
            torch.nn.ReLU(),
            torch.nn.Dropout(0.5),
            torch.nn.Linear(7, 4),
            torch.nn.ReLU(),
            torch.nn.Linear(4, 3),
        )
        # running statistics away from (0, 1): eval and train mode then differ
        net[1].running_mean.fill_(0.3)
        net[1].running_var.fill_(2.0)
    return net


X = np.random.RandomState(0).normal(size=(50, 5))


def _manual(net, upto):
    net.eval()
    with torch.no_grad():
        return net[:upto](torch.as_tensor(X, dtype=torch.float32)).double().numpy()


def test_layer_outputs_equal_a_manual_forward_in_eval_mode():
    net = _net()
    Z = NetFeatures(net, layers=["2", "5"]).fit(X).transform(X)
    ref = np.hstack([_manual(_net(), 3), _manual(_net(), 6)])
    np.testing.assert_allclose(Z, ref, atol=1e-6)
    assert net.training  # the caller's module keeps its mode


def test_default_is_what_the_head_sees():
    f = NetFeatures(_net()).fit(X)
    assert f.layers_ == ["6:input"] and f.n_features_out_ == 4
    np.testing.assert_allclose(f.transform(X), _manual(_net(), 6), atol=1e-6)


def test_batch_size_does_not_change_the_features():
    a = NetFeatures(_net(), layers="4", batch_size=1).fit(X).transform(X)
    b = NetFeatures(_net(), layers="4", batch_size=256).fit(X).transform(X)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_feature_names():
    f = NetFeatures(_net(), layers=["4", "1"]).fit(X)
    names = f.get_feature_names_out()
    assert names.tolist() == [f"4_{j}" for j in range(4)] + [f"1_{j}" for j in range(7)]
    assert f.layer_widths_ == [4, 7]


def test_pipeline_with_a_frozen_skorch_net_survives_clone():
    y = (X[:, 0] > 0).astype(int)
    net = NeuralNetClassifier(
        _net(), criterion=torch.nn.CrossEntropyLoss, max_epochs=3, train_split=None, lr=1e-2
    ).fit(X.astype(np.float32), y)
    pipe = make_pipeline(NetFeatures(FrozenEstimator(net), layers="5"), LogisticRegression())
    a = pipe.fit(X, y).predict_proba(X)
    b = clone(pipe).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(a, b)


@pytest.mark.parametrize(
    "kwargs, width, match",
    [
        (dict(layers="9"), 5, "has no layer '9'; its layers are"),
        (dict(layers=[]), 5, "layers must be a layer name"),
        (dict(), 4, "X has 4 features, but the pretrained network"),
        (dict(pretrained=LogisticRegression()), 5, "must be a torch.nn.Module"),
    ],
)
def test_bad_inputs_say_what_is_wrong(kwargs, width, match):
    kwargs = {"pretrained": _net(), **kwargs}
    with pytest.raises(ValueError, match=match):
        NetFeatures(**kwargs).fit(np.zeros((3, width)))
