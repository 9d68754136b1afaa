"""TrAdaBoost: the update rules against references written in the papers' form, the edge cases, a shift.

The references use a weight-driven "rule" learner (it picks the column of X with the
smallest weighted error and predicts it), so every round's hypothesis is known without
the estimator's code, and the loops below follow the papers' notation (products of
β powers, the paper's output inequality).
"""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.ensemble import AdaBoostClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from skdomain import TrAdaBoostClassifier, TrAdaBoostRegressor
from skdomain.instance._tradaboost import _source_factor, _weighted_median
from skdomain.utils import DomainWarning


class _Rule(ClassifierMixin, BaseEstimator):
    """Predict column j of X, j the column of smallest weighted 0-1 error (weights' scale free)."""

    def fit(self, X, y, sample_weight=None):
        w = np.ones(len(y)) if sample_weight is None else sample_weight
        self.classes_ = np.unique(y)
        self.j_ = int(np.argmin([(w * (X[:, j] != y)).sum() for j in range(X.shape[1])]))
        return self

    def predict(self, X):
        return X[:, self.j_].astype(int)


class _RuleReg(RegressorMixin, BaseEstimator):
    """Predict column j of X, j the column of smallest weighted squared error."""

    def fit(self, X, y, sample_weight=None):
        w = np.ones(len(y)) if sample_weight is None else sample_weight
        self.j_ = int(np.argmin([(w * (X[:, j] - y) ** 2).sum() for j in range(X.shape[1])]))
        return self

    def predict(self, X):
        return X[:, self.j_].astype(float)


def _binary_data(seed, n=14, m=6, d=8):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n + m)
    # each column agrees with y on a random 55-85% of the rows
    X = np.array([np.where(rng.rand(n + m) < rng.uniform(0.55, 0.85), y, 1 - y) for _ in range(d)]).T
    sd = np.r_[np.zeros(n, int), -np.ones(m, int)]
    return X, y, sd


def _paper_tradaboost(X, y, n, N, nu=1.0):
    """Dai et al.'s Algorithm 1, binary, written as in the paper (β_t powers, the product rule)."""
    w = np.ones(len(y)) / len(y)
    beta = 1 / (1 + np.sqrt(2 * np.log(n) / N))
    hs, betas, errs = [], [], []
    for _ in range(N):
        p = w / w.sum()
        h = _Rule().fit(X, y, p).predict(X)
        err = np.abs(h - y)
        eps = (w[n:] * err[n:]).sum() / w[n:].sum()
        assert eps > 0
        # at or above 1/2 the paper's beta_t would exceed 1: 1 instead (no vote, target unchanged)
        beta_t = eps / (1 - eps) if eps < 0.5 else 1.0
        w = w.copy()
        w[:n] *= beta ** (nu * err[:n])
        w[n:] *= beta_t ** (-nu * err[n:])
        hs.append(h)
        betas.append(beta_t)
        errs.append(eps)
    half = int(np.ceil(N / 2)) - 1
    H, B = np.array(hs[half:]), np.array(betas[half:])
    lhs = np.prod(B[:, None] ** (-H), axis=0)
    rhs = np.prod(B**-0.5)
    return np.array(errs), np.array(betas), (lhs >= rhs * (1 - 1e-12)).astype(int)


@pytest.mark.parametrize("nu", [1.0, 0.5])
def test_binary_updates_match_the_paper(nu):
    X, y, sd = _binary_data(seed=3)
    N = 6
    errs, betas, pred = _paper_tradaboost(X, y, n=14, N=N, nu=nu)
    clf = TrAdaBoostClassifier(_Rule(), n_estimators=N, learning_rate=nu).fit(X, y, sample_domain=sd)
    assert clf.stop_reason_ == "n_estimators rounds"
    np.testing.assert_allclose(clf.estimator_errors_, errs, rtol=1e-12)
    np.testing.assert_allclose(clf.estimator_weights_, nu * np.log(1 / betas), rtol=1e-12, atol=1e-15)
    assert clf.beta_source_ == pytest.approx(1 / (1 + np.sqrt(2 * np.log(14) / N)))
    assert clf.first_voting_round_ == 2  # rounds ceil(6/2) = 3 .. 6, 1-based
    np.testing.assert_array_equal(clf.predict(X), pred)
    # the rounds changed hypothesis, and some voted: the reference is not one learner repeated
    assert len({e.j_ for e in clf.estimators_}) >= 2 and np.sum(betas[2:] < 1) >= 2


