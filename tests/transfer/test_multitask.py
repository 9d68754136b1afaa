"""MultiTaskNet (skdomain.transfer): the loss, the learned noise levels, the mixed-task API, errors."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.metrics import accuracy_score, r2_score

from skdomain.exceptions import TrainingDivergedError
from skdomain.transfer import MultiTaskNet

# -- scikit-learn's generic checks ---------------------------------------------------------

# MultiTaskNet's row in the estimator table (tests/conftest.py) sends its generic checks here:
# they run on single-task configurations (a 1-D y is one column for one task), where the
# net is a plain classifier or regressor by its tags. The mixed-task API is tested below.


def test_sklearn_api_checks(estimator, check):
    """scikit-learn's checks on the single-task configurations; expected failures in the table."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(estimator)


# -- data ----------------------------------------------------------------------------------

FAST = dict(max_epochs=3, batch_size=32, module__hidden_units=(16,), random_state=0)
MIXED = ("classification", "regression")


def _mixed(n=120, seed=0):
    """Columns: a class (two Gaussian blobs on feature 0) and a value (feature 1 plus noise)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    cls = (X[:, 0] > 0).astype(int)
    val = 2.0 * X[:, 1] + 0.1 * rng.normal(size=n)
    return X, np.column_stack([cls, val])


def _noisy_regressions(n, noise, seed):
    """Two regression targets ``g(x) + noise_k * eps_k`` on one nonlinear ``g``."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    g = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2]
    return X, np.column_stack([g + s * rng.normal(size=n) for s in noise])


# -- the loss --------------------------------------------------------------------------------


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_uncertainty_loss_matches_the_formula():
    """get_loss = e^{-s_1}/2 MSE + e^{-s_2} CE + (s_1 + s_2)/2, computed here in numpy."""
    X, y = _mixed()
    y3 = np.column_stack([y[:, 1], y[:, 0], (X[:, 2] > 0).astype(int) * 2])  # reg, cls, cls {0, 2}
    net = MultiTaskNet(("regression", "classification", "classification"), **FAST).fit(X, y3)
    s = np.array([0.3, -0.5, 1.2])
    with torch.no_grad():
        net.module_.log_vars.copy_(torch.tensor(s, dtype=torch.float32))
    Xt = torch.tensor(X, dtype=torch.float32)
    yt = torch.tensor(np.column_stack([y3[:, 0], y3[:, 1], y3[:, 2] / 2]), dtype=torch.float32)
    with torch.no_grad():
        out = net.module_(Xt)
        loss = float(net.get_loss(out, yt, training=False))
    o = [t.double().numpy() for t in out]
    mse = np.mean((o[0][:, 0] - y3[:, 0]) ** 2)
    ce1 = -np.mean(_log_softmax(o[1])[np.arange(len(X)), y3[:, 1].astype(int)])
    ce2 = -np.mean(_log_softmax(o[2])[np.arange(len(X)), (y3[:, 2] / 2).astype(int)])
    ref = 0.5 * np.exp(-s[0]) * mse + np.exp(-s[1]) * ce1 + np.exp(-s[2]) * ce2 + 0.5 * s.sum()
    assert loss == pytest.approx(ref, rel=1e-5)
    # log sigma_k = s_k / 2: the regulariser of the lecture's form
    assert 0.5 * s.sum() == pytest.approx(np.log(np.exp(0.5 * s)).sum())


def test_fixed_weights_loss_and_no_sigma():
    X, y = _mixed()
    w = np.array([0.25, 3.0])
    net = MultiTaskNet(MIXED, weighting="fixed", task_weights=w, **FAST).fit(X, y)
    assert net.sigma_ is None
    np.testing.assert_array_equal(net.task_weights_, w)
    assert not net.module_.log_vars.requires_grad
    np.testing.assert_array_equal(net.module_.log_vars.detach().numpy(), [0.0, 0.0])
    Xt = torch.tensor(X, dtype=torch.float32)
    with torch.no_grad():
        out = net.module_(Xt)
        loss = float(net.get_loss(out, torch.tensor(y, dtype=torch.float32)))
    o = [t.double().numpy() for t in out]
    ce = -np.mean(_log_softmax(o[0])[np.arange(len(X)), y[:, 0].astype(int)])
    mse = np.mean((o[1][:, 0] - y[:, 1]) ** 2)
    assert loss == pytest.approx(w[0] * ce + w[1] * mse, rel=1e-5)
    assert "sigma_task0" not in net.history[-1]
    # task_weights=None: the unweighted sum
    net1 = MultiTaskNet(MIXED, weighting="fixed", **FAST).fit(X, y)
    np.testing.assert_array_equal(net1.task_weights_, [1.0, 1.0])


