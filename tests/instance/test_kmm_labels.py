"""KMM and the masked-label convention: string labels stacked by stack_domains, {-1, 1} labels."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skdomain import KMM
from skdomain.datasets import make_domain_shift
from skdomain.utils import stack_domains


def test_string_labels_from_stack_domains_end_to_end():
    """The issue's case: string source labels, an unlabeled target; no class '-1' is learned."""
    X, y, sd, y_true = make_domain_shift(60, 60, random_state=0, return_target_labels=True)
    src = sd >= 0
    names = np.array(["cat", "dog"])
    ys = names[y[src]]
    ys0 = ys.copy()
    Xs, ya, sda = stack_domains(X[src], ys, X[~src])
    assert ya.dtype == object and set(ya[60:].tolist()) == {-1}
    kmm = KMM(LogisticRegression(), B=10.0).fit(Xs, ya, sample_domain=sda)
    np.testing.assert_array_equal(kmm.classes_, names)
    pred = kmm.predict(X[~src])
    assert set(pred.tolist()) <= {"cat", "dog"}
    # the same fit as with integer labels: the same weights and predictions, renamed
    ref = KMM(LogisticRegression(), B=10.0).fit(X, y, sample_domain=sd)
    np.testing.assert_allclose(kmm.weights_, ref.weights_)
    np.testing.assert_array_equal(pred, names[ref.predict(X[~src])])
    assert kmm.score(X[~src], names[y_true[~src]]) == pytest.approx(ref.score(X[~src], y_true[~src]))
    np.testing.assert_array_equal(ys, ys0)


def test_plus_minus_one_labels_say_minus_one_is_unlabeled():
    X, _, _, y_true = make_domain_shift(60, 60, n_target_labeled=6, random_state=0, return_target_labels=True)
    y = np.where(y_true == 0, -1, 1)
    with pytest.raises(
        ValueError, match=r"KMM needs at least 2 classes.*only the class 1: the 65 row\(s\) labeled -1"
    ):
        KMM(LogisticRegression()).fit(X, y)