def test_first_round_by_hand():
    """One round on five rows, every number by hand."""
    # rows: 3 source, 2 target; column 0 is the only column
    X = np.array([[1], [0], [0], [1], [1]])
    y = np.array([1, 0, 1, 1, 0])  # h = X[:, 0] errs on source row 2 and target row 4
    sd = np.array([0, 0, 0, -1, -1])
    X = np.hstack([X, 1 - X])  # column 1 errs more: the rule picks column 0
    clf = TrAdaBoostClassifier(_Rule(), n_estimators=2).fit(X, y, sample_domain=sd)
    # eps_1 = w_4 / (w_3 + w_4) = 1/2 on the target rows: the chance level, weight 0
    assert clf.estimator_errors_[0] == 0.5 and clf.estimator_weights_[0] == 0.0
    # a third target row, and a third column: C = [1, 0, 0 | 1, 0, 0] errs on rows 2 and 5
    X = np.c_[np.vstack([X, [1, 0]]), [1, 0, 0, 1, 0, 0]]
    y, sd = np.r_[y, 1], np.r_[sd, -1]
    clf = TrAdaBoostClassifier(_Rule(), n_estimators=2).fit(X, y, sample_domain=sd)
    # round 1, uniform weights: A and C both err on 2 rows, A comes first (argmin)
    # eps_1 = 1/3 (row 4 of rows 3-5), beta_1 = 1/2, alpha_1 = ln 2
    assert clf.estimators_[0].j_ == 0
    assert clf.estimator_errors_[0] == pytest.approx(1 / 3)
    assert clf.estimator_weights_[0] == pytest.approx(np.log(2))
    beta = 1 / (1 + np.sqrt(2 * np.log(3) / 2))
    # after round 1 (times 6): [1, 1, beta, 1, 2, 1]; A errs on beta + 2, C on beta + 1: C
    # eps_2 = 1 / (1 + 2 + 1) on the target rows, alpha_2 = ln 3
    assert clf.estimators_[1].j_ == 2
    assert clf.estimator_errors_[1] == pytest.approx(1 / 4)
    assert clf.estimator_weights_[1] == pytest.approx(np.log(3))
    assert clf.source_weight_share_[1] == pytest.approx((2 + beta) / (2 + beta + 4))
    # after round 2, C errs on source row 2 (times beta) and target row 5 (times e^{ln 3} = 3)
    w = np.array([1, 1, beta**2, 1, 2, 3])
    np.testing.assert_allclose(clf.sample_weight_, w / w.sum())
    # the vote of rounds 1..2 (ceil(2/2) = 1): A says 1 on row 4 with ln 2, C says 0 with ln 3
    assert clf.predict(X[4:5])[0] == 0
    assert clf.decision_function(X[4:5])[0] == pytest.approx((np.log(2) - np.log(3)) / np.log(6))


def _multiclass_data(seed, n=30, m=12, d=8, K=3):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, K, n + m)
    X = np.array(
        [np.where(rng.rand(n + m) < rng.uniform(0.5, 0.8), y, rng.randint(0, K, n + m)) for _ in range(d)]
    ).T
    sd = np.r_[np.zeros(n, int), -np.ones(m, int)]
    return X, y, sd


def test_multiclass_samme_rule():
    """K = 3: alpha_t = ln((1 - eps)/eps) + ln(K - 1) on the target, beta on the source, argmax vote."""
    X, y, sd = _multiclass_data(seed=1)
    n, N, K = 30, 6, 3
    w = np.ones(len(y)) / len(y)
    beta = 1 / (1 + np.sqrt(2 * np.log(n) / N))
    hs, alphas, errs = [], [], []
    for _ in range(N):
        h = _Rule().fit(X, y, w / w.sum()).predict(X)
        miss = h != y
        eps = (w[n:] * miss[n:]).sum() / w[n:].sum()
        assert eps > 0
        alpha = np.log((1 - eps) / eps) + np.log(K - 1) if eps < 1 - 1 / K else 0.0
        w = w * np.r_[beta ** miss[:n], np.exp(alpha * miss[n:])]
        hs.append(h)
        alphas.append(alpha)
        errs.append(eps)
    votes = np.zeros((len(y), K))
    for h, a in zip(hs[2:], alphas[2:]):
        votes[np.arange(len(y)), h] += a
    clf = TrAdaBoostClassifier(_Rule(), n_estimators=N).fit(X, y, sample_domain=sd)
    np.testing.assert_allclose(clf.estimator_errors_, errs, rtol=1e-12)
    np.testing.assert_allclose(clf.estimator_weights_, alphas, rtol=1e-12)
    assert np.sum(np.array(alphas[2:]) > 0) >= 2
    np.testing.assert_allclose(clf.predict_proba(X), votes / votes.sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), np.argmax(votes, axis=1))
    np.testing.assert_allclose(clf.decision_function(X), clf.predict_proba(X))