def test_learned_sigma_recovers_the_noise_ratio():
    """Noise 0.2 and 0.8 on one function: sigma_2 / sigma_1 near 4.

    Measured (bench_multitask.py, seeds 0-2): 4.26, 3.81, 4.30; sigma_ (0.18, 0.76),
    (0.20, 0.78), (0.18, 0.75). The margin is 25% of the ratio; the learned sigma_k is the
    training RMSE of task k, so each must be within 25% of its noise level too.
    """
    X, y = _noisy_regressions(1000, (0.2, 0.8), seed=0)
    net = MultiTaskNet(
        ("regression", "regression"),
        max_epochs=40,
        lr=3e-3,
        optimizer__param_groups=[("log_vars", {"lr": 0.03})],
        random_state=0,
    ).fit(X, y)
    ratio = net.sigma_[1] / net.sigma_[0]
    assert 3.0 < ratio < 5.0, net.sigma_
    np.testing.assert_allclose(net.sigma_, [0.2, 0.8], rtol=0.25)
    # the factor of each task is 1 / (2 sigma^2): the noisy task weighs ~16 times less
    np.testing.assert_allclose(net.task_weights_, 0.5 / net.sigma_**2, rtol=1e-6)
    # sigma_ is the value logged at the last epoch
    assert net.history[-1]["sigma_task1"] == pytest.approx(net.sigma_[1], rel=1e-6)


def test_history_logs_each_task_loss_and_sigma_per_epoch():
    X, y = _mixed()
    net = MultiTaskNet(MIXED, **FAST).fit(X, y)
    assert len(net.history) == FAST["max_epochs"]
    for epoch in net.history:
        for k in range(2):
            batches = [b[f"train_loss_task{k}"] for b in epoch["batches"]]
            assert epoch[f"train_loss_task{k}"] == pytest.approx(np.mean(batches))
            assert epoch[f"sigma_task{k}"] > 0
    # the s_k move (they are trained): sigma_ differs from the initial 1
    assert not np.allclose(net.sigma_, 1.0)


# -- the mixed-task API ----------------------------------------------------------------------


def test_predict_score_and_proba_for_mixed_tasks():
    X, y = _mixed()
    net = MultiTaskNet(MIXED, **{**FAST, "max_epochs": 30, "lr": 1e-2}).fit(X, y)
    assert net.n_tasks_ == 2 and net.classes_[1] is None
    np.testing.assert_array_equal(net.classes_[0], [0, 1])
    pred = net.predict(X)
    assert pred.shape == (len(X), 2) and pred.dtype == np.float64
    assert set(np.unique(pred[:, 0])) <= {0, 1}
    proba = net.predict_proba(X)
    assert isinstance(proba, list) and len(proba) == 1 and proba[0].shape == (len(X), 2)
    np.testing.assert_allclose(proba[0].sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba[0].argmax(axis=1), pred[:, 0])
    scores = net.score_tasks(X, y)
    np.testing.assert_allclose(scores, [accuracy_score(y[:, 0], pred[:, 0]), r2_score(y[:, 1], pred[:, 1])])
    assert net.score(X, y) == pytest.approx(scores.mean())
    assert scores[0] > 0.95 and scores[1] > 0.9  # both tasks learned (measured 1.0, 0.992)


