"""The domain contract: one place that checks, infers, stacks and splits domains.

Data from all domains travel together, as scikit-learn expects: one ``X``, one
``y`` and an optional ``sample_domain`` of the same length.

* ``sample_domain >= 0`` marks a source row, ``sample_domain < 0`` a target row;
  distinct ids are distinct sources / targets.
* An unlabeled row has a *masked* label: ``-1`` for classification (the
  convention of :class:`sklearn.semi_supervised.SelfTrainingClassifier`), NaN
  for regression. Non-numeric (string) class labels are masked the same way,
  by the *integer* ``-1`` in an ``object`` array (scikit-learn's rule for
  string targets in ``SelfTrainingClassifier``); the *string* ``'-1'`` is an
  error, since it reads both as a class name and as the mask.
* Masking must leave a classifier at least two classes among the labeled rows;
  otherwise :func:`check_labeled_classes` raises an error that says the ``-1``
  rows were taken as unlabeled (the usual cause: ``{-1, 1}`` labels).
* When ``sample_domain`` is omitted it is inferred: masked rows are target
  (id ``-1``), the others source (id ``0``). With no masked label either, there
  is no target: a :class:`DomainWarning` is issued and estimators fit without
  adaptation.
* A target row whose label is not masked is a *labeled target* row.

Every function here copies what it changes; the caller's arrays are never
modified.
"""

import warnings
from typing import NamedTuple

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils import check_array
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d, validate_data

__all__ = [
    "DomainWarning",
    "DomainData",
    "check_domain_labels",
    "check_domains",
    "check_labeled_classes",
    "infer_task",
    "labeled_mask",
    "stack_domains",
    "split_domains",
]

_TASKS = ("classification", "regression")
MASKED_CLASS = -1


class DomainWarning(UserWarning):
    """Warning issued when data carry no target domain (no adaptation is done)."""


class DomainData(NamedTuple):
    """Validated data of the domain contract, as returned by :func:`check_domains`.

    A named tuple: the parameters are its fields, in order, each also an attribute
    of the same name.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Validated features (finite).
    y : ndarray of shape (n_samples,) or None
        A copy-free view of the labels, masked rows included (never modified).
    sample_domain : ndarray of shape (n_samples,), dtype int
        Domain ids, given or inferred (``>= 0`` source, ``< 0`` target).
    labeled : ndarray of shape (n_samples,), dtype bool
        True where the label is not masked (all False when ``y`` is None).
    has_target : bool
        Whether any row belongs to a target domain.
    """

    X: np.ndarray
    y: np.ndarray
    sample_domain: np.ndarray
    labeled: np.ndarray
    has_target: bool

    @property
    def source(self):
        """Boolean mask of the source rows."""
        return self.sample_domain >= 0

    @property
    def target(self):
        """Boolean mask of the target rows."""
        return self.sample_domain < 0


def _check_task(task):
    if task not in _TASKS:
        raise ValueError(f"task must be one of {_TASKS}, got {task!r}.")


def infer_task(y):
    """Masking convention of ``y`` when no estimator says it (used by transformers).

    Float labels holding NaN, or continuous labels, are ``"regression"``; anything
    else is ``"classification"`` (integer-valued float labels included, so ``-1.0``
    is a masked class there).
    """
    y = np.asarray(y)
    if y.dtype.kind in "fc":
        if np.isnan(y).any():
            return "regression"
        if y.size and not np.all(np.mod(y, 1) == 0):
            return "regression"
    return "classification"


def masked_label(task):
    """Return the label of an unlabeled row: NaN for regression, ``-1`` for classification."""
    return np.nan if task == "regression" else MASKED_CLASS


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _is_string_mask(v):
    return (isinstance(v, str) and v == "-1") or (isinstance(v, bytes) and v == b"-1")


def _reject_string_mask(y, bad):
    """Raise the error of the string ``'-1'``: neither a class name nor the mask."""
    rows = np.flatnonzero(bad)
    raise ValueError(
        f"y holds the string '-1' on {rows.size} row(s), e.g. row {int(rows[0])}. For string labels "
        "the masked (unlabeled) value is the integer -1 in an object array, as in scikit-learn's "
        "SelfTrainingClassifier: y = y.astype(object); y[unlabeled] = -1 (stack_domains does this). "
        "The string '-1' is not accepted, as a mask or as a class name, since it reads as both; "
        "rename the class if it is one."
    )


