"""The domain contract helpers (skdomain.utils)."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skdomain.datasets import make_domain_shift
from skdomain.utils import (
    DomainWarning,
    check_domains,
    labeled_mask,
    split_domains,
    stack_domains,
)
from skdomain.utils._domains import check_labeled_classes, infer_task


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


# -- labels and domains: the masked-label convention (issue 11, section 2) ------------------------


def _plus_minus_one():
    """Return the issue's data with {-1, 1} labels on every row (0 -> -1), no sample_domain."""
    X, _, _, y_true = make_domain_shift(60, 60, n_target_labeled=6, random_state=0, return_target_labels=True)
    return X, np.where(y_true == 0, -1, 1)


def test_masking_that_leaves_one_class_says_minus_one_was_read_as_unlabeled():
    X, y = _plus_minus_one()
    y0 = y.copy()
    n_minus = int((y == -1).sum())
    d = check_domains(X, y)  # no estimator (a transformer's call): no class check
    with pytest.raises(ValueError) as info:
        check_labeled_classes(d.y, d.labeled, estimator=LogisticRegression())
    msg = str(info.value)
    assert f"the {n_minus} row(s) labeled -1 were taken as unlabeled target rows" in msg
    assert "LogisticRegression needs at least 2 classes" in msg and "only the class 1" in msg
    assert "{0, 1}" in msg and "LabelEncoder" in msg
    # a classifier's fit reaches it through check_domains (reset=True only)
    with pytest.raises(ValueError, match=f"the {n_minus} row\\(s\\) labeled -1 were taken as unlabeled"):
        check_domains(X, y, estimator=LogisticRegression(), warn_no_target=False)
    check_domains(X, y, estimator=LogisticRegression(), warn_no_target=False, check_classes=False)
    np.testing.assert_array_equal(y, y0)


def test_class_check_is_silent_on_legitimate_data():
    X, y = _plus_minus_one()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # re-encoded {0, 1}, target rows masked: two classes, no warning
        y01 = (y + 1) // 2
        y01[60:] = -1
        d = check_domains(X, y01, estimator=LogisticRegression())
        np.testing.assert_array_equal(check_labeled_classes(d.y, d.labeled), [0, 1])
    # one class with no masked row is left to the estimator's own check
    np.testing.assert_array_equal(check_labeled_classes(np.ones(4, int), np.ones(4, bool)), [1])
    # the classes of given source models count (e.g. dictionary transfer's source_models)
    cls = check_labeled_classes(np.array([1, -1]), np.array([True, False]), classes=[0, 1, 1])
    np.testing.assert_array_equal(cls, [0, 1])


def test_string_labels_are_masked_by_the_integer_minus_one():
    names = np.array(["cat", "dog", "cat"])
    names0 = names.copy()
    X, y, sd = stack_domains(np.zeros((3, 1)), names, np.ones((2, 1)))
    assert y.dtype == object and y.tolist() == ["cat", "dog", "cat", -1, -1]
    np.testing.assert_array_equal(labeled_mask(y), [True, True, True, False, False])
    d = check_domains(X, y)  # inferred: the masked rows are the target
    np.testing.assert_array_equal(d.sample_domain, sd)
    # a partly labeled string target, masked the same way
    yt = np.array(["dog", -1], dtype=object)
    _, y2, _ = stack_domains(np.zeros((3, 1)), names, np.ones((2, 1)), yt)
    assert y2.tolist() == ["cat", "dog", "cat", "dog", -1]
    np.testing.assert_array_equal(names, names0)
    assert yt.tolist() == ["dog", -1]


@pytest.mark.parametrize(
    "y",
    [np.array(["a", "-1", "b"]), np.array(["a", "-1", "b"], dtype=object), np.array([b"a", b"-1", b"b"])],
    ids=["str", "object", "bytes"],
)
def test_the_string_minus_one_is_an_error(y):
    match = r"y holds the string '-1' on 1 row\(s\), e.g. row 1.*integer -1 in an object array"
    with pytest.raises(ValueError, match=match):
        labeled_mask(y)
    with pytest.raises(ValueError, match=match):
        check_domains(np.zeros((3, 1)), y)
    np.testing.assert_array_equal(labeled_mask(y, task="regression"), [True] * 3)  # no class mask there


def test_stack_string_minus_one_target_label_is_an_error():
    with pytest.raises(ValueError, match="the string '-1'"):
        stack_domains(np.zeros((2, 1)), ["a", "b"], np.ones((2, 1)), np.array(["a", "-1"]))


@pytest.mark.parametrize(
    "Xs, Xt, match",
    [
        (
            np.zeros((4, 2)),
            np.zeros((3, 1)),
            r"Xs has 2 features \(shape \(4, 2\)\) but Xt has 1 \(shape \(3, 1\)\)",
        ),
        (np.zeros(4), np.zeros((3, 1)), r"Xs must be a 2-D array .* got shape \(4,\).*reshape"),
        (np.zeros((4, 1)), np.zeros(3), r"Xt must be a 2-D array .* got shape \(3,\)"),
        (np.zeros((4, 1)), np.zeros((3, 1, 1)), r"Xt must be a 2-D array .* got shape \(3, 1, 1\)"),
        (
            [np.zeros((4, 2)), np.zeros((2, 3))],
            np.zeros((3, 2)),
            r"Xs\[0\] has 2 features \(shape \(4, 2\)\) but Xs\[1\] has 3 \(shape \(2, 3\)\)",
        ),
        (
            np.zeros((4, 2)),
            [np.zeros((3, 2)), np.zeros((1, 4))],
            r"Xs has 2 features \(shape \(4, 2\)\) but Xt\[1\] has 4 \(shape \(1, 4\)\)",
        ),
    ],
    ids=["n-features", "1d-Xs", "1d-Xt", "3d-Xt", "sources-differ", "second-target"],
)
def test_stack_shapes_errors_name_the_arrays(Xs, Xt, match):
    ys = [np.zeros(4, int), np.zeros(2, int)] if isinstance(Xs, list) else np.zeros(4, int)
    with pytest.raises(ValueError, match=match):
        stack_domains(Xs, ys, Xt)
