"""GTA: the losses by hand, the phases and what each trains, every term logged, the generator, the gate."""

import math

import numpy as np
import pytest
import torch

from skdomain.datasets import make_domain_shift
from skdomain.deep import DomainBatch, DomainDataset, GTAClassifier
from skdomain.deep._gta import gta_losses
from skdomain.utils import DomainWarning

SMALL = dict(
    batch_size=16,
    module__hidden_units=(8, 6),
    generator__hidden_units=(8,),
    adversary__hidden_units=(8,),
    noise_dim=3,
    random_state=0,
)

D_TERMS = ("d_real", "d_cls", "d_fake_source", "d_fake_target")
G_TERMS = ("g_fool", "g_cls")
F_TERMS = ("f_cls", "f_fool")


def _sig(a):
    return 1 / (1 + math.exp(-a))


def _ce(logits, k):
    return -(logits[k] - math.log(sum(math.exp(v) for v in logits)))


def test_gta_losses_by_hand_on_a_tiny_batch():
    # rows: source labeled (y=1), source labeled (y=0), target, target
    sd = torch.tensor([0, 0, -1, -1])
    labeled = torch.tensor([True, True, False, False])
    batch = DomainBatch(sd, labeled, "cpu", torch.float64)
    y = torch.tensor([1, 0, -1, -1])
    d_real = torch.tensor([0.3, -1.2, 5.0, 5.0], dtype=torch.float64)  # target rows' real outputs unused
    c_real = torch.tensor([[0.1, 0.7], [1.0, -0.5], [9.0, 0.0], [0.0, 9.0]], dtype=torch.float64)
    d_fake = torch.tensor([2.0, -0.5, 0.1, -2.2], dtype=torch.float64)
    c_fake = torch.tensor([[0.4, -0.3], [0.0, 0.2], [3.0, 1.0], [1.0, 3.0]], dtype=torch.float64)
    got = gta_losses(batch, y, d_real=d_real, c_real=c_real, d_fake=d_fake, c_fake=c_fake)
    cr, cf = c_real.tolist(), c_fake.tolist()
    expected = {
        # D_data = P(real): real source rows -> 1, generated rows -> 0
        "real": np.mean([-math.log(_sig(0.3)), -math.log(_sig(-1.2))]),
        "cls_real": np.mean([_ce(cr[0], 1), _ce(cr[1], 0)]),
        "fake_source": np.mean([-math.log(1 - _sig(2.0)), -math.log(1 - _sig(-0.5))]),
        "fake_target": np.mean([-math.log(1 - _sig(0.1)), -math.log(1 - _sig(-2.2))]),
        # the inversions: generated rows called real
        "fool_source": np.mean([-math.log(_sig(2.0)), -math.log(_sig(-0.5))]),
        "fool_target": np.mean([-math.log(_sig(0.1)), -math.log(_sig(-2.2))]),
        "cls_fake": np.mean([_ce(cf[0], 1), _ce(cf[1], 0)]),
    }
    assert set(got) == set(expected)
    for k, v in expected.items():
        assert got[k].item() == pytest.approx(v, rel=1e-12), k
    # only the terms whose inputs are given
    assert set(gta_losses(batch, y, d_real=d_real)) == {"real"}
    # a group without rows adds 0
    no_target = DomainBatch(torch.tensor([0, 0]), torch.tensor([True, True]), "cpu", torch.float64)
    t = gta_losses(no_target, torch.tensor([0, 1]), d_fake=torch.zeros(2, dtype=torch.float64))
    assert t["fake_target"].item() == 0.0 and t["fool_target"].item() == 0.0


@pytest.fixture(scope="module")
def fitted():
    X, y, sd = make_domain_shift(40, 30, random_state=0)
    net = GTAClassifier(max_epochs=2, **SMALL).fit(X, y, sample_domain=sd)
    return net, X, y, sd


def _batch(net, X, y, sd):
    Xi = {"X": torch.as_tensor(X, dtype=torch.float32), "sample_domain": torch.as_tensor(sd)}
    yi = torch.as_tensor(net._encode_y(y, y != -1, reset=False))
    y_pred = net.infer(Xi)
    rows, labeled = net._row_losses(y_pred, yi)
    return Xi, yi, y_pred, DomainBatch(Xi["sample_domain"], labeled, "cpu", rows.dtype, row_loss=rows)


