"""TrAdaBoost (Dai et al., 2007) and TrAdaBoost.R2 / two-stage TrAdaBoost.R2 (Pardoe & Stone, 2010).

Boosting over source rows and a few labeled target rows: the target rows' weights grow
where the ensemble errs (AdaBoost), the source rows' weights shrink where it errs (the
source rows that disagree with the target are taken as the least useful). Both classes
share the loop bookkeeping here; the update rules are in each class's ``_round``.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    _fit_context,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from .._base import DomainRequestMixin, fit_weighted, masked_score
from ..utils._domains import check_domains

__all__ = ["TrAdaBoostClassifier", "TrAdaBoostRegressor"]

#: Floor of a round's error when it is 0: the round's weight is then capped at
#: ln((1 - 1e-10) / 1e-10) ~ 23.0 (plus ln(K - 1) for K classes), and boosting stops.
EPS_FLOOR = 1e-10


def _base_estimator(estimator, default, owner):
    """Return the inner estimator (``default`` when None); its ``fit`` must take ``sample_weight``."""
    base = default if estimator is None else estimator
    last = base.steps[-1][1] if isinstance(base, Pipeline) else base
    if not has_fit_parameter(last, "sample_weight"):
        raise ValueError(
            f"{owner} needs an estimator whose fit accepts sample_weight (the boosting weights); "
            f"{type(last).__name__}.fit does not. Use one that does (a decision tree, "
            "LogisticRegression, Ridge, SVC, ...)."
        )
    return base


def _seeded_clone(base, rng):
    """Return a clone of ``base`` with every ``random_state`` parameter drawn from ``rng``."""
    est = clone(base)
    seeds = {
        k: int(rng.randint(np.iinfo(np.int32).max))
        for k in sorted(est.get_params(deep=True))
        if k == "random_state" or k.endswith("__random_state")
    }
    if seeds:
        est.set_params(**seeds)
    return est


def _vote_start(n_rounds, second_half):
    """0-based index of the first voting round: ⌈T/2⌉ - 1 under the second-half rule, else 0."""
    return int(np.ceil(n_rounds / 2)) - 1 if second_half else 0


def _weighted_median(preds, weights):
    """Drucker's weighted median per row: the smallest prediction whose cumulative weight reaches half.

    ``preds`` is (n_rounds, n_samples), ``weights`` (n_rounds,), all > 0.
    """
    order = np.argsort(preds, axis=0, kind="stable")
    sorted_preds = np.take_along_axis(preds, order, axis=0)
    cum = np.cumsum(weights[order], axis=0)
    idx = np.argmax(cum >= 0.5 * cum[-1], axis=0)
    return sorted_preds[idx, np.arange(preds.shape[1])]


class _TrAdaBoostBase(DomainRequestMixin, MetaEstimatorMixin, BaseEstimator):
    """What both TrAdaBoost flavours share: checks, the loop, the vote's rounds, score."""

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.sparse = False
        return tags

    def _labeled_rows(self, d, sample_domain):
        """Return the rows of the fit (source + labeled target rows) and which of them are target.

        ``d`` is :func:`check_domains`' result (called in ``fit`` itself, so that its
        warning points at the caller's line). Returns ``(X, y, is_target, adapt)``: the
        rows that carry a label, a mask of the labeled target rows among them, and
        whether there is a target (False: plain AdaBoost).
        """
        name = type(self).__name__
        target_labeled = d.target & d.labeled
        if d.has_target and not target_labeled.any():
            how = (
                "sample_domain was not given, so every row with a masked label was taken as an "
                "unlabeled target row and every labeled row as a source row: pass sample_domain "
                "(< 0 for target rows) to mark the labeled target rows"
                if sample_domain is None
                else "label some target rows (sample_domain < 0 with a label that is not masked)"
            )
            raise ValueError(
                f"{name} needs labeled target rows: its weights are updated by the ensemble's error "
                f"on them, but the {int(d.target.sum())} target row(s) are all unlabeled; {how}. "
                "For adaptation from unlabeled target rows only, use KMM or TCA."
            )
        rows = d.labeled
        return d.X[rows], d.y[rows], target_labeled[rows], d.has_target

    def _boost(self, base, X, y, w, is_target, mode, rng):
        """Run the boosting rounds from weights ``w``; return the round records and why it stopped.

        ``mode`` names the update of ``_round``. In plain AdaBoost and AdaBoost.R2', a round
        whose error reaches the chance level is discarded and stops the loop, except the
        first (kept alone); in TrAdaBoost it gets weight 0 and the loop goes on. An error
        of 0 caps the round's weight (``EPS_FLOOR``) and stops.
        """
        w = w / w.sum()
        estimators, weights, errors, shares = [], [], [], []
        stop = "n_estimators rounds"
        for t in range(self.n_estimators):
            h = _seeded_clone(base, rng)
            positive = w > 0
            fit_weighted(h, X[positive], y[positive], w[positive] * positive.sum())  # mean weight 1
            eps, alpha, w_next = self._round(h.predict(X), y, w, is_target, mode)
            if w_next is None:
                if t == 0:
                    estimators.append(h)
                    weights.append(1.0)
                    errors.append(eps)
                    shares.append(w[~is_target].sum() if is_target.any() else np.nan)
                    stop = "first round at or above the chance error: kept alone (its weight set to 1)"
                else:
                    stop = f"round {t + 1} at or above the chance error: discarded"
                break
            estimators.append(h)
            weights.append(alpha)
            errors.append(eps)
            shares.append(w[~is_target].sum() if is_target.any() else np.nan)
            if eps <= 0.0:
                stop = f"round {t + 1} has error 0 on the error rows: its weight capped, boosting stopped"
                break
            w = w_next / w_next.sum()
        records = (estimators, np.asarray(weights, float), np.asarray(errors, float), np.asarray(shares))
        return (*records, stop, w)

    def _store(self, rounds, second_half, labeled):
        self.estimators_, self.estimator_weights_, self.estimator_errors_, shares, self.stop_reason_, w = (
            rounds
        )
        self.sample_weight_ = np.zeros(labeled.shape[0])
        self.sample_weight_[labeled] = w
        self.source_weight_share_ = shares
        self.first_voting_round_ = _vote_start(len(self.estimators_), second_half)
        self._second_half = second_half

    def _round_outputs(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.stack([est.predict(X) for est in self.estimators_])

    @staticmethod
    def _voters(P, weights):
        """Return the voting rounds' outputs and weights (the last round alone when none has weight > 0)."""
        if not (weights > 0).any():  # no voting round beat chance on the target rows
            return P[-1:], np.ones(1)
        return P, weights

    def _stages(self, X):
        """For each stage t = 1..T: (voting rows of the round outputs, their weights)."""
        P = self._round_outputs(X)
        for t in range(1, P.shape[0] + 1):
            s = _vote_start(t, self._second_half)
            yield self._voters(P[s:t], self.estimator_weights_[s:t])

    def _final(self, X):
        P = self._round_outputs(X)
        s = self.first_voting_round_
        return self._voters(P[s:], self.estimator_weights_[s:])

    def score(self, X, y, sample_weight=None):
        """Accuracy (classifier) or R² (regressor) on the labeled rows of ``y``.

        Rows with a masked label (``-1`` / NaN) are ignored, so ``GridSearchCV``'s
        default scoring is meaningful on contract data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score; each is treated as a target-domain row.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or NaN (regression) marks unlabeled rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows scored (masked rows are dropped with their weights).

        Returns
        -------
        score : float
            Mean score over the labeled rows.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        task = "regression" if is_regressor(self) else "classification"
        return masked_score(self, task, X, y, sample_weight)


class TrAdaBoostClassifier(ClassifierMixin, _TrAdaBoostBase):
    r"""TrAdaBoost: boosting that down-weights the source rows the target disagrees with.

    TrAdaBoost (Dai et al., 2007) trains on the :math:`n` source rows :math:`T_d`
    and the :math:`m` labeled target rows :math:`T_s` together. With weights
    :math:`w^1` uniform over the :math:`n + m` rows, round :math:`t = 1, \dots, N`
    fits :math:`h_t` on the rows with distribution :math:`p^t = w^t / \sum_i w_i^t`
    and measures its weighted error **on the target rows only**

    .. math::

        \epsilon_t = \frac{\sum_{i=n+1}^{n+m} w_i^t\, [h_t(x_i) \ne c(x_i)]}
                          {\sum_{i=n+1}^{n+m} w_i^t},
        \qquad \beta_t = \frac{\epsilon_t}{1 - \epsilon_t},
        \qquad \beta = \frac{1}{1 + \sqrt{2 \ln n / N}}.

    The weights are then updated (with the learning rate :math:`\nu`, ``1`` in
    the paper)

    .. math::

        w_i^{t+1} = \begin{cases}
            w_i^t\, \beta^{\,\nu\,[h_t(x_i) \ne c(x_i)]} & \text{source rows, } 1 \le i \le n,\\
            w_i^t\, e^{\,\nu\,\alpha_t\,[h_t(x_i) \ne c(x_i)]} & \text{target rows, } n < i \le n + m,
        \end{cases}

    so a source row the round gets wrong loses weight (it probably contradicts the
    target), a target row it gets wrong gains weight, as in AdaBoost. For two
    classes :math:`|h_t(x) - c(x)| = [h_t(x) \ne c(x)]`,
    :math:`\alpha_t = \ln\frac{1 - \epsilon_t}{\epsilon_t} = \ln(1/\beta_t)` and
    :math:`e^{\alpha_t [\cdot]} = \beta_t^{-|h_t(x) - c(x)|}`: the paper's rules.

    **Several classes** (the paper is binary): :math:`K` classes get the SAMME
    weight (Zhu et al., 2009)

    .. math::

        \alpha_t = \ln\frac{1 - \epsilon_t}{\epsilon_t} + \ln(K - 1),

    which is the paper's :math:`\ln(1/\beta_t)` at :math:`K = 2`. The source
    update keeps the paper's :math:`\beta` for every :math:`K`.

    **A round at or above chance** on the target rows,
    :math:`\epsilon_t \ge 1 - 1/K` (the paper assumes :math:`\epsilon_t < 1/2`;
    :math:`\alpha_t > 0` exactly below it): its :math:`\alpha_t` is set to 0 (it
    does not vote, the target weights do not change: :math:`\beta_t = 1`), and
    the source update goes on, so boosting continues. SAMME would stop there
    instead; but with few target rows the first learners are fitted on a
    source-dominated distribution and are often worse than chance on the target
    exactly when the source misleads, and stopping would return that source
    model (measured on the constructed shift of the tests: 1 round on 5 of 6
    seeds). When no voting round has :math:`\alpha_t > 0`, the last round alone
    predicts.

    **Prediction** is the vote of the second half of the rounds,
    :math:`t = \lceil N/2 \rceil, \dots, N`, as in the paper (the early rounds,
    fitted while the misleading source rows still carry weight, do not vote):

    .. math::

        h_f(x) = \arg\max_k \sum_{t = \lceil N/2 \rceil}^{N} \nu\,\alpha_t\, [h_t(x) = k].

    At :math:`K = 2` this is the paper's
    :math:`\prod_t \beta_t^{-h_t(x)} \ge \prod_t \beta_t^{-1/2}`, and an exact
    tie goes to the second class, as the paper's :math:`\ge` does (for
    :math:`K > 2` a tie goes to the first of the tied classes). When boosting
    stops early after :math:`T < N` rounds, the vote takes rounds
    :math:`\lceil T/2 \rceil, \dots, T`.

    **Error 0.** With few target rows the first learners often fit all of them,
    :math:`\epsilon_t = 0`, so :math:`\beta_t = 0` and the target update is
    undefined. Such a round is kept, its error floored at :math:`10^{-10}` (its
    weight capped at :math:`\ln((1 - 10^{-10})/10^{-10}) + \ln(K - 1) \approx 23.0
    + \ln(K - 1)` times :math:`\nu`, so it dominates the vote), and boosting
    stops: the target weights would not change any more. ``stop_reason_`` says
    why a fit stopped.

    Each round's learner is fitted on the rows whose weight is positive, with
    the weights scaled to mean 1 (so a regularised learner such as
    ``LogisticRegression`` sees unit weights in the first round). The ensemble
    reads only the learners' predicted labels, never their probabilities, so a
    learner that does not see every class (its rows' weights gone to zero, or a
    learner that drops light rows) is harmless. Unlabeled target rows are not
    used; several source ids are pooled, several target ids too.

    **No target row at all** (no ``sample_domain < 0`` and no masked label): a
    :class:`~skdomain.utils.DomainWarning`, then plain AdaBoost (SAMME): the error
    and the update run over every row, every round votes, and a round at or above
    chance is discarded and stops boosting (the first is kept alone), as in
    :class:`~sklearn.ensemble.AdaBoostClassifier`. **Target rows, none
    labeled**: a ``ValueError`` (the method needs labeled target rows). Without
    ``sample_domain`` the contract infers masked rows as target and labeled rows
    as source, so labeled target rows can only be marked by ``sample_domain``.

    Parameters
    ----------
    estimator : estimator object, default=None
        The base classifier; its ``fit`` must accept ``sample_weight`` (for a
        :class:`~sklearn.pipeline.Pipeline`, its last step's). ``None`` means
        ``DecisionTreeClassifier(max_depth=1)`` (a stump, as
        :class:`~sklearn.ensemble.AdaBoostClassifier`).
    n_estimators : int, default=50
        :math:`N`, the number of rounds (fewer when boosting stops early). It
        also sets the source factor :math:`\beta = 1/(1 + \sqrt{2 \ln n / N})`.
    learning_rate : float, default=1.0
        :math:`\nu > 0`: the exponent of both updates is multiplied by it
        (target :math:`e^{\nu\alpha_t[\cdot]}`, source :math:`\beta^{\nu[\cdot]}`), so
        :math:`\nu < 1` moves the weights more slowly; the vote weights are
        :math:`\nu\alpha_t` (a common factor, which does not change the vote).
        ``1.0`` is the paper's algorithm.
    random_state : int, RandomState instance or None, default=None
        Seeds every ``random_state`` parameter of each round's learner.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted learners :math:`h_t`, one per round kept.
    estimator_weights_ : ndarray of shape (n_rounds,)
        :math:`\nu\alpha_t` of each round (1.0 for a first round kept alone).
    estimator_errors_ : ndarray of shape (n_rounds,)
        :math:`\epsilon_t`, the weighted error on the labeled target rows (on every
        row without a target).
    first_voting_round_ : int
        0-based index of the first round that votes: :math:`\lceil T/2 \rceil - 1`
        (0 for plain AdaBoost).
    beta_source_ : float or None
        :math:`\beta`; ``None`` without a target.
    source_weight_share_ : ndarray of shape (n_rounds,)
        Share of the total weight on the source rows when each round was fitted
        (NaN without a target): how fast the source is discounted.
    stop_reason_ : str
        Why boosting stopped.
    sample_weight_ : ndarray of shape (n_samples,)
        The distribution :math:`p` over the training rows after the last round
        (sums to 1; 0 on unlabeled rows), in input order: which source rows
        TrAdaBoost kept.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string feature names.

    See Also
    --------
    TrAdaBoostRegressor : TrAdaBoost.R2 and two-stage TrAdaBoost.R2 for regression.
    skdomain.KMM : Reweighting from unlabeled target rows.

    References
    ----------
    .. [1] W. Dai, Q. Yang, G.-R. Xue and Y. Yu, "Boosting for Transfer Learning",
       ICML 2007.
    .. [2] J. Zhu, H. Zou, S. Rosset and T. Hastie, "Multi-class AdaBoost",
       Statistics and Its Interface 2, 2009 (SAMME).

    Examples
    --------
    >>> from skdomain.instance import TrAdaBoostClassifier
    >>> from skdomain.datasets import make_domain_shift
    >>> X, y, sd = make_domain_shift(n_source=100, n_target=100, n_target_labeled=10, random_state=0)
    >>> clf = TrAdaBoostClassifier(n_estimators=10, random_state=0).fit(X, y, sample_domain=sd)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    def __init__(self, estimator=None, n_estimators=50, learning_rate=1.0, random_state=None):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.random_state = random_state

    score = _TrAdaBoostBase.score  # ClassifierMixin's would count masked rows

    def _base(self):
        base = _base_estimator(self.estimator, DecisionTreeClassifier(max_depth=1), type(self).__name__)
        if not is_classifier(base):
            raise ValueError(
                f"TrAdaBoostClassifier needs a classifier as estimator; got {type(base).__name__} "
                "(for regression, use TrAdaBoostRegressor)."
            )
        return base

    def _chance_error(self):
        return 1.0 - 1.0 / self.n_classes_

    def _round(self, pred, y, w, is_target, mode):
        """Return the error, the round's weight, and the updated (unnormalised) weights."""
        miss = (pred != y).astype(float)
        rows = is_target if mode == "tradaboost" else np.ones_like(is_target)
        eps = float(np.sum(w[rows] * miss[rows]) / np.sum(w[rows]))
        if eps >= self._chance_error():
            if mode != "tradaboost":  # SAMME: discarded (or kept alone), no update
                return eps, None, None
            alpha = 0.0  # TrAdaBoost: no vote, target weights unchanged, the source update goes on
        else:
            eps_c = max(eps, EPS_FLOOR)
            alpha = self.learning_rate * (np.log((1.0 - eps_c) / eps_c) + np.log(self.n_classes_ - 1.0))
        w = w.copy()
        w[rows] *= np.exp(alpha * miss[rows])
        if mode == "tradaboost":
            w[~rows] *= self.beta_source_ ** (self.learning_rate * miss[~rows])
        return eps, alpha, w

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_domain=None):
        """Boost over the source and labeled target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` marks unlabeled rows (ignored).
        sample_domain : array-like of int, shape (n_samples,), default=None
            ``>= 0`` source, ``< 0`` target; needed to mark labeled target rows
            (inferred from masked labels when omitted, which leaves no labeled
            target row).

        Returns
        -------
        self : TrAdaBoostClassifier
            The fitted estimator.
        """
        base = self._base()
        d = check_domains(X, y, sample_domain, task="classification", estimator=self, y_required=True)
        X, y, is_target, adapt = self._labeled_rows(d, sample_domain)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.n_classes_ = len(self.classes_)
        n_source = int((~is_target).sum())
        self.beta_source_ = None
        if adapt:
            self.beta_source_ = 1.0 / (1.0 + np.sqrt(2.0 * np.log(n_source) / self.n_estimators))
        mode = "tradaboost" if adapt else "plain"
        rng = check_random_state(self.random_state)
        rounds = self._boost(base, X, codes, np.ones(len(codes)), is_target, mode, rng)
        self._store(rounds, second_half=adapt, labeled=d.labeled)
        return self

    def _votes(self, P, weights):
        """Normalised vote shares V (n_samples, K) of rounds' outputs ``P`` (codes)."""
        V = np.zeros((P.shape[1], self.n_classes_))
        for p, a in zip(P, weights):
            V[np.arange(P.shape[1]), p] += a
        return V / weights.sum()

    def _label(self, V):
        if self.n_classes_ == 2:  # the paper's >=: an exact tie goes to the second class
            return self.classes_[(V[:, 1] >= V[:, 0]).astype(int)]
        return self.classes_[np.argmax(V, axis=1)]

    def predict(self, X):
        """Predict the class of each row by the second-half vote.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict; each is treated as a target-domain row.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes, in input order.
        """
        return self._label(self._votes(*self._final(X)))

    def predict_proba(self, X):
        r"""Vote shares of the classes over the voting rounds.

        :math:`\sum_t \alpha_t [h_t(x) = k] / \sum_t \alpha_t`: shares of the weighted
        vote, not calibrated probabilities (0 for a class no voting round predicts).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict; each is treated as a target-domain row.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1; columns in the order of ``classes_``.
        """
        return self._votes(*self._final(X))

    def decision_function(self, X):
        """Vote shares; for two classes, the second class's share minus the first's.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score; each is treated as a target-domain row.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, in [-1, 1]: ``predict`` gives the second class where
            it is ``>= 0``; otherwise the vote shares of ``predict_proba``.
        """
        V = self._votes(*self._final(X))
        return V[:, 1] - V[:, 0] if self.n_classes_ == 2 else V

    def staged_predict(self, X):
        r"""Predictions of the ensemble after each round, each under the second-half vote.

        Stage :math:`t` is what ``predict`` would return had boosting stopped after
        :math:`t` rounds: the vote of rounds :math:`\lceil t/2 \rceil, \dots, t`
        (every round up to :math:`t` for plain AdaBoost, without a target). So an
        early round leaves the vote as the stages go on, unlike scikit-learn's
        AdaBoost, whose stage :math:`t` adds round :math:`t` to the previous vote.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict; each is treated as a target-domain row.

        Yields
        ------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes after each round.
        """
        for P, weights in self._stages(X):
            yield self._label(self._votes(P, weights))

    def staged_predict_proba(self, X):
        """Vote shares after each round, under the same rule as :meth:`staged_predict`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict; each is treated as a target-domain row.

        Yields
        ------
        proba : ndarray of shape (n_samples, n_classes)
            Vote shares after each round.
        """
        for P, weights in self._stages(X):
            yield self._votes(P, weights)


