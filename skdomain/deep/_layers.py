"""The adapted layers of the statistic-matching methods (DAN's MMD, Deep CORAL's covariances)."""

import torch

__all__ = []


class _AdaptedLayersMixin:
    """Which layers a method matches between the domains: ``"features"``, ``"output"`` or submodule names.

    The parameter that lists them is named by ``_layers_param`` (``None`` is
    ``("features",)``); ``infer`` appends the outputs of the layers other than the
    features (forward hooks, registered once per fit or prediction).
    """

    _layers_param = None

    def _layer_names(self):
        layers = getattr(self, self._layers_param)
        return ("features",) if layers is None else tuple(layers)

    def _extra_layers(self):
        return [n for n in self._layer_names() if n != "features"]

    def _check_own_params(self):
        """Check that the adapted layers are not an empty sequence (at fit)."""
        super()._check_own_params()
        if not self._layer_names():
            raise ValueError(f"{self._layers_param} must name at least one layer; got an empty sequence.")

    def initialize_extra_modules(self):
        """Check the adapted layers (no extra module): ``"features"`` needs the module's features."""
        super().initialize_extra_modules()
        if "features" in self._layer_names() and not self.has_feature_:
            raise ValueError(
                f"{type(self).__name__} adapts 'features': the module must return (output, features), "
                f"or name its feature layer with feature_layer='name' (or list other layers in "
                f"{self._layers_param})."
            )

    def _layer_outputs(self, y_pred):
        """Return the outputs of the adapted layers, in order, from ``infer``'s tuple."""
        start = 1 + int(self.has_feature_)
        extra = dict(zip(self._extra_layers(), y_pred[start:]))
        return [y_pred[1] if n == "features" else extra[n] for n in self._layer_names()]

    def _layers_term(self, y_pred, batch, discrepancy, name):
        r"""Return :math:`\mu \sum_l` ``discrepancy(F_l(X_s), F_l(X_t))`` over the adapted layers.

        The sum is logged as ``name`` (before :math:`\mu`); ``None`` (nothing added) when
        the batch has fewer than 2 rows of a domain.
        """
        if batch.n_source < 2 or batch.n_target < 2:
            return None
        src = torch.nonzero(batch.source_cpu).squeeze(1).to(batch.device, non_blocking=True)
        tgt = torch.nonzero(batch.target_cpu).squeeze(1).to(batch.device, non_blocking=True)
        total = 0.0
        for Z in self._layer_outputs(y_pred):
            Z = Z.reshape(Z.shape[0], -1)
            total = total + discrepancy(Z[src], Z[tgt])
        self._log_term(name, total)
        return self.mu * total