def test_round_at_chance_gets_no_vote_and_boosting_goes_on():
    """At eps >= 1 - 1/K on the target rows: weight 0, target weights kept, source weights still updated."""
    X, y, sd = _binary_data(seed=3, n=40, m=4)
    # a source-dominated first round, worse than chance on the target rows
    X = np.hstack([np.where(sd < 0, 1 - y, y)[:, None], X])
    clf = TrAdaBoostClassifier(_Rule(), n_estimators=6).fit(X, y, sample_domain=sd)
    assert clf.estimators_[0].j_ == 0 and clf.estimator_errors_[0] == 1.0
    assert clf.estimator_weights_[0] == 0.0 and len(clf.estimators_) == 6
    # round 1 missed no source row: the source share is unchanged after it
    assert clf.source_weight_share_[1] == pytest.approx(clf.source_weight_share_[0])
    # ... and without a target, the same round stops plain AdaBoost (SAMME)
    with pytest.warns(DomainWarning):
        plain = TrAdaBoostClassifier(_Rule(), n_estimators=6).fit(X[sd >= 0], y[sd >= 0])
    assert len(plain.estimators_) == 1 and "error 0" in plain.stop_reason_


def test_no_voting_round_above_chance_leaves_the_last_round():
    X, y, sd = _binary_data(seed=3)
    col = np.where(sd < 0, 1 - y, y)  # right on the source, wrong on every target row
    X = np.c_[col, col, col]
    clf = TrAdaBoostClassifier(_Rule(), n_estimators=4).fit(X, y, sample_domain=sd)
    assert np.all(clf.estimator_weights_ == 0)
    np.testing.assert_array_equal(clf.predict(X), clf.estimators_[-1].predict(X))
    assert np.all(np.isfinite(clf.predict_proba(X)))


def test_zero_error_caps_the_weight_and_stops():
    X, y, sd = _multiclass_data(seed=1)
    X = np.hstack([X, np.where(sd < 0, y, (y + 1) % 3)[:, None]])  # a column right on every target row
    X[sd >= 0, -1] = y[sd >= 0]  # ... and on the source: the rule picks it first
    clf = TrAdaBoostClassifier(_Rule(), n_estimators=10).fit(X, y, sample_domain=sd)
    assert len(clf.estimators_) == 1 and clf.estimator_errors_[0] == 0
    assert clf.estimator_weights_[0] == pytest.approx(np.log((1 - 1e-10) / 1e-10) + np.log(2))
    assert "error 0" in clf.stop_reason_


def test_no_target_is_plain_adaboost_samme():
    """Without target rows: a DomainWarning and scikit-learn's AdaBoost (SAMME), every round voting."""
    X, y, _ = _multiclass_data(seed=2)
    with pytest.warns(DomainWarning, match="No target rows"):
        clf = TrAdaBoostClassifier(_Rule(), n_estimators=8).fit(X, y)
    ref = AdaBoostClassifier(_Rule(), n_estimators=8).fit(X, y)
    n = len(ref.estimators_)
    assert len(clf.estimators_) == n and clf.first_voting_round_ == 0
    np.testing.assert_allclose(clf.estimator_weights_, ref.estimator_weights_[:n], rtol=1e-10)
    np.testing.assert_allclose(clf.estimator_errors_, ref.estimator_errors_[:n], rtol=1e-10)
    np.testing.assert_array_equal(clf.predict(X), ref.predict(X))


def test_staged_predict_follows_the_second_half_rule():
    X, y, sd = _binary_data(seed=3)
    clf = TrAdaBoostClassifier(_Rule(), n_estimators=6).fit(X, y, sample_domain=sd)
    stages = list(clf.staged_predict(X))
    assert len(stages) == 6
    np.testing.assert_array_equal(stages[-1], clf.predict(X))
    P = np.array([e.predict(X) for e in clf.estimators_])
    a = clf.estimator_weights_
    for t in range(1, 7):
        s = int(np.ceil(t / 2)) - 1
        score = (a[s:t, None] * (2 * P[s:t] - 1)).sum(axis=0)  # >= 0: class 1, the paper's tie rule
        np.testing.assert_array_equal(stages[t - 1], (score >= 0).astype(int))
    probas = list(clf.staged_predict_proba(X))
    np.testing.assert_allclose(probas[-1], clf.predict_proba(X))