def test_phase_losses_are_the_papers_on_a_batch(fitted):
    net, X, y, sd = fitted
    Xi, yi, y_pred, batch = _batch(net, X, y, sd)
    n, k = X.shape[0], len(net.classes_)
    net._noise = noise = torch.randn(n, net.noise_dim, generator=torch.Generator().manual_seed(1))
    src, tgt, lab = sd >= 0, sd < 0, (sd >= 0) & (y != -1)
    onehot = np.zeros((n, k), dtype=np.float32)
    onehot[np.flatnonzero(lab), yi.numpy()[lab]] = 1  # nil (zeros) on the target rows
    with torch.no_grad():
        z = net.module_(Xi["X"])[1]
        x_gen = net.generator_(torch.cat([z, torch.as_tensor(onehot), noise], dim=1))
        d_r, c_r = net.adversary_(Xi["X"])
        d_f, c_f = net.adversary_(x_gen)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    ce = torch.nn.functional.cross_entropy
    ys = yi[torch.as_tensor(lab)]
    real = bce(d_r[src], torch.ones(src.sum())) + ce(c_r[lab], ys)
    loss_d = real + bce(d_f[src], torch.zeros(src.sum())) + bce(d_f[tgt], torch.zeros(tgt.sum()))
    loss_g = bce(d_f[src], torch.ones(src.sum())) + ce(c_f[lab], ys)
    loss_f = net.alpha * ce(c_f[lab], ys) + net.beta * bce(d_f[tgt], torch.ones(tgt.sum()))
    net._terms = {}
    assert net.phase_loss("adversary", y_pred, yi, Xi, batch).item() == pytest.approx(loss_d.item(), rel=1e-5)
    assert net.phase_loss("generator", y_pred, yi, Xi, batch).item() == pytest.approx(loss_g.item(), rel=1e-5)
    assert net.adaptation_loss(y_pred, yi, Xi, batch).item() == pytest.approx(loss_f.item(), rel=1e-5)
    net._noise = None
    with pytest.raises(NotImplementedError, match="phase_loss"):
        net.phase_loss("nope", y_pred, yi, Xi, batch)


def test_every_term_is_logged_per_epoch_and_per_batch_and_sums_to_its_phase(fitted):
    net = fitted[0]
    names = [f"train_loss_{t}" for t in D_TERMS + G_TERMS + F_TERMS]
    names += ["train_loss", "train_loss_task", "train_loss_adversary", "train_loss_generator"]
    for row in net.history:
        assert all(np.isfinite(row[k]) for k in names)
        for b in row["batches"]:
            assert b["train_loss_adversary"] == pytest.approx(
                sum(b[f"train_loss_{t}"] for t in D_TERMS), rel=1e-5
            )
            assert b["train_loss_generator"] == pytest.approx(
                sum(b[f"train_loss_{t}"] for t in G_TERMS), rel=1e-5
            )
            f = b["train_loss_task"] + net.alpha * b["train_loss_f_cls"] + net.beta * b["train_loss_f_fool"]
            assert b["train_loss"] == pytest.approx(f, rel=1e-5)
    assert "train_loss_adv" not in net.history[-1] and "omega_mean" not in net.history[-1]


def test_each_optimizer_holds_its_modules_parameters(fitted):
    net = fitted[0]

    def ids(opt):
        return {id(p) for g in opt.param_groups for p in g["params"]}

    assert ids(net.optimizer_) == {id(p) for p in net.module_.parameters()}
    assert ids(net.optimizer_adversary_) == {id(p) for p in net.adversary_.parameters()}
    assert ids(net.optimizer_generator_) == {id(p) for p in net.generator_.parameters()}
    assert net.optimizer_generator_.param_groups[0]["betas"] == (0.8, 0.999)
    assert [p for p, _ in net.step_phases()] == ["adversary", "generator", "main"]


