"""Transformers that map source and target rows differently (CORAL, SA): the shared contract."""

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils.validation import check_is_fitted, validate_data

from .._base import DomainRequestMixin
from ..utils._domains import _check_sample_domain, check_domains


class SourceTargetMapMixin(DomainRequestMixin):
    """``fit`` / ``fit_transform`` / ``transform`` of a transformer with a source map and a target map.

    A subclass implements ``_fit(d)`` (``d`` the checked :class:`~skdomain.utils.DomainData`;
    it sets ``source_ids_``), ``_target_map(X)`` and ``_source_map(X, i)`` (``i`` the
    position of the source id in ``source_ids_``), and sets ``_n_features_out``.

    * ``transform(X)`` treats every row as a target row (the domain contract);
    * ``transform(X, sample_domain=sd)`` maps rows with ``sd >= 0`` with the source
      map of their id and rows with ``sd < 0`` with the target map. Under metadata
      routing ``sample_domain`` is requested in ``transform`` by default
      (``set_transform_request(sample_domain=False)`` turns that off);
    * ``fit_transform(X, y, sample_domain)`` returns the training rows mapped by their
      domain, i.e. ``fit(X, y, sd).transform(X, sample_domain=sd)``: what a
      :class:`~sklearn.pipeline.Pipeline` hands its next step in ``fit`` (aligned
      source rows). It differs from ``fit(X, y, sd).transform(X)`` on source rows.
    """

    __metadata_request__transform = {"sample_domain": True}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_domain=None):
        """Fit the source and target maps.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,), default=None
            Only used to infer domains when ``sample_domain`` is omitted (masked
            labels, ``-1`` or NaN, are target rows).
        sample_domain : array-like of int, shape (n_samples,), default=None
            ``>= 0`` source, ``< 0`` target.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._fit(check_domains(X, y, sample_domain, task="infer", estimator=self))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, sample_domain=None):
        """Fit, then map each training row by its domain (aligned source rows).

        Equals ``fit(X, y, sample_domain).transform(X, sample_domain=sd)`` with ``sd``
        the given or inferred domains; NOT ``fit(...).transform(X)``, which maps
        every row as a target row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain, source and target.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (classification) or NaN (regression) marks unlabeled rows.
        sample_domain : array-like of int, shape (n_samples,), default=None
            Domain ids, ``>= 0`` source and ``< 0`` target; inferred from masked labels when omitted.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            Source rows through the source map of their id, target rows through the
            target map, in input order.
        """
        d = check_domains(X, y, sample_domain, task="infer", estimator=self)
        self._fit(d)
        return self._map(d.X, d.sample_domain)

    def transform(self, X, sample_domain=None):
        """Map rows, in input order: as target rows, or by the domains of ``sample_domain``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to map.
        sample_domain : array-like of int, shape (n_samples,), default=None
            ``None``: every row is a target row (the domain contract). Otherwise rows
            with an id ``>= 0`` get the source map of that id (one seen in ``fit``)
            and rows with an id ``< 0`` the target map.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            The mapped rows, in input order.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        if sample_domain is None:
            return self._target_map(X)
        return self._map(X, _check_sample_domain(sample_domain, X.shape[0]))

    def _map(self, X, sd):
        out = np.empty((X.shape[0], self._n_features_out))
        target = sd < 0
        if target.any():
            out[target] = self._target_map(X[target])
        ids = np.unique(sd[~target])
        unseen = np.setdiff1d(ids, self.source_ids_)
        if unseen.size:
            raise ValueError(
                f"sample_domain holds the source id(s) {unseen.tolist()}, which fit did not see; "
                f"{type(self).__name__} has a source map for the ids {self.source_ids_.tolist()} only."
            )
        for i in np.searchsorted(self.source_ids_, ids):
            rows = sd == self.source_ids_[i]
            out[rows] = self._source_map(X[rows], i)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags
