"""The domain contract helpers (skdomain.utils)."""

import numpy as np
import pytest

from skdomain.utils import (
    DomainWarning,
    check_domains,
    labeled_mask,
    split_domains,
    stack_domains,
)
from skdomain.utils._domains import infer_task


def test_inference_masked_rows_are_target():
    X = np.arange(10.0).reshape(5, 2)
    y = np.array([0, 1, -1, 1, -1])
    d = check_domains(X, y)
    np.testing.assert_array_equal(d.sample_domain, [0, 0, -1, 0, -1])
    np.testing.assert_array_equal(d.labeled, [True, True, False, True, False])
    assert d.has_target


def test_regression_nan_is_masked():
    X = np.ones((4, 1))
    y = np.array([1.5, np.nan, -1.0, np.nan])
    d = check_domains(X, y, task="regression")
    np.testing.assert_array_equal(d.sample_domain, [0, -1, 0, -1])  # -1.0 is a value here


def test_labeled_target_rows_allowed():
    X = np.ones((4, 1))
    y = np.array([0, 1, 1, -1])
    d = check_domains(X, y, np.array([0, 0, -1, -1]))
    np.testing.assert_array_equal(d.target & d.labeled, [False, False, True, False])


def test_no_target_warns_and_no_warning_when_asked():
    with pytest.warns(DomainWarning, match="No target rows"):
        d = check_domains(np.ones((3, 1)), np.array([0, 1, 0]))
    assert not d.has_target
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_domains(np.ones((3, 1)), np.array([0, 1, 0]), warn_no_target=False)


@pytest.mark.parametrize(
    "X, y, sd, match",
    [
        (np.ones((3, 1)), np.array([0, 1]), None, "y has 2 rows but X has 3"),
        (np.ones((3, 1)), np.array([0, 1, 1]), np.array([0, 0]), "sample_domain has 2 rows"),
        (np.ones((3, 1)), np.array([0, 1, 1]), np.array([0.0, 0.0, -1.0]), "must hold integers"),
        (np.ones((3, 1)), np.array([0, 1, 1]), np.zeros((3, 1), dtype=int), "1-D integer array"),
        (np.ones((3, 1)), np.array([0, 1, 1]), 0, "scalar"),
        (np.ones((3, 1)), np.array([-1, -1, -1]), None, "No source rows"),
        (np.ones((3, 1)), np.array([-1, 1, 1]), np.array([0, 0, -1]), "labeled -1"),
        (np.array([[np.nan], [1.0], [2.0]]), np.array([0, 1, -1]), None, "NaN"),
        (np.array([[np.inf], [1.0], [2.0]]), np.array([0, 1, -1]), None, "infinity"),
        (np.ones((3, 1)), np.array([0.0, np.nan, 1.0]), None, "for classification mark unlabeled"),
    ],
    ids=[
        "y-length",
        "sd-length",
        "sd-float",
        "sd-2d",
        "sd-scalar",
        "no-source",
        "source-minus-one",
        "X-nan",
        "X-inf",
        "clf-nan",
    ],
)
def test_errors_name_the_problem(X, y, sd, match):
    with pytest.raises(ValueError, match=match):
        check_domains(X, y, sd)


def test_regression_source_nan_and_inf_errors():
    with pytest.raises(ValueError, match="source row"):
        check_domains(np.ones((3, 1)), np.array([np.nan, 1.0, 2.0]), np.array([0, 0, -1]), task="regression")
    with pytest.raises(ValueError, match="infinity"):
        check_domains(np.ones((3, 1)), np.array([np.inf, 1.0, np.nan]), task="regression")


def test_y_required():
    with pytest.raises(ValueError, match="requires y"):
        check_domains(np.ones((3, 1)), None, y_required=True)


def test_caller_arrays_untouched():
    X = np.arange(6.0).reshape(3, 2)
    y = np.array([0, 1, -1])
    X0, y0 = X.copy(), y.copy()
    d = check_domains(X, y)
    stack_domains(X[:2], y[:2], X[2:])
    split_domains(X, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert d.y is not None


def test_stack_split_round_trip_multi_source():
    rng = np.random.RandomState(0)
    Xs = [rng.normal(size=(4, 2)), rng.normal(size=(3, 2))]
    ys = [np.array([0, 1, 0, 1]), np.array([1, 1, 0])]
    Xt = [rng.normal(size=(2, 2)), rng.normal(size=(5, 2))]
    X, y, sd = stack_domains(Xs, ys, Xt, [np.array([1, -1]), None])
    np.testing.assert_array_equal(sd, [0] * 4 + [1] * 3 + [-1] * 2 + [-2] * 5)
    np.testing.assert_array_equal(y, [0, 1, 0, 1, 1, 1, 0, 1, -1, -1, -1, -1, -1, -1])
    assert y.dtype.kind == "i"
    Xs2, ys2, Xt2, yt2 = split_domains(X, y, sd)
    np.testing.assert_array_equal(Xs2, np.vstack(Xs))
    np.testing.assert_array_equal(ys2, np.concatenate(ys))
    np.testing.assert_array_equal(Xt2, np.vstack(Xt))
    np.testing.assert_array_equal(yt2, [1, -1, -1, -1, -1, -1, -1])


def test_stack_regression_masks_with_nan():
    X, y, sd = stack_domains(np.zeros((2, 1)), np.array([0.5, 1.7]), np.ones((2, 1)))
    assert np.isnan(y[2:]).all() and not np.isnan(y[:2]).any()
    np.testing.assert_array_equal(labeled_mask(y, "regression"), [True, True, False, False])


def test_stack_errors():
    with pytest.raises(ValueError, match="2 source arrays but 1 label"):
        stack_domains([np.zeros((2, 1))] * 2, [np.zeros(2)], np.ones((1, 1)))
    with pytest.raises(ValueError, match="Source 0"):
        stack_domains(np.zeros((2, 1)), np.zeros(3), np.ones((1, 1)))


def test_labeled_mask_and_infer_task():
    np.testing.assert_array_equal(labeled_mask(np.array(["a", "b"])), [True, True])
    np.testing.assert_array_equal(labeled_mask(np.array([1, -1, 2])), [True, False, True])
    assert infer_task(np.array([0.0, 1.0, -1.0])) == "classification"
    assert infer_task(np.array([0.5, 1.0])) == "regression"
    assert infer_task(np.array([1.0, np.nan])) == "regression"
    with pytest.raises(ValueError, match="task must be"):
        labeled_mask([1], task="ranking")


def test_stack_single_source_with_plain_list_labels():
    """A plain list of labels belongs to one source array (not one list per source)."""
    X, y, sd = stack_domains(np.zeros((2, 1)), [0, 1], np.ones((3, 1)), [1, -1, -1])
    np.testing.assert_array_equal(y, [0, 1, 1, -1, -1])
    np.testing.assert_array_equal(sd, [0, 0, -1, -1, -1])
    with pytest.raises(ValueError, match="required"):
        stack_domains(np.zeros((2, 1)), None, np.ones((1, 1)))