def test_each_phase_steps_only_its_modules():
    X, y, sd = make_domain_shift(40, 30, random_state=0)
    net = GTAClassifier(max_epochs=1, **SMALL).fit(X, y, sample_domain=sd)
    ds = DomainDataset(X.astype(np.float32), torch.as_tensor(net._encode_y(y, y != -1, False)), sd)
    batch = next(iter(net.get_iterator(ds, training=True)))
    mods = {"module": net.module_, "adversary": net.adversary_, "generator": net.generator_}
    for phase, opt, changed in [
        ("adversary", "optimizer_adversary", "adversary"),
        ("generator", "optimizer_generator", "generator"),
        ("main", "optimizer", "module"),
    ]:
        before = {k: [p.detach().clone() for p in m.parameters()] for k, m in mods.items()}
        net._terms, net._noise = {}, None
        net._train_phase(batch, phase, [opt])
        for k, m in mods.items():
            same = all(torch.equal(a, b) for a, b in zip(before[k], m.parameters()))
            assert same != (k == changed), (phase, k)


def test_generator_output_shape_and_labels():
    X, y, sd = make_domain_shift(40, 30, n_features=5, n_classes=3, random_state=0)
    net = GTAClassifier(max_epochs=1, **SMALL).fit(X, y, sample_domain=sd)
    assert net.generator_.body[0].in_features == 6 + 3 + net.noise_dim
    G = net.generate(X[:7], y=y[:7], random_state=0)
    assert G.shape == (7, 5) and G.dtype == np.float32
    np.testing.assert_array_equal(G, net.generate(X[:7], y=y[:7], random_state=0))  # seeded noise
    nil = net.generate(X[:7], random_state=0)
    assert nil.shape == (7, 5) and not np.array_equal(nil, G)  # the label is an input
    with pytest.raises(ValueError, match="classes_"):
        net.generate(X[:2], y=np.array([0, 7]))
    with pytest.raises(ValueError, match="shape"):
        net.generate(X[:2], y=np.array([0]))


def test_refits_with_random_state_are_bit_identical():
    X, y, sd = make_domain_shift(40, 30, random_state=0)
    a = GTAClassifier(max_epochs=2, **SMALL).fit(X, y, sample_domain=sd)
    b = GTAClassifier(max_epochs=2, **SMALL).fit(X, y, sample_domain=sd)
    for ma, mb in [(a.module_, b.module_), (a.generator_, b.generator_), (a.adversary_, b.adversary_)]:
        assert all(torch.equal(p, q) for p, q in zip(ma.parameters(), mb.parameters()))
    assert [r["train_loss"] for r in a.history] == [r["train_loss"] for r in b.history]
    c = GTAClassifier(max_epochs=2, **{**SMALL, "random_state": 1}).fit(X, y, sample_domain=sd)
    assert not all(torch.equal(p, q) for p, q in zip(a.module_.parameters(), c.module_.parameters()))


def test_without_target_rows_only_f_and_c_train():
    X, y, sd = make_domain_shift(40, 30, random_state=0)
    src = sd >= 0
    with pytest.warns(DomainWarning, match="No target rows"):
        net = GTAClassifier(max_epochs=2, **SMALL).fit(X[src], y[src], sample_domain=sd[src])
    assert net.step_phases() == [("main", ["optimizer"])]
    assert "train_loss_adversary" not in net.history[-1] and "train_loss_f_cls" not in net.history[-1]


def test_gate_on_and_off():
    X, y, sd, yt = make_domain_shift(60, 60, n_target_labeled=6, random_state=0, return_target_labels=True)
    plain = GTAClassifier(max_epochs=2, **SMALL).fit(X, y, sample_domain=sd)
    gated = GTAClassifier(max_epochs=2, gate=True, discriminator__hidden_units=(8,), **SMALL).fit(
        X, y, sample_domain=sd
    )
    assert not hasattr(plain, "discriminator_")
    # the gate's own D, on features plus one-hot classes, trained in the main phase
    assert gated.discriminator_.body[0].in_features == 6 + len(gated.classes_)
    main = {id(p) for g in gated.optimizer_.param_groups for p in g["params"]}
    assert {id(p) for p in gated.discriminator_.parameters()} <= main
    for k in ("train_loss_adv", "omega_mean", "train_loss_adversary", "train_loss_f_fool"):
        assert k in gated.history[-1]
    assert "train_loss_adv" not in plain.history[-1]
    # the gate's D sees detached features: its loss sends no gradient into F
    Xi, yi, y_pred, batch = _batch(gated, X, y, sd)
    gated._terms = {}
    gated.task_loss(y_pred, yi, Xi, batch)
    z = batch.cache["gate"][0]
    assert not z.requires_grad
    adv = gated._gate_adversarial(z, batch)
    gated.module_.zero_grad()
    adv.backward()
    assert all(p.grad is None or not p.grad.any() for p in gated.module_.parameters())


