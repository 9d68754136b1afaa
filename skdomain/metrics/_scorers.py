"""Scorers for model selection without target labels (``scoring=`` in GridSearchCV).

Each scorer is a small callable with scikit-learn's scorer signature
``scorer(estimator, X, y, sample_domain=None) -> float`` (greater is better).
Domains come from ``sample_domain`` when it is routed (metadata routing on: the
scorers request it through :class:`sklearn.utils.metadata_routing.MetadataRequest`)
or are inferred from the masked labels of ``y`` (routing off). The scorers that evaluate a
model on held-out *source* rows (importance-weighted and deep embedded validation) predict
them with their domains, so that a pipeline with a transformer that maps source rows by a
map of their own (:class:`~skdomain.CORAL`, :class:`~skdomain.SubspaceAlignment`) is scored
on correctly mapped rows.
"""

import numpy as np
from sklearn.base import clone, is_regressor
from sklearn.linear_model import LogisticRegression
from sklearn.utils.metadata_routing import MetadataRequest

from .._base import _domain_fit_params, predict_on_domains, task_score
from ..utils._domains import check_domain_labels, concat_labels, masked_label, num_rows
from ._density_ratio import _density_ratio, kmm_weights

__all__ = [
    "SupervisedTargetScorer",
    "PredictionEntropyScorer",
    "ImportanceWeightedScorer",
    "DeepEmbeddedValidationScorer",
    "ReverseValidationScorer",
]


class _DomainScorer:
    """Domains from a routed ``sample_domain`` or from masked labels; public routing API."""

    def get_metadata_routing(self):
        """Request ``sample_domain`` in ``score`` (used when metadata routing is on).

        Returns
        -------
        routing : MetadataRequest
        """
        request = MetadataRequest(owner=type(self).__name__)
        request.score.add_request(param="sample_domain", alias=True)
        return request

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"

    @staticmethod
    def _domains(estimator, X, y, sample_domain):
        task = "regression" if is_regressor(estimator) else "classification"
        y, sd, labeled = check_domain_labels(y, sample_domain, num_rows(X), task=task)
        return np.asarray(X), y, sd, labeled, task


def _rows_loss(estimator, X, y, sd, task):
    """Per-row loss: 0-1 loss (classification) or squared error (regression).

    The rows' domains ``sd`` reach a pipeline's transformer that maps source rows by
    their own map (CORAL, SA): :func:`skdomain._base.predict_on_domains`.
    """
    pred = predict_on_domains(estimator, X, sd)
    if task == "regression":
        return (np.asarray(pred, float) - np.asarray(y, float)) ** 2
    return (pred != y).astype(float)


class SupervisedTargetScorer(_DomainScorer):
    """Accuracy (classifier) or R² (regressor) on the *labeled target* rows.

    For semi-supervised adaptation: the few target labels are the honest
    criterion. Raises when the validation rows hold no labeled target row.

    Examples
    --------
    >>> from skdomain.metrics import SupervisedTargetScorer
    >>> SupervisedTargetScorer()
    SupervisedTargetScorer()
    """

    def __call__(self, estimator, X, y, sample_domain=None):
        X, y, sd, labeled, task = self._domains(estimator, X, y, sample_domain)
        source = sd >= 0
        keep = ~source & labeled
        if not keep.any():
            raise ValueError("SupervisedTargetScorer needs labeled target rows in the validation fold.")
        return task_score(y[keep], estimator.predict(X[keep]), task)


class PredictionEntropyScorer(_DomainScorer):
    r"""Negative mean prediction entropy on the target rows: :math:`-\frac1{n_t}\sum_j H(p(\cdot|x'_j))`.

    Confident predictions on the target score higher (an unsupervised
    criterion; it can be fooled by confidently wrong models, so combine it with
    others). Needs ``predict_proba``.
    """

    def __call__(self, estimator, X, y, sample_domain=None):
        X, y, sd, labeled, task = self._domains(estimator, X, y, sample_domain)
        source = sd >= 0
        if not (~source).any():
            raise ValueError("PredictionEntropyScorer needs target rows in the validation fold.")
        p = np.clip(estimator.predict_proba(X[~source]), 1e-12, 1.0)
        return float(np.mean(np.sum(p * np.log(p), axis=1)))