def labeled_mask(y, task="classification"):
    """Boolean mask of the rows whose label is not masked.

    The masks: for classification the label ``-1`` (the integer ``-1`` in an
    ``object`` array of string labels; ``-1.0`` in float labels), for regression
    NaN.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels; ``-1`` (classification) or NaN (regression) marks an unlabeled row.
    task : {"classification", "regression"}, default="classification"
        Which masking convention applies.

    Returns
    -------
    labeled : ndarray of shape (n_samples,), dtype bool
        True where the label is not masked.

    Raises
    ------
    ValueError
        When ``y`` is not 1-D. For classification labels holding the string ``'-1'``: string labels are
        masked by the integer ``-1`` in an ``object`` array, and ``'-1'`` would read
        both as a class name and as the mask.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.utils import labeled_mask
    >>> labeled_mask(np.array([0, 1, -1])).tolist()
    [True, True, False]
    >>> labeled_mask(np.array(["cat", "dog", -1], dtype=object)).tolist()
    [True, True, False]
    """
    _check_task(task)
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"labeled_mask: y must be a 1-D array of labels; got shape {y.shape}.")
    if task == "regression":
        if y.dtype.kind in "fc":
            return ~np.isnan(y)
        return np.ones(y.shape[0], dtype=bool)
    if y.dtype.kind in "iuf":
        return y != MASKED_CLASS
    if y.dtype.kind in "US":
        bad = y == (b"-1" if y.dtype.kind == "S" else "-1")
        if bad.any():
            _reject_string_mask(y, bad)
        return np.ones(y.shape[0], dtype=bool)
    if y.dtype.kind == "O":
        bad = np.fromiter((_is_string_mask(v) for v in y), dtype=bool, count=y.shape[0])
        if bad.any():
            _reject_string_mask(y, bad)
        # object labels (e.g. strings): the numeric -1 entries are the masked ones
        return np.fromiter(
            (not (_is_number(v) and v == MASKED_CLASS) for v in y),
            dtype=bool,
            count=y.shape[0],
        )
    return np.ones(y.shape[0], dtype=bool)


def check_labeled_classes(y, labeled, *, estimator=None, classes=None):
    """Return the classes of the labeled rows; raise when masking left fewer than two.

    A classifier needs two classes. When the labeled rows hold fewer *and* some
    rows are masked, the usual cause is ``{-1, 1}`` labels: their ``-1`` rows were
    read as unlabeled (target) rows. The error says so, with their number and how
    to re-encode. Data without masked rows are left to the estimator's own check.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Classification labels, masked rows included.
    labeled : ndarray of shape (n_samples,), dtype bool
        True where the label is not masked (:func:`labeled_mask`).
    estimator : estimator instance, default=None
        Named in the message.
    classes : array-like, default=None
        The classes the estimator will know, when they are more than those of the
        labeled rows (e.g. given source models); ``None`` means
        ``np.unique(y[labeled])``.

    Returns
    -------
    classes : ndarray
        The sorted classes.

    Raises
    ------
    ValueError
        When fewer than two classes are left and some rows are masked.
    """
    y = np.asarray(y)
    labeled = np.asarray(labeled, dtype=bool)
    classes = np.unique(y[labeled]) if classes is None else np.unique(np.asarray(classes))
    n_masked = int((~labeled).sum())
    if classes.shape[0] < 2 and n_masked:
        name = type(estimator).__name__ if estimator is not None else "A classifier"
        found = f"only the class {classes.tolist()[0]!r}" if classes.shape[0] else "no class"
        raise ValueError(
            f"{name} needs at least 2 classes among the labeled rows, but masking left {found}: "
            f"the {n_masked} row(s) labeled -1 were taken as unlabeled target rows (the masked-label "
            "convention: -1 means 'unlabeled', as in scikit-learn's SelfTrainingClassifier). "
            "If -1 is a real class, re-encode y: binary {-1, 1} labels as {0, 1} (e.g. (y + 1) // 2), "
            "other labels with sklearn.preprocessing.LabelEncoder; then mark unlabeled target rows "
            "with -1 and pass sample_domain (< 0 for target rows)."
        )
    return classes


