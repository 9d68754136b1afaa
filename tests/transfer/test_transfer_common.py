"""The suite of network-to-network transfer: scikit-learn's checks, then the transfer contract.

The estimators of :mod:`skdomain.transfer` are the rows of the estimator table
(``tests/conftest.py``) whose suite is this module. They are not domain-adaptation
estimators: they fit ``fit(X, y)`` on the target task's rows (no ``sample_domain``, every
label a class) and start from a pretrained network of fixed input width. So:

- scikit-learn's checks run on an instance whose network takes 3 features; a check whose
  data have another width is an expected failure there and runs again here with a network
  of its width (``entry.check_widths``), where it must pass;
- the transfer contract: the caller's network untouched (parameters, buffers, mode), clone
  and pickle give the same model, predictions follow the input order, the caller's arrays
  untouched, ``sample_domain`` refused with a message that says why (a joint-training
  estimator, whose fit takes source rows, tests its own contract in its module);
- hostile inputs (the cases of ``tests/test_bad_inputs.py`` that concern these estimators).
"""

import inspect
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

WIDTH = 3


def test_sklearn_api_checks(estimator, check):
    """scikit-learn's checks, with the table's expected failures (each with its reason)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(estimator)


def _name(check):
    return getattr(check, "func", check).__name__


def test_width_checks_pass_at_their_width(estimator, entry, make_pretrained):
    """Each check listed for the width passes with a network of the width of its data."""
    failed = []
    for width in sorted(set(entry.check_widths.values())):
        names = {n for n, w in entry.check_widths.items() if w == width}
        est = clone(estimator).set_params(pretrained=make_pretrained(width))
        for est_, check in parametrize_with_checks([est]).args[1]:
            if _name(check) not in names:
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    check(est_)
            except Exception as exc:
                failed.append((_name(check), width, repr(exc)[:300]))
    assert not failed, failed


def _data(est, n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, WIDTH))
    if is_classifier(est):
        y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    elif is_regressor(est):
        y = X[:, 0] - 2 * X[:, 1]
    else:
        y = None
    return X, y


def _output(est, X):
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)
    return est.predict(X) if hasattr(est, "predict") else est.transform(X)


def _fit(est, X, y):
    return est.fit(X) if y is None else est.fit(X, y)


def test_pretrained_network_untouched(estimator):
    net = estimator.get_params()["pretrained"]
    net.train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    X, y = _data(estimator)
    _fit(estimator, X, y)
    _output(estimator, X)
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert net.training and all(p.requires_grad for p in net.parameters())


def test_clone_and_pickle_identical(estimator):
    X, y = _data(estimator)
    a = _output(_fit(clone(estimator), X, y), X)
    fitted = _fit(estimator, X, y)
    np.testing.assert_array_equal(_output(fitted, X), a)  # seeded: the same model
    np.testing.assert_array_equal(_output(pickle.loads(pickle.dumps(fitted)), X), a)


def test_rows_follow_input_order(estimator):
    X, y = _data(estimator)
    fitted = _fit(estimator, X, y)
    perm = np.random.RandomState(1).permutation(len(X))
    np.testing.assert_allclose(_output(fitted, X[perm]), _output(fitted, X)[perm], rtol=1e-5, atol=1e-6)


def test_caller_arrays_untouched(estimator):
    X, y = _data(estimator)
    X0 = X.copy()
    y0 = None if y is None else y.copy()
    _output(_fit(estimator, X, y), X)
    np.testing.assert_array_equal(X, X0)
    if y is not None:
        np.testing.assert_array_equal(y, y0)


def test_sample_domain_is_refused(estimator):
    if "sample_domain" in inspect.signature(estimator.fit).parameters:
        pytest.skip("joint training: source rows come in the same fit (its own module tests that contract)")
    X, y = _data(estimator)
    sd = np.r_[np.zeros(30, dtype=int), -np.ones(30, dtype=int)]
    with pytest.raises(TypeError, match="sample_domain"):
        estimator.fit(X, y, sample_domain=sd)


def test_minus_one_is_an_ordinary_class(estimator):
    if not is_classifier(estimator):
        pytest.skip("classifiers only")
    X, y = _data(estimator)
    y = np.where(y == 0, -1, y)
    fitted = estimator.fit(X, y)
    assert -1 in fitted.classes_ and set(fitted.predict(X)) <= set(fitted.classes_)


def _with(X, value):
    X = X.astype(complex if isinstance(value, complex) else X.dtype, copy=True)
    X[2, 1] = value
    return X


HOSTILE = [
    ("inf-in-X", lambda e, X, y: _fit(e, _with(X, np.inf), y), ValueError, "infinity"),
    ("nan-in-X", lambda e, X, y: _fit(e, _with(X, np.nan), y), ValueError, "NaN"),
    ("complex-X", lambda e, X, y: _fit(e, _with(X, 1j), y), ValueError, "[Cc]omplex"),
    ("1d-X", lambda e, X, y: _fit(e, X[:, 0], y), ValueError, "2D array"),
    ("sparse-X", lambda e, X, y: _fit(e, sp.csr_matrix(X), y), TypeError, "[Ss]parse data"),
    ("no-rows", lambda e, X, y: _fit(e, X[:0], None if y is None else y[:0]), ValueError, "0 sample"),
    ("other-width", lambda e, X, y: _fit(e, X[:, :2], y), ValueError, "fixed input width"),
    ("predict-unfitted", lambda e, X, y: _output(e, X), NotFittedError, "not fitted"),
    (
        "predict-fewer-features",
        lambda e, X, y: _output(_fit(e, X, y), X[:, :2]),
        ValueError,
        "X has 2 features, but .* is expecting 3",
    ),
    ("predict-nan", lambda e, X, y: _output(_fit(e, X, y), _with(X, np.nan)), ValueError, "NaN"),
    (
        "predict-dataframe-reordered-columns",
        lambda e, X, y: _output(
            _fit(e, pd.DataFrame(X, columns=list("abc")), y),
            pd.DataFrame(X, columns=list("abc"))[list("cab")],
        ),
        ValueError,
        "feature names",
    ),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_inputs_say_what_is_wrong(estimator, case):
    _, call, error, match = case
    X, y = _data(estimator)
    X0 = X.copy()
    with pytest.raises(error, match=match):
        call(estimator, X, y)
    np.testing.assert_array_equal(X, X0)


def test_short_y_is_an_error(estimator):
    X, y = _data(estimator)
    if y is None:
        pytest.skip("a transformer takes no y")
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        estimator.fit(X, y[:-1])