class ImportanceWeightedScorer(_DomainScorer):
    r"""Importance-weighted validation (Sugiyama et al., 2007): weighted source accuracy.

    The target risk is estimated on the labeled source rows of the validation
    fold, each weighted by the density ratio :math:`w(x) = p_T(x)/p_S(x)`,
    estimated on the fold's source vs target rows, either by a domain classifier,
    :math:`w = \frac{n_s}{n_t}\frac{P(t \mid x)}{P(s \mid x)}`, or by kernel mean
    matching (:func:`~skdomain.instance.kmm_weights`, :class:`~skdomain.KMM`'s weights
    :math:`\beta`). The score is :math:`1 - \sum_i w_i \ell_i / \sum_i w_i` for the 0-1
    loss (classification), :math:`-\sum_i w_i \ell_i / \sum_i w_i` for the squared error
    (regression).

    Parameters
    ----------
    domain_classifier : classifier, default=None
        Estimates :math:`P(t \mid x)`; ``None`` means a
        :class:`~sklearn.linear_model.LogisticRegression`.
    ratio : {"classifier", "kmm"}, default="classifier"
        How the density ratio is estimated.
    kmm_params : dict, default=None
        Parameters of :func:`~skdomain.instance.kmm_weights` used when ``ratio="kmm"``:
        those of :class:`~skdomain.KMM` but ``estimator`` (e.g. ``{"B": 10.0, "gamma": 0.5}``).

    References
    ----------
    .. [1] M. Sugiyama, M. Krauledat and K.-R. Müller, "Covariate Shift Adaptation
       by Importance Weighted Cross Validation", JMLR 8, 2007.
    """

    def __init__(self, domain_classifier=None, *, ratio="classifier", kmm_params=None):
        self.domain_classifier = domain_classifier
        self.ratio = ratio
        self.kmm_params = kmm_params

    def _weights(self, Xs, Xt):
        if self.ratio == "kmm":
            return kmm_weights(Xs, Xt, **(self.kmm_params or {}))
        if self.ratio != "classifier":
            raise ValueError(f"ratio must be 'classifier' or 'kmm'; got {self.ratio!r}.")
        dc = LogisticRegression(max_iter=1000) if self.domain_classifier is None else self.domain_classifier
        return _density_ratio(Xs, Xt, dc)

    def _parts(self, estimator, X, y, sample_domain):
        X, y, sd, labeled, task = self._domains(estimator, X, y, sample_domain)
        source = sd >= 0
        src = source & labeled
        if not src.any() or not (~source).any():
            raise ValueError(f"{type(self).__name__} needs source and target rows in the fold.")
        w = self._weights(X[src], X[~source])
        if not np.sum(w) > 0:
            raise ValueError(f"{type(self).__name__}: every density-ratio weight is 0.")
        return w, _rows_loss(estimator, X[src], y[src], sd[src], task), task

    def __call__(self, estimator, X, y, sample_domain=None):
        w, loss, task = self._parts(estimator, X, y, sample_domain)
        risk = float(np.sum(w * loss) / np.sum(w))
        return -risk if task == "regression" else 1.0 - risk


class DeepEmbeddedValidationScorer(ImportanceWeightedScorer):
    r"""Deep embedded validation (You et al., 2019): importance weighting with a control variate.

    With weighted losses :math:`L_i = w_i \ell_i` over the labeled source rows of
    the fold, the risk estimate is

    .. math::

        \hat R = \overline{L} + \eta\,\overline{w} - \eta, \qquad
        \eta = -\frac{\widehat{\mathrm{Cov}}(L, w)}{\widehat{\mathrm{Var}}(w)},

    which has lower variance than :math:`\overline{L}` because
    :math:`\mathbb E[w] = 1`. The density ratio comes from a domain classifier
    on the features given to the estimator (for a deep net, its embedding; pass a
    pipeline's transformed rows for shallow ones). Score: :math:`1 - \hat R`
    (classification) or :math:`-\hat R` (regression).

    Parameters
    ----------
    domain_classifier : classifier, default=None
        Estimates :math:`P(t \mid x)`; ``None`` means a
        :class:`~sklearn.linear_model.LogisticRegression`.
    ratio : {"classifier", "kmm"}, default="classifier"
        How the density ratio is estimated (as in :class:`ImportanceWeightedScorer`).
    kmm_params : dict, default=None
        Parameters of :func:`~skdomain.instance.kmm_weights` used when ``ratio="kmm"``
        (those of :class:`~skdomain.KMM` but ``estimator``).

    References
    ----------
    .. [1] K. You, X. Wang, M. Long and M. I. Jordan, "Towards Accurate Model
       Selection in Deep Unsupervised Domain Adaptation", ICML 2019.
    """

    def __call__(self, estimator, X, y, sample_domain=None):
        w, loss, task = self._parts(estimator, X, y, sample_domain)
        L = w * loss
        var = np.var(w, ddof=1) if w.size > 1 else 0.0
        eta = -np.cov(L, w, ddof=1)[0, 1] / var if var > 0 else 0.0
        risk = float(L.mean() + eta * w.mean() - eta)
        return -risk if task == "regression" else 1.0 - risk


class ReverseValidationScorer(_DomainScorer):
    """Reverse (circular) validation (Zhong et al., 2010).

    The fitted estimator labels the target rows; a clone is then fitted the other
    way round, the pseudo-labeled target rows as its source and the source rows
    (labels masked) as its target, and scored on the true source labels:
    accuracy (classification) or R² (regression). A model whose target
    predictions carry the task back to the source scores higher.

    References
    ----------
    .. [1] E. Zhong, W. Fan, Q. Yang, O. Verscheure and J. Ren, "Cross Validation
       Framework to Choose amongst Models and Datasets for Transfer Learning",
       ECML PKDD 2010.
    """

    def __call__(self, estimator, X, y, sample_domain=None):
        X, y, sd, labeled, task = self._domains(estimator, X, y, sample_domain)
        source = sd >= 0
        src = source & labeled
        if not src.any() or not (~source).any():
            raise ValueError("ReverseValidationScorer needs source and target rows in the fold.")
        Xr = np.vstack([X[~source], X[src]])
        pseudo = estimator.predict(X[~source])
        masked = np.full(src.sum(), masked_label(task))
        yr = concat_labels([pseudo, masked], task)  # string classes: an object array, the mask stays -1
        sdr = np.r_[np.zeros(len(pseudo), dtype=int), -np.ones(src.sum(), dtype=int)]
        reverse = clone(estimator)
        params = _domain_fit_params(reverse, sdr)
        if params:
            reverse.fit(Xr, yr, **params)
        else:  # a plain estimator: fitted on the pseudo-labeled rows only
            reverse.fit(X[~source], pseudo)
        return task_score(y[src], reverse.predict(X[src]), task)