def test_on_a_shift_gta_keeps_source_only_accuracy_and_its_generator_follows_the_label(shifted_blobs):
    """On the tests' translated Gaussian classes: GTA against its own source-only net, and G's label.

    With the paper's weights (alpha 0.1, beta 0.03) GTA barely moves this 4-d toy: measured
    (seeds 0-3, 50 epochs) source only 0.553, 0.580, 0.600, 0.633, GTA 0.560, 0.573, 0.620,
    0.633; the assertion is that it costs nothing there (within 0.03 per seed, 0.02 on the
    mean). What GTA's GAN learns is checked on the generator: rows generated from source
    embeddings with the *other* class as label are classified (by a logistic regression on
    the real source rows) as that label in 0.600, 0.627 and 0.520 of the rows (seeds 0-2;
    seed 3: 0.807), though the embedding carries the row's own class: G follows the label
    (with the row's own label: 0.967, 1.0, 0.847; a G that ignored the label would score
    about 1 minus that on the flipped one, 0 to 0.15).
    """
    from sklearn.linear_model import LogisticRegression

    deep = dict(max_epochs=50, lr=5e-3, batch_size=32, module__hidden_units=(32, 16))
    gains, flipped = [], []
    for seed in range(3):
        X, y, sd, yt = shifted_blobs(150, seed)
        acc = {}
        for name, kw in (("source only", dict(alpha=0.0, beta=0.0)), ("GTA", {})):
            net = GTAClassifier(random_state=seed, **deep, **kw).fit(X, y, sample_domain=sd)
            acc[name] = np.mean(net.predict(X[sd < 0]) == yt)
        gains.append(acc["GTA"] - acc["source only"])
        s = sd >= 0
        other = 1 - y[s]
        lr = LogisticRegression().fit(X[s], y[s])
        flipped.append(lr.score(net.generate(X[s], y=other, random_state=0), other))
    assert min(gains) > -0.03 and np.mean(gains) > -0.02, gains
    assert min(flipped) > 0.4 and np.mean(flipped) > 0.5, flipped


def test_without_its_adversarial_terms_gta_is_dans_source_only_net_bit_for_bit():
    """``alpha = beta = 0``: F and C learn the task loss alone, as DAN's mu=0 net (its baseline)."""
    from skdomain.deep import DANClassifier

    X, y, sd = make_domain_shift(60, 50, random_state=0)
    kw = dict(max_epochs=3, batch_size=16, module__hidden_units=(8, 6), random_state=0)
    gta = GTAClassifier(alpha=0.0, beta=0.0, **kw).fit(X, y, sample_domain=sd)
    dan = DANClassifier(mu=0.0, **kw).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(gta.predict_proba(X), dan.predict_proba(X))
    # while its generator and adversary did train
    assert gta.history[-1]["train_loss_generator"] > 0
    full = GTAClassifier(**kw).fit(X, y, sample_domain=sd)
    assert not np.array_equal(full.predict_proba(X), dan.predict_proba(X))


def test_gated_without_labeled_target_rows_predicts_as_plain_gta_bit_for_bit():
    """With omega == 1 and the gate's D on detached features: F, C, G and D take the plain net's steps."""
    X, y, sd = make_domain_shift(40, 30, random_state=0)
    plain = GTAClassifier(max_epochs=2, **SMALL).fit(X, y, sample_domain=sd)
    gated = GTAClassifier(max_epochs=2, gate=True, discriminator__hidden_units=(8,), **SMALL).fit(
        X, y, sample_domain=sd
    )
    assert "train_loss_adv" in gated.history[-1] and "omega_mean" not in gated.history[-1]
    np.testing.assert_array_equal(gated.predict_proba(X), plain.predict_proba(X))
    np.testing.assert_array_equal(
        gated.generate(X, y=y, random_state=0), plain.generate(X, y=y, random_state=0)
    )
