"""LwFClassifier: the warm-up, the loss against a manual computation, forgetting measured on two tasks."""

import copy

import numpy as np
import pytest
import torch
from sklearn.frozen import FrozenEstimator
from skorch import NeuralNetClassifier

from skdomain.transfer import LwFClassifier


def _tasks(seed=0):
    """Old task: 3 classes on features 0-1; new task: 2 classes on features 2-3 (other rows)."""
    rng = np.random.RandomState(seed)
    X_old = rng.normal(size=(300, 6))
    y_old = (X_old[:, 0] > 0).astype(int) + (X_old[:, 1] > 0.5)
    X_new = rng.normal(size=(200, 6))
    y_new = (X_new[:, 2] + X_new[:, 3] > 0).astype(int) + 10  # labels 10, 11
    return X_old, y_old, X_new, y_new


def _pretrained(X_old, y_old, bn=False):
    torch.manual_seed(0)
    layers = [torch.nn.Linear(6, 32)]
    if bn:
        layers.append(torch.nn.BatchNorm1d(32))
    layers += [torch.nn.ReLU(), torch.nn.Linear(32, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)]
    net = NeuralNetClassifier(
        torch.nn.Sequential(*layers),
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-2,
        max_epochs=40,
        train_split=None,
        verbose=0,
    )
    return net.fit(X_old.astype(np.float32), y_old)


def test_warm_up_trains_the_new_head_alone():
    X_old, y_old, X_new, y_new = _tasks()
    src = _pretrained(X_old, y_old, bn=True)
    before = {k: v.clone() for k, v in src.module_.state_dict().items()}
    lwf = LwFClassifier(FrozenEstimator(src), max_epochs=4, warmup_epochs=4, lr=1e-2, random_state=0)
    lwf.fit(X_new, y_new)
    after = lwf.module_.net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BatchNorm statistics included
    assert lwf.classes_.tolist() == [10, 11] and lwf.old_classes_.tolist() == [0, 1, 2]
    # the old head is the pretrained network's, untouched: the same old predictions
    np.testing.assert_array_equal(lwf.predict_old(X_old), src.predict(X_old.astype(np.float32)))
    assert lwf.history[-1]["train_loss_old"] == pytest.approx(lwf.history[0]["train_loss_old"])


def test_loss_is_cross_entropy_plus_kd_without_t_squared():
    X_old, y_old, X_new, y_new = _tasks()
    src = _pretrained(X_old, y_old)
    lwf = LwFClassifier(FrozenEstimator(src), max_epochs=3, warmup_epochs=1, temperature=3.0, lambda_old=0.7)
    lwf.set_params(random_state=0).fit(X_new, y_new)
    X = torch.as_tensor(X_new[:20], dtype=torch.float32)
    with torch.no_grad():
        v = src.module_(X)  # the recorded responses come from the original network
        new, old = lwf.module_(X)
        y = torch.as_tensor(np.searchsorted(lwf.classes_, y_new[:20]))
        p = torch.softmax(v / 3.0, dim=1)
        kd = -(p * torch.log_softmax(old / 3.0, dim=1)).sum(1).mean()
        expected = torch.nn.functional.cross_entropy(new, y) + 0.7 * kd
        batch = {"X": X, "old": p}
        got = lwf.get_loss((new, old), y, X=batch, training=False)
    assert float(got) == pytest.approx(float(expected), rel=1e-6)


def test_lwf_forgets_less_than_fine_tuning():
    """Old-task accuracy of the old head after training on the new task: LwF keeps it.

    Measured (seed 0): pretrained 1.00 on the old task's 100 test rows; after 60 epochs at
    lr 1e-2, plain fine-tuning (lambda_old=0) 0.61, LwF 0.96; LwF's new-task training
    accuracy 1.00.
    """
    X_old, y_old, X_new, y_new = _tasks()
    src = _pretrained(X_old, y_old)
    X_test, y_test = X_old[200:], y_old[200:]
    base = float((src.predict(X_test.astype(np.float32)) == y_test).mean())
    kw = dict(max_epochs=60, warmup_epochs=5, lr=1e-2, batch_size=32, random_state=0)
    lwf = LwFClassifier(FrozenEstimator(src), **kw).fit(X_new, y_new)
    ft = LwFClassifier(FrozenEstimator(src), lambda_old=0.0, **kw).fit(X_new, y_new)
    assert lwf.score_old(X_test, y_test) > ft.score_old(X_test, y_test) + 0.1
    assert lwf.score_old(X_test, y_test) > base - 0.15
    assert lwf.score(X_new, y_new) > 0.9


def test_old_classes_and_errors():
    X_old, y_old, X_new, y_new = _tasks()
    net = copy.deepcopy(_pretrained(X_old, y_old).module_)
    lwf = LwFClassifier(net, old_classes=["a", "b", "c"], max_epochs=1, random_state=0).fit(X_new, y_new)
    assert set(lwf.predict_old(X_old)) <= {"a", "b", "c"}
    assert lwf.old_classes_.tolist() == ["a", "b", "c"]
    with pytest.raises(ValueError, match="old_classes has 2 labels; the old head has 3 outputs"):
        LwFClassifier(net, old_classes=[0, 1], max_epochs=1).fit(X_new, y_new)
    with pytest.raises(ValueError, match="must be a torch.nn.Linear"):
        LwFClassifier(net, head="1", max_epochs=1).fit(X_new, y_new)
    with pytest.raises(ValueError, match="does not use freeze or lr_decay"):
        LwFClassifier(net, freeze=1, max_epochs=1).fit(X_new, y_new)
