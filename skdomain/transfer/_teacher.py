"""What the students of network-to-network transfer share: the teacher's module, its passes, the fit."""

import warnings

import torch

from ..deep._modules import FeatureHook
from ..utils import DomainWarning
from ._pretrained import _unwrap


class NoTargetFitMixin:
    """Fit on plain ``(X, y)`` without the "no target rows" ``DomainWarning``.

    A teacher-to-student transfer needs no target domain: a fit without masked labels
    or ``sample_domain`` is the usual case, not a fit "without adaptation". The
    warning is silenced for the student and for an unfitted teacher fitted on the
    labeled rows.
    """

    def _fit(self, X, y, sample_domain, *, reset):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No target rows", category=DomainWarning)
            return super()._fit(X, y, sample_domain, reset=reset)


def teacher_module(teacher, method):
    """Return a teacher's torch module: itself, or a skorch net's ``module_`` (FrozenEstimator unwrapped).

    Unlike :func:`~skdomain.transfer._pretrained.pretrained_module`, no copy: the teacher
    is only read (in eval mode, by :func:`teacher_pass`), never trained.
    """
    teacher = _unwrap(teacher)
    if isinstance(teacher, torch.nn.Module):
        return teacher
    module = getattr(teacher, "module_", None)
    if isinstance(module, torch.nn.Module):
        return module
    raise ValueError(
        f"{method} reads the teacher's layers and gradients: give a torch module or a skorch net "
        f"(fitted, or unfitted to be fitted on the labeled rows); got {type(teacher).__name__}, "
        "which has no torch module (module_)."
    )


def teacher_pass(module, X, fn, names=(), batch_size=256, grad=False):
    """Run ``fn(X_batch, out, taken)`` over batches of ``X`` through the teacher, in eval mode.

    ``out`` is the module's output (its first element for a tuple), ``taken`` the
    outputs of the hooked submodules ``names``. The module's train / eval modes are
    restored afterwards; the results of ``fn`` (tensors) are concatenated on the host.
    With ``grad=True`` the batches require gradients (for input Jacobians).
    """
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    dev = next(module.parameters(), torch.zeros(())).device
    hook = FeatureHook(module, names) if names else None
    parts = []
    try:
        with torch.enable_grad() if grad else torch.no_grad():
            for start in range(0, X.shape[0], batch_size):
                xb = torch.as_tensor(X[start : start + batch_size], dtype=torch.float32, device=dev)
                if grad:
                    xb.requires_grad_(True)
                out = module(xb)
                out = out[0] if isinstance(out, (tuple, list)) else out
                taken = hook.take() if hook is not None else {}
                parts.append([t.detach().cpu() for t in fn(xb, out, taken)])
    finally:
        if hook is not None:
            hook.remove()
        for m, training in modes:
            m.training = training
    return [torch.cat(col) for col in zip(*parts)]
