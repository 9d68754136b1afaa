"""The hostile-input suite: bad input gets a clear error naming the problem, never silence.

Every case asserts the error type *and* a fragment of its message that names the problem
(or, where the input is legitimate but unusual, finite output of the right shape), and that
the arrays the caller passed are unchanged afterwards.

- **Estimators** join by their row of the estimator table (``tests/conftest.py``): every
  instance of every row runs :data:`FIT_CASES` and :data:`PREDICT_CASES`, those that apply
  to it (classifiers, regressors, nets, estimators that take ``sample_weight``, that
  predict or transform) — nothing to list here. A row with ``domain_contract=False`` (a
  network-transfer estimator: ``fit(X, y)`` on target rows, or a ``y`` of its own as
  ``MultiTaskNet``'s) is skipped: its own module runs the hostile cases that apply. Nets run
  with :data:`FAST` (two epochs, a small layer) so that the suite stays well under a minute
  on two cores.
- **Functions** join by a row of :data:`FUNCTION_CASES`; ``test_every_public_function_is_covered``
  fails when a public function is in neither that table nor :data:`NOT_COVERED`.

The contract suite (``tests/test_common.py``) already has the cases of the domain contract
itself: NaN in ``X``, a float / 2-D / short / scalar ``sample_domain``, no source rows, a
masked source label. They are not repeated here.
"""

import copy
import importlib
import inspect
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.validation import has_fit_parameter

from skdomain import KMM, TCA, LabeledOnly, split_domains, stack_domains
from skdomain.active import MMDQuerySelector, active_learning_curve
from skdomain.datasets import (
    load_auto_mpg,
    load_cps_nsw,
    load_mnist_digits,
    load_mnist_tasks,
    load_wages_1978_1985,
    make_domain_shift,
    make_shared_dictionary_tasks,
    perturb_source,
    to_uci_digits,
)
from skdomain.deep import (
    DANNClassifier,
    DomainNet,
    coral_loss,
    dann_lambda,
    distillation_loss,
    grad_reverse,
    labeled_score,
    mk_mmd_torch,
    multiscale_gammas_torch,
)
from skdomain.exceptions import TrainingDivergedError
from skdomain.instance import kmm_objective, kmm_weights
from skdomain.metrics import (
    effective_sample_size,
    kernel_matrix,
    median_heuristic_gamma,
    median_sq_distance,
    mk_mmd,
    mmd,
    multiscale_gammas,
    negative_transfer_gap,
    nystroem_factor,
    plain_learner,
    proxy_a_distance,
)
from skdomain.model_selection import thread_limits_env
from skdomain.transfer import select_source_neighbors
from skdomain.utils import check_domains, labeled_mask

from .conftest import ESTIMATORS

#: What every net of the table is fitted with here (the table's settings train for accuracy).
FAST = dict(max_epochs=2, module__hidden_units=(8,))
N_SOURCE = N_TARGET = 40
N_ROWS = N_SOURCE + N_TARGET


# -- helpers ----------------------------------------------------------------------------------


def _instances():
    """Every instance of the estimator table, nets made fast, with a test id."""
    out = []
    for cls, entry in ESTIMATORS.items():
        if not entry.domain_contract:  # network transfer: its own hostile cases (entry.suite)
            continue
        for i, params in enumerate(entry.params):
            est = cls(**copy.deepcopy(params))
            if isinstance(est, DomainNet):
                est.set_params(**FAST)
            if "random_state" in est.get_params():
                est.set_params(random_state=0)
            label = cls.__name__ if len(entry.params) == 1 else f"{cls.__name__}-{i}"
            out.append(pytest.param(est, entry, id=label))
    return out


INSTANCES = _instances()


def _task(est):
    return "regression" if is_regressor(est) else "classification"


def _data(est, entry):
    n_lab = 6 if (entry.learns_from_target_labels or isinstance(est, MMDQuerySelector)) else 0
    X, y, sd = make_domain_shift(N_SOURCE, N_TARGET, task=_task(est), n_target_labeled=n_lab, random_state=0)
    return X, y, sd


def _output(est, X):
    """Return what an estimator gives on rows (predictions, an embedding); None for a selector."""
    if hasattr(est, "predict"):
        return est.predict(X)
    if hasattr(est, "transform"):
        return est.transform(X)
    return None


class _Untouched:
    """Copies of the caller's arrays, compared with the originals on exit."""

    def __init__(self, *arrays):
        self.arrays = [a for a in arrays if isinstance(a, np.ndarray | pd.DataFrame)]
        self.copies = [a.copy() for a in self.arrays]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for a, b in zip(self.arrays, self.copies, strict=True):
            if isinstance(a, pd.DataFrame):
                pd.testing.assert_frame_equal(a, b)
            else:
                np.testing.assert_array_equal(a, b)
        return False


@dataclass(frozen=True)
class Case:
    """One bad input for estimators.

    Parameters
    ----------
    name : str
        The test id.
    call : callable
        ``call(est, X, y, sd)`` does the hostile thing (fit, or fit then predict) and
        returns what it produced (arrays to check for finiteness), or raises.
    error : type or None
        The error expected; None when the input is legitimate and the output must be
        finite.
    match : str
        A regular expression the message must match (names the problem).
    applies : callable
        ``applies(est)``: whether the case concerns this estimator.
    """

    name: str
    call: object
    error: type | None
    match: str = ""
    applies: object = lambda est: True


def _with(X, row, col, value):
    X = X.astype(complex if isinstance(value, complex) else X.dtype, copy=True)
    X[row, col] = value
    return X


def _takes_sample_weight(est):
    """Whether fit takes ``sample_weight``: its own, or routed to the estimator it wraps."""
    if has_fit_parameter(est, "sample_weight"):
        return True
    kinds = {p.kind for p in inspect.signature(est.fit).parameters.values()}
    inner = getattr(est, "estimator", None)
    return (
        inspect.Parameter.VAR_KEYWORD in kinds
        and inner is not None
        and has_fit_parameter(inner, "sample_weight")
    )


def _predicts(est):
    return hasattr(est, "predict") or hasattr(est, "transform")


def _requires_labels(est):
    """Whether a fit with target rows but none labeled is an error (TrAdaBoost)."""
    return ESTIMATORS[type(est)].requires_target_labels


def _stacked_string_labels(est, X, y, sd):
    src = sd >= 0
    names = np.array(["cat", "dog"])
    yt = None  # every target label masked, unless the estimator needs some
    if _requires_labels(est):
        yt = np.where(y[~src] >= 0, names[np.clip(y[~src], 0, 1)], "").astype(object)
        yt[y[~src] < 0] = -1
    Xa, ya, sda = stack_domains(X[src], names[y[src]], X[~src], yt)
    with _Untouched(Xa, ya, sda):
        est.fit(Xa, ya, sample_domain=sda)
    assert set(est.classes_) == {"cat", "dog"}
    pred = est.predict(X[~src])
    assert set(pred) <= {"cat", "dog"}
    return None


def _one_target_row(est, X, y, sd):
    keep = (sd >= 0) | (np.arange(len(sd)) == np.flatnonzero(sd < 0)[-1])
    return est.fit(X[keep], y[keep], sample_domain=sd[keep]), X


def _one_labeled_target_row(est, X, y, sd):
    keep = (sd >= 0) | (np.arange(len(sd)) == np.flatnonzero((sd < 0) & (y >= 0))[0])
    return est.fit(X[keep], y[keep], sample_domain=sd[keep]), X


def _mutated_after_fit(est, X, y, sd):
    """Change X in place after fit, as a caller may: what the estimator kept must not change."""
    X = X.copy()
    est.fit(X, y, sample_domain=sd)
    new = X[:5] + 0.25
    before = _output(est, new)
    X *= 3.0
    X += 1.0
    after = _output(est, new)
    np.testing.assert_array_equal(before, after)
    return est, new


def _diverge(est, X, y, sd):
    est.set_params(lr=1e10, optimizer=torch.optim.SGD, max_epochs=5)
    return est.fit(X, y, sample_domain=sd), X


def _fitted(est, X, y, sd):
    return est.fit(X, y, sample_domain=sd)


_classifiers = is_classifier
_nets = lambda est: isinstance(est, DomainNet)  # noqa: E731


def _y_inf(est, X, y, sd):
    y = y.astype(float)
    y[2] = np.inf
    return est.fit(X, y, sample_domain=sd), X


FIT_CASES = [
    Case(
        "inf-in-X",
        lambda e, X, y, sd: e.fit(_with(X, 2, 1, np.inf), y, sample_domain=sd),
        ValueError,
        "infinity",
    ),
    Case("1d-X", lambda e, X, y, sd: e.fit(X[:, 0], y, sample_domain=sd), ValueError, "2D array"),
    Case(
        "complex-X",
        lambda e, X, y, sd: e.fit(_with(X, 0, 0, 1j), y, sample_domain=sd),
        ValueError,
        "[Cc]omplex",
    ),
    Case(
        "strings-in-X",
        lambda e, X, y, sd: e.fit(np.full(X.shape, "a", dtype=object), y, sample_domain=sd),
        ValueError,
        "could not convert string",
    ),
    Case(
        "sparse-X",
        lambda e, X, y, sd: e.fit(sp.csr_matrix(X), y, sample_domain=sd),
        TypeError,
        "[Ss]parse data",
    ),
    Case("no-rows", lambda e, X, y, sd: e.fit(X[:0], y[:0], sample_domain=sd[:0]), ValueError, "0 sample"),
    Case(
        "y-too-short",
        lambda e, X, y, sd: e.fit(X, y[:-1], sample_domain=sd),
        ValueError,
        f"y has {N_ROWS - 1} rows but X has {N_ROWS}",
    ),
    Case("inf-in-y", _y_inf, ValueError, "y contains infinity", applies=is_regressor),
    Case(
        "string-domains",
        lambda e, X, y, sd: e.fit(X, y, sample_domain=np.where(sd >= 0, "src", "tgt")),
        ValueError,
        "sample_domain must hold integers",
    ),
    Case(
        "boolean-domains",
        lambda e, X, y, sd: e.fit(X, y, sample_domain=sd < 0),
        ValueError,
        "sample_domain must hold integers",
    ),
    Case(
        "all-masked-no-domains",
        lambda e, X, y, sd: e.fit(X, np.full(len(y), np.nan if is_regressor(e) else -1)),
        ValueError,
        "No source rows",
    ),
    Case(
        "one-class",
        lambda e, X, y, sd: e.fit(X, np.where(y >= 0, 1, -1), sample_domain=sd),
        ValueError,
        "needs at least 2 classes among the labeled rows",
        applies=_classifiers,
    ),
    Case(
        # {-1, 1} labels without domains: -1 rows are read as unlabeled target rows
        "plus-minus-one-labels",
        lambda e, X, y, sd: e.fit(X[sd >= 0], np.where(y[sd >= 0] == 0, -1, 1)),
        ValueError,
        r"labeled -1 .*unlabeled",
        applies=_classifiers,
    ),
    Case("string-labels-stacked", _stacked_string_labels, None, applies=_classifiers),
    Case("one-target-row", _one_target_row, None, applies=lambda e: _predicts(e) and not _requires_labels(e)),
    Case(
        "one-target-row-unlabeled", _one_target_row, ValueError, "needs labeled target rows", _requires_labels
    ),
    Case(
        "one-labeled-target-row",
        _one_labeled_target_row,
        None,
        applies=lambda e: _requires_labels(e) and not e.get_params().get("two_stage", False),
    ),
    Case(
        # two-stage TrAdaBoost.R2 chooses its stage by cross-validation over the labeled target rows
        "one-labeled-target-row-two-stage",
        _one_labeled_target_row,
        ValueError,
        "needs at least 2 of them",
        applies=lambda e: e.get_params().get("two_stage", False),
    ),
    Case("caller-mutates-X-after-fit", _mutated_after_fit, None, applies=_predicts),
    Case(
        "sample-weight-too-short",
        lambda e, X, y, sd: e.fit(X, y, sample_domain=sd, sample_weight=np.ones(N_ROWS - 1)),
        ValueError,
        f"sample_weight has {N_ROWS - 1} values but X has {N_ROWS} rows",
        applies=_takes_sample_weight,
    ),
    Case(
        "sample-weight-nan",
        lambda e, X, y, sd: e.fit(
            X, y, sample_domain=sd, sample_weight=_with(np.ones((N_ROWS, 1)), 3, 0, np.nan)[:, 0]
        ),
        ValueError,
        "sample_weight contains NaN",
        applies=_takes_sample_weight,
    ),
    Case(
        "sample-weight-negative",
        lambda e, X, y, sd: e.fit(
            X, y, sample_domain=sd, sample_weight=_with(np.ones((N_ROWS, 1)), 3, 0, -1.0)[:, 0]
        ),
        ValueError,
        "[Nn]egative values .*sample_weight",
        applies=_takes_sample_weight,
    ),
    Case(
        "diverging-training",
        _diverge,
        TrainingDivergedError,
        r"diverged at epoch \d.*lower lr",
        applies=_nets,
    ),
]

PREDICT_CASES = [
    Case(
        "predict-unfitted",
        lambda e, X, y, sd: _output(e, X),
        NotFittedError,
        "not fitted",
        applies=_predicts,
    ),
    Case(
        "predict-fewer-features",
        lambda e, X, y, sd: _output(_fitted(e, X, y, sd), X[:, :-1]),
        ValueError,
        "X has 1 features, but .* is expecting 2",
        applies=_predicts,
    ),
    Case(
        "predict-nan",
        lambda e, X, y, sd: _output(_fitted(e, X, y, sd), _with(X, 1, 0, np.nan)),
        ValueError,
        "NaN",
        applies=_predicts,
    ),
    Case(
        "predict-no-rows",
        lambda e, X, y, sd: _output(_fitted(e, X, y, sd), X[:0]),
        ValueError,
        "0 sample",
        applies=_predicts,
    ),
    Case(
        "predict-dataframe-reordered-columns",
        lambda e, X, y, sd: _output(
            e.fit(pd.DataFrame(X, columns=["a", "b"]), y, sample_domain=sd),
            pd.DataFrame(X, columns=["a", "b"])[["b", "a"]],
        ),
        ValueError,
        "feature names",
        applies=_predicts,
    ),
]


def _run(case, est, entry):
    X, y, sd = _data(est, entry)
    with _Untouched(X, y, sd), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DomainWarning on one-domain cases; convergence
        if case.error is None:
            out = case.call(est, X, y, sd)
            if isinstance(out, tuple):  # (fitted estimator, rows): outputs must be finite
                fitted, rows = out
                assert np.all(np.isfinite(_output(fitted, rows)))
            return
        with pytest.raises(case.error, match=case.match):
            case.call(est, X, y, sd)


def _estimator_cases():
    """``(estimator, row, case)`` for every case that concerns an instance of the table."""
    return [
        pytest.param(*p.values, case, id=f"{p.id}-{case.name}")
        for p in INSTANCES
        for case in FIT_CASES + PREDICT_CASES
        if case.applies(p.values[0])
    ]


@pytest.mark.parametrize("est, entry, case", _estimator_cases())
def test_estimator_bad_input(est, entry, case):
    """Every table row, every case that concerns it: a clear error, or finite output."""
    _run(case, clone(est), entry)


@pytest.mark.parametrize("est, entry", [p for p in INSTANCES if not _nets(p.values[0])])
def test_extreme_magnitudes_give_finite_output(est, entry):
    """Features of order 1e30 or 1e-30: finite output (scale-free estimators) or a clear error."""
    X, y, sd = _data(est, entry)
    for scale in (1e30, 1e-30):
        Xs = X * scale
        with _Untouched(Xs, y, sd), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = clone(est).fit(Xs, y, sample_domain=sd)
            out = _output(fitted, Xs)
        if out is not None:
            assert np.all(np.isfinite(out)), scale


@pytest.mark.parametrize("est, entry", [p for p in INSTANCES if _nets(p.values[0])])
def test_nets_on_extreme_magnitudes_fail_or_are_finite(est, entry):
    """A net on features of order 1e30: it diverges with the error, never NaN predictions."""
    X, y, sd = _data(est, entry)
    Xs = X * 1e30
    with _Untouched(Xs, y, sd), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitted = clone(est).fit(Xs, y, sample_domain=sd)
        except TrainingDivergedError as exc:
            assert "standardise the inputs" in str(exc)
            return
        assert np.all(np.isfinite(_output(fitted, Xs)))


# -- functions --------------------------------------------------------------------------------

rng = np.random.default_rng(0)
A = rng.normal(size=(30, 3))
B = rng.normal(size=(25, 3)) + 0.5
A_NAN = _with(A, 4, 1, np.nan)
X_CLS, Y_CLS, SD_CLS, YT_CLS = make_domain_shift(
    40, 40, n_target_labeled=6, random_state=0, return_target_labels=True
)


def _nan_kernel(A, B=None):
    K = np.ones((A.shape[0], (A if B is None else B).shape[0]))
    K[0, 0] = np.nan
    return K


def _ntg_masked_test():
    y_test = YT_CLS[SD_CLS < 0].copy()
    y_test[:3] = -1
    Xt = X_CLS[SD_CLS < 0]
    return negative_transfer_gap(KMM(LogisticRegression()), X_CLS, Y_CLS, SD_CLS, Xt, y_test)


def _contradicting_oracle():
    oracle = np.where(SD_CLS < 0, YT_CLS, 1 - Y_CLS)  # every labeled row contradicted
    oracle[(SD_CLS < 0) & (Y_CLS >= 0)] = 1 - Y_CLS[(SD_CLS < 0) & (Y_CLS >= 0)]
    return active_learning_curve(MMDQuerySelector(batch_size=2), X_CLS, Y_CLS, SD_CLS, oracle, n_rounds=1)


def _tca_above_rank():
    X, _, sd = make_domain_shift(30, 30, random_state=0)
    return TCA(n_components=5, kernel="linear").fit(X, sample_domain=sd)


def _distill_teacher_mode():
    from skdomain.deep import DistillationClassifier

    teacher = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Dropout(0.1), torch.nn.Linear(8, 2))
    teacher.train()
    DistillationClassifier(teacher=teacher, max_epochs=1, random_state=0).fit(
        X_CLS.astype(np.float32), Y_CLS, sample_domain=SD_CLS
    )
    assert teacher.training, "the caller's teacher was left in eval() mode"


@dataclass(frozen=True)
class FnCase:
    """One bad input for a public function: ``call()`` raises ``error`` matching ``match``.

    ``error`` None: the call must return (or assert) without error and give a finite result.
    """

    name: str
    call: object
    error: type | None
    match: str = ""
    functions: tuple = ()


def _finite(value):
    assert np.all(np.isfinite(np.asarray(value, dtype=float))), value
    return value