def _check_sample_domain(sample_domain, n_samples):
    if np.ndim(sample_domain) == 0:
        raise ValueError(
            "sample_domain must be a 1-D integer array with one id per row; "
            f"got the scalar {sample_domain!r}."
        )
    sd = np.asarray(sample_domain)
    if sd.ndim != 1:
        raise ValueError(f"sample_domain must be a 1-D integer array; got an array of shape {sd.shape}.")
    if sd.dtype.kind not in "iu":
        raise ValueError(f"sample_domain must hold integers (>= 0 source, < 0 target); got dtype {sd.dtype}.")
    if sd.shape[0] != n_samples:
        raise ValueError(
            f"sample_domain has {sd.shape[0]} rows but X has {n_samples}: give one domain id per row."
        )
    return sd.astype(np.int64, copy=False)


def _check_y(y, n_samples, task):
    y = column_or_1d(y, warn=True)
    if y.shape[0] != n_samples:
        raise ValueError(f"y has {y.shape[0]} rows but X has {n_samples}.")
    if task == "regression":
        if y.dtype.kind not in "iufb":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"Regression targets must be numeric; got dtype {y.dtype}.") from exc
        if np.isinf(y).any():
            raise ValueError("y contains infinity; mask unlabeled rows with NaN instead.")
    labeled = labeled_mask(y, task)
    if task == "classification":
        if y.dtype.kind == "f" and np.isnan(y).any():
            raise ValueError("y contains NaN; for classification mark unlabeled rows with -1.")
        if labeled.any():
            check_classification_targets(y[labeled])
    return y, labeled


def num_rows(X):
    """Return the number of rows of an array-like (arrays, data frames, lists)."""
    return X.shape[0] if hasattr(X, "shape") else len(X)


def check_domain_labels(y, sample_domain, n_samples, *, task="classification"):
    """Check the labels and domains: the part of :func:`check_domains` for code without ``X``.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or None
        Labels; ``-1`` (classification) or NaN (regression) marks unlabeled rows.
    sample_domain : array-like of int, shape (n_samples,), or None
        Domain ids; inferred from masked labels when omitted.
    n_samples : int
        Number of rows.
    task : {"classification", "regression", "infer"}, default="classification"
        Masking convention of ``y``.

    Returns
    -------
    y : ndarray or None
        The labels (never modified).
    sample_domain : ndarray of int
        Given or inferred domain ids.
    labeled : ndarray of bool
        True where the label is not masked.
    """
    if task == "infer":
        task = "classification" if y is None else infer_task(y)
    _check_task(task)
    if y is not None:
        y, labeled = _check_y(y, n_samples, task)
    else:
        labeled = np.zeros(n_samples, dtype=bool)

    if sample_domain is None:
        if y is None:
            sd = np.zeros(n_samples, dtype=np.int64)
        else:
            sd = np.where(labeled, 0, -1).astype(np.int64)
    else:
        sd = _check_sample_domain(sample_domain, n_samples)

    source = sd >= 0
    if not source.any():
        raise ValueError(
            "No source rows: at least one row needs sample_domain >= 0 "
            "(or, when sample_domain is omitted, a label that is not masked)."
        )
    if y is not None:
        bad = source & ~labeled
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            mask = "-1 (reserved for unlabeled rows)" if task == "classification" else "NaN"
            raise ValueError(
                f"{int(bad.sum())} source row(s) (sample_domain >= 0) are labeled {mask}, "
                f"e.g. row {first}. Source rows need labels; re-encode a {{-1, 1}} problem "
                "(e.g. to {0, 1}) or mark those rows as target (sample_domain < 0)."
            )
    return y, sd, labeled


