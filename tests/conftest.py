"""What the test modules share: the estimator table, fixtures and collection hooks.

No test module imports another, nor this file: what they share is here, as fixtures.

- ``ESTIMATORS``: every public estimator class, the instances the suites build from it
  (constructor arguments), the scikit-learn checks it is expected to fail (with the
  reason), its behaviour flags for the contract suite, and the module that runs its
  suites. ``NOT_ESTIMATORS``: public classes that look like estimators but are not
  (bases, mixins), with the reason. ``tests/test_common.py`` fails when a public
  estimator is in neither (CONTRIBUTING.md, "Adding an estimator").
- ``pytest_generate_tests``: in a suite module, a test that takes ``estimator`` and
  ``check`` runs scikit-learn's checks (``parametrize_with_checks``) on the instances of
  the rows of that module; a test that takes ``estimator`` alone runs on a fresh, seeded
  clone of each (the contract suite), with ``entry``, the estimator's row, beside it.
- ``check_api``: ``docs/check_api.py`` (the public packages and their ``__all__``).
- ``shifted_blobs``, ``domain_accuracy``: the toy shift of the deep nets' adaptation tests
  and the domain-classifier accuracy that measures feature alignment.
- ``patch_solve``: run cvxpy's solve, then fake what it returned (a status, values), for
  the tests of the solver-failure paths.

The torch thread setting for the whole session is in the repository's root ``conftest.py``.
"""

import copy
import functools
import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdomain import (
    CORAL,
    KMM,
    SSTCA,
    TCA,
    LabeledOnly,
    SafeTransfer,
    SubspaceAlignment,
    TrAdaBoostClassifier,
    TrAdaBoostRegressor,
)
from skdomain.active import MMDQuerySelector
from skdomain.deep import (
    ADDAClassifier,
    ADDARegressor,
    DANClassifier,
    DANNClassifier,
    DANNRegressor,
    DANRegressor,
    DeepCORALClassifier,
    DeepCORALRegressor,
    DistillationClassifier,
    DomainClassifierMixin,
    DomainConfusionClassifier,
    DomainConfusionRegressor,
    DomainNet,
    DomainRegressorMixin,
    GatedDANNClassifier,
    GTAClassifier,
    PADAClassifier,
)
from skdomain.parameter import DictionaryTransferClassifier, DictionaryTransferRegressor
from skdomain.transfer import (
    AttentionTransferClassifier,
    DigitConvNet,
    FineTuningClassifier,
    FineTuningRegressor,
    JacobianMatchingClassifier,
    LwFClassifier,
    MultiTaskNet,
    NetFeatures,
    ProgressiveNetClassifier,
    ProgressiveNetRegressor,
    SelectiveJointFineTuningClassifier,
)

ROOT = Path(__file__).resolve().parents[1]

# -- the estimator table --------------------------------------------------------------------------

#: The module of the common suites: scikit-learn's checks, then the contract suite.
COMMON_SUITE = "tests/test_common.py"

CONTRACT_REASON = (
    'label -1 is reserved for unlabeled rows (CONTRIBUTING.md, "The domain contract"): this check fits '
    "{-1, 1} labels without domains, so -1 rows are read as unlabeled target rows"
)
SKORCH_INIT_REASON = (
    "skorch's NeuralNet sets history_, initialized_ and virtual_params_ in __init__ "
    '(skorch\'s design, CONTRIBUTING.md, "Composing with scikit-learn and skorch")'
)
FLOAT32_REASON = (
    "float32 network: BLAS picks its kernels by batch size, so outputs on a subset of rows "
    "differ from those on all rows at float32 rounding (~1e-7), above the check's atol"
)

# The selector queries an unlabeled target pool (masked target rows) and raises without
# one; scikit-learn's generic data have no target rows, so every check that fits fails on
# purpose. What those checks cover (pickle, clone, row order, dtypes, NaN, caller's arrays
# untouched, n_features_in_) is tested in tests/active/test_mmd_query.py on contract data instead.
NO_POOL = "fit needs an unlabeled target pool; generic check data have no target rows"
FITTING_CHECKS = [
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_estimators_dtypes",
    "check_dtype_object",
    "check_pipeline_consistency",
    "check_estimators_nan_inf",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1sample",
    "check_fit2d_1feature",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit2d_predict1d",
]


