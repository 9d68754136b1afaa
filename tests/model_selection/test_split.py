"""Domain-aware splitters: every fold holds source and target rows; routing off and on."""

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, cross_val_score

from skdomain import KMM
from skdomain.datasets import make_domain_shift
from skdomain.model_selection import (
    DomainShuffleSplit,
    DomainStratifiedShuffleSplit,
    LeaveOneDomainOut,
)


@pytest.fixture
def data():
    return make_domain_shift(90, 60, n_target_labeled=12, random_state=0)


@pytest.mark.parametrize("cls", [DomainShuffleSplit, DomainStratifiedShuffleSplit])
def test_every_fold_has_every_domain_on_both_sides(cls, data):
    X, y, sd = data
    splits = list(cls(4, test_size=0.25, random_state=0).split(X, y, groups=sd))
    assert len(splits) == 4
    for train, test in splits:
        assert np.intersect1d(train, test).size == 0
        assert np.union1d(train, test).size == len(y)
        for side in (train, test):
            assert set(np.unique(sd[side])) == {-1, 0}
        assert abs(np.mean(sd[test] < 0) - 60 / 150) < 0.05


def test_shuffle_split_is_seeded_and_uses_test_size(data):
    X, y, sd = data
    a = [t.tolist() for _, t in DomainShuffleSplit(2, test_size=0.2, random_state=3).split(X, groups=sd)]
    b = [t.tolist() for _, t in DomainShuffleSplit(2, test_size=0.2, random_state=3).split(X, groups=sd)]
    assert a == b and len(a[0]) == 18 + 12


def test_domains_inferred_from_masked_labels(data):
    X, y, sd = data
    for _, test in DomainShuffleSplit(2, random_state=0).split(X, y):
        assert (y[test] == -1).any() and (y[test] != -1).any()


def test_stratified_keeps_class_and_mask_proportions(data):
    X, y, sd = data
    for train, test in DomainStratifiedShuffleSplit(3, test_size=0.3, random_state=0).split(X, y, groups=sd):
        src_tr, src_te = y[train][sd[train] >= 0], y[test][sd[test] >= 0]
        assert abs(src_tr.mean() - src_te.mean()) < 0.1
        assert abs(np.mean(y[train] == -1) - np.mean(y[test] == -1)) < 0.05


def test_leave_one_domain_out():
    X = np.zeros((7, 1))
    sd = np.array([0, 0, 1, 1, 2, -1, -1])
    cv = LeaveOneDomainOut()
    splits = list(cv.split(X, groups=sd))
    assert cv.get_n_splits(groups=sd) == 3 == len(splits)
    for (train, test), s in zip(splits, [0, 1, 2]):
        assert set(sd[test]) == {s} and s not in set(sd[train]) and -1 in set(sd[train])
    with pytest.raises(ValueError, match="2 or more source domains"):
        list(cv.split(X, groups=np.array([0, 0, 0, 0, 0, -1, -1])))


def test_errors_name_the_problem(data):
    X, y, sd = data
    with pytest.raises(ValueError, match="Domain -1 has 1 row"):
        list(DomainShuffleSplit().split(X[:91], groups=sd[:91]))
    with pytest.raises(ValueError, match="test_size"):
        list(DomainShuffleSplit(test_size=1.5).split(X, groups=sd))
    with pytest.raises(ValueError, match="needs y"):
        list(DomainStratifiedShuffleSplit().split(X, groups=sd))
    with pytest.raises(ValueError, match="must hold integers"):
        list(DomainShuffleSplit().split(X, groups=sd.astype(float)))


def test_in_gridsearch_routing_off_and_on(data):
    X, y, sd = data
    cv = DomainShuffleSplit(3, random_state=0)
    off = GridSearchCV(KMM(), {"B": [2.0, 10.0]}, cv=cv).fit(X, y, groups=sd, sample_domain=sd)
    with sklearn.config_context(enable_metadata_routing=True):
        on = GridSearchCV(KMM(), {"B": [2.0, 10.0]}, cv=cv).fit(X, y, sample_domain=sd)
        scores = cross_val_score(KMM(B=5.0), X, y, cv=cv, params={"sample_domain": sd})
    np.testing.assert_allclose(off.cv_results_["mean_test_score"], on.cv_results_["mean_test_score"])
    assert scores.shape == (3,) and np.all(np.isfinite(scores))


def test_more_errors_name_the_problem(data):
    X, y, sd = data
    with pytest.raises(ValueError, match="n_splits must be"):
        list(DomainShuffleSplit(0).split(X, groups=sd))
    X2, y2, sd2 = X[:92], y[:92].copy(), sd[:92]
    y2[90], y2[91] = 0, 1  # two labeled target rows, one per class: pairs of size 1
    with pytest.raises(ValueError, match="single row cannot be stratified"):
        list(DomainStratifiedShuffleSplit().split(X2, y2, groups=sd2))
    with pytest.raises(ValueError, match="needs the domains"):
        LeaveOneDomainOut().get_n_splits()
