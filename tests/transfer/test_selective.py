"""Selective joint fine-tuning: the selection and the joint loss checked against references.

The selection against a brute-force reference, the joint loss by hand, the data contract
(sample_domain, source labels), the caller's objects untouched, clear errors.

scikit-learn's checks and the transfer contract on ``fit(X, y)`` (fine-tuning without source)
run in tests/transfer/test_transfer_common.py.
"""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skdomain.transfer import NetFeatures, SelectiveJointFineTuningClassifier, select_source_neighbors


def _net(n_features=3, n_out=3, seed=0):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return torch.nn.Sequential(
            torch.nn.Linear(n_features, 16), torch.nn.ReLU(), torch.nn.Linear(16, n_out)
        )


def _brute_force(F_t, F_s, k):
    """Union of each target row's k nearest source rows, by a full distance matrix and a stable sort."""
    d = ((F_t[:, None, :] - F_s[None, :, :]) ** 2).sum(axis=2)
    return np.unique(np.argsort(d, axis=1, kind="stable")[:, :k])


def _joint_data(seed=0, n_t=30, n_s=90):
    rng = np.random.RandomState(seed)
    X_t = rng.normal(size=(n_t, 3))
    X_s = rng.normal(size=(n_s, 3)) + np.r_[1.5, 0, 0] * (np.arange(n_s) % 2)[:, None]
    y_t = np.where(X_t[:, 0] > 0, "b", "a")  # the target task's labels
    y_s = (X_s[:, 1] > 0).astype(int) + (X_s[:, 2] > 0)  # source labels 0..2 (the head's outputs)
    X = np.r_[X_t, X_s]
    y = np.r_[y_t.astype(object), y_s.astype(object)]
    sd = np.r_[np.full(n_t, -1), np.full(n_s, 1)]
    return X, y, sd


PARAMS = dict(max_epochs=4, lr=1e-2, batch_size=32, random_state=0)


# -- the selection --------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3, 7])
def test_selection_matches_brute_force_on_raw_inputs(k):
    rng = np.random.RandomState(k)
    X_t, X_s = rng.normal(size=(12, 4)), rng.normal(size=(50, 4))
    got = select_source_neighbors(X_t, X_s, n_neighbors=k)
    np.testing.assert_array_equal(got, _brute_force(X_t, X_s, k))
    assert 0 < got.size < 50 or k == 7  # a strict subset at these sizes (7 * 12 > 50 may cover)


def test_selection_in_a_layers_features_matches_brute_force():
    net = _net(n_features=4)
    rng = np.random.RandomState(0)
    X_t, X_s = rng.normal(size=(10, 4)), rng.normal(size=(40, 4))
    W, b = net[0].weight.detach().double().numpy(), net[0].bias.detach().double().numpy()
    relu = lambda X: np.maximum(X @ W.T + b, 0)  # noqa: E731  the output of layer "1" by hand
    expected = _brute_force(relu(X_t), relu(X_s), 2)
    unfitted = NetFeatures(net, layers="1")
    np.testing.assert_array_equal(
        select_source_neighbors(X_t, X_s, n_neighbors=2, features=unfitted), expected
    )
    assert not hasattr(unfitted, "module_")  # the caller's transformer stays unfitted
    fitted = NetFeatures(net, layers="1").fit(X_s)
    np.testing.assert_array_equal(select_source_neighbors(X_t, X_s, n_neighbors=2, features=fitted), expected)
    np.testing.assert_array_equal(select_source_neighbors(X_t, X_s, n_neighbors=2, features=relu), expected)
    # the raw inputs give another subset here: the feature space matters
    assert not np.array_equal(select_source_neighbors(X_t, X_s, n_neighbors=2), expected)


def test_selection_caps_k_and_leaves_inputs_untouched():
    rng = np.random.RandomState(0)
    X_t, X_s = rng.normal(size=(3, 2)), rng.normal(size=(4, 2))
    X_t0, X_s0 = X_t.copy(), X_s.copy()
    np.testing.assert_array_equal(select_source_neighbors(X_t, X_s, n_neighbors=10), np.arange(4))
    np.testing.assert_array_equal(X_t, X_t0)
    np.testing.assert_array_equal(X_s, X_s0)


# -- the joint loss ---------------------------------------------------------------------------------


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_joint_loss_matches_a_hand_computation():
    X, y, sd = _joint_data()
    clf = SelectiveJointFineTuningClassifier(_net(), lambda_source=0.7, **{**PARAMS, "max_epochs": 0})
    clf.fit(X, y, sample_domain=sd)
    rng = np.random.RandomState(3)
    t_logits, s_logits = rng.normal(size=(5, 2)), rng.normal(size=(5, 3))
    is_source = np.array([False, True, False, True, True])
    labels = np.array([1, 2, 0, 0, 1])  # target classes on target rows, source classes on source rows
    loss = clf.get_loss(
        (torch.tensor(t_logits), torch.tensor(s_logits)),
        torch.tensor(labels),
        X={"X": np.zeros((5, 3)), "source": is_source},
    )
    t, s = ~is_source, is_source
    ce_t = -_log_softmax(t_logits[t])[np.arange(t.sum()), labels[t]].mean()
    ce_s = -_log_softmax(s_logits[s])[np.arange(s.sum()), labels[s]].mean()
    np.testing.assert_allclose(loss.item(), ce_t + 0.7 * ce_s, rtol=1e-10)
    # a batch of target rows only: the source term is 0
    only_t = clf.get_loss(
        (torch.tensor(t_logits[t]), torch.tensor(s_logits[t])),
        torch.tensor(labels[t]),
        X={"X": np.zeros((2, 3)), "source": np.zeros(2, bool)},
    )
    np.testing.assert_allclose(only_t.item(), ce_t, rtol=1e-10)


