"""PADA (skdomain/deep/_pada.py): the class weights γ, the losses they weight, the gate, partial DA."""

import numpy as np
import pytest
import torch
from skorch.dataset import ValidSplit

from skdomain.datasets import make_domain_shift
from skdomain.deep import DANNClassifier, DomainDataset, LabeledValidSplit, PADAClassifier

SMALL = dict(batch_size=16, module__hidden_units=(8, 6), discriminator__hidden_units=(5,), random_state=0)


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _gamma_by_hand(net, X):
    """γ in float64 numpy: the mean softmax of the head's logits on the rows ``X``, over its maximum."""
    net.module_.eval()
    with torch.no_grad():
        logits = net.module_(torch.as_tensor(X, dtype=torch.float32))[0].double().numpy()
    mean = _softmax(logits).mean(axis=0)
    return mean / mean.max()


def partial_blobs(seed, n_per=100, n_classes=5, target_classes=(0, 1), d=10, shift=3.0):
    """Five Gaussian classes in the source; the target holds two of them, all shifted along one direction.

    Class centres ~ N(0, I_d), unit-variance rows, the target's rows moved by a random
    direction of norm ``shift``; target labels are masked.
    """
    rng = np.random.RandomState(seed)
    centers = rng.normal(size=(n_classes, d))
    Xs = np.concatenate([centers[k] + rng.normal(size=(n_per, d)) for k in range(n_classes)])
    ys = np.repeat(np.arange(n_classes), n_per)
    direction = rng.normal(size=d)
    direction *= shift / np.linalg.norm(direction)
    Xt = np.concatenate([centers[k] + direction + rng.normal(size=(n_per, d)) for k in target_classes])
    yt = np.repeat(np.array(target_classes), n_per)
    X = np.concatenate([Xs, Xt]).astype(np.float32)
    y = np.concatenate([ys, -np.ones(len(yt), dtype=int)])
    sd = np.concatenate([np.ones(len(ys), dtype=int), -np.ones(len(yt), dtype=int)])
    return X, y, sd, Xt.astype(np.float32), yt


def test_gamma_is_the_mean_target_softmax_over_its_maximum():
    """γ against numpy: softmax of the trained head on the target rows, averaged, over its max."""
    X, y, sd, _, _ = partial_blobs(0, n_per=10)
    net = PADAClassifier(max_epochs=3, **SMALL).fit(X, y, sample_domain=sd)
    ref = _gamma_by_hand(net, X[sd < 0])
    np.testing.assert_allclose(net.gamma_, ref, rtol=1e-5, atol=1e-7)
    assert net.gamma_.max() == 1.0 and net.gamma_.shape == (5,)
    # the history: the extremes, once per epoch
    assert net.history[-1]["gamma_min"] == pytest.approx(ref.min(), rel=1e-5)
    assert net.history[-1]["gamma_max"] == 1.0
    assert len(net.history[:, "gamma_min"]) == 3
    # it is also the mean of predict_proba over the target rows, normalised
    p = net.predict_proba(X[sd < 0]).mean(axis=0)
    np.testing.assert_allclose(net.gamma_, p / p.max(), rtol=1e-5)


