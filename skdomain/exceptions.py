"""Warnings and errors of skdomain."""

from .utils._domains import DomainWarning

__all__ = ["DivergenceWarning", "DomainWarning", "SoftLabelWarning", "SolverError", "TrainingDivergedError"]


class SolverError(RuntimeError):
    """A numerical solver failed or returned a result that cannot be trusted.

    The message names the solver, its status and what to try.
    """


class TrainingDivergedError(RuntimeError):
    """The training of a net diverged: a loss term became NaN or infinite.

    Raised by ``fit`` / ``partial_fit`` of the deep nets (:mod:`skdomain.deep`) at the end
    of the epoch in which a logged loss term (the total loss, the task term, the
    adversarial, MMD or distillation term) stopped being finite. The message names the
    epoch, the terms and what to try: a lower ``lr``, standardised inputs (e.g.
    ``sklearn.preprocessing.StandardScaler``), clipped gradients (skorch's
    ``GradientNormClipping`` callback).

    The net is left initialised, with its modules holding the weights of the failing
    epoch and ``history`` up to that epoch, but it is not fitted: ``predict``,
    ``predict_proba``, ``score`` and ``embed`` raise
    :class:`~sklearn.exceptions.NotFittedError` until a ``fit`` or ``partial_fit``
    completes.
    """


class DivergenceWarning(UserWarning):
    """The training loss of a net is exploding, though still finite.

    Issued once per ``fit`` / ``partial_fit`` of the deep nets (:mod:`skdomain.deep`), at
    the end of the first epoch whose mean training loss exceeds ``1e4`` times the loss of
    the call's first batch (that loss taken as at least 1). Training goes on; a loss
    that then becomes NaN or infinite raises :class:`TrainingDivergedError`.
    """


class SoftLabelWarning(DomainWarning):
    """A soft-label loss is empty: the fit has target rows but none labeled.

    Issued once per ``fit`` / ``partial_fit`` by
    :class:`~skdomain.deep.DomainConfusionClassifier` with ``nu > 0``: its soft-label
    loss matches class soft labels on labeled target rows, so without any the net adapts
    by the confusion loss alone. A :class:`~skdomain.utils.DomainWarning` (the domains
    given lack something the method uses); ``nu=0`` silences it.
    """
