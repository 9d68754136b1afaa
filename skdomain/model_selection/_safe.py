"""The negative-transfer guard: adopt an adapter only when the evidence says it beats the baselines."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone, is_classifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from .._base import (
    DelegateMixin,
    DomainRequestMixin,
    _domain_fit_params,
    delegate_tags,
    plain_learner,
    predict_on_domains,
    task_of,
)
from ..exceptions import SolverError, TrainingDivergedError
from ..metrics._density_ratio import _density_ratio, effective_sample_size
from ..utils._domains import check_domains, labeled_mask, masked_label

__all__ = ["SafeTransfer"]

#: ``k="auto"`` / ``k_baseline="auto"``: (with labeled target rows, without), chosen on the
#: shift suite (``benchmarks/sweep_guard_rules.py``; see the user guide)
_AUTO_K = (1.0, 2.0)
_AUTO_K_BASELINE = (1.5, 2.0)

#: The failures a candidate may end with and be skipped for (issue 11); anything else propagates.
SKIPPED_ERRORS = (TrainingDivergedError, SolverError)


def source_only_learner(estimator):
    r"""Return the candidate without adaptation: a net with ``mu=0``, else :func:`plain_learner`.

    A deep net of skdomain (it has the ``adaptation_loss`` hook and a ``mu``
    parameter) keeps its module and training, with the adaptation term weighted
    0 and without the discriminator gate (``gate=False``: with ``mu=0`` a gated
    DANN's discriminator would go untrained and its :math:`\omega` would weight
    the source rows at random), and is fitted with its domains; anything else
    gives its plain learner (the inner estimator of a meta-estimator, a pipeline
    without its domain-adaptation transformers), fitted on the labeled rows.
    """
    params = estimator.get_params(deep=False) if hasattr(estimator, "adaptation_loss") else {}
    if "mu" in params:
        plain = {"mu": 0.0, **({"gate": False} if params.get("gate") else {})}
        return clone(estimator).set_params(**plain), True
    return plain_learner(estimator), False


def _seed(estimator, seed):
    """Seed every ``random_state`` the caller left at ``None`` (the others are kept)."""
    params = estimator.get_params(deep=True)
    keys = [k for k, v in params.items() if k.split("__")[-1] == "random_state" and v is None]
    return estimator.set_params(**dict.fromkeys(keys, seed)) if keys else estimator


def _row_loss(pred, y, task):
    if task == "regression":
        return (np.asarray(pred, float) - np.asarray(y, float)) ** 2
    return (np.asarray(pred) != np.asarray(y)).astype(float)


def _class_balance(y, w):
    r"""Per-row factors that make a ``w``-weighted mean of 0-1 losses the balanced error.

    Row :math:`i` of class :math:`k` gets :math:`W / (K m_k)`, :math:`m_k` the weight of
    class :math:`k`, :math:`W` the total and :math:`K` the number of classes present:
    :math:`\sum_i w_i c_i \ell_i / \sum_i w_i c_i` is then the mean over the classes of
    each class's (weighted) error.
    """
    classes, inverse = np.unique(y, return_inverse=True)
    mass = np.bincount(inverse, weights=w, minlength=len(classes))
    return w.sum() / (len(classes) * mass[inverse])


def _weighted_mean_se(values, w):
    """Return the weighted mean of ``values`` (weights ``w``) and its standard error (inf for one row)."""
    v = w * values
    n = len(w)
    se = float(v.std(ddof=1) / (w.mean() * np.sqrt(n))) if n > 1 else np.inf
    return float(v.mean() / w.mean()), se


def _out_of_fold(arms, n, rows, weights):
    """Set each arm's mean out-of-fold loss on ``rows`` (None for a skipped arm) and their weights."""
    for arm in arms:
        if arm.error is not None:
            arm.row_loss = None
            continue
        total, count = np.zeros(n), np.zeros(n)
        for loss, held in arm.losses:
            np.add.at(total, held, loss)
            np.add.at(count, held, 1)
        arm.row_loss = total[rows] / count[rows]
        arm.weights = weights