@dataclass(frozen=True)
class Entry:
    """How the suites test one public estimator class (its row of :data:`ESTIMATORS`).

    Parameters
    ----------
    params : list of dict
        Constructor arguments, one dict per instance the suites run on (a meta-estimator
        with a classifier and with a regressor inside: two). Small and fast: the generic
        checks use tiny data.
    xfail : dict
        ``{check_name: reason}``: scikit-learn checks expected to fail, each with the
        reason (the domain contract or a dependency's design rules the check out).
    fit_is_order_invariant : bool
        A fit on shuffled rows gives the same model (minibatch SGD nets: no, the batches
        differ; the contract suite then checks that predictions follow the input order).
    pools_source_ids : bool
        Several source ids are pooled into one source (dictionary transfer: no, one task
        per id; the contract suite then checks one source model per id).
    learns_from_target_labels : bool
        Adaptation needs labeled target rows (dictionary transfer: without them it is a
        ridge on the sources); the contract suite then gives it a few.
    requires_target_labels : bool
        A fit with target rows but none labeled is an error that says so (TrAdaBoost,
        whose updates are driven by the error on labeled target rows; issue 14); the
        suites then expect that error where they fit such data.
    adapts : bool
        The estimator adapts to a target domain, so it warns (``DomainWarning``) when a
        fit has no target rows (``LabeledOnly``, a helper for pipelines: no).
    domain_contract : bool
        It fits with the domain contract (``sample_domain``, masked labels). Network-to-network
        transfer (:mod:`skdomain.transfer`: no) fits ``fit(X, y)`` on target rows with a
        pretrained network of fixed input width; its suite module holds its contract and
        hostile-input cases, and the domain suites (contract, hostile inputs) skip it.
    check_widths : dict
        ``{check_name: n_features}``: scikit-learn checks whose data have another width than
        the pretrained network of the row's instances (network transfer): expected failures
        there (:data:`WIDTH_REASON`), run again in the row's suite module with a network of
        that width.
    suite : str
        The module that runs its suites: :data:`COMMON_SUITE`, or its own (``reason``).
    reason : str
        Why it has a suite of its own (required then).
    """

    params: list
    xfail: dict = field(default_factory=dict)
    fit_is_order_invariant: bool = True
    pools_source_ids: bool = True
    learns_from_target_labels: bool = False
    requires_target_labels: bool = False
    adapts: bool = True
    domain_contract: bool = True
    check_widths: dict = field(default_factory=dict)
    suite: str = COMMON_SUITE
    reason: str = ""


# -- network-to-network transfer (skdomain.transfer) ---------------------------------------------

#: The input width of the table's pretrained networks.
NET_WIDTH = 3
WIDTH_REASON = (
    "a pretrained network has a fixed input width (3 here) and this check's data have another "
    '(CONTRIBUTING.md, "Network-to-network transfer"); tests/transfer/test_transfer_common.py runs '
    "it again with a network of the check's width"
)
HASH_REASON = (
    "joblib.hash of a torch module differs from that of its deep copy (its pickle carries object "
    "identities), so the check reads any torch-module parameter as mutated; that fit leaves the "
    "pretrained network bit-identical is tested in tests/transfer/test_transfer_common.py"
)
TRANSFER_SUITE = "tests/transfer/test_transfer_common.py"
TRANSFER_SUITE_REASON = (
    "network-to-network transfer, not domain adaptation: fit(X, y) on target rows (no sample_domain, "
    "every label a class) with a pretrained network of fixed input width; that module runs "
    "scikit-learn's checks and the transfer contract (pretrained network untouched, clone / pickle, "
    "row order, hostile inputs)"
)
_WIDTHS = {  # measured: the width at which each check passes (the others fail on the width)
    "check_estimators_dtypes": 5,
    "check_dtype_object": 10,
    "check_estimators_fit_returns_self": 2,
    "check_fit2d_1feature": 1,
    "check_fit_check_is_fitted": 2,
    "check_fit_idempotent": 2,
    "check_n_features_in": 2,
    "check_n_features_in_after_fitting": 4,
    "check_positive_only_tag_during_fit": 4,
    "check_readonly_memmap_input": 2,
}
CLASSIFIER_WIDTHS = {
    **_WIDTHS,
    "check_classifier_data_not_an_array": 2,
    "check_classifiers_classes": 2,
    "check_classifiers_train": 2,
    "check_estimators_partial_fit_n_features": 2,
}
REGRESSOR_WIDTHS = {
    **_WIDTHS,
    "check_fit2d_1sample": 10,
    "check_estimators_partial_fit_n_features": 2,
    "check_regressor_data_not_an_array": 10,
    "check_regressor_multioutput": 10,
    "check_regressors_int": 10,
    "check_regressors_no_decision_function": 4,
    "check_regressors_train": 10,
}
TRANSFORMER_WIDTHS = {**_WIDTHS, "check_fit2d_1sample": 10}