_LOSSES = {
    "linear": lambda e: e,
    "square": lambda e: e**2,
    "exponential": lambda e: 1.0 - np.exp(-e),
}


def _adjusted_error(pred, y, w, loss):
    """Drucker's adjusted error in [0, 1]: |h(x) - y| / D, D the largest over rows of positive weight."""
    err = np.abs(pred - y)
    D = err[w > 0].max() if (w > 0).any() else 0.0
    e = np.zeros_like(err) if D <= 0 else np.minimum(err / D, 1.0)
    return _LOSSES[loss](e)


def _source_factor(w_source, e_source, target_total, share):
    """Return the source weights after a two-stage step: ``w_s β^{e}``.

    β in [0, 1] is such that the target rows carry ``share`` of the total weight
    (Pardoe & Stone's binary search, here over -ln β).

    When even β → 0 leaves too much source weight (rows of adjusted error 0 keep theirs),
    those rows are scaled down together to reach ``share``.
    """
    want = target_total * (1.0 - share) / share if share < 1.0 else 0.0
    if want <= 0.0:
        return np.zeros_like(w_source)
    floor = w_source * (e_source == 0)
    if floor.sum() >= want:
        return floor * (want / floor.sum())
    if w_source.sum() <= want:
        return w_source

    # bisection on u = -ln β in [0, ∞): adjusted errors near 0 need β far below machine precision
    def weight(u):
        return np.sum(w_source * np.exp(-u * e_source))

    lo, hi = 0.0, 1.0
    while weight(hi) > want:
        lo, hi = hi, 2.0 * hi
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if weight(mid) > want:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * hi:
            break
    return w_source * np.exp(-0.5 * (lo + hi) * e_source)