def gain(arm, ref):
    """Estimated gain of ``arm`` over ``ref``: weighted mean of the paired row gains, and its SE."""
    return _weighted_mean_se(ref.row_loss - arm.row_loss, arm.weights)


def _usable(arm):
    return arm.error is None and arm.row_loss is not None


def best_baseline(arms, k, estimate=gain):
    """Return the reference baseline (the first, ``source only``), unless another beats it by ``k`` SEs.

    Of several that do, the largest lower bound ``gain - k * se`` wins (with
    ``k=0``: the lowest estimated risk). The reference is the first usable
    baseline; None when every baseline failed.
    """
    ok = [a for a in arms if a.kind != "candidate" and _usable(a)]
    if not ok:
        return None
    ref = ok[0]
    bounds = {a.name: (lambda g: g[0] - k * g[1])(estimate(a, ref)) for a in ok[1:]}
    better = [a for a in ok[1:] if bounds[a.name] > 0]
    return max(better, key=lambda a: bounds[a.name]) if better else ref


def adopted(arms, best, k, estimate=gain):
    """Return the candidates whose gain over ``best`` exceeds ``k`` SEs, the largest gain first."""
    good = []
    for arm in arms:
        if arm.kind == "candidate" and _usable(arm):
            g, se = estimate(arm, best)
            if g - k * se > 0:
                good.append((g, arm))
    return [arm for _, arm in sorted(good, key=lambda t: -t[0])]


class _Arm:
    """One candidate or baseline: how it is fitted, and what the folds measured."""

    def __init__(self, name, estimator, kind, with_domains):
        self.name, self.estimator, self.kind, self.with_domains = name, estimator, kind, with_domains
        self.error = None  # the skipped failure, if any
        self.row_loss = None
        self.losses = []  # per fold: (losses of the held-out rows, their row indices)

    def fit(self, X, y, sd, labeled, seed):
        model = _seed(clone(self.estimator), seed)
        if self.kind == "target only":
            rows = labeled & (sd < 0)
            return model.fit(X[rows], y[rows])
        if self.with_domains:
            return model.fit(X, y, **_domain_fit_params(model, sd))
        return model.fit(X[labeled], y[labeled])