def pretrained_net(n_features=NET_WIDTH, n_outputs=3, seed=0):
    """Build a small torch MLP standing for a pretrained network (seeded; global torch state kept)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return torch.nn.Sequential(
            torch.nn.Linear(n_features, 16), torch.nn.ReLU(), torch.nn.Linear(16, n_outputs)
        )


def _transfer_entry(widths, params, skorch=True):
    xfail = {**dict.fromkeys(widths, WIDTH_REASON), "check_estimators_overwrite_params": HASH_REASON}
    if skorch:
        xfail["check_no_attributes_set_in_init"] = SKORCH_INIT_REASON
    return Entry(
        params=[params],
        xfail=xfail,
        check_widths=dict(widths),
        fit_is_order_invariant=not skorch,
        adapts=False,
        domain_contract=False,
        suite=TRANSFER_SUITE,
        reason=TRANSFER_SUITE_REASON,
    )


# small, fast nets (few epochs, small MLP) that still pass scikit-learn's accuracy / R^2 checks
_DEEP = dict(max_epochs=30, lr=1e-2, batch_size=32, module__hidden_units=(32, 32))
_CLASSIFIER = {"check_classifiers_classes": CONTRACT_REASON}
_NET = {"check_no_attributes_set_in_init": SKORCH_INIT_REASON}
_NET_REGRESSOR = {**_NET, "check_methods_subset_invariance": FLOAT32_REASON}
_MULTITASK = dict(max_epochs=30, lr=1e-2, batch_size=32, module__hidden_units=(32, 32))
# minibatch SGD: the order of the rows makes the batches
_SGD = dict(fit_is_order_invariant=False)

ESTIMATORS = {
    # check_classifiers_classes runs on the instance with a classifier inside only
    KMM: Entry(
        params=[dict(estimator=LogisticRegression(), B=10.0), dict(estimator=Ridge(), B=10.0)],
        xfail=_CLASSIFIER,
    ),
    TCA: Entry(params=[dict(n_components=2), dict()]),  # dict(): n_components="auto" on tiny data
    # CORAL / SA align each source id separately, but transform (the target map) is the same
    # whether the sources are pooled or not, which is what the suite compares
    CORAL: Entry(params=[dict(), dict(reg="ledoit_wolf", align_means=False)]),
    SubspaceAlignment: Entry(params=[dict(n_components=1), dict()]),
    SSTCA: Entry(params=[dict(n_components=2), dict()]),  # the labels and the graph as fitted
    LabeledOnly: Entry(
        params=[dict(estimator=LogisticRegression()), dict(estimator=Ridge())],
        xfail=_CLASSIFIER,
        adapts=False,
    ),
    DictionaryTransferClassifier: Entry(
        params=[dict(n_atoms=2), dict()],  # dict(): n_atoms="auto"
        xfail=_CLASSIFIER,
        pools_source_ids=False,
        learns_from_target_labels=True,
    ),
    DictionaryTransferRegressor: Entry(
        params=[dict(n_atoms=2), dict()], pools_source_ids=False, learns_from_target_labels=True
    ),
    DANNClassifier: Entry(params=[_DEEP], xfail={**_NET, **_CLASSIFIER}, **_SGD),
    GatedDANNClassifier: Entry(params=[_DEEP], xfail={**_NET, **_CLASSIFIER}, **_SGD),
    DANNRegressor: Entry(params=[_DEEP], xfail=_NET_REGRESSOR, **_SGD),
    # PADA: DANN with class weights γ; gated, the gate on DANN's own D with γ·ω per source row
    PADAClassifier: Entry(
        params=[_DEEP, dict(gate=True, discriminator__hidden_units=(16,), **_DEEP)],
        xfail={**_NET, **_CLASSIFIER},
        **_SGD,
    ),
    # gated: the discriminator gate on DAN (its own D on detached features, skdomain/deep/_gate.py)
    DANClassifier: Entry(
        params=[_DEEP, dict(gate=True, discriminator__hidden_units=(16,), **_DEEP)],
        xfail={**_NET, **_CLASSIFIER},
        **_SGD,
    ),
    DANRegressor: Entry(params=[_DEEP], xfail=_NET_REGRESSOR, **_SGD),
    DeepCORALClassifier: Entry(
        params=[_DEEP, dict(gate=True, discriminator__hidden_units=(16,), **_DEEP)],
        xfail={**_NET, **_CLASSIFIER},
        **_SGD,
    ),
    DeepCORALRegressor: Entry(params=[_DEEP], xfail=_NET_REGRESSOR, **_SGD),
    # two stages in one fit (stage 2 only with target rows); gated: the gate on stage 1
    ADDAClassifier: Entry(
        params=[
            dict(adapt_epochs=10, **_DEEP),
            dict(adapt_epochs=10, gate=True, discriminator__hidden_units=(16,), **_DEEP),
        ],
        xfail={**_NET, **_CLASSIFIER},
        **_SGD,
    ),
    ADDARegressor: Entry(params=[dict(adapt_epochs=10, **_DEEP)], xfail=_NET_REGRESSOR, **_SGD),
    # three phases per step (D, G, then F and C); gated: the gate's own D on detached features
    GTAClassifier: Entry(
        params=[
            dict(generator__hidden_units=(16,), adversary__hidden_units=(16,), noise_dim=4, **_DEEP),
            dict(
                gate=True,
                discriminator__hidden_units=(16,),
                generator__hidden_units=(16,),
                adversary__hidden_units=(16,),
                noise_dim=4,
                **_DEEP,
            ),
        ],
        xfail={**_NET, **_CLASSIFIER},
        **_SGD,
    ),
    # domain confusion: two phases per step (domain classifier, network); gated: the gate's own D
    DomainConfusionClassifier: Entry(
        params=[
            _DEEP,
            dict(
                gate=True, discriminator__hidden_units=(16,), domain_classifier__hidden_units=(16,), **_DEEP
            ),
        ],
        xfail={**_NET, **_CLASSIFIER},
        **_SGD,
    ),
    DomainConfusionRegressor: Entry(params=[_DEEP], xfail=_NET_REGRESSOR, **_SGD),
    DistillationClassifier: Entry(
        params=[dict(teacher=LogisticRegression(), **_DEEP)], xfail={**_NET, **_CLASSIFIER}, **_SGD
    ),
    # network-to-network transfer: the teacher, unfitted, is fitted on the labeled rows first; a
    # fit without target rows is the usual case there (no DomainWarning: adapts=False)
    AttentionTransferClassifier: Entry(
        params=[
            dict(
                teacher=DANNClassifier(
                    DigitConvNet, mu=0.0, max_epochs=5, lr=1e-2, batch_size=32, random_state=0
                ),
                module__channels=(4, 8),
                module__hidden_units=(32,),
                alpha=0.5,
                **{k: v for k, v in _DEEP.items() if k != "module__hidden_units"},
            )
        ],
        xfail={**_NET, **_CLASSIFIER},
        adapts=False,
        **_SGD,
    ),
    JacobianMatchingClassifier: Entry(
        params=[
            dict(
                teacher=DANNClassifier(mu=0.0, max_epochs=5, lr=1e-2, batch_size=32, random_state=0), **_DEEP
            )
        ],
        xfail={**_NET, **_CLASSIFIER},
        adapts=False,
        **_SGD,
    ),
    SafeTransfer: Entry(
        params=[
            dict(candidates=[("kmm", KMM(LogisticRegression(), B=10.0))], n_splits=2, n_repeats=1),
            dict(
                candidates=[("tca", make_pipeline(TCA(n_components=2), LabeledOnly(Ridge())))],
                n_splits=2,
                n_repeats=1,
            ),
        ],
        xfail=_CLASSIFIER,
        # the folds are drawn over the rows in the order given: shuffled rows, other folds
        fit_is_order_invariant=False,
    ),
    TrAdaBoostClassifier: Entry(
        params=[dict(n_estimators=5)],
        xfail=_CLASSIFIER,
        learns_from_target_labels=True,
        requires_target_labels=True,
    ),
    TrAdaBoostRegressor: Entry(
        params=[dict(n_estimators=5, n_stages=2, cv=2), dict(n_estimators=5, two_stage=False)],
        # the two-stage variant's folds are drawn over the target rows in the order given
        fit_is_order_invariant=False,
        learns_from_target_labels=True,
        requires_target_labels=True,
    ),
    NetFeatures: _transfer_entry(TRANSFORMER_WIDTHS, dict(pretrained=pretrained_net()), skorch=False),
    FineTuningClassifier: _transfer_entry(
        CLASSIFIER_WIDTHS,
        dict(pretrained=pretrained_net(), max_epochs=30, lr=1e-2, batch_size=32, random_state=0),
    ),
    LwFClassifier: _transfer_entry(
        CLASSIFIER_WIDTHS,
        dict(
            pretrained=pretrained_net(),
            max_epochs=30,
            warmup_epochs=5,
            lr=1e-2,
            batch_size=32,
            random_state=0,
        ),
    ),
    ProgressiveNetClassifier: _transfer_entry(
        CLASSIFIER_WIDTHS,
        dict(pretrained=pretrained_net(), max_epochs=30, lr=1e-2, batch_size=32, random_state=0),
    ),
    # fit(X, y) without sample_domain is fine-tuning without source (every row a target row):
    # the checks and the transfer contract run on that; the joint fit (sample_domain, source
    # labels, the selection) is tested in tests/transfer/test_selective.py. No partial_fit (one fit
    # sets the selection), so that check has nothing to fail on at any width.
    SelectiveJointFineTuningClassifier: _transfer_entry(
        {k: w for k, w in CLASSIFIER_WIDTHS.items() if k != "check_estimators_partial_fit_n_features"},
        dict(pretrained=pretrained_net(), max_epochs=30, lr=1e-2, batch_size=32, random_state=0),
    ),
    FineTuningRegressor: _transfer_entry(
        REGRESSOR_WIDTHS,
        dict(pretrained=pretrained_net(), max_epochs=30, lr=1e-2, batch_size=32, random_state=0),
    ),
    ProgressiveNetRegressor: _transfer_entry(
        REGRESSOR_WIDTHS,
        dict(pretrained=pretrained_net(), max_epochs=30, lr=1e-2, batch_size=32, random_state=0),
    ),
    MMDQuerySelector: Entry(
        params=[dict(batch_size=1)],
        xfail=dict.fromkeys(FITTING_CHECKS, NO_POOL),
        suite="tests/active/test_mmd_query.py",
        reason=(
            "not a predictor: it returns a batch of target rows to label, and its fit needs an "
            "unlabeled target pool, so the contract suite (predict / transform on target rows) "
            "does not apply; the checks that need no fit run there, and its contract (pool, row "
            "order, several ids, inferred domains, caller's arrays, clone / pickle, bad input) "
            "is tested there on contract data"
        ),
    ),
    # the generic checks run on single-task configurations (a plain classifier / regressor
    # then, by its tags): they pass a 1-D y, which is one column for one task; mixed tasks
    # (2-D y, one column per task) are tested in the suite's own module
    MultiTaskNet: Entry(
        params=[
            dict(tasks=("classification",), **_MULTITASK),
            dict(tasks=("regression",), **_MULTITASK),
        ],
        xfail=_NET_REGRESSOR,
        fit_is_order_invariant=False,
        adapts=False,
        domain_contract=False,
        suite="tests/transfer/test_multitask.py",
        reason=(
            "not a domain-adaptation estimator: no sample_domain and no masked labels, and its y "
            "holds one column per task, so the contract suite's data (one task, masked target rows, "
            "domains) do not apply; scikit-learn's checks run there on single-task configurations, "
            "and the mixed-task behaviour (shapes, clone / pickle, row order, caller's arrays, bad "
            "input) is tested there"
        ),
    ),
}

#: Public classes that look like estimators (they subclass scikit-learn's ``BaseEstimator``
#: or one of its estimator-type mixins) but are not estimators to test, with the reason.
NOT_ESTIMATORS = {
    DomainNet: (
        "the base of the deep nets: no task flavour (DomainClassifierMixin / DomainRegressorMixin) "
        "and no adaptation term; every concrete net has its row"
    ),
    DomainClassifierMixin: "a mixin (the classifier flavour of a DomainNet), not an estimator",
    DomainRegressorMixin: "a mixin (the regressor flavour of a DomainNet), not an estimator",
}


def _label(cls, params):
    """Name an instance for a test id: ``Class(arg=value,...)`` (no blanks)."""
    args = ",".join(f"{k}={v!r}" for k, v in params.items())
    return re.sub(r"\s", "", f"{cls.__name__}({args})")


def _check_label(check):
    """Name a scikit-learn check for a test id: its name, with the keyword arguments it is given."""
    if isinstance(check, functools.partial):
        kwargs = ",".join(f"{k}={v}" for k, v in check.keywords.items())
        return f"{check.func.__name__}({kwargs})" if kwargs else check.func.__name__
    return getattr(check, "__name__", None)


def _expected_failed_checks(estimator):
    return dict(ESTIMATORS[type(estimator)].xfail)


def pytest_generate_tests(metafunc):
    """Parametrise a suite module's ``estimator`` tests with the instances of its rows."""
    if "estimator" not in metafunc.fixturenames:
        return
    module = Path(metafunc.definition.path).resolve().relative_to(ROOT).as_posix()
    instances, labels = [], {}
    for cls, entry in ESTIMATORS.items():
        if entry.suite != module:
            continue
        for params in entry.params:
            estimator = cls(**copy.deepcopy(params))
            instances.append(estimator)
            labels[id(estimator)] = _label(cls, params)
    if not instances:
        return
    if "check" in metafunc.fixturenames:  # scikit-learn's generic checks
        argnames, argvalues = parametrize_with_checks(
            instances, expected_failed_checks=_expected_failed_checks
        ).args
        metafunc.parametrize(
            argnames, argvalues, ids=lambda value: labels.get(id(value)) or _check_label(value)
        )
    else:  # the contract suite: a fresh, seeded clone per test (the estimator fixture)
        metafunc.parametrize("estimator", instances, ids=[labels[id(e)] for e in instances], indirect=True)


