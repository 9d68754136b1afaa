"""perturb_source: rates, modes, target rows untouched, copies, errors."""

import numpy as np
import pytest

from skdomain.datasets import make_domain_shift, perturb_source


def _data(n_source=200, n_target=50, n_classes=4):
    rng = np.random.RandomState(0)
    y_src = np.arange(n_source) % n_classes
    X_src = y_src[:, None] * 10.0 + rng.rand(n_source, 3)  # class k lives in [10k, 10k + 1)
    X_tgt = rng.rand(n_target, 3) + 100.0
    X = np.vstack([X_src, X_tgt])
    y = np.r_[y_src, np.full(n_target, -1)]
    y[n_source : n_source + 5] = 0  # 5 labeled target rows
    sd = np.r_[np.zeros(n_source, int), -np.ones(n_target, int)]
    return X, y, sd


def test_no_perturbation_returns_equal_copies():
    X, y, sd = _data()
    Xp, yp = perturb_source(X, y, sd, random_state=0)
    np.testing.assert_array_equal(Xp, X)
    np.testing.assert_array_equal(yp, y)
    assert not np.shares_memory(Xp, X) and not np.shares_memory(yp, y)


@pytest.mark.parametrize("x_how", ["noise", "swap"])
@pytest.mark.parametrize("y_how", ["uniform", "other", "cyclic"])
def test_rates_target_untouched_and_inputs_unchanged(x_how, y_how):
    X, y, sd = _data()
    X0, y0 = X.copy(), y.copy()
    Xp, yp = perturb_source(X, y, sd, eps_x=0.3, eps_y=0.6, x_how=x_how, y_how=y_how, random_state=1)
    np.testing.assert_array_equal(X, X0)  # the caller's arrays are not modified
    np.testing.assert_array_equal(y, y0)
    src, tgt = sd >= 0, sd < 0
    np.testing.assert_array_equal(Xp[tgt], X[tgt])
    np.testing.assert_array_equal(yp[tgt], y[tgt])
    changed_x = np.any(Xp[src] != X[src], axis=1)
    assert changed_x.sum() == round(0.3 * src.sum())  # a swap always brings another class's input
    changed_y = yp[src] != y[src]
    if y_how == "uniform":  # the drawn class can be the true one: about 1/4 of 120 rows stay
        assert 70 <= changed_y.sum() <= 110
    else:
        assert changed_y.sum() == round(0.6 * src.sum())
    assert set(np.unique(yp[src])) <= set(np.unique(y[src]))


def test_cyclic_is_the_next_class_and_flips_the_majority():
    X, y, sd = _data()
    src = sd >= 0
    _, yp = perturb_source(X, y, sd, eps_y=0.7, y_how="cyclic", random_state=0)
    moved = yp[src] != y[src]
    np.testing.assert_array_equal(yp[src][moved], (y[src][moved] + 1) % 4)
    # above eps_y = 1/2 the most frequent label of every class is the next one
    for k in range(4):
        labels = yp[src][y[src] == k]
        assert np.bincount(labels, minlength=4).argmax() == (k + 1) % 4


def test_other_never_keeps_the_true_class_and_uniform_keeps_the_majority():
    X, y, sd = _data(n_source=4000)
    src = sd >= 0
    _, yo = perturb_source(X, y, sd, eps_y=0.7, y_how="other", random_state=0)
    assert (yo[src] != y[src]).mean() == pytest.approx(0.7, abs=1e-3)
    _, yu = perturb_source(X, y, sd, eps_y=0.7, y_how="uniform", random_state=0)
    # P(true label) = 1 - eps + eps / K = 0.475, far above the 0.175 of each other class
    assert (yu[src] == y[src]).mean() == pytest.approx(0.475, abs=0.03)


def test_noise_stays_in_the_source_range_and_swap_takes_another_class():
    X, y, sd = _data()
    src = sd >= 0
    Xn, _ = perturb_source(X, y, sd, eps_x=1.0, x_how="noise", random_state=0)
    assert np.all(Xn[src] >= X[src].min(axis=0)) and np.all(Xn[src] <= X[src].max(axis=0))
    # uniform over [0, 31]: hardly any noise row falls inside its own class's unit cube
    own = np.all((Xn[src] >= y[src, None] * 10.0) & (Xn[src] < y[src, None] * 10.0 + 1), axis=1)
    assert own.mean() < 0.05
    Xs, _ = perturb_source(X, y, sd, eps_x=1.0, x_how="swap", random_state=0)
    # every swapped input is a source input of another class (its class read off its first feature)
    donor_class = np.floor(Xs[src, 0] / 10.0).astype(int)
    assert np.all(donor_class != y[src])
    assert all(any(np.array_equal(row, x) for x in X[src]) for row in Xs[src][:20])


def test_seeded_and_sample_domain_inferred():
    X, y, sd = _data()
    y = np.where(sd < 0, -1, y)  # no labeled target row: the masked rows are exactly the target
    a = perturb_source(X, y, sd, eps_x=0.5, eps_y=0.5, random_state=3)
    b = perturb_source(X, y, eps_x=0.5, eps_y=0.5, random_state=3)  # masked rows are target rows
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c = perturb_source(X, y, sd, eps_x=0.5, eps_y=0.5, random_state=4)
    assert not np.array_equal(a[1], c[1])


def test_works_on_a_generated_task():
    X, y, sd = make_domain_shift(50, 30, n_classes=3, n_target_labeled=5, random_state=0)
    Xp, yp = perturb_source(X, y, sd, eps_x=0.2, eps_y=0.2, random_state=0)
    assert Xp.shape == X.shape and yp.dtype == y.dtype


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"eps_x": 1.5}, "eps_x"),
        ({"eps_y": -0.1}, "eps_y"),
        ({"x_how": "blur"}, "x_how"),
        ({"y_how": "swap"}, "y_how"),
    ],
)
def test_bad_parameters(kwargs, match):
    X, y, sd = _data()
    with pytest.raises(ValueError, match=match):
        perturb_source(X, y, sd, **kwargs)


def test_bad_data():
    X, y, sd = _data()
    with pytest.raises(ValueError, match="non-integer"):
        perturb_source(X, y + 0.5, sd, eps_y=0.5)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        perturb_source(Xn, y, sd, eps_x=0.5)
    one = np.where(sd >= 0, 2, y)
    with pytest.raises(ValueError, match="single class"):
        perturb_source(X, one, sd, eps_y=0.1)
    with pytest.raises(ValueError, match="single class"):
        perturb_source(X, one, sd, eps_x=0.1, x_how="swap")
    perturb_source(X, one, sd, eps_x=0.1, x_how="noise")  # noise needs no other class
    with pytest.raises(ValueError):
        perturb_source(X, y[:-1], sd)