class SafeTransfer(DomainRequestMixin, DelegateMixin, MetaEstimatorMixin, BaseEstimator):
    r"""Guard against negative transfer: keep an adapter only when it beats the baselines.

    The guard fits its candidate adapters and its baselines, estimates the
    target risk of each, and keeps a candidate only when its estimated gain
    over the best baseline exceeds ``k`` standard errors of that gain;
    otherwise it keeps the best baseline. It then refits the chosen model on
    every row and delegates ``predict`` / ``predict_proba`` / ``score`` to it.

    **Baselines.** ``source only``: the candidates' own learner
    (:func:`~skdomain.metrics.plain_learner` of the first candidate that is not
    a net) fitted on the labeled rows, source rows pooled with any labeled
    target rows; ``net source only``: for each deep net among the candidates,
    the same net with ``mu=0`` (no adaptation term); ``target only``: the
    learner on the labeled target rows alone, when there are at least
    ``min_target_labeled`` of them and they hold every class. A given
    ``baseline`` replaces the learner of ``source only`` and ``target only``.

    **With labeled target rows** (at least 2 per class, classification; 4,
    regression): ``n_repeats`` times ``n_splits``-fold cross-validation over the
    labeled target rows (stratified for classification). A held-out labeled row
    is *masked*: it stays in the fit as an unlabeled target row, so every
    model sees the same rows as in the final fit but one label fewer. Each
    labeled target row :math:`j` then has a mean out-of-fold loss
    :math:`\ell_a(j)` per model :math:`a` (0-1 loss, or squared error for
    regression). The best baseline :math:`b` is ``source only``, unless another
    baseline beats it by the same rule with ``k_baseline`` in place of ``k``
    (below; the largest bound wins); a
    candidate :math:`c` has the paired gains
    :math:`g_j = \ell_b(j) - \ell_c(j)` and is adopted when

    .. math::

        \bar g - k\,\frac{s_g}{\sqrt{n}} > 0,

    :math:`n` the number of labeled target rows, :math:`s_g` the standard
    deviation of the :math:`g_j`. Of several such candidates, the one with the
    largest estimated gain :math:`\bar g` is kept (each passed the test; ``k``
    applies per comparison, not to the family).

    With ``scoring="balanced_accuracy"`` every mean above is weighted: row
    :math:`j` of class :math:`y_j` gets :math:`c_j = n / (K n_{y_j})` (:math:`K`
    classes, :math:`n_{y_j}` rows of that class), so that
    :math:`\bar\ell = \sum_j c_j \ell(j) / \sum_j c_j` is one minus the balanced
    accuracy, and :math:`\bar g = \sum_j c_j g_j / \sum_j c_j` with the standard
    error :math:`\operatorname{sd}(c_j g_j) / (\bar c \sqrt{n})`.

    **Without** (or with too few labeled target rows): importance-weighted
    validation on held-out *source* rows (Sugiyama et al., 2007):
    ``n_repeats`` times ``n_splits``-fold over the labeled source rows, the
    held-out rows left out of the fit; each held-out source row :math:`i` gets
    the density ratio :math:`w_i = p_T(x_i)/p_S(x_i)` of a logistic-regression
    domain classifier (fitted once on every source and target row), and the
    gains :math:`g_i = w_i(\ell_b(i) - \ell_c(i))` are compared in the same way,
    with :math:`\bar g / \bar w` and a standard error
    :math:`s_g / (\bar w \sqrt{n_s})`, which widens as the weights concentrate
    (balanced accuracy: the class factors :math:`c_i` are computed from the
    classes' weight :math:`\sum_{y_i = k} w_i` and multiply the :math:`w_i`).
    The estimate sees the target only through the weights: it cannot see a
    change of :math:`p(y \mid x)`, so the rule is deliberately conservative
    (``k="auto"`` is 2 standard errors here, against 1 with labeled target rows;
    and the report gives the effective sample size of
    the weights, :math:`(\sum w)^2 / \sum w^2`, and how often each candidate
    and the best baseline disagree on the target rows).

    A candidate whose fit raises :class:`~skdomain.exceptions.TrainingDivergedError`
    or :class:`~skdomain.exceptions.SolverError` (in a fold or at the final
    refit) is skipped and named in the report; any other error propagates.

    Parameters
    ----------
    candidates : list of (str, estimator) tuples
        The adapters, as in :class:`~sklearn.ensemble.VotingClassifier`: any skdomain
        estimator or pipeline (``("kmm", KMM(...))``,
        ``("tca", make_pipeline(TCA(), LabeledOnly(...)))``, a deep net). They are
        fitted with ``sample_domain`` (routed when metadata routing is on, else
        passed to every skdomain step of a pipeline).
    baseline : estimator object, default=None
        The supervised learner of ``source only`` and ``target only``; ``None``
        uses :func:`~skdomain.metrics.plain_learner` of the first shallow candidate
        (a LogisticRegression when every candidate is a net).
    n_splits : int, default=5
        Folds per repeat (fewer when a class has fewer labeled target rows).
    n_repeats : int, default=2
        Repeats of the cross-validation, each with its own folds.
    k : float or "auto", default="auto"
        How many standard errors a candidate's estimated gain over the best
        baseline must exceed. ``"auto"``: 1.0 with labeled target rows (an
        unbiased estimate of the target risk: ``k`` only trades noise; a one-sided
        test at about 84 %), 2.0 without (about 98 %: the importance-weighted
        estimate cannot see a change of :math:`p(y \mid x)`, so it needs the wider
        margin). Chosen on the shift suite, ``benchmarks/sweep_guard_rules.py``:
        see the user guide for what each choice cost.
    k_baseline : float or "auto", default="auto"
        How many standard errors another baseline (``target only``, ``net source
        only``) must beat ``source only`` by to replace it as the best baseline
        (0: the lowest estimated risk wins). ``"auto"``: 1.5 with labeled target
        rows, 2.0 without.
    scoring : {"accuracy", "balanced_accuracy", "squared_error"} or None, default=None
        The risk the guard estimates and compares: the 0-1 loss (``"accuracy"``),
        the class-balanced 0-1 loss (``"balanced_accuracy"``, for a target whose
        classes are unbalanced: a model that predicts the majority class scores
        well in accuracy and is kept by the guard unless this is set), or the
        squared error (regression; it ranks models as R² does on the same rows).
        ``None``: ``"accuracy"`` for classifiers, ``"squared_error"`` for
        regressors.
    min_target_labeled : int, default=10
        Labeled target rows needed for the ``target only`` baseline.
    random_state : int, RandomState instance or None, default=None
        Draws the folds and the seed set on every ``random_state`` of the
        candidates and baselines (the same seed for every model of a fold).

    Attributes
    ----------
    selected_ : str
        Name of the chosen model: a candidate's name or a baseline
        (``"source only"``, ``"target only"``, ``"net source only"`` or
        ``"net source only (<candidate>)"`` when there are several nets).
    estimator_ : estimator
        The chosen model, refitted on every row.
    mode_ : str
        ``"labeled target cv"``, ``"importance weighted"`` or
        ``"no target"`` (no target row: the source-only baseline, no estimate).
    risk_estimates_ : dict
        Per model name: ``{"kind", "risk", "risk_se", "gain", "gain_se",
        "lower_bound", "disagreement", "error"}`` (risk: mean 0-1 loss, class-balanced
        with ``scoring="balanced_accuracy"``, or squared error; gain and lower
        bound against the best baseline; ``error`` the message of a skipped
        failure, else None).
    row_losses_ : dict
        Per model name: the mean out-of-fold loss of each evaluated row (the
        labeled target rows, or the labeled source rows without target labels),
        the paired values behind ``risk_estimates_``; None for a skipped model
        and in ``"no target"`` mode.
    row_weights_ : ndarray or None
        The weight of each evaluated row in every mean (importance weights,
        times the class factors with ``scoring="balanced_accuracy"``).
    decision_report_ : str
        A small table of the estimates and a sentence saying why the selection
        was made.
    k_, k_baseline_ : float
        The thresholds used (``"auto"`` resolved for the mode).
    ess_ : float or None
        Effective sample size of the importance weights, as a fraction of the
        labeled source rows (``"importance weighted"`` mode only).
    classes_ : ndarray
        Class labels (classifiers only).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string feature names.

    See Also
    --------
    skdomain.metrics.negative_transfer_gap : The gap the guard tries to keep non-positive.
    skdomain.metrics.ImportanceWeightedScorer : Importance-weighted validation as a scorer.

    References
    ----------
    .. [1] Z. Wang, Z. Dai, B. Póczos and J. Carbonell, "Characterizing and
       Avoiding Negative Transfer", CVPR 2019.
    .. [2] M. Sugiyama, M. Krauledat and K.-R. Müller, "Covariate Shift Adaptation
       by Importance Weighted Cross Validation", JMLR 8, 2007.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression, Ridge
    >>> from skdomain import KMM
    >>> from skdomain.datasets import make_domain_shift
    >>> from skdomain.model_selection import SafeTransfer
    >>> X, y, sd = make_domain_shift(n_source=100, n_target=100, random_state=0)
    >>> guard = SafeTransfer([("kmm", KMM(LogisticRegression(), B=10.0))], random_state=0)
    >>> guard = guard.fit(X, y, sample_domain=sd)
    >>> guard.selected_ in ("kmm", "source only")
    True
    """

    _parameter_constraints = {
        "candidates": [list],
        "baseline": [HasMethods(["fit"]), None],
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "k": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "k_baseline": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "scoring": [StrOptions({"accuracy", "balanced_accuracy", "squared_error"}), None],
        "min_target_labeled": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        candidates,
        *,
        baseline=None,
        n_splits=5,
        n_repeats=2,
        k="auto",
        k_baseline="auto",
        scoring=None,
        min_target_labeled=10,
        random_state=None,
    ):
        self.candidates = candidates
        self.baseline = baseline
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.k = k
        self.k_baseline = k_baseline
        self.scoring = scoring
        self.min_target_labeled = min_target_labeled
        self.random_state = random_state

    def _learner(self):
        if self.baseline is not None:
            return self.baseline
        for _, est in self._checked_candidates():
            learner, is_net = source_only_learner(est)
            if not is_net:
                return learner
        return (
            LogisticRegression(max_iter=1000) if is_classifier(self._checked_candidates()[0][1]) else Ridge()
        )

    def _plain_learner(self):
        """Return the learner of ``source only`` and ``target only`` (read by ``plain_learner``)."""
        return self._learner()

    def _checked_candidates(self):
        cands = self.candidates
        if not cands or not all(
            isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], str) and hasattr(c[1], "fit")
            for c in cands
        ):
            raise ValueError(
                "candidates must be a non-empty list of (name, estimator) tuples, e.g. "
                f"[('kmm', KMM())]; got {cands!r}."
            )
        names = [n for n, _ in cands]
        if len(set(names)) != len(names):
            raise ValueError(f"candidate names must be unique; got {names}.")
        reserved = [n for n in names if n.startswith(("source only", "target only", "net source only"))]
        if reserved:
            raise ValueError(f"candidate names {reserved} are reserved for the baselines; rename them.")
        return cands

    def _thresholds(self, labeled_cv):
        """Return ``(k_, k_baseline_)``: the parameters, with ``"auto"`` resolved for the mode."""
        i = 0 if labeled_cv else 1
        k = _AUTO_K[i] if self.k == "auto" else float(self.k)
        kb = _AUTO_K_BASELINE[i] if self.k_baseline == "auto" else float(self.k_baseline)
        return k, kb

    def _checked_scoring(self, task):
        allowed = ("accuracy", "balanced_accuracy") if task == "classification" else ("squared_error",)
        if self.scoring is None:
            return allowed[0]
        if self.scoring not in allowed:
            raise ValueError(
                f"scoring={self.scoring!r} does not suit the candidates' task ({task}); use one of "
                f"{', '.join(map(repr, allowed))} or None."
            )
        return self.scoring

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            first = self._checked_candidates()[0][1]
        except (ValueError, TypeError):
            return tags
        return delegate_tags(tags, first)

    def _arms(self, task, classes_ok_for_target_only):
        cands = self._checked_candidates()
        learner = self._learner()
        arms = [_Arm("source only", learner, "baseline", False)]
        nets = [(n, e) for n, e in cands if source_only_learner(e)[1]]
        for name, est in nets:
            label = "net source only" if len(nets) == 1 else f"net source only ({name})"
            arms.append(_Arm(label, source_only_learner(est)[0], "baseline", True))
        if classes_ok_for_target_only:
            arms.append(_Arm("target only", learner, "target only", False))
        arms += [_Arm(n, e, "candidate", True) for n, e in cands]
        return arms

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_domain=None):
        """Estimate every model's target risk, choose, and refit the choice on every row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or NaN (regression) marks unlabeled rows.
        sample_domain : array-like of int, shape (n_samples,), default=None
            ``>= 0`` source, ``< 0`` target; inferred from masked labels when omitted.

        Returns
        -------
        self : SafeTransfer
            The fitted guard.
        """
        cands = self._checked_candidates()
        task = task_of(cands[0][1])
        self._scoring = self._checked_scoring(task)
        d = check_domains(X, y, sample_domain, task=task, estimator=self, y_required=True)
        Xa, ya, sd, labeled = d.X, d.y, d.sample_domain, d.labeled
        rng = check_random_state(self.random_state)
        tl = labeled & (sd < 0)
        n_tl = int(tl.sum())
        if task == "classification":
            classes, counts = np.unique(ya[tl].astype(ya.dtype), return_counts=True) if n_tl else ([], [])
            all_classes = np.unique(ya[labeled])
            use_cv = n_tl > 0 and len(classes) >= 2 and min(counts) >= 2
            n_splits = min(self.n_splits, int(min(counts))) if use_cv else self.n_splits
            target_only_ok = use_cv and n_tl >= self.min_target_labeled and len(classes) == len(all_classes)
        else:
            use_cv = n_tl >= 4
            n_splits = min(self.n_splits, n_tl) if use_cv else self.n_splits
            target_only_ok = use_cv and n_tl >= self.min_target_labeled
        arms = self._arms(task, target_only_ok)
        self.ess_ = None
        self.k_, self.k_baseline_ = self._thresholds(use_cv)
        if not d.has_target:
            self.mode_ = "no target"
            for arm in arms:
                arm.risk = None
            chosen = arms[0]
            reason = "no target rows: nothing to adapt to, the source-only baseline is kept."
        else:
            preds = {}  # target predictions per arm and fold (importance-weighted mode)
            if use_cv:
                self.mode_ = "labeled target cv"
                self._cv_labeled(arms, Xa, ya, sd, labeled, tl, task, n_splits, rng)
            else:
                self.mode_ = "importance weighted"
                preds = self._cv_source(arms, Xa, ya, sd, labeled, task, rng)
            chosen, reason = self._decide(arms, preds)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        try:
            self.estimator_ = chosen.fit(Xa, ya, sd, labeled, seed)
        except SKIPPED_ERRORS as exc:
            chosen.error = f"{type(exc).__name__} at the final refit: {exc}"
            fallback = self._best_baseline(arms) or arms[0]
            reason = (
                f"{chosen.name} failed at its final refit ({type(exc).__name__}): "
                f"fell back to {fallback.name}."
            )
            chosen = fallback
            self.estimator_ = chosen.fit(Xa, ya, sd, labeled, seed)
        self.selected_ = chosen.name
        self.risk_estimates_ = {a.name: a.summary for a in arms} if self.mode_ != "no target" else {}
        self.row_losses_ = {a.name: a.row_loss for a in arms}
        self.row_weights_ = next((a.weights for a in arms if a.row_loss is not None), None)
        self.decision_report_ = self._report(arms, reason)
        if hasattr(self.estimator_, "classes_"):
            self.classes_ = self.estimator_.classes_
        return self

    # -- the estimates ------------------------------------------------------------------------

    def _run_fold(self, arms, X, y_fit, sd_fit, keep, X_eval, y_eval, sd_eval, w, task, seed, X_target=None):
        """Fit every arm on the fold's rows, keep its losses on the held-out rows.

        Return each arm's predictions on ``X_target`` (for the disagreement of the
        report), or nothing when ``X_target`` is None.
        """
        preds = {}
        lab = labeled_mask(y_fit, task)
        X_fit = X if keep is None else X[keep]
        for arm in arms:
            if arm.error is not None:
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # fold fits repeat the final fit's warnings
                    model = arm.fit(X_fit, y_fit, sd_fit, lab, seed)
            except SKIPPED_ERRORS as exc:
                arm.error = f"{type(exc).__name__}: {exc}"
                continue
            # held-out source rows go through a model's source map (CORAL, SA), not its target map
            pred = predict_on_domains(model, X_eval, sd_eval)
            arm.losses.append((_row_loss(pred, y_eval, task), w))
            if X_target is not None:
                preds[arm.name] = model.predict(X_target)
        return preds

    def _cv_labeled(self, arms, X, y, sd, labeled, tl, task, n_splits, rng):
        rows = np.flatnonzero(tl)
        splitter = StratifiedKFold if task == "classification" else KFold
        for _ in range(self.n_repeats):
            folds = splitter(n_splits, shuffle=True, random_state=rng.randint(np.iinfo(np.int32).max))
            for _, test in folds.split(rows, y[rows]):
                held = rows[test]
                y_fit = y.copy()
                y_fit[held] = masked_label(task)
                seed = int(rng.randint(np.iinfo(np.int32).max))
                self._run_fold(arms, X, y_fit, sd, None, X[held], y[held], sd[held], held, task, seed)
        # per labeled target row: its mean out-of-fold loss, one paired value per row
        _out_of_fold(arms, len(y), rows, self._row_weights(y[rows], np.ones(len(rows))))

    def _cv_source(self, arms, X, y, sd, labeled, task, rng):
        src = np.flatnonzero((sd >= 0) & labeled)
        target = sd < 0
        ratio = _density_ratio(X[src], X[target], LogisticRegression(max_iter=1000))
        w_all = np.zeros(len(y))
        w_all[src] = ratio
        self.ess_ = effective_sample_size(ratio) / len(src)
        splitter = KFold  # held-out source rows; stratification is not needed for a risk estimate
        disagreement = {a.name: [] for a in arms}
        for _ in range(self.n_repeats):
            folds = splitter(self.n_splits, shuffle=True, random_state=rng.randint(np.iinfo(np.int32).max))
            for _, test in folds.split(src):
                held = src[test]
                keep = np.ones(len(y), bool)
                keep[held] = False
                seed = int(rng.randint(np.iinfo(np.int32).max))
                preds = self._run_fold(
                    arms, X, y[keep], sd[keep], keep, X[held], y[held], sd[held], held, task, seed, X[target]
                )
                for name, p in preds.items():
                    disagreement[name].append(p)
        _out_of_fold(arms, len(y), src, self._row_weights(y[src], w_all[src]))
        return disagreement

    def _row_weights(self, y, w):
        """Return the rows' weights in every mean: ``w``, times the class factors if balanced."""
        return w * _class_balance(y, w) if self._scoring == "balanced_accuracy" else w

    def _best_baseline(self, arms):
        return best_baseline(arms, self.k_baseline_)

    def _decide(self, arms, preds):
        best = self._best_baseline(arms)
        if best is None:
            errors = "; ".join(f"{a.name}: {a.error}" for a in arms if a.kind != "candidate")
            raise RuntimeError(f"every baseline failed, so there is nothing safe to fall back on ({errors}).")
        for arm in arms:
            s = {"kind": arm.kind, "risk": None, "risk_se": None, "gain": None, "gain_se": None}
            s.update(lower_bound=None, disagreement=None, error=arm.error)
            if arm.row_loss is not None:
                s["risk"], s["risk_se"] = _weighted_mean_se(arm.row_loss, arm.weights)
                s["gain"], s["gain_se"] = gain(arm, best)
                s["lower_bound"] = s["gain"] - self.k_ * s["gain_se"]
                if arm.name in preds and best.name in preds and preds[arm.name]:
                    a, b = np.asarray(preds[arm.name]), np.asarray(preds[best.name])
                    if arm.kind == "candidate" or arm is best:
                        s["disagreement"] = float(np.mean(a != b)) if a.dtype.kind in "OUiub" else None
            arm.summary = s
        good = adopted(arms, best, self.k_)
        skipped = [a.name for a in arms if a.error is not None]
        note = f" Skipped after a failure: {', '.join(skipped)}." if skipped else ""
        if good:
            chosen = good[0]
            s = chosen.summary
            others = f" (the largest estimated gain of {len(good)} such candidates)" if len(good) > 1 else ""
            return chosen, (
                f"{chosen.name} adopted{others}: its estimated gain over {best.name}, {s['gain']:+.4f}, "
                f"exceeds k={self.k_:g} standard errors ({s['gain_se']:.4f}; {self.mode_}).{note}"
            )
        why = "" if best is arms[0] else f", which beats {arms[0].name} by more than k standard errors"
        return best, (
            f"{best.name} kept (the best baseline{why}): no candidate's estimated gain exceeds "
            f"k={self.k_:g} standard errors ({self.mode_}).{note}"
        )

    def _report(self, arms, reason):
        lines = [
            f"SafeTransfer: {self.mode_}" + (f", ESS of the weights {self.ess_:.1%}" if self.ess_ else "")
        ]
        if self.mode_ != "no target":
            lines.append(f"{'model':<28} {'kind':<11} {'risk':>9} {'gain':>9} {'± se':>8} {'lower':>9}  note")
            for arm in arms:
                s = arm.summary
                if s["risk"] is None:
                    lines.append(
                        f"{arm.name:<28} {arm.kind:<11} {'-':>9} {'-':>9} {'-':>8} {'-':>9}  "
                        f"skipped: {arm.error}"
                    )
                    continue
                note = "selected" if arm.name == self.selected_ else ""
                if s["disagreement"] is not None and arm.kind == "candidate":
                    note += f" disagrees on {s['disagreement']:.0%} of target rows"
                lines.append(
                    f"{arm.name:<28} {arm.kind:<11} {s['risk']:>9.4f} {s['gain']:>+9.4f} "
                    f"{s['gain_se']:>8.4f} {s['lower_bound']:>+9.4f}  {note.strip()}"
                )
        lines.append(reason)
        return "\n".join(lines)