def test_string_classes_and_tags():
    X, y = _mixed()
    names = np.array(["cat", "dog"])
    y_obj = np.empty(y.shape, dtype=object)
    y_obj[:, 0] = names[y[:, 0].astype(int)]
    y_obj[:, 1] = y[:, 1]
    net = MultiTaskNet(MIXED, **FAST).fit(X, y_obj)
    np.testing.assert_array_equal(net.classes_[0], names)
    pred = net.predict(X[:5])
    assert pred.dtype == object and set(pred[:, 0]) <= {"cat", "dog"}
    # the same fit as the integer codes
    ref = MultiTaskNet(MIXED, **FAST).fit(X, y)
    np.testing.assert_array_equal(pred[:, 0], names[ref.predict(X[:5])[:, 0].astype(int)])
    # tags: mixed tasks are neither a classifier nor a regressor; multi-output
    assert not is_classifier(net) and not is_regressor(net)
    tags = net.__sklearn_tags__()
    assert tags.target_tags.multi_output and not tags.target_tags.single_output
    assert is_classifier(MultiTaskNet(("classification", "classification")))
    assert is_regressor(MultiTaskNet(("regression",)))


def test_single_task_1d_y_behaves_as_a_plain_estimator():
    X, y = _mixed()
    clf = MultiTaskNet(("classification",), **FAST).fit(X, y[:, 0].astype(int))
    assert clf.predict(X).shape == (len(X),) and clf.predict_proba(X).shape == (len(X), 2)
    np.testing.assert_array_equal(clf.classes_, [0, 1])  # the array, as a single-output classifier's
    # a column vector for one task: scikit-learn's rule, a warning and the 1-D fit
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        clf2 = MultiTaskNet(("classification",), **FAST).fit(X, y[:, :1].astype(int))
    np.testing.assert_array_equal(clf2.predict(X), clf.predict(X))
    reg = MultiTaskNet(("regression",), **FAST).fit(X, y[:, 1])
    assert not hasattr(reg, "predict_proba") and not hasattr(reg, "classes_")
    # a refit as another task forgets the first fit's classes
    clf.set_params(tasks=("regression",)).fit(X, y[:, 1])
    assert not hasattr(clf, "classes_") and clf.predict(X).dtype == np.float64
    with pytest.raises(ValueError, match="Unknown label type: continuous.*declare it 'regression'"):
        MultiTaskNet(MIXED, **FAST).fit(X, y[:, ::-1])


def test_custom_trunk_module():
    X, y = _mixed()
    trunk = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh())
    net = MultiTaskNet(MIXED, module=trunk, max_epochs=2, random_state=0).fit(X, y)
    assert net.module_.trunk is trunk and net.module_.heads[0].in_features == 8
    assert net.predict(X).shape == (len(X), 2)


def test_refit_clone_pickle_and_row_order():
    X, y = _mixed()
    net = MultiTaskNet(MIXED, **FAST)
    a = clone(net).fit(X, y).predict(X)
    fitted = clone(net).fit(X, y)
    np.testing.assert_array_equal(fitted.predict(X), a)  # CPU refits with random_state: identical
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X), a)
    np.testing.assert_array_equal(again.sigma_, fitted.sigma_)
    perm = np.random.RandomState(1).permutation(len(X))
    np.testing.assert_allclose(fitted.predict(X[perm]), a[perm], rtol=1e-5, atol=1e-6)
    # the seed is the net's own: the global torch random state is left as it was
    state = torch.random.get_rng_state()
    clone(net).fit(X, y)
    assert torch.equal(state, torch.random.get_rng_state())


