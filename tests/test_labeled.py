"""LabeledOnly: the labeled rows, the masked-label convention and the weights of the caller's rows."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdomain import KMM, TCA, LabeledOnly
from skdomain.datasets import make_domain_shift


@pytest.fixture
def data():
    return make_domain_shift(60, 60, n_target_labeled=6, random_state=0, return_target_labels=True)


@pytest.mark.parametrize(
    "make",
    [
        lambda: LabeledOnly(LogisticRegression()),
        lambda: make_pipeline(TCA(n_components=2), LabeledOnly(LogisticRegression())),
    ],
    ids=["LabeledOnly", "TCA+LabeledOnly"],
)
def test_plus_minus_one_labels_say_minus_one_is_unlabeled(data, make):
    X, _, sd, y_true = data
    assert (sd[60:] < 0).all()
    y = np.where(y_true == 0, -1, 1)
    y0 = y.copy()
    n_minus = int((y == -1).sum())
    with pytest.raises(
        ValueError, match=rf"LabeledOnly needs at least 2 classes.*the {n_minus} row\(s\) labeled -1"
    ):
        make().fit(X, y)
    np.testing.assert_array_equal(y, y0)
    # re-encoded as the message says ({0, 1}, unlabeled target rows -1): fitted
    y01 = np.where(y_true == 0, 0, 1)
    y01[60:] = -1
    assert make().fit(X, y01).score(X[:60], y01[:60]) > 0.8


def test_sample_weight_is_checked_against_the_callers_rows(data):
    X, y, sd, _ = data
    n = X.shape[0]
    with pytest.raises(ValueError, match=rf"sample_weight has {n - 1} values but X has {n} rows"):
        LabeledOnly().fit(X, y, sample_weight=np.ones(n - 1))
    with pytest.raises(ValueError, match=rf"sample_weight has {n + 1} values but X has {n} rows"):
        make_pipeline(TCA(n_components=2), LabeledOnly()).fit(X, y, labeledonly__sample_weight=np.ones(n + 1))
    with pytest.raises(ValueError, match="NaN"):
        LabeledOnly().fit(X, y, sample_weight=np.r_[np.nan, np.ones(n - 1)])


def test_sample_weight_of_every_row_reaches_the_labeled_rows(data):
    X, y, sd, _ = data
    w = np.random.RandomState(0).uniform(0.5, 2.0, X.shape[0])
    w0 = w.copy()
    keep = y != -1
    est = LabeledOnly(LogisticRegression()).fit(X, y, sample_weight=w)
    ref = LogisticRegression().fit(X[keep], y[keep], sample_weight=w[keep])
    np.testing.assert_allclose(est.estimator_.coef_, ref.coef_)
    assert not np.allclose(ref.coef_, LogisticRegression().fit(X[keep], y[keep]).coef_)  # the weights matter
    # a Pipeline inside: <step>__sample_weight, checked and subset the same way
    inner = make_pipeline(StandardScaler(), LogisticRegression())
    est = LabeledOnly(inner).fit(X, y, logisticregression__sample_weight=w)
    ref = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        X[keep], y[keep], logisticregression__sample_weight=w[keep]
    )
    np.testing.assert_allclose(est.estimator_[-1].coef_, ref[-1].coef_)
    np.testing.assert_array_equal(w, w0)


@pytest.mark.parametrize("est", [LabeledOnly(LogisticRegression()), KMM(LogisticRegression(), B=10.0)])
def test_score_weights_are_checked_against_the_callers_rows(data, est):
    X, y, sd, _ = data
    est.fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match=rf"sample_weight has 3 values but X has {X.shape[0]} rows"):
        est.score(X, y, sample_weight=np.ones(3))
    w = np.r_[np.zeros(60), np.ones(60)]  # labeled target rows only
    tl = (sd < 0) & (y != -1)
    assert est.score(X, y, sample_weight=w) == pytest.approx(est.score(X[tl], y[tl]))