@pytest.fixture
def estimator(request):
    """Return a fresh clone of an instance of the table, ``random_state=0`` where it has one."""
    if not hasattr(request, "param"):
        pytest.fail(
            f"{request.node.nodeid}: 'estimator' is given only in the suite modules of the "
            "estimator table (tests/conftest.py)"
        )
    estimator = clone(request.param)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=0)
    return estimator


@pytest.fixture
def entry(estimator):
    """Return the estimator's row of the table (its behaviour flags)."""
    return ESTIMATORS[type(estimator)]


@pytest.fixture(scope="session")
def make_pretrained():
    """``make_pretrained(n_features=3, n_outputs=3, seed=0)``: a stand-in for a pretrained network."""
    return pretrained_net


@pytest.fixture(scope="session")
def estimator_table():
    """``(ESTIMATORS, NOT_ESTIMATORS)``."""
    return ESTIMATORS, NOT_ESTIMATORS


@pytest.fixture(scope="session")
def check_api():
    """``docs/check_api.py``, imported from its file (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location("check_api", ROOT / "docs" / "check_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- shared data and measures -------------------------------------------------------------------


def _shifted_blobs(n, seed, shift=1.5, d=4):
    """Two Gaussian classes on feature 0; the target is translated by ``shift`` on features 0 and 1."""
    rng = np.random.RandomState(seed)
    ys, yt = rng.randint(0, 2, n), rng.randint(0, 2, n)
    Xs, Xt = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    Xs[:, 0] += 2.0 * ys - 1.0
    Xt[:, 0] += 2.0 * yt - 1.0 + shift
    Xt[:, 1] += shift
    X = np.vstack([Xs, Xt])
    y = np.r_[ys, -np.ones(n, dtype=int)]
    sd = np.r_[np.zeros(n, dtype=int), -np.ones(n, dtype=int)]
    return X, y, sd, yt


def _domain_accuracy(Z, sd):
    """3-fold accuracy of a domain classifier on features (0.5 is chance)."""
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return cross_val_score(clf, Z, sd < 0, cv=3).mean()


@pytest.fixture(scope="session")
def shifted_blobs():
    """``shifted_blobs(n, seed, shift=1.5, d=4) -> X, y, sd, y_target``: ``n`` source + ``n`` target rows.

    Two Gaussian classes on feature 0; the target is translated by ``shift`` on features 0
    and 1, and all its labels are masked (``y == -1``); ``y_target`` holds them.
    """
    return _shifted_blobs


@pytest.fixture(scope="session")
def domain_accuracy():
    """``domain_accuracy(Z, sd)``: 3-fold accuracy of a domain classifier on features (0.5 is chance)."""
    return _domain_accuracy


@pytest.fixture
def patch_solve(monkeypatch):
    """``patch_solve(after)``: cvxpy's real solve runs, then ``after(problem, variable)`` may change it.

    ``variable`` is the problem's largest variable (KMM's weights, a test problem's ``x``), so
    a test can fake a status or corrupt the values and see what skdomain does with them.
    """
    import cvxpy as cp

    real = cp.Problem.solve

    def patch(after):
        def solve(self, *args, **kwargs):
            out = real(self, *args, **kwargs)
            after(self, max(self.variables(), key=lambda v: v.size))
            return out

        monkeypatch.setattr(cp.Problem, "solve", solve)

    return patch