class TrAdaBoostRegressor(RegressorMixin, _TrAdaBoostBase):
    r"""TrAdaBoost.R2 and two-stage TrAdaBoost.R2 (Pardoe & Stone, 2010): boosting for regression transfer.

    Both build on Drucker's AdaBoost.R2. A round's learner :math:`h_t` (fitted with
    the distribution :math:`p^t = w^t/\sum_i w_i^t`) has the **adjusted error**
    of each row

    .. math::

        e_i^t = L\!\left(\frac{|h_t(x_i) - y_i|}{D_t}\right),\qquad
        D_t = \max_{j : w_j^t > 0} |h_t(x_j) - y_j|,

    with :math:`L(u) = u` (``loss="linear"``), :math:`u^2` (``"square"``) or
    :math:`1 - e^{-u}` (``"exponential"``); the round's error is
    :math:`\epsilon_t = \sum_i p_i^t e_i^t` over the rows that measure it, and
    :math:`\beta_t = \epsilon_t / (1 - \epsilon_t)`. In AdaBoost.R2 (and
    AdaBoost.R2′ below) a round with :math:`\epsilon_t \ge 1/2` is discarded and
    boosting stops (the first round is kept alone); in TrAdaBoost.R2 it gets
    :math:`\beta_t = 1` (no vote, target weights unchanged) and the source
    update goes on, as in :class:`TrAdaBoostClassifier`. :math:`\epsilon_t = 0`
    caps the round's weight (error floored at :math:`10^{-10}`) and stops. The
    prediction is Drucker's **weighted median** of the voting rounds' outputs
    with weights :math:`\nu\ln(1/\beta_t)`: the smallest :math:`h_t(x)` whose
    cumulative weight reaches half the total.

    **TrAdaBoost.R2** (``two_stage=False``), over :math:`n` source and :math:`m`
    labeled target rows, :math:`w^1` uniform: :math:`\epsilon_t` on the target
    rows only, and

    .. math::

        w_i^{t+1} = \begin{cases}
            w_i^t\, \beta^{\,\nu e_i^t} & 1 \le i \le n \text{ (source)},\\
            w_i^t\, \beta_t^{-\nu e_i^t} & n < i \le n + m \text{ (target)},
        \end{cases}
        \qquad \beta = \frac{1}{1 + \sqrt{2 \ln n / N}},

    predicting with the rounds :math:`\lceil N/2 \rceil, \dots, N`, as TrAdaBoost.

    **Two-stage TrAdaBoost.R2** (``two_stage=True``, the default; Pardoe &
    Stone's Algorithm 3) separates the two jobs. Stage :math:`s = 1, \dots, S`
    starts from weights :math:`w^s` whose target rows carry the share

    .. math::

        \frac{m}{n + m} + \frac{s - 1}{S - 1}\left(1 - \frac{m}{n + m}\right)

    of the total weight (the uniform weights at :math:`s = 1`, target rows only at
    :math:`s = S`). From :math:`w^s`, the stage's model is **AdaBoost.R2′**:
    AdaBoost.R2 in which the source weights are not modified — here each group
    keeps its share of the total, :math:`\epsilon_t` is measured on the target
    rows, the target rows get Drucker's update
    :math:`w_i \beta_t^{\nu(1 - e_i^t)}`, and every round votes. Its error is
    estimated by ``cv``-fold cross-validation over the target rows (the source
    rows always train; mean squared error on the held-out target rows; the same
    folds at every stage). Then one learner :math:`h_s` is fitted with
    :math:`w^s`, and the source weights become :math:`w_i^s \beta_s^{e_i^s}`
    with :math:`\beta_s \in [0, 1]` found by bisection so that the target share
    reaches that of stage :math:`s + 1` (the target weights are not changed):
    source rows far from the target's function lose weight first. The model
    returned is the whole AdaBoost.R2′ ensemble of the stage with the lowest
    cross-validated error, refitted on every row with that stage's weights.

    One class with a ``two_stage`` switch rather than two classes: both variants
    share the base learner, the loss, the weighted median and every fitted
    attribute, and a switch lets ``GridSearchCV`` choose between them. The
    default is the two-stage variant, which Pardoe & Stone found the more
    accurate and which can fall back to the target rows alone (stage :math:`S`)
    or to the pooled rows (stage 1) when cross-validation says so; it costs
    :math:`S(\text{cv} + 1)` boostings.

    **No target row at all**: a :class:`~skdomain.utils.DomainWarning` and plain
    AdaBoost.R2 (every row measures the error, every round votes, Drucker's
    update). **Target rows, none labeled**: a ``ValueError``. Unlabeled target
    rows are not used; several source ids are pooled, several target ids too.

    Parameters
    ----------
    estimator : estimator object, default=None
        The base regressor; its ``fit`` must accept ``sample_weight`` (for a
        :class:`~sklearn.pipeline.Pipeline`, its last step's). ``None`` means
        ``DecisionTreeRegressor(max_depth=3)`` (as
        :class:`~sklearn.ensemble.AdaBoostRegressor`).
    n_estimators : int, default=50
        :math:`N`, the rounds of each boosting (fewer when it stops early); it
        also sets TrAdaBoost.R2's source factor :math:`\beta`.
    learning_rate : float, default=1.0
        :math:`\nu > 0`: multiplies the exponents of the weight updates of the
        boosting rounds and the vote weights, as in scikit-learn's AdaBoost.R2
        (not the two-stage source step, whose :math:`\beta_s` is solved for).
        ``1.0`` is the papers' algorithm.
    loss : {"linear", "square", "exponential"}, default="linear"
        :math:`L` of the adjusted error.
    two_stage : bool, default=True
        Two-stage TrAdaBoost.R2 (True) or TrAdaBoost.R2 (False).
    n_stages : int, default=10
        :math:`S`, the stages of the two-stage variant (at least 2).
    cv : int, default=5
        Folds of the two-stage variant's cross-validation over the labeled target
        rows (fewer when there are fewer rows; it needs at least 2).
    random_state : int, RandomState instance or None, default=None
        Seeds the learners' ``random_state`` parameters and the folds.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted learners of the returned ensemble.
    estimator_weights_ : ndarray of shape (n_rounds,)
        :math:`\nu\ln(1/\beta_t)` of each round (1.0 for a first round kept alone).
    estimator_errors_ : ndarray of shape (n_rounds,)
        :math:`\epsilon_t` of each round, on the labeled target rows (every row
        without a target).
    first_voting_round_ : int
        0-based index of the first voting round: :math:`\lceil T/2 \rceil - 1` for
        TrAdaBoost.R2, 0 for the two-stage ensemble and plain AdaBoost.R2.
    beta_source_ : float or None
        TrAdaBoost.R2's :math:`\beta`; ``None`` otherwise.
    source_weight_share_ : ndarray of shape (n_rounds,)
        Share of the total weight on the source rows when each round was fitted
        (NaN without a target).
    stage_errors_ : ndarray of shape (n_stages,) or None
        Two-stage: the cross-validated mean squared error of each stage.
    stage_target_share_ : ndarray of shape (n_stages,) or None
        Two-stage: the target rows' share of the weight at each stage.
    best_stage_ : int or None
        Two-stage: the 0-based index of the stage returned.
    stop_reason_ : str
        Why the returned ensemble's boosting stopped.
    sample_weight_ : ndarray of shape (n_samples,)
        The distribution over the training rows after the returned ensemble's last
        round (sums to 1; 0 on unlabeled rows), in input order.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string feature names.

    See Also
    --------
    TrAdaBoostClassifier : TrAdaBoost for classification.

    References
    ----------
    .. [1] D. Pardoe and P. Stone, "Boosting for Regression Transfer", ICML 2010.
    .. [2] H. Drucker, "Improving Regressors using Boosting Techniques", ICML 1997.

    Examples
    --------
    >>> from skdomain.instance import TrAdaBoostRegressor
    >>> from skdomain.datasets import make_domain_shift
    >>> X, y, sd = make_domain_shift(
    ...     n_source=100, n_target=100, task="regression", n_target_labeled=10, random_state=0
    ... )
    >>> reg = TrAdaBoostRegressor(n_estimators=5, n_stages=3, random_state=0).fit(X, y, sample_domain=sd)
    >>> reg.stage_errors_.shape
    (3,)
    """

    _parameter_constraints = {
        **_TrAdaBoostBase._parameter_constraints,
        "loss": [StrOptions(set(_LOSSES))],
        "two_stage": ["boolean"],
        "n_stages": [Interval(Integral, 2, None, closed="left")],
        "cv": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(
        self,
        estimator=None,
        n_estimators=50,
        learning_rate=1.0,
        loss="linear",
        two_stage=True,
        n_stages=10,
        cv=5,
        random_state=None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.loss = loss
        self.two_stage = two_stage
        self.n_stages = n_stages
        self.cv = cv
        self.random_state = random_state

    score = _TrAdaBoostBase.score  # RegressorMixin's would count masked rows

    def _base(self):
        base = _base_estimator(self.estimator, DecisionTreeRegressor(max_depth=3), type(self).__name__)
        if not is_regressor(base):
            raise ValueError(
                f"TrAdaBoostRegressor needs a regressor as estimator; got {type(base).__name__} "
                "(for classification, use TrAdaBoostClassifier)."
            )
        return base

    def _chance_error(self):
        return 0.5

    def _round(self, pred, y, w, is_target, mode):
        """Return the error, the round's weight, and the updated (unnormalised) weights."""
        e = _adjusted_error(pred, y, w, self.loss)
        rows = np.ones_like(is_target) if mode == "plain" else is_target
        eps = float(np.sum(w[rows] * e[rows]) / np.sum(w[rows]))
        if eps >= self._chance_error():
            if mode != "tradaboost":  # AdaBoost.R2: discarded (or kept alone), no update
                return eps, None, None
            beta_t = 1.0  # TrAdaBoost.R2: no vote, target weights unchanged, the source update goes on
        else:
            eps_c = max(eps, EPS_FLOOR)
            beta_t = eps_c / (1.0 - eps_c)
        alpha = self.learning_rate * np.log(1.0 / beta_t)
        nu = self.learning_rate
        w = w.copy()
        if mode == "plain":
            w *= beta_t ** (nu * (1.0 - e))
        elif mode == "tradaboost":
            w[rows] *= beta_t ** (-nu * e[rows])
            w[~rows] *= self.beta_source_ ** (nu * e[~rows])
        else:  # "frozen": AdaBoost.R2' — source weights fixed, the target keeps its share
            total = w[rows].sum()
            w[rows] *= beta_t ** (nu * (1.0 - e[rows]))
            w[rows] *= total / w[rows].sum()
        return eps, alpha, w

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_domain=None):
        """Boost over the source and labeled target rows (two-stage: choose the stage by CV).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,)
            Targets; NaN marks unlabeled rows (ignored).
        sample_domain : array-like of int, shape (n_samples,), default=None
            ``>= 0`` source, ``< 0`` target; needed to mark labeled target rows
            (inferred from masked labels when omitted, which leaves no labeled
            target row).

        Returns
        -------
        self : TrAdaBoostRegressor
            The fitted estimator.
        """
        base = self._base()
        d = check_domains(X, y, sample_domain, task="regression", estimator=self, y_required=True)
        X, y, is_target, adapt = self._labeled_rows(d, sample_domain)
        y = y.astype(np.float64)
        rng = check_random_state(self.random_state)
        n_source, m = int((~is_target).sum()), int(is_target.sum())
        self.beta_source_ = None
        self.stage_errors_ = self.stage_target_share_ = self.best_stage_ = None
        if not adapt:
            rounds = self._boost(base, X, y, np.ones(len(y)), is_target, "plain", rng)
            self._store(rounds, second_half=False, labeled=d.labeled)
        elif not self.two_stage:
            self.beta_source_ = 1.0 / (1.0 + np.sqrt(2.0 * np.log(n_source) / self.n_estimators))
            rounds = self._boost(base, X, y, np.ones(len(y)), is_target, "tradaboost", rng)
            self._store(rounds, second_half=True, labeled=d.labeled)
        else:
            if m < 2:
                raise ValueError(
                    f"two-stage TrAdaBoost.R2 chooses its stage by cross-validation over the labeled "
                    f"target rows and needs at least 2 of them; got {m}. Label more target rows, or "
                    "use two_stage=False."
                )
            self._fit_two_stage(base, X, y, is_target, rng, d.labeled)
        return self

    def _fit_two_stage(self, base, X, y, is_target, rng, labeled):
        S = self.n_stages
        src, tgt = np.flatnonzero(~is_target), np.flatnonzero(is_target)
        n, m = len(X), len(tgt)
        f0 = m / n
        shares = f0 + np.arange(S) / (S - 1) * (1.0 - f0)
        folds = list(
            KFold(n_splits=min(self.cv, m), shuffle=True, random_state=rng.randint(2**31 - 1)).split(tgt)
        )
        w = np.full(n, 1.0 / n)
        errors, stage_weights = np.zeros(S), []
        for s in range(S):
            stage_weights.append(w.copy())
            sq = 0.0
            for train, test in folds:
                rows = np.r_[src, tgt[train]]
                rounds = self._boost(base, X[rows], y[rows], w[rows], is_target[rows], "frozen", rng)
                sq += np.sum((self._median(rounds, X[tgt[test]]) - y[tgt[test]]) ** 2)
            errors[s] = sq / m
            if s < S - 1:
                h = _seeded_clone(base, rng)
                positive = w > 0
                fit_weighted(h, X[positive], y[positive], w[positive] * positive.sum())
                e = _adjusted_error(h.predict(X), y, w, self.loss)
                w = w.copy()
                w[src] = _source_factor(w[src], e[src], w[tgt].sum(), shares[s + 1])
                w /= w.sum()
        best = int(np.argmin(errors))
        rounds = self._boost(base, X, y, stage_weights[best], is_target, "frozen", rng)
        self._store(rounds, second_half=False, labeled=labeled)
        self.stage_errors_, self.stage_target_share_, self.best_stage_ = errors, shares, best

    @staticmethod
    def _median(rounds, X):
        estimators, weights = rounds[0], rounds[1]
        return _weighted_median(np.stack([est.predict(X) for est in estimators]), weights)

    def predict(self, X):
        """Predict by the weighted median of the voting rounds.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict; each is treated as a target-domain row.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions, in input order.
        """
        P, weights = self._final(X)
        return _weighted_median(P.astype(np.float64), weights)

    def staged_predict(self, X):
        r"""Predictions of the returned ensemble after each of its rounds.

        Stage :math:`t` is what ``predict`` would return had boosting stopped after
        :math:`t` rounds: for TrAdaBoost.R2 the weighted median of rounds
        :math:`\lceil t/2 \rceil, \dots, t` (the second-half rule, so early rounds
        leave the vote), otherwise of rounds :math:`1, \dots, t`. For the two-stage
        variant these are the rounds of the chosen stage's ensemble.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict; each is treated as a target-domain row.

        Yields
        ------
        y_pred : ndarray of shape (n_samples,)
            Predictions after each round.
        """
        for P, weights in self._stages(X):
            yield _weighted_median(P.astype(np.float64), weights)