@pytest.mark.parametrize(
    "split", [LabeledValidSplit(0.2, random_state=0), ValidSplit(0.3, stratified=False, random_state=0)]
)
def test_gamma_over_the_training_target_rows_under_a_train_split(split):
    """With a validation split, γ is taken over the target rows of the training part.

    LabeledValidSplit holds out labeled rows (its training part is a DomainDataset);
    skorch's ValidSplit holds out any rows (its training part is a torch Subset).
    """
    X, y, sd = make_domain_shift(40, 30, n_target_labeled=10, random_state=0)
    net = PADAClassifier(max_epochs=2, train_split=split, **SMALL).fit(X, y, sample_domain=sd)
    assert "valid_loss" in net.history[-1]
    train, _ = split(DomainDataset(X, torch.as_tensor(y), sd), None)
    if isinstance(train, torch.utils.data.Subset):
        rows = np.asarray(train.indices)
        Xt = X[rows][sd[rows] < 0]
    else:
        Xt = train.X[train.sample_domain < 0].numpy()
    assert 0 < len(Xt) < (sd < 0).sum()  # some target rows were held out
    np.testing.assert_allclose(net.gamma_, _gamma_by_hand(net, Xt), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("gate", [False, True])
def test_first_epoch_is_dann_to_the_bit(gate):
    """γ ≡ 1 in the first epoch: PADA's losses are DANN's exactly (plain; gated, with labeled target rows)."""
    X, y, sd = make_domain_shift(60, 40, n_target_labeled=6, random_state=0)
    kw = dict(max_epochs=2, gate=gate, **SMALL)
    pada = PADAClassifier(**kw).fit(X, y, sample_domain=sd)
    dann = DANNClassifier(**kw).fit(X, y, sample_domain=sd)
    keys = ["train_loss", "train_loss_task", "train_loss_adv", "lambda_p"] + (["omega_mean"] if gate else [])
    for k in keys:
        assert pada.history[0][k] == dann.history[0][k], k
        assert [b[k] for b in pada.history[0]["batches"]] == [b[k] for b in dann.history[0]["batches"]]
    # from the second epoch on, γ (here not all ones) weights the source rows
    assert pada.history[0]["gamma_min"] < 1.0
    assert pada.history[1]["train_loss"] != dann.history[1]["train_loss"]


def test_every_class_in_the_target_gives_gamma_near_one_and_dann_s_accuracy():
    """Every source class equally present in the target: γ near 1, and PADA scores as DANN does.

    partial_blobs with the target holding all 5 classes, shift 1, 30 epochs; measured
    (seeds 0-4): min γ 0.74 / 0.89 / 0.88 / 0.74 / 0.73 (γ is the mean *prediction*:
    the classifier's errors on the shifted target, ~8%, make it uneven, and the
    normalisation by the maximum shows that), target accuracy PADA / DANN 0.938 / 0.942,
    0.918 / 0.922, 0.926 / 0.922, 0.91 / 0.918, 0.896 / 0.892. With the target holding 2
    classes the absent ones get γ 0.01-0.32 (test below). The test runs seeds 0-2.
    """
    for seed in range(3):
        X, y, sd, Xt, yt = partial_blobs(seed, target_classes=(0, 1, 2, 3, 4), shift=1.0)
        kw = dict(max_epochs=30, random_state=seed)
        pada = PADAClassifier(**kw).fit(X, y, sample_domain=sd)
        dann = DANNClassifier(**kw).fit(X, y, sample_domain=sd)
        assert pada.gamma_.min() > 0.6, (seed, pada.gamma_)
        assert abs(pada.score(Xt, yt) - dann.score(Xt, yt)) < 0.03, seed


def _loss_by_hand(net, X, y, sd, gamma):
    """Task and adversarial terms of a batch in float64 numpy, with class weights ``gamma``."""
    n_cls = len(net.classes_)
    with torch.no_grad():
        out, feats = net.module_(torch.as_tensor(X, dtype=torch.float32))
        lab = y >= 0
        onehot = np.zeros((len(y), n_cls))
        onehot[lab, y[lab]] = 1.0
        zeros = np.zeros((len(y), 0 if not net.gate else n_cls))
        Z_nil = np.hstack([feats.numpy(), zeros]).astype(np.float32)
        d_nil = torch.sigmoid(net.discriminator_(torch.as_tensor(Z_nil))).double().numpy()
        if net.gate:
            Z = np.hstack([feats.numpy(), onehot]).astype(np.float32)
            d_joint = torch.sigmoid(net.discriminator_(torch.as_tensor(Z))).double().numpy()
        logp = torch.log_softmax(out.double(), dim=1).numpy()
    src, tgt = sd >= 0, sd < 0
    s_lab, t_lab = src & lab, tgt & lab
    ce = -logp[np.arange(len(y)), np.clip(y, 0, None)]
    g = np.where(s_lab, gamma[np.clip(y, 0, None)], 1.0)  # γ_y on labeled source rows, 1 elsewhere
    omega = np.minimum(d_joint / (1 - d_joint), net.omega_clip) if net.gate else np.ones(len(y))
    task = net.source_weight * np.mean((g * omega * ce)[s_lab]) + np.mean(ce[t_lab])
    adv = np.mean(-np.log(d_nil[tgt])) + np.mean((g * -np.log(1 - d_nil))[src])
    if net.gate:
        adv += np.mean(-np.log(d_joint[t_lab])) + np.mean((g * -np.log(1 - d_joint))[s_lab])
    return task, adv


@pytest.mark.parametrize("gate", [False, True])
def test_losses_against_a_hand_computation(gate):
    """A tiny batch, γ = (1, 0.25): γ on the source rows of both terms; gated, γ ω per source row."""
    X, y, sd = make_domain_shift(30, 20, n_target_labeled=4, random_state=0)
    params = dict(gate=True, source_weight=0.7, omega_clip=3.0) if gate else {}
    net = PADAClassifier(max_epochs=0, mu=0.5, **SMALL, **params).fit(X, y, sample_domain=sd)
    gamma = np.array([1.0, 0.25])
    net._gamma = torch.as_tensor(gamma, dtype=torch.float32)
    rng = np.random.RandomState(1)
    Xb = rng.normal(size=(8, net.n_features_in_)).astype(np.float32)
    sdb = np.array([1, 1, 1, 1, -1, -1, -1, -1])
    yb = np.array([0, 1, 1, -1, 1, 0, -1, -1])
    task, adv = _loss_by_hand(net, Xb, yb, sdb, gamma)
    Xi = {"X": torch.as_tensor(Xb), "sample_domain": torch.as_tensor(sdb)}
    net._terms = {}
    net.module_.train()
    loss = net.get_loss(net.infer(Xi), torch.as_tensor(yb), X=Xi, training=True)
    terms = {k: float(v[0]) for k, v in net._terms.items()}
    assert terms["train_loss_task"] == pytest.approx(task, rel=1e-5)
    assert terms["train_loss_adv"] == pytest.approx(adv, rel=1e-5)
    assert loss.item() == pytest.approx(task + 0.5 * adv, rel=1e-5)
    # γ is a constant of the loss: no gradient reaches it
    assert not net._gamma.requires_grad


def test_pada_beats_dann_when_the_target_lacks_source_classes():
    """Partial adaptation: 5 source classes, the target holds 2 (partial_blobs, shift 3, 30 epochs).

    Measured (target accuracy, seeds 0-4: source only / DANN / PADA):
    0.665 / 0.55 / 0.765, 0.86 / 0.555 / 0.84, 0.895 / 0.665 / 0.965,
    0.675 / 0.595 / 0.75, 0.64 / 0.47 / 0.76: DANN pulls the target rows towards the
    three absent classes and loses to source-only training; PADA's γ of the absent
    classes is 0.01-0.32 (the present ones 0.39-1), and PADA beats DANN by 0.155-0.30
    on every seed. The test runs seeds 0-2 (PADA - DANN 0.215 / 0.285 / 0.30).
    """
    gains = []
    for seed in range(3):
        X, y, sd, Xt, yt = partial_blobs(seed)
        kw = dict(max_epochs=30, random_state=seed)
        pada = PADAClassifier(**kw).fit(X, y, sample_domain=sd)
        dann = DANNClassifier(**kw).fit(X, y, sample_domain=sd)
        gains.append(pada.score(Xt, yt) - dann.score(Xt, yt))
        # the absent classes (2, 3, 4) are weighted below every present one (0, 1)
        assert pada.gamma_[2:].max() < pada.gamma_[:2].min(), (seed, pada.gamma_)
    assert min(gains) > 0.1, gains
    assert np.mean(gains) > 0.18, gains


def test_gated_pada_trains_with_labeled_target_rows():
    """Gated on partial data with labeled target rows: ω and γ are logged, and both weight the source."""
    X, y, sd, Xt, yt = partial_blobs(0, n_per=40)
    y = y.copy()
    y[np.flatnonzero(sd < 0)[::8]] = yt[::8]  # 10 labeled target rows
    net = PADAClassifier(max_epochs=5, gate=True, **SMALL).fit(X, y, sample_domain=sd)
    assert 0.0 < net.history[-1]["omega_mean"] <= net.omega_clip
    assert net.gamma_.max() == 1.0 and net.n_target_labeled_ == 10


def test_fit_without_target_rows_keeps_gamma_at_one():
    X, y, sd = make_domain_shift(30, 20, random_state=0)
    src = sd >= 0
    with pytest.warns(UserWarning, match="No target rows"):
        net = PADAClassifier(max_epochs=2, **SMALL).fit(X[src], y[src])
    np.testing.assert_array_equal(net.gamma_, np.ones(2))
    assert net.history[-1]["gamma_min"] == 1.0