class _DropsLightRows(ClassifierMixin, BaseEstimator):
    """A tree fitted on the rows of above-mean weight only: it can miss classes."""

    def fit(self, X, y, sample_weight=None):
        keep = sample_weight >= sample_weight.mean()
        self.tree_ = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X[keep], y[keep])
        self.classes_ = self.tree_.classes_
        return self

    def predict(self, X):
        return self.tree_.predict(X)


def test_a_round_without_some_class_is_harmless():
    """ADAPT's issue 96: a round whose learner never saw a class must not crash the ensemble."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 3))
    y = np.r_[np.repeat([0, 1, 2], 25), rng.randint(0, 3, 15)]
    X[np.arange(90), 0] += 2 * y
    sd = np.r_[np.zeros(75, int), -np.ones(15, int)]
    clf = TrAdaBoostClassifier(_DropsLightRows(), n_estimators=10, random_state=0).fit(X, y, sample_domain=sd)
    seen = [len(e.classes_) for e in clf.estimators_]
    assert min(seen) < 3  # some round did miss a class
    proba = clf.predict_proba(X)
    assert proba.shape == (90, 3) and np.allclose(proba.sum(axis=1), 1)
    assert set(clf.predict(X)) <= {0, 1, 2}


def test_estimator_without_sample_weight_is_an_error():
    X, y, sd = _binary_data(seed=0)
    with pytest.raises(ValueError, match="sample_weight.*KNeighborsClassifier.fit does not"):
        TrAdaBoostClassifier(KNeighborsClassifier()).fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="needs a regressor"):
        TrAdaBoostRegressor(LogisticRegression()).fit(X, y.astype(float), sample_domain=sd)


def test_unlabeled_target_rows_only_is_an_error():
    X, y, sd = _binary_data(seed=0)
    y = np.where(sd < 0, -1, y)
    with pytest.raises(ValueError, match="needs labeled target rows.*all unlabeled"):
        TrAdaBoostClassifier().fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="pass sample_domain"):
        TrAdaBoostClassifier().fit(X, y)


# -- regression --------------------------------------------------------------------------------


def _reg_data(seed, n=20, m=8, d=6):
    rng = np.random.RandomState(seed)
    y = rng.normal(size=n + m)
    # each column is y, off by a lot on its own random third of the rows
    X = y[:, None] + rng.normal(scale=0.1, size=(n + m, d)) + 3 * (rng.rand(n + m, d) < 1 / 3)
    sd = np.r_[np.zeros(n, int), -np.ones(m, int)]
    return X, y, sd


_L = {"linear": lambda e: e, "square": lambda e: e**2, "exponential": lambda e: 1 - np.exp(-e)}


def _median_brute(preds, weights):
    """Weighted median by scanning candidate values: the smallest v with weight(h <= v) >= half."""
    out = []
    for col in preds.T:
        cands = sorted(col)
        for v in cands:
            if weights[col <= v].sum() >= 0.5 * weights.sum():
                out.append(v)
                break
    return np.array(out)


@pytest.mark.parametrize("loss", ["linear", "square", "exponential"])
def test_tradaboost_r2_updates_match_the_paper(loss):
    X, y, sd = _reg_data(seed=1)
    n, N = 20, 6
    w = np.ones(len(y)) / len(y)
    beta = 1 / (1 + np.sqrt(2 * np.log(n) / N))
    hs, betas, errs = [], [], []
    for _ in range(N):
        h = _RuleReg().fit(X, y, w / w.sum()).predict(X)
        r = np.abs(h - y)
        e = _L[loss](r / r.max())
        eps = (w[n:] * e[n:]).sum() / w[n:].sum()
        assert eps > 0
        beta_t = eps / (1 - eps) if eps < 0.5 else 1.0
        w = w * np.r_[beta ** e[:n], beta_t ** (-e[n:])]
        hs.append(h)
        betas.append(beta_t)
        errs.append(eps)
    reg = TrAdaBoostRegressor(_RuleReg(), n_estimators=N, loss=loss, two_stage=False).fit(
        X, y, sample_domain=sd
    )
    np.testing.assert_allclose(reg.estimator_errors_, errs, rtol=1e-12)
    np.testing.assert_allclose(reg.estimator_weights_, np.log(1 / np.array(betas)), rtol=1e-12, atol=1e-15)
    expected = _median_brute(np.array(hs[2:]), np.log(1 / np.array(betas[2:])))
    np.testing.assert_allclose(reg.predict(X), expected)
    assert len({e.j_ for e in reg.estimators_}) >= 2 and np.sum(np.array(betas[2:]) < 1) >= 2


def test_weighted_median_against_brute_force():
    rng = np.random.RandomState(0)
    P = rng.normal(size=(7, 50))
    P[:, :5] = np.round(P[:, :5])  # ties
    wts = rng.uniform(0.1, 2, 7)
    np.testing.assert_allclose(_weighted_median(P, wts), _median_brute(P, wts))


@pytest.mark.parametrize("share", [0.3, 0.5, 0.9, 1.0])
def test_two_stage_source_step_reaches_the_share(share):
    rng = np.random.RandomState(0)
    w_s, e_s = rng.uniform(0.5, 1, 40) / 50, rng.uniform(0, 1, 40)
    t_total = 10 / 50
    new = _source_factor(w_s, e_s, t_total, share)
    assert t_total / (t_total + new.sum()) == pytest.approx(share, rel=1e-9)
    if share < 1:  # w_s beta^e with one beta in (0, 1): log ratios proportional to e
        ratio = np.log(new / w_s)
        beta = np.exp(np.polyfit(e_s, ratio, 1)[0])
        np.testing.assert_allclose(new, w_s * beta**e_s, rtol=1e-8)
        assert 0 < beta < 1


def test_two_stage_schedule_and_choice():
    X, y, sd = _reg_data(seed=1)
    reg = TrAdaBoostRegressor(_RuleReg(), n_estimators=4, n_stages=5, cv=4, random_state=0)
    reg.fit(X, y, sample_domain=sd)
    f0 = 8 / 28
    np.testing.assert_allclose(reg.stage_target_share_, f0 + np.arange(5) / 4 * (1 - f0))
    assert reg.best_stage_ == int(np.argmin(reg.stage_errors_))
    # the returned ensemble was boosted from that stage's weights: its first round saw that share
    assert 1 - reg.source_weight_share_[0] == pytest.approx(reg.stage_target_share_[reg.best_stage_])
    assert reg.first_voting_round_ == 0


def test_two_stage_needs_two_labeled_target_rows():
    X, y, sd = _reg_data(seed=1)
    y = y.copy()
    y[np.flatnonzero(sd < 0)[1:]] = np.nan
    with pytest.raises(ValueError, match="at least 2 of them; got 1"):
        TrAdaBoostRegressor(n_stages=3).fit(X, y, sample_domain=sd)


# -- behaviour on a shift where part of the source contradicts the target -------------------


def _contradicting_source(seed, n_source=400, n_target=400, n_labeled=20, d=6):
    """Return a source whose boundary is wrong on half of the space, a target with 10% label noise.

    Target: y = [x_0 > 0], each label flipped with probability 0.1. Source: the same rule
    where x_1 < 0, but [x_0 > 1.5] where x_1 >= 0, so the pooled rows learn the wrong
    boundary there; 4 of the 6 features are noise, which misleads a learner of 20 noisy
    target rows alone. TrAdaBoost's source update is meant to discount the contradicting
    source rows while keeping the rest.
    """
    rng = np.random.RandomState(seed)
    Xs, Xt = rng.normal(size=(n_source, d)), rng.normal(size=(n_target, d))
    ys = np.where(Xs[:, 1] < 0, Xs[:, 0] > 0, Xs[:, 0] > 1.5).astype(int)
    yt = (Xt[:, 0] > 0).astype(int)
    yt = np.where(rng.rand(n_target) < 0.1, 1 - yt, yt)
    X = np.vstack([Xs, Xt])
    y = np.r_[ys, np.full(n_target, -1)]
    y[n_source : n_source + n_labeled] = yt[:n_labeled]
    sd = np.r_[np.zeros(n_source, int), -np.ones(n_target, int)]
    test = np.arange(n_source + n_labeled, n_source + n_target)
    return X, y, sd, np.r_[ys, yt], test


def test_tradaboost_beats_target_only_and_pooled_adaboost():
    """Stumps, 30 rounds, 5 seeds, accuracy on the unlabeled target rows (their noisy labels).

    Measured: TrAdaBoost 0.888, pooled AdaBoost 0.716, target-only AdaBoost 0.762 (means);
    per-seed gains +0.09 to +0.24 over pooled, +0.03 to +0.20 over target-only.
    """
    base = DecisionTreeClassifier(max_depth=1)
    gains_pool, gains_tgt = [], []
    for seed in range(5):
        X, y, sd, y_true, test = _contradicting_source(seed)
        lab = y != -1
        tl = lab & (sd < 0)
        ours = TrAdaBoostClassifier(base, n_estimators=30, random_state=0).fit(X, y, sample_domain=sd)
        pooled = AdaBoostClassifier(base, n_estimators=30, random_state=0).fit(X[lab], y[lab])
        target = AdaBoostClassifier(base, n_estimators=30, random_state=0).fit(X[tl], y[tl])
        acc = [(m.predict(X[test]) == y_true[test]).mean() for m in (ours, pooled, target)]
        gains_pool.append(acc[0] - acc[1])
        gains_tgt.append(acc[0] - acc[2])
    assert np.mean(gains_pool) > 0.1 and min(gains_pool) > 0.0, gains_pool
    assert np.mean(gains_tgt) > 0.05 and min(gains_tgt) > 0.0, gains_tgt


def _offset_source(seed, offset, n=300, m=200, n_labeled=20):
    """Return a regression shift: the source's function is the target's plus ``offset`` where x_0 > 0."""
    rng = np.random.RandomState(seed)
    Xs, Xt = rng.uniform(-2, 2, (n, 3)), rng.uniform(-2, 2, (m, 3))

    def f(X):
        return np.sin(2 * X[:, 0]) + X[:, 1]

    ys = f(Xs) + offset * (Xs[:, 0] > 0) + 0.1 * rng.normal(size=n)
    yt = f(Xt) + 0.1 * rng.normal(size=m)
    X = np.vstack([Xs, Xt])
    y = np.r_[ys, np.full(m, np.nan)]
    y[n : n + n_labeled] = yt[:n_labeled]
    sd = np.r_[np.zeros(n, int), -np.ones(m, int)]
    return X, y, sd, yt[n_labeled:], np.arange(n + n_labeled, n + m)


def test_two_stage_moves_away_from_a_contradicting_source_and_keeps_a_useful_one():
    """The cross-validated stage: late (target-heavy) when half the source is offset, early when it is not.

    Measured (depth-3 trees, 10 rounds, 5 stages, 3 folds, seeds 0-2): offset 2, best stages
    3, 3, 4 and target MSE 1.07 / 1.13 / 0.76 against 1.98 / 1.69 / 1.69 for pooled AdaBoost.R2;
    no offset, best stages 1, 3, 0 and MSE 0.47 / 0.76 / 0.44 against 0.69 / 0.92 / 0.78 for
    target-only AdaBoost.R2.
    """
    from sklearn.ensemble import AdaBoostRegressor
    from sklearn.tree import DecisionTreeRegressor

    base = DecisionTreeRegressor(max_depth=3)
    for offset in (2.0, 0.0):
        stages, ours, pooled, target = [], [], [], []
        for seed in range(3):
            X, y, sd, yt, test = _offset_source(seed, offset)
            lab = ~np.isnan(y)
            tl = lab & (sd < 0)
            reg = TrAdaBoostRegressor(base, n_estimators=10, n_stages=5, cv=3, random_state=0)
            reg.fit(X, y, sample_domain=sd)
            p = AdaBoostRegressor(base, n_estimators=10, random_state=0).fit(X[lab], y[lab])
            t = AdaBoostRegressor(base, n_estimators=10, random_state=0).fit(X[tl], y[tl])
            stages.append(reg.best_stage_)
            ours.append(np.mean((reg.predict(X[test]) - yt) ** 2))
            pooled.append(np.mean((p.predict(X[test]) - yt) ** 2))
            target.append(np.mean((t.predict(X[test]) - yt) ** 2))
        if offset:
            assert np.mean(stages) >= 2.5 and np.mean(ours) < 0.7 * np.mean(pooled), (stages, ours, pooled)
        else:
            assert np.mean(stages) <= 2.0 and all(a < b for a, b in zip(ours, target)), (stages, ours, target)