def test_lambda_zero_leaves_the_source_head_untrained():
    """Without the source term no gradient reaches the source head (Adam leaves it bit-identical)."""
    X, y, sd = _joint_data()
    net = _net()
    heads = {}
    for lam in (0.0, 1.0):
        clf = SelectiveJointFineTuningClassifier(net, lambda_source=lam, n_neighbors=2, **PARAMS)
        heads[lam] = clf.fit(X, y, sample_domain=sd).module_.net[2].weight.detach()
    assert torch.equal(heads[0.0], net[2].weight)
    assert not torch.allclose(heads[1.0], net[2].weight, atol=1e-4)


# -- the data contract ------------------------------------------------------------------------------


def test_selected_rows_are_the_neighbours_of_the_target_rows():
    X, y, sd = _joint_data()
    src = np.flatnonzero(sd >= 0)
    clf = SelectiveJointFineTuningClassifier(_net(), n_neighbors=2, **PARAMS).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(clf.selected_, src[_brute_force(X[sd < 0], X[src], 2)])
    assert 0 < clf.selected_.size < src.size
    np.testing.assert_array_equal(clf.classes_, ["a", "b"])
    np.testing.assert_array_equal(clf.source_classes_, [0, 1, 2])
    assert set(clf.predict(X)) <= {"a", "b"} and clf.predict_proba(X).shape == (len(X), 2)
    every = SelectiveJointFineTuningClassifier(_net(), n_neighbors=None, **PARAMS).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(every.selected_, src)
    layer = SelectiveJointFineTuningClassifier(_net(), n_neighbors=2, selection_layer="1", **PARAMS)
    W, b = _net()[0].weight.detach().double().numpy(), _net()[0].bias.detach().double().numpy()
    relu = lambda Z: np.maximum(Z @ W.T + b, 0)  # noqa: E731
    layer.fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(layer.selected_, src[_brute_force(relu(X[sd < 0]), relu(X[src]), 2)])


def test_source_labels_live_in_the_source_heads_label_space():
    X, y, sd = _joint_data()
    y_named = y.copy()
    y_named[sd >= 0] = np.array(["zero", "one", "two"])[y[sd >= 0].astype(int)]
    clf = SelectiveJointFineTuningClassifier(_net(), source_classes=["one", "two", "zero"], **PARAMS)
    assert clf.fit(X, y_named, sample_domain=sd).source_classes_.tolist() == ["one", "two", "zero"]
    with pytest.raises(ValueError, match="source head's"):
        SelectiveJointFineTuningClassifier(_net(), **PARAMS).fit(X, y_named, sample_domain=sd)
    with pytest.raises(ValueError, match="source_classes has 2 labels"):
        SelectiveJointFineTuningClassifier(_net(), source_classes=[0, 1], **PARAMS).fit(
            X, y, sample_domain=sd
        )


def test_pretrained_and_caller_arrays_untouched_in_a_joint_fit():
    X, y, sd = _joint_data()
    X0, y0, sd0 = X.copy(), y.copy(), sd.copy()
    net = _net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    clf = SelectiveJointFineTuningClassifier(net, n_neighbors=3, selection_layer="0", **PARAMS)
    p = clf.fit(X, y, sample_domain=sd).predict_proba(X)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert net.training and all(q.requires_grad for q in net.parameters())
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(sd, sd0)
    np.testing.assert_array_equal(clone(clf).fit(X, y, sample_domain=sd).predict_proba(X), p)  # seeded


@pytest.mark.parametrize(
    "kind, kwargs, error, match",
    [
        ("no-target-rows", {}, ValueError, "no target row"),
        ("no-source-rows", {}, ValueError, "no source row"),
        ("short-sample-domain", {}, ValueError, "one id per row"),
        ("float-sample-domain", {}, ValueError, "integer ids"),
        ("zero-k", {"n_neighbors": 0}, InvalidParameterError, "n_neighbors"),
        ("negative-lambda", {"lambda_source": -1.0}, InvalidParameterError, "lambda_source"),
        ("bad-layer", {"selection_layer": "conv9"}, ValueError, "no layer 'conv9'"),
        ("freeze", {"freeze": 1}, ValueError, "does not use freeze"),
    ],
)
def test_clear_errors(kind, kwargs, error, match):
    X, y, sd = _joint_data()
    sd = {
        "no-target-rows": np.ones_like(sd),
        "no-source-rows": -np.ones_like(sd),
        "short-sample-domain": sd[:-1],
        "float-sample-domain": sd + 0.5,
    }.get(kind, sd)
    X0 = X.copy()
    with pytest.raises(error, match=match):
        SelectiveJointFineTuningClassifier(_net(), **kwargs, **PARAMS).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(X, X0)


def test_no_partial_fit_and_unfitted_predict():
    clf = SelectiveJointFineTuningClassifier(_net(), **PARAMS)
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(NotFittedError):
        clf.predict(np.zeros((2, 3)))