FUNCTION_CASES = [
    # kernels and discrepancies
    FnCase("mmd-negative-gamma", lambda: mmd(A, B, gamma=-1.0), ValueError, "gamma", ("mmd",)),
    FnCase("mmd-zero-gamma", lambda: mmd(A, B, gamma=0.0), ValueError, "gamma", ("mmd",)),
    FnCase("mmd-nan-gamma", lambda: mmd(A, B, gamma=np.nan), ValueError, "gamma", ("mmd",)),
    FnCase("mmd-inf-gamma", lambda: mmd(A, B, gamma=np.inf), ValueError, "gamma", ("mmd",)),
    FnCase("mmd-nan-input", lambda: mmd(A_NAN, B), ValueError, "NaN", ("mmd",)),
    FnCase("mmd-huge-input", lambda: _finite(mmd(A * 1e200, B * 1e200)), None, "", ("mmd",)),
    FnCase(
        "mk-mmd-nan-gammas", lambda: mk_mmd(A, B, gammas=[1.0, np.nan]), ValueError, "gammas", ("mk_mmd",)
    ),
    FnCase(
        "mk-mmd-nan-weights",
        lambda: mk_mmd(A, B, gammas=[1.0, 2.0], weights=[0.5, np.nan]),
        ValueError,
        "weights",
        ("mk_mmd",),
    ),
    FnCase("mk-mmd-huge-input", lambda: _finite(mk_mmd(A * 1e200, B * 1e200)), None, "", ("mk_mmd",)),
    FnCase(
        "median-heuristic-nan",
        lambda: median_heuristic_gamma(A_NAN),
        ValueError,
        "NaN",
        ("median_heuristic_gamma",),
    ),
    FnCase(
        "proxy-a-distance-regressor",
        lambda: proxy_a_distance(A, B, estimator=Ridge()),
        ValueError,
        "classifier",
        ("proxy_a_distance",),
    ),
    FnCase(
        "effective-sample-size-negative-weights",
        lambda: effective_sample_size(np.array([1.0, -1.0])),
        ValueError,
        "non-negative weights",
        ("effective_sample_size",),
    ),
    FnCase(
        "effective-sample-size-nan-weights",
        lambda: effective_sample_size(np.array([1.0, np.nan])),
        ValueError,
        "NaN",
    ),
    FnCase(
        "nystroem-zero-components",
        lambda: nystroem_factor(A, 0),
        ValueError,
        "n_components",
        ("nystroem_factor",),
    ),
    FnCase(
        "kmm-nan-kernel",
        lambda: KMM(LogisticRegression(), kernel=_nan_kernel).fit(X_CLS, Y_CLS, sample_domain=SD_CLS),
        ValueError,
        "kernel",
    ),
    FnCase("tca-above-rank", _tca_above_rank, ValueError, "numerical rank"),
    # the domain contract
    FnCase(
        "stack-domains-feature-mismatch",
        lambda: stack_domains(A, np.zeros(30, int), B[:, :2]),
        ValueError,
        r"Xs.*\(30, 3\).*Xt.*\(25, 2\)",
        ("stack_domains",),
    ),
    FnCase(
        "stack-domains-1d-source",
        lambda: stack_domains(A[:, 0], np.zeros(30, int), B),
        ValueError,
        r"Xs.*\(30,\)",
        ("stack_domains",),
    ),
    FnCase(
        "labeled-only-sample-weight-length",
        lambda: LabeledOnly(LogisticRegression()).fit(
            X_CLS, Y_CLS, sample_domain=SD_CLS, sample_weight=np.ones(79)
        ),
        ValueError,
        "sample_weight has 79 values but X has 80 rows",
    ),
    # model assessment
    FnCase(
        "ntg-masked-test-labels",
        _ntg_masked_test,
        ValueError,
        "y_test",
        ("negative_transfer_gap",),
    ),
    FnCase(
        "active-curve-contradicting-oracle",
        _contradicting_oracle,
        ValueError,
        "oracle_y",
        ("active_learning_curve",),
    ),
    # deep helpers
    FnCase(
        "mk-mmd-torch-nan",
        lambda: mk_mmd_torch(torch.full((8, 3), float("nan")), torch.zeros(8, 3)),
        ValueError,
        "NaN",
        ("mk_mmd_torch",),
    ),
    FnCase(
        "coral-loss-one-row",
        lambda: coral_loss(torch.zeros(1, 3), torch.zeros(8, 3)),
        ValueError,
        "at least 2 rows",
        ("coral_loss",),
    ),
    FnCase(
        "coral-loss-nan",
        lambda: coral_loss(torch.zeros(8, 3), torch.full((8, 3), float("nan"))),
        ValueError,
        "B holds NaN",
        ("coral_loss",),
    ),
    FnCase(
        "coral-loss-widths",
        lambda: coral_loss(torch.zeros(8, 3), torch.zeros(8, 2)),
        ValueError,
        "same number of columns",
        ("coral_loss",),
    ),
    FnCase(
        "distillation-zero-temperature",
        lambda: distillation_loss(torch.zeros(4, 2), torch.full((4, 2), 0.5), 0.0),
        ValueError,
        "temperature",
        ("distillation_loss",),
    ),
    FnCase("distillation-restores-teacher-mode", _distill_teacher_mode, None),
    FnCase("dann-lambda-nan-progress", lambda: dann_lambda(float("nan")), ValueError, "p", ("dann_lambda",)),
    FnCase("dann-lambda-negative-gamma", lambda: dann_lambda(0.5, gamma=-1.0), ValueError, "gamma"),
    FnCase(
        "grad-reverse-nan-lambda",
        lambda: grad_reverse(torch.ones(3, requires_grad=True), float("nan")),
        ValueError,
        "lambda_",
        ("grad_reverse",),
    ),
    FnCase(
        "labeled-score-unfitted",
        lambda: labeled_score(DANNClassifier(), A, np.zeros(30, int)),
        NotFittedError,
        "not fitted",
        ("labeled_score",),
    ),
    FnCase(
        "multiscale-gammas-torch-nan",
        lambda: multiscale_gammas_torch(torch.full((5, 3), float("nan"))),
        ValueError,
        "NaN",
        ("multiscale_gammas_torch",),
    ),
    # kernels, continued
    FnCase(
        "kernel-matrix-negative-gamma",
        lambda: kernel_matrix(A, gamma=-1.0),
        ValueError,
        "gamma",
        ("kernel_matrix",),
    ),
    FnCase(
        "median-sq-distance-nan",
        lambda: median_sq_distance(A_NAN),
        ValueError,
        "NaN",
        ("median_sq_distance",),
    ),
    FnCase(
        "multiscale-gammas-nan",
        lambda: multiscale_gammas(A_NAN),
        ValueError,
        "NaN",
        ("multiscale_gammas",),
    ),
    FnCase(
        "multiscale-gammas-no-scales",
        lambda: multiscale_gammas(A, scales=()),
        ValueError,
        "scales",
    ),
    FnCase(
        "kmm-objective-beta-length",
        lambda: kmm_objective(np.ones(29), A, B),
        ValueError,
        r"beta.*29.*30",
        ("kmm_objective",),
    ),
    FnCase(
        "kmm-objective-beta-nan",
        lambda: kmm_objective(np.r_[np.nan, np.ones(29)], A, B),
        ValueError,
        "beta.*NaN",
    ),
    FnCase(
        "kmm-weights-feature-mismatch",
        lambda: kmm_weights(A, B[:, :2]),
        ValueError,
        "3 features but X_target has 2",
        ("kmm_weights",),
    ),
    FnCase(
        "plain-learner-not-an-estimator",
        lambda: plain_learner("lr"),
        TypeError,
        "estimator",
        ("plain_learner",),
    ),
    # the domain contract, continued
    FnCase(
        "split-domains-length",
        lambda: split_domains(A, np.zeros(30, int), np.zeros(29, int)),
        ValueError,
        "sample_domain has 29 rows but X has 30",
        ("split_domains",),
    ),
    FnCase(
        "check-domains-unknown-task",
        lambda: check_domains(A, np.zeros(30), task="ranking"),
        ValueError,
        "task must be one of",
        ("check_domains",),
    ),
    FnCase(
        "labeled-mask-2d-labels",
        lambda: labeled_mask(np.zeros((3, 2))),
        ValueError,
        "1-D|1d|one-dimensional",
        ("labeled_mask",),
    ),
    # datasets
    FnCase(
        "make-domain-shift-too-many-labeled",
        lambda: make_domain_shift(10, 10, n_target_labeled=20),
        ValueError,
        "n_target_labeled=20 exceeds n_target=10",
        ("make_domain_shift",),
    ),
    FnCase(
        "dictionary-tasks-no-atoms",
        lambda: make_shared_dictionary_tasks(n_atoms=0),
        ValueError,
        "n_atoms",
        ("make_shared_dictionary_tasks",),
    ),
    FnCase(
        "mnist-digits-too-many-rows",
        lambda: load_mnist_digits(n_source=10**9),
        ValueError,
        "exceeds the 5000 rows",
        ("load_mnist_digits",),
    ),
    FnCase(
        "mnist-tasks-shared-digits",
        lambda: load_mnist_tasks(labels_source=(0, 1), labels_target=(1, 2)),
        ValueError,
        r"share digits \[1\]",
        ("load_mnist_tasks",),
    ),
    FnCase(
        "mnist-tasks-too-many-rows",
        lambda: load_mnist_tasks(n_target_per_class=450),
        ValueError,
        "asks for 550 images of digit 5",
        ("load_mnist_tasks",),
    ),
    FnCase(
        "perturb-source-rate-above-one",
        lambda: perturb_source(X_CLS, Y_CLS, SD_CLS, eps_x=1.5),
        ValueError,
        "eps_x",
        ("perturb_source",),
    ),
    FnCase(
        "perturb-source-unknown-label-mode",
        lambda: perturb_source(X_CLS, Y_CLS, SD_CLS, eps_y=0.5, y_how="shuffle"),
        ValueError,
        "y_how",
    ),
    FnCase(
        "perturb-source-nan-input", lambda: perturb_source(A_NAN, np.zeros(len(A_NAN))), ValueError, "NaN"
    ),
    FnCase(
        "perturb-source-regression-targets",
        lambda: perturb_source(X_CLS, Y_CLS + 0.25, SD_CLS, eps_y=0.5),
        ValueError,
        "non-integer",
    ),
    FnCase(
        "perturb-source-length-mismatch",
        lambda: perturb_source(X_CLS, Y_CLS[:-1], SD_CLS),
        ValueError,
        "rows but X has",
    ),
    FnCase(
        "perturb-source-masked-source-label",
        lambda: perturb_source(X_CLS, np.full(len(Y_CLS), -1), np.zeros(len(Y_CLS), dtype=int), eps_y=0.5),
        ValueError,
        "labeled -1",
    ),
    FnCase(
        "auto-mpg-unknown-target",
        lambda: load_auto_mpg(target="mars"),
        ValueError,
        "'target' parameter",
        ("load_auto_mpg",),
    ),
    FnCase(
        "cps-nsw-too-many-labeled",
        lambda: load_cps_nsw(n_target_labeled=1000),
        ValueError,
        "n_target_labeled=1000 exceeds the 260 rows",
        ("load_cps_nsw",),
    ),
    FnCase(
        "wages-too-many-rows",
        lambda: load_wages_1978_1985(n_source=10**6),
        ValueError,
        "n_source=1000000 exceeds the 550 rows",
        ("load_wages_1978_1985",),
    ),
    FnCase(
        "uci-digits-nan",
        lambda: to_uci_digits(np.full((3, 28, 28), np.nan)),
        ValueError,
        "NaN",
        ("to_uci_digits",),
    ),
    FnCase(
        "uci-digits-negative-pixels",
        lambda: to_uci_digits(np.full((3, 28, 28), -5.0)),
        ValueError,
        "max_value",
    ),
    # thread limits of a parallel search
    FnCase(
        "thread-limits-zero", lambda: thread_limits_env(0), ValueError, "n_threads", ("thread_limits_env",)
    ),
    FnCase(
        "thread-limits-float", lambda: thread_limits_env(1.5), ValueError, "n_threads", ("thread_limits_env",)
    ),
    # the selection of selective joint fine-tuning
    *[
        FnCase(f"select-neighbors-{name}", call, error, match, ("select_source_neighbors",))
        for name, call, error, match in [
            ("zero-k", lambda: select_source_neighbors(A, B, n_neighbors=0), ValueError, "n_neighbors"),
            ("float-k", lambda: select_source_neighbors(A, B, n_neighbors=1.5), ValueError, "n_neighbors"),
            ("nan-target", lambda: select_source_neighbors(A_NAN, B), ValueError, "NaN"),
            ("nan-source", lambda: select_source_neighbors(B, A_NAN), ValueError, "NaN"),
            ("other-width", lambda: select_source_neighbors(A, B[:, :2]), ValueError, "feature space"),
            ("no-source", lambda: select_source_neighbors(A, B[:0]), ValueError, "0 sample"),
            ("no-target", lambda: select_source_neighbors(A[:0], B), ValueError, "0 sample"),
            ("bad-features", lambda: select_source_neighbors(A, B, features=3), ValueError, "features must"),
            (
                "features-drop-rows",
                lambda: select_source_neighbors(A, B, features=lambda X: X[:-1]),
                ValueError,
                "rows",
            ),
            ("huge-input", lambda: _finite(select_source_neighbors(A * 1e200, B * 1e200)), None, ""),
        ]
    ],
]