def check_domains(
    X,
    y=None,
    sample_domain=None,
    *,
    task="classification",
    estimator=None,
    reset=True,
    warn_no_target=True,
    y_required=False,
    check_classes=None,
    **check_params,
):
    """Validate data of the domain contract and infer missing domains.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Rows of every domain. NaN or infinite values are an error.
    y : array-like of shape (n_samples,), default=None
        Labels; ``-1`` (classification) or NaN (regression) for unlabeled rows.
    sample_domain : array-like of int, shape (n_samples,), default=None
        Domain ids, ``>= 0`` for source rows and ``< 0`` for target rows.
        Inferred from masked labels when omitted.
    task : {"classification", "regression", "infer"}, default="classification"
        Which masking convention applies to ``y``; ``"infer"`` reads it from ``y``
        (:func:`infer_task`), for estimators that do not know their task.
    estimator : estimator instance, default=None
        When given, ``X`` is validated by :func:`sklearn.utils.validation.validate_data`
        on it (setting ``n_features_in_`` when ``reset=True``).
    reset : bool, default=True
        Passed to ``validate_data``.
    warn_no_target : bool, default=True
        Issue a :class:`DomainWarning` when there is no target row.
    y_required : bool, default=False
        Raise when ``y`` is None (supervised estimators).
    check_classes : bool or None, default=None
        Run :func:`check_labeled_classes` on classification labels (masking must
        leave two classes). ``None`` runs it when ``estimator`` is a classifier
        and ``reset=True``; an estimator whose classes also come from elsewhere
        (given source models) passes ``False`` and calls it itself.
    **check_params : dict
        Passed to ``validate_data`` / ``check_array``.

    Returns
    -------
    data : DomainData
        ``(X, y, sample_domain, labeled, has_target)``.

    Raises
    ------
    ValueError
        On length mismatch, a scalar / 2-D / float ``sample_domain``, NaN or
        infinite ``X``, no source row, a source row with a masked label, the
        string ``'-1'`` in classification labels, or (``check_classes``) fewer
        than two classes left by masking.
    """
    name = type(estimator).__name__ if estimator is not None else "This estimator"
    if y is None and y_required:
        raise ValueError(f"{name} requires y to be passed, but the target y is None.")
    if estimator is not None:
        X = validate_data(estimator, X, reset=reset, **check_params)
    else:
        X = check_array(X, **check_params)
    n_samples = X.shape[0]
    y, sd, labeled = check_domain_labels(y, sample_domain, n_samples, task=task)
    if check_classes is None:
        check_classes = reset and estimator is not None and is_classifier(estimator)
    if check_classes and y is not None and task == "classification":
        check_labeled_classes(y, labeled, estimator=estimator)
    source = sd >= 0
    has_target = bool((~source).any())
    if not has_target and warn_no_target:
        warnings.warn(
            f"No target rows (no sample_domain < 0 and no masked label): {name} "
            "is fitted without adaptation.",
            DomainWarning,
            stacklevel=4,  # check_domains <- fit <- scikit-learn's _fit_context <- caller
        )
    return DomainData(X, y, sd, labeled, has_target)


def _is_several(X):
    """Tell whether ``X`` holds several domains: a list / tuple of 2-D arrays; anything else is one."""
    return isinstance(X, (list, tuple)) and len(X) > 0 and np.ndim(X[0]) == 2


def _as_parts(X, y, what):
    """Match features and labels: several arrays with a list of labels, or one with one."""
    if _is_several(X):
        Xs = list(X)
        if y is None:
            return Xs, [None] * len(Xs)
        if not isinstance(y, (list, tuple)) or len(y) != len(Xs):
            n_y = len(y) if isinstance(y, (list, tuple)) else 1
            raise ValueError(f"Got {len(Xs)} {what} arrays but {n_y} label arrays.")
        return Xs, list(y)
    return [X], [y]


def _check_part(x, name, first):
    """``x`` as an array of 2-D rows, with the features of the first part.

    ``first`` is ``(name, n_features, shape)`` of the first array, or None for the first one.
    """
    x = np.asarray(x)
    if x.ndim != 2:
        hint = " (for a single feature, reshape with x.reshape(-1, 1))" if x.ndim == 1 else ""
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features); got shape {x.shape}{hint}."
        )
    if first is not None and x.shape[1] != first[1]:
        raise ValueError(
            f"{first[0]} has {first[1]} features (shape {first[2]}) but {name} has "
            f"{x.shape[1]} (shape {x.shape}): every domain needs the same features."
        )
    return x


def concat_labels(parts, task):
    """Concatenate label arrays of one task, keeping the mask a mask.

    For classification with non-numeric labels the result is an ``object`` array
    whose masked entries stay the integer ``-1`` (numpy would otherwise turn it
    into the string ``'-1'`` when joining it with strings).
    """
    parts = [np.asarray(v) for v in parts]
    if task == "classification" and any(v.dtype.kind in "USO" for v in parts):
        parts = [v.astype(object) for v in parts]
    return np.concatenate(parts)