def test_caller_arrays_and_params_untouched():
    X, y = _mixed()
    weights = np.array([1.0, 0.5])
    X0, y0, w0 = X.copy(), y.copy(), weights.copy()
    net = MultiTaskNet(MIXED, weighting="fixed", task_weights=weights, **FAST)
    params = pickle.dumps(net.get_params())
    net.fit(X, y)
    net.predict(X)
    net.score(X, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(weights, w0)
    assert pickle.dumps(net.get_params()) == params


# -- bad input ---------------------------------------------------------------------------------


def _nan_at(a, i, j):
    a = a.astype(float, copy=True)
    a[i, j] = np.nan
    return a


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda X, y: (X, y[:, 0], {}), ValueError, r"one column per task: 2 task\(s\).*shape \(120,\)"),
        (lambda X, y: (X, np.c_[y, y], {}), ValueError, r"one column per task.*shape \(120, 4\)"),
        (lambda X, y: (X, y[:-1], {}), ValueError, "y has 119 rows but X has 120"),
        (lambda X, y: (X, _nan_at(y, 2, 1), {}), ValueError, r"y\[:, 1\] \(regression task\) contains NaN"),
        (lambda X, y: (X, _nan_at(y, 2, 0), {}), ValueError, r"y\[:, 0\] \(classification task\) has NaN"),
        (lambda X, y: (X, np.c_[np.zeros(len(y)), y[:, 1]], {}), ValueError, "needs at least 2 classes"),
        (lambda X, y: (_nan_at(X, 3, 0), y, {}), ValueError, "NaN"),
        (lambda X, y: (X, None, {}), ValueError, "requires y"),
        (lambda X, y: (X, y, {"sample_domain": np.zeros(len(y), dtype=int)}), TypeError, "no sample_domain"),
    ],
    ids=["1d-y-two-tasks", "too-many-columns", "short-y", "nan-regression", "nan-classification",
         "one-class", "nan-X", "no-y", "sample-domain"],
)  # fmt: skip
def test_bad_data(make, error, match):
    X, y = _mixed()
    X0, y0 = X.copy(), y.copy()
    Xb, yb, kw = make(X, y)
    with pytest.raises(error, match=match):
        MultiTaskNet(MIXED, **FAST).fit(Xb, yb, **kw)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(tasks=("classification", "ranking")), r"unknown: \['ranking'\]"),
        (dict(tasks=()), "non-empty sequence"),
        (dict(tasks=MIXED, task_weights=[1.0, 1.0]), "task_weights is used with weighting='fixed' only"),
        (dict(tasks=MIXED, weighting="fixed", task_weights=[1.0]), "2 finite values >= 0"),
        (dict(tasks=MIXED, weighting="fixed", task_weights=[1.0, -1.0]), "2 finite values >= 0"),
        (dict(tasks=MIXED, weighting="softmax"), "weighting"),
        (dict(tasks=MIXED, module__hidden_units=(0,)), "hidden_units must be a sequence of layer widths"),
    ],
    ids=[
        "unknown-kind",
        "no-task",
        "weights-with-uncertainty",
        "weights-length",
        "negative-weight",
        "weighting",
        "zero-width-layer",
    ],
)  # fmt: skip
def test_bad_params(params, match):
    X, y = _mixed()
    with pytest.raises(ValueError, match=match):
        MultiTaskNet(**{**FAST, **params}).fit(X, y)


def test_predict_errors():
    X, y = _mixed()
    with pytest.raises(NotFittedError):
        MultiTaskNet(MIXED).predict(X)
    net = MultiTaskNet(MIXED, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but MultiTaskNet is expecting 3"):
        net.predict(X[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        net.predict(_nan_at(X, 0, 0))
    with pytest.raises(ValueError, match="one column per task"):
        net.score(X, y[:, 0])


def test_diverging_training_raises_and_leaves_the_net_unfitted():
    X, y = _mixed()
    net = MultiTaskNet(MIXED, optimizer=torch.optim.SGD, lr=1e8, max_epochs=5, random_state=0)
    with pytest.raises(TrainingDivergedError, match=r"diverged at epoch \d.*lower lr"):
        net.fit(X * 1e3, y * 1e3)
    with pytest.raises(NotFittedError):
        net.predict(X)


def test_pipeline_and_grid_search_over_task_weights():
    """A 2-D y through Pipeline and GridSearchCV; score (the mean over tasks) ranks the settings."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _mixed()
    net = MultiTaskNet(MIXED, weighting="fixed", max_epochs=5, lr=1e-2, random_state=0)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), net),
        {"multitasknet__task_weights": [(1.0, 1.0), (1.0, 0.0)]},
        cv=3,
    ).fit(X, y)
    # without the regression task its R^2 is near 0 or below: the search keeps it
    assert search.best_params_["multitasknet__task_weights"] == (1.0, 1.0)
    assert search.predict(X).shape == (len(X), 2)