#: Public functions with no bad-input case here, and why.
NOT_COVERED = {
    "thread_counts": "takes no argument: it reports the thread counts of the calling process",
    "shift_suite": "takes no argument: a table of the suite's loaders, each of which has its cases",
}


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=lambda c: c.name)
def test_function_bad_input(case):
    """A clear error naming the problem (or a finite result); the module's inputs unchanged."""
    with _Untouched(A, B, A_NAN, X_CLS, Y_CLS, SD_CLS, YT_CLS), warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        if case.error is None:
            case.call()
            return
        with pytest.raises(case.error, match=case.match):
            case.call()


PACKAGES = [
    "skdomain",
    "skdomain.instance",
    "skdomain.feature",
    "skdomain.parameter",
    "skdomain.deep",
    "skdomain.active",
    "skdomain.metrics",
    "skdomain.model_selection",
    "skdomain.datasets",
    "skdomain.utils",
    "skdomain.transfer",
]


def test_every_public_function_is_covered():
    """A public function has a row in FUNCTION_CASES or a reason in NOT_COVERED."""
    covered = {name for case in FUNCTION_CASES for name in case.functions}
    public = set()
    for package in PACKAGES:
        module = importlib.import_module(package)
        public |= {n for n in module.__all__ if inspect.isfunction(getattr(module, n))}
    missing = sorted(public - covered - set(NOT_COVERED))
    assert not missing, f"public functions with no bad-input case (add one, or a reason): {missing}"
    assert not (set(NOT_COVERED) - public), "NOT_COVERED lists names that are not public functions"
