"""The domain-aware skorch base: batches, contract handling, skorch features, round trips."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import EarlyStopping

from skdomain.datasets import make_domain_shift
from skdomain.deep import (
    BalancedDomainBatches,
    DANNClassifier,
    DANNRegressor,
    Discriminator,
    DomainDataset,
    DomainMLP,
    LabeledValidSplit,
    labeled_score,
)
from skdomain.utils import DomainWarning

SMALL = dict(max_epochs=3, batch_size=16, module__hidden_units=(16,), random_state=0)


def test_balanced_batches_hold_both_domains_and_cover_the_larger_one():
    sd = np.r_[np.zeros(50, int), -np.ones(12, int)]
    ds = DomainDataset(np.arange(62, dtype=float)[:, None], torch.zeros(62, dtype=torch.int64), sd)
    it = BalancedDomainBatches(ds, batch_size=8, generator=torch.Generator().manual_seed(0))
    batches = list(it)
    assert len(batches) == len(it) == 7  # ceil(50 / 8): one pass over the larger domain
    seen = []
    for Xi, _ in batches:
        d = Xi["sample_domain"]
        assert (d >= 0).sum() == (d < 0).sum() > 0  # equal halves, every batch
        seen.append(Xi["X"][d >= 0, 0])
    src = torch.cat(seen).long().sort().values
    np.testing.assert_array_equal(src.numpy(), np.arange(50))  # each source row exactly once


def test_balanced_batches_without_target_are_plain_batches():
    ds = DomainDataset(np.zeros((10, 1)), torch.zeros(10, dtype=torch.int64), np.zeros(10, int))
    it = BalancedDomainBatches(ds, batch_size=4, generator=torch.Generator().manual_seed(0))
    assert [len(b[1]) for b in it] == [4, 4, 2]


def test_string_labels_and_non_contiguous_ints(data):
    X, y, sd = data
    names = np.array(["ant", "bee"], dtype=object)
    y_str = np.where(y >= 0, names[np.clip(y, 0, 1)], -1).astype(object)
    net = DANNClassifier(**SMALL).fit(X, y_str, sample_domain=sd)
    assert set(net.predict(X)) <= {"ant", "bee"}
    y_int = np.where(y >= 0, 10 * y + 3, -1)
    net = DANNClassifier(**SMALL).fit(X, y_int, sample_domain=sd)
    np.testing.assert_array_equal(net.classes_, [3, 13])


def test_reproducible_and_global_rng_untouched(data):
    X, y, sd = data
    state = torch.get_rng_state()
    a = DANNClassifier(**SMALL).fit(X, y, sample_domain=sd).predict_proba(X)
    assert torch.equal(state, torch.get_rng_state())
    b = DANNClassifier(**SMALL).fit(X, y, sample_domain=sd).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    c = DANNClassifier(**{**SMALL, "random_state": 1}).fit(X, y, sample_domain=sd).predict_proba(X)
    assert not np.allclose(a, c)


def test_history_logs_every_term(data):
    X, y, sd = data
    net = DANNClassifier(**SMALL).fit(X, y, sample_domain=sd)
    for key in ("train_loss", "train_loss_task", "train_loss_adv", "lambda_p"):
        assert np.all(np.isfinite(net.history[:, key]))
    batch = net.history[-1, "batches", 0]
    assert {"train_loss_task", "train_loss_adv", "lambda_p"} <= set(batch)
    # the epoch means are the means of the batch values
    values = net.history[-1, "batches", :, "train_loss_adv"]
    assert net.history[-1, "train_loss_adv"] == pytest.approx(np.mean(values))
    # total = task + mu * adv, batch by batch
    b = net.history[-1, "batches", -1]
    assert b["train_loss"] == pytest.approx(b["train_loss_task"] + net.mu * b["train_loss_adv"], rel=1e-5)


def test_labeled_valid_split_holds_out_labeled_rows_only(data):
    X, y, sd = data
    net = DANNClassifier(**{**SMALL, "train_split": LabeledValidSplit(0.25)})
    net.fit(X, y, sample_domain=sd)
    assert np.all(np.isfinite(net.history[:, "valid_loss"]))
    ds = DomainDataset(X, torch.as_tensor(np.where(y >= 0, y, -1)), sd)
    train, valid = LabeledValidSplit(0.25)(ds)
    assert len(train) + len(valid) == len(X)
    assert (valid.y >= 0).all()  # held-out rows are labeled
    assert int((train.y < 0).sum()) == int((y < 0).sum())  # every unlabeled row trains


def test_callbacks_early_stopping(data):
    X, y, sd = data
    net = DANNClassifier(
        **{**SMALL, "max_epochs": 50, "train_split": LabeledValidSplit(0.25)},
        callbacks=[EarlyStopping(monitor="valid_loss", patience=2, threshold=10.0)],
    )
    net.fit(X, y, sample_domain=sd)
    assert len(net.history) < 50


def test_skorch_callbacks_checkpoint_scheduler_scoring(data, tmp_path):
    from skorch.callbacks import Checkpoint, EpochScoring, LRScheduler

    X, y, sd = data
    net = DANNClassifier(
        **{**SMALL, "train_split": LabeledValidSplit(0.25)},
        callbacks=[
            Checkpoint(dirname=tmp_path, monitor="valid_loss_best", f_discriminator="disc.pt"),
            LRScheduler(policy="StepLR", step_size=1, gamma=0.5),
            EpochScoring(labeled_score, name="valid_acc", lower_is_better=False),
        ],
    )
    net.fit(X, y, sample_domain=sd)
    assert {"params.pt", "disc.pt"} <= {p.name for p in tmp_path.iterdir()}
    assert net.optimizer_.param_groups[0]["lr"] == pytest.approx(net.lr * 0.5**3)
    acc = net.history[:, "valid_acc"]
    assert np.all((0 <= np.asarray(acc)) & (np.asarray(acc) <= 1))
    # the callback's score is the accuracy on the held-out labeled rows, decoded
    _, valid = LabeledValidSplit(0.25)(DomainDataset(X, torch.as_tensor(np.where(y >= 0, y, -1)), sd))
    y_valid = net.classes_[valid.y.numpy()]
    assert acc[-1] == pytest.approx(np.mean(net.predict(valid.X.numpy()) == y_valid))


def test_no_target_warns_and_fits(data):
    X, y, sd = data
    with pytest.warns(DomainWarning, match="No target rows"):
        net = DANNClassifier(**SMALL).fit(X[sd >= 0], y[sd >= 0])
    assert "train_loss_adv" not in net.history[-1]


def test_unlabeled_only_and_bad_params_are_clear_errors(data):
    X, y, sd = data
    with pytest.raises(ValueError, match="source row"):
        DANNClassifier(**SMALL).fit(X, -np.ones_like(y), sample_domain=sd)
    with pytest.raises(ValueError, match="mu"):
        DANNClassifier(**{**SMALL, "mu": -1.0}).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="device"):
        DANNClassifier(**{**SMALL, "device": "tpu"}).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match=r"unexpected argument\(s\) gate"):  # the gate needs class labels
        Xr, yr, sdr = make_domain_shift(30, 20, task="regression", random_state=0)
        DANNRegressor(**SMALL, gate=True).fit(Xr, yr, sample_domain=sdr)


def test_device_auto_and_pickle_keep_the_parameter(data):
    X, y, sd = data
    net = DANNClassifier(**{**SMALL, "device": "auto"}).fit(X, y, sample_domain=sd)
    assert net.device == "auto"
    again = pickle.loads(pickle.dumps(net))
    assert again.device == "auto"
    np.testing.assert_array_equal(again.predict_proba(X), net.predict_proba(X))


def test_save_and_load_params_round_trip(data, tmp_path):
    X, y, sd = data
    net = DANNClassifier(**SMALL).fit(X, y, sample_domain=sd)
    net.save_params(f_params=tmp_path / "m.pt", f_discriminator=tmp_path / "d.pt")
    other = DANNClassifier(**{**SMALL, "max_epochs": 0, "random_state": 5}).fit(X, y, sample_domain=sd)
    assert not np.allclose(other.predict_proba(X), net.predict_proba(X))
    other.load_params(f_params=tmp_path / "m.pt", f_discriminator=tmp_path / "d.pt")
    np.testing.assert_array_equal(other.predict_proba(X), net.predict_proba(X))
    sd_a = net.discriminator_.state_dict()
    sd_b = other.discriminator_.state_dict()
    assert all(torch.equal(sd_a[k], sd_b[k]) for k in sd_a)


def test_clone_refit_is_identical(data):
    X, y, sd = data
    net = DANNClassifier(**SMALL).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(
        clone(net).fit(X, y, sample_domain=sd).predict_proba(X), net.predict_proba(X)
    )


def test_grid_search_over_a_loss_weight_and_a_module_parameter(data):
    X, y, sd = data
    grid = GridSearchCV(
        DANNClassifier(**SMALL),
        {"mu": [0.0, 1.0], "module__hidden_units": [(8,), (16,)]},
        cv=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", DomainWarning)  # every split keeps target rows
        grid.fit(X, y, sample_domain=sd)
    assert len(grid.cv_results_["params"]) == 4
    assert (
        grid.best_estimator_.module_.feature_extractor[0].out_features
        == grid.best_params_["module__hidden_units"][0]
    )


def test_metadata_routing_grid_search_and_pipeline(data):
    import sklearn
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, sd = data
    with sklearn.config_context(enable_metadata_routing=True):
        # sample_domain is requested by default: no set_fit_request needed
        grid = GridSearchCV(DANNClassifier(**SMALL), {"mu": [0.0, 1.0]}, cv=2)
        with warnings.catch_warnings():
            warnings.simplefilter("error", DomainWarning)
            grid.fit(X, y, sample_domain=sd)
            make_pipeline(StandardScaler(), DANNClassifier(**SMALL)).fit(X, y, sample_domain=sd)
    # routing off: the step__ prefix
    pipe = make_pipeline(StandardScaler(), DANNClassifier(**SMALL))
    pipe.fit(X, y, dannclassifier__sample_domain=sd)
    assert pipe[-1].has_target_


class _Plain(torch.nn.Module):
    """A custom module that returns its output only."""

    def __init__(self, n_in=2, n_out=2):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(n_in, 8), torch.nn.ReLU())
        self.out = torch.nn.Linear(8, n_out)

    def forward(self, X):
        return self.out(self.body(X))


def test_custom_module_with_a_named_feature_layer(data):
    X, y, sd = data
    kw = {k: v for k, v in SMALL.items() if not k.startswith("module__")}
    net = DANNClassifier(_Plain, feature_layer="body", **kw).fit(X, y, sample_domain=sd)
    assert net.embed(X).shape == (len(X), 8)
    assert net.discriminator_.body[0].in_features == 8
    with pytest.raises(ValueError, match="feature_layer"):
        DANNClassifier(_Plain, **kw).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="no submodule named 'nope'"):
        DANNClassifier(_Plain, feature_layer="nope", **kw).fit(X, y, sample_domain=sd)


def test_regressor_masks_nan_targets():
    X, y, sd = make_domain_shift(60, 40, task="regression", n_target_labeled=5, random_state=0)
    net = DANNRegressor(**SMALL).fit(X, y, sample_domain=sd)
    pred = net.predict(X)
    assert pred.shape == (len(X),) and np.all(np.isfinite(pred))
    assert np.isfinite(net.score(X, y))
    assert not hasattr(net, "predict_proba")


def test_warm_start_and_partial_fit_continue_training(data):
    X, y, sd = data
    net = DANNClassifier(**SMALL).fit(X, y, sample_domain=sd)
    net.partial_fit(X, y, sample_domain=sd)
    assert len(net.history) == 2 * SMALL["max_epochs"]
    net.set_params(warm_start=True).fit(X, y, sample_domain=sd)
    assert len(net.history) == 3 * SMALL["max_epochs"]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fit_matches_cpu_closely(data):
    X, y, sd = data
    cpu = DANNClassifier(**SMALL).fit(X, y, sample_domain=sd)
    gpu = DANNClassifier(**{**SMALL, "device": "cuda"}).fit(X, y, sample_domain=sd)
    assert next(gpu.module_.parameters()).is_cuda
    assert gpu.predict_proba(X).shape == cpu.predict_proba(X).shape
    # same seed, same batches: only kernel rounding differs
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=0.05)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_without_a_gpu_is_a_clear_error(data):
    X, y, sd = data
    net = DANNClassifier(**{**SMALL, "device": "cuda"})
    with pytest.raises(ValueError, match=r"device='cuda' but torch.cuda.is_available\(\) is False"):
        net.fit(X, y, sample_domain=sd)
    assert net.device == "cuda"  # the parameter is left as given


@pytest.mark.parametrize("hidden_units", [(0,), (16, -1), (8.5,), 16, (True,), None])
def test_invalid_module_widths_are_rejected_at_fit(data, hidden_units):
    X, y, sd = data
    for net in (
        DANNClassifier(**{**SMALL, "module__hidden_units": hidden_units}),
        DANNRegressor(**{**SMALL, "module__hidden_units": hidden_units}),
    ):
        with pytest.raises(
            ValueError, match="module__hidden_units must be a sequence of layer widths, each an int >= 1"
        ):
            net.fit(X, y if net._task == "classification" else y.astype(float), sample_domain=sd)
        assert not hasattr(net, "module_")
    with pytest.raises(ValueError, match="hidden_units must be a sequence of layer widths"):
        DomainMLP(X.shape[1], 2, hidden_units=hidden_units)
    with pytest.raises(ValueError, match="hidden_units must be a sequence of layer widths"):
        Discriminator(4, hidden_units=hidden_units)


def test_no_hidden_layer_is_a_linear_model(data):
    X, y, sd = data
    net = DANNClassifier(**{**SMALL, "module__hidden_units": ()}).fit(X, y, sample_domain=sd)
    assert net.embed(X).shape == X.shape  # F is the identity: the features are the inputs
    assert net.feature_dims_ == (X.shape[1],)


def test_an_infinite_lr_is_rejected_at_fit(data):
    X, y, sd = data
    with pytest.raises(
        ValueError, match=r"'lr' parameter of DANNClassifier must be a float in the range \(0.0, inf\)"
    ):
        DANNClassifier(**{**SMALL, "lr": float("inf")}).fit(X, y, sample_domain=sd)
