"""make_domain_shift follows the contract and produces the shifts it names."""

import numpy as np
import pytest

from skdomain.datasets import make_domain_shift
from skdomain.utils import check_domains


@pytest.mark.parametrize("shift", ["covariate", "target", "conditional"])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_contract_and_shapes(shift, task):
    X, y, sd, y_true = make_domain_shift(
        80,
        60,
        shift=shift,
        task=task,
        n_features=3,
        n_target_labeled=5,
        random_state=0,
        return_target_labels=True,
    )
    assert X.shape == (140, 3) and y.shape == sd.shape == y_true.shape == (140,)
    d = check_domains(X, y, sd, task=task)
    assert d.source.sum() == 80 and d.target.sum() == 60
    assert (d.target & d.labeled).sum() == 5
    np.testing.assert_array_equal(y[d.labeled], y_true[d.labeled])
    if task == "classification":
        assert set(np.unique(y_true)) <= {0, 1}


def test_covariate_shift_moves_inputs_not_the_rule():
    X, y, sd, y_true = make_domain_shift(2000, 2000, noise=0.0, random_state=0, return_target_labels=True)
    s, t = sd >= 0, sd < 0
    assert X[t, 0].mean() - X[s, 0].mean() > 1.5
    rule = (X[:, 1] > 0.5 * X[:, 0] ** 2 - 0.5).astype(int)
    np.testing.assert_array_equal(rule, y_true)


def test_target_shift_changes_class_proportions():
    _, _, sd, y_true = make_domain_shift(
        3000, 3000, shift="target", random_state=0, return_target_labels=True
    )
    assert abs(y_true[sd >= 0].mean() - 0.5) < 0.05
    assert abs(y_true[sd < 0].mean() - 0.7) < 0.05


def test_reproducible_and_errors():
    a = make_domain_shift(10, 10, random_state=3)
    b = make_domain_shift(10, 10, random_state=3)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    with pytest.raises(ValueError, match="exceeds n_target"):
        make_domain_shift(10, 5, n_target_labeled=6)
    with pytest.raises(ValueError, match="n_features >= 2"):
        make_domain_shift(10, 5, n_features=1)
