"""The negative transfer gap and the plain learner behind A(∅, T)."""

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skdomain import KMM, TCA, LabeledOnly
from skdomain._base import _domain_fit_params
from skdomain.datasets import make_domain_shift
from skdomain.metrics import negative_transfer_gap, plain_learner


def _data(n_target_labeled=0, seed=0, task="classification", **kw):
    X, y, sd, y_true = make_domain_shift(
        200,
        200,
        n_target_labeled=n_target_labeled,
        task=task,
        random_state=seed,
        return_target_labels=True,
        **kw,
    )
    t = sd < 0
    return X, y, sd, X[t], y_true[t]


def test_gap_is_transfer_error_minus_target_only_error():
    X, y, sd, Xte, yte = _data(n_target_labeled=20)
    res = negative_transfer_gap(KMM(B=10.0), X, y, sd, Xte, yte)
    kmm = KMM(B=10.0).fit(X, y, sample_domain=sd)
    tl = (sd < 0) & (y != -1)
    base = LogisticRegression(max_iter=1000).fit(X[tl], y[tl])
    err = 1 - np.mean(kmm.predict(Xte) == yte)
    err_base = 1 - np.mean(base.predict(Xte) == yte)
    assert res.baseline == "target only"
    assert res.error == pytest.approx(err) and res.baseline_error == pytest.approx(err_base)
    assert res.gap == pytest.approx(err - err_base)


def test_no_labeled_target_means_chance_level():
    X, y, sd, Xte, yte = _data()
    res = negative_transfer_gap(KMM(B=10.0), X, y, sd, Xte, yte)
    assert res.baseline == "chance" and res.baseline_error == 0.5
    assert res.gap == pytest.approx(res.error - 0.5)
    assert res.gap < -0.35  # KMM's error is about 0.05 here

    Xr, yr, sdr, Xter, yter = _data(task="regression", n_features=1)
    res = negative_transfer_gap(KMM(LinearRegression(), B=10.0), Xr, yr, sdr, Xter, yter)
    assert res.baseline_error == pytest.approx(np.var(yter))


def test_perturbed_source_gives_negative_transfer():
    """Source labels flipped: transfer hurts, NTG > 0; with clean labels NTG <= 0."""
    X, y, sd, Xte, yte = _data(n_target_labeled=40)
    src = sd >= 0
    y_bad = y.copy()
    y_bad[src] = 1 - y[src]
    bad = negative_transfer_gap(KMM(B=10.0), X, y_bad, sd, Xte, yte)
    good = negative_transfer_gap(KMM(B=10.0), X, y, sd, Xte, yte)
    assert bad.gap > 0.2
    assert good.gap <= 0.0


def test_plain_learner_rules():
    assert isinstance(plain_learner(KMM()), LogisticRegression)
    assert plain_learner(LabeledOnly(LinearRegression())).__class__ is LinearRegression
    pipe = make_pipeline(StandardScaler(), TCA(n_components=3), LabeledOnly(LogisticRegression(C=2.0)))
    plain = plain_learner(pipe)
    assert isinstance(plain, Pipeline)
    assert [type(s).__name__ for _, s in plain.steps] == ["StandardScaler", "LogisticRegression"]
    assert plain.steps[-1][1].C == 2.0


@pytest.mark.parametrize("routing", [False, True], ids=["routing-off", "routing-on"])
def test_pipeline_gets_its_domains_routing_off_and_on(routing):
    X, y, sd, Xte, yte = _data(n_target_labeled=10)
    pipe = make_pipeline(StandardScaler(), TCA(n_components=5, random_state=0), LabeledOnly())
    with sklearn.config_context(enable_metadata_routing=routing):
        res = negative_transfer_gap(pipe, X, y, sd, Xte, yte)
    assert res.baseline == "target only" and res.error < 0.2
    # how sample_domain is passed: to every skdomain step (off), or once, routed (on)
    with sklearn.config_context(enable_metadata_routing=routing):
        params = _domain_fit_params(pipe, sd)
    expected = {"sample_domain"} if routing else {"tca__sample_domain", "labeledonly__sample_domain"}
    assert set(params) == expected


def test_repeats_report_mean_and_std():
    X, y, sd, Xte, yte = _data(n_target_labeled=10)
    pipe = make_pipeline(StandardScaler(), TCA(n_components=5), LabeledOnly())
    res = negative_transfer_gap(pipe, X, y, sd, Xte, yte, n_repeats=3, random_state=0)
    assert res.gaps.shape == (3,)
    assert res.gap == pytest.approx(res.gaps.mean()) and res.gap_std == pytest.approx(res.gaps.std())


def test_given_baseline_and_errors():
    X, y, sd, Xte, yte = _data(n_target_labeled=10)
    res = negative_transfer_gap(KMM(B=10.0), X, y, sd, Xte, yte, baseline=LogisticRegression(C=0.01))
    assert res.baseline == "given"
    with pytest.raises(ValueError, match="X_test has"):
        negative_transfer_gap(KMM(), X, y, sd, Xte, yte[:-1])
    with pytest.raises(ValueError, match="n_repeats"):
        negative_transfer_gap(KMM(), X, y, sd, Xte, yte, n_repeats=0)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_masked_test_labels_are_an_error(task):
    """Masked y_test rows are not counted as errors: test labels must be real."""
    X, y, sd, Xte, yte = _data(n_target_labeled=20, task=task, n_features=2)
    est = KMM(LinearRegression() if task == "regression" else LogisticRegression(), B=10.0)
    y_bad = yte.astype(float) if task == "regression" else yte.copy()
    y_bad[[3, 7, 8]] = np.nan if task == "regression" else -1
    y_bad0 = y_bad.copy()
    mask = "NaN" if task == "regression" else "-1"
    with pytest.raises(
        ValueError, match=rf"y_test holds 3 masked label\(s\) \({mask}\), e.g. row 3.*must be real"
    ):
        negative_transfer_gap(est, X, y, sd, Xte, y_bad)
    np.testing.assert_array_equal(y_bad, y_bad0)
    # the same rows dropped: the gap runs
    keep = np.ones(len(yte), dtype=bool)
    keep[[3, 7, 8]] = False
    assert np.isfinite(negative_transfer_gap(est, X, y, sd, Xte[keep], yte[keep]).gap)