def stack_domains(Xs, ys, Xt, yt=None, *, task=None):
    """Stack separate source and target arrays into ``X, y, sample_domain``.

    Parameters
    ----------
    Xs : array-like of shape (n_source, n_features), or a list of them
        Source features; a list gives several sources, with ids ``0, 1, ...``.
    ys : array-like of shape (n_source,), or a list of them
        Source labels (one per source array).
    Xt : array-like of shape (n_target, n_features), or a list of them
        Target features; a list gives several targets, with ids ``-1, -2, ...``.
        Every array, source or target, is 2-D with the same number of features.
    yt : array-like of shape (n_target,), a list of them, or None, default=None
        Target labels; ``None`` masks every target label. Entries may already be
        masked (``-1`` / NaN) for a partly labeled target; for string labels the
        mask is the integer ``-1`` in an ``object`` array (the string ``'-1'`` is
        an error).
    task : {"classification", "regression"} or None, default=None
        Masking convention; ``None`` infers it from ``ys`` (continuous values mean
        regression).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        All rows, sources first (in the order given), then targets.
    y : ndarray of shape (n_samples,)
        Labels of those rows, target labels masked where not given: ``-1`` for
        classes (an ``object`` array holding the integer ``-1`` when the labels are
        strings), NaN for regression.
    sample_domain : ndarray of shape (n_samples,), dtype int
        Domain id of every row: ``0, 1, ...`` per source, ``-1, -2, ...`` per target.

    Raises
    ------
    ValueError
        When an array of features is not 2-D, the arrays differ in their number
        of features, features and labels differ in length, or string labels hold
        the string ``'-1'``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.utils import stack_domains
    >>> X, y, sd = stack_domains(np.zeros((2, 1)), [0, 1], np.ones((3, 1)))
    >>> y.tolist(), sd.tolist()
    ([0, 1, -1, -1, -1], [0, 0, -1, -1, -1])
    >>> X, y, sd = stack_domains(np.zeros((2, 1)), ["cat", "dog"], np.ones((1, 1)))
    >>> y.tolist()
    ['cat', 'dog', -1]
    """
    several_s, several_t = _is_several(Xs), _is_several(Xt)
    Xs, ys = _as_parts(Xs, ys, "source")
    if any(v is None for v in ys):
        raise ValueError("Source labels ys are required.")
    Xt, yt = _as_parts(Xt, yt, "target")
    ys = [np.asarray(v) for v in ys]
    if task is None:
        task = (
            "regression"
            if type_of_target(concat_labels(ys, "classification")) == "continuous"
            else "classification"
        )
    _check_task(task)
    fill = masked_label(task)

    Xparts, yparts, dparts = [], [], []
    first = None  # (name, n_features, shape) of the first array: the features every other one needs
    for i, (x, v) in enumerate(zip(Xs, ys)):
        name = f"Xs[{i}]" if several_s else "Xs"
        x = _check_part(x, name, first)
        if first is None:
            first = (name, x.shape[1], x.shape)
        if x.shape[0] != v.shape[0]:
            raise ValueError(f"Source {i}: X has {x.shape[0]} rows but y has {v.shape[0]}.")
        Xparts.append(x)
        yparts.append(v)
        dparts.append(np.full(x.shape[0], i, dtype=np.int64))
    for j, (x, v) in enumerate(zip(Xt, yt)):
        x = _check_part(x, f"Xt[{j}]" if several_t else "Xt", first)
        v = np.full(x.shape[0], fill) if v is None else np.asarray(v)
        if x.shape[0] != v.shape[0]:
            raise ValueError(f"Target {j}: X has {x.shape[0]} rows but y has {v.shape[0]}.")
        Xparts.append(x)
        yparts.append(v)
        dparts.append(np.full(x.shape[0], -(j + 1), dtype=np.int64))
    y = concat_labels(yparts, task)
    if task == "classification" and y.dtype.kind == "f" and not np.isnan(y).any():
        if np.all(np.mod(y, 1) == 0) and all(v.dtype.kind in "iu" for v in ys):
            y = y.astype(np.int64)
    labeled_mask(y, task)  # the string '-1' is an error here already, not at fit
    return np.concatenate(Xparts), y, np.concatenate(dparts)


def split_domains(X, y=None, sample_domain=None, *, task="classification"):
    """Split contract data back into pooled source and target arrays.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Rows of every domain, source and target.
    y : array-like of shape (n_samples,), default=None
        Labels; ``-1`` (classification) or NaN (regression) marks unlabeled rows.
    sample_domain : array-like of int, default=None
        Inferred from masked labels when omitted.
    task : {"classification", "regression"}, default="classification"

    Returns
    -------
    Xs, ys, Xt, yt : ndarrays
        Source rows and labels, then target rows and labels (masked entries kept),
        each in input order. ``ys`` and ``yt`` are None when ``y`` is None.
    """
    d = check_domains(X, y, sample_domain, task=task, warn_no_target=False)
    s, t = d.source, d.target
    ys = None if d.y is None else d.y[s]
    yt = None if d.y is None else d.y[t]
    return d.X[s], ys, d.X[t], yt
