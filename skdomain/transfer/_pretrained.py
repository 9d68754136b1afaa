"""How a pretrained network comes in, and how its layers are named (shared by the transfer room).

A pretrained model is one of

* a ``torch.nn.Module``;
* a fitted skorch net (its ``module_``), skdomain's nets included;
* either of them wrapped in ``sklearn.frozen.FrozenEstimator`` (so that ``clone``,
  ``GridSearchCV`` and ``cross_val_score`` keep a fitted skorch net fitted).

It is never mutated: every estimator works on a deep copy, made at ``fit``.

Layers are named as ``module.named_modules()`` names them (``"0"``, ``"features.3"``,
``"head"``), as ``feature_layer`` does in :mod:`skdomain.deep`. A *layer*, where
estimators count them (``freeze=n``), is a module that holds parameters of its own
(``Linear``, ``Conv2d``, ...), in ``named_modules()`` order (registration order, the
forward order of an ``nn.Sequential``); a normalisation module (BatchNorm, LayerNorm,
GroupNorm, InstanceNorm) belongs to the layer before it.
"""

import copy

import torch
from torch import nn

__all__ = []

_NORMS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm)


def _unwrap(pretrained):
    """Return the object behind a ``FrozenEstimator``, or ``pretrained`` itself."""
    inner = getattr(pretrained, "estimator", None)
    if type(pretrained).__name__ == "FrozenEstimator" and inner is not None:
        return inner
    return pretrained


def pretrained_module(pretrained, owner):
    """Return a deep copy of the pretrained torch module (on the CPU, float32).

    Parameters
    ----------
    pretrained : torch.nn.Module, fitted skorch net, or FrozenEstimator of either
        The pretrained model.
    owner : str
        The estimator's name, for error messages.

    Returns
    -------
    module : torch.nn.Module
        A copy: the caller's module is untouched.
    """
    obj = _unwrap(pretrained)
    if obj is None:
        raise ValueError(f"{owner} needs a pretrained network (pretrained=None).")
    if not isinstance(obj, nn.Module):
        module = getattr(obj, "module_", None)
        if not isinstance(module, nn.Module):
            raise ValueError(
                f"{owner}: pretrained must be a torch.nn.Module, a fitted skorch net (with a module_), "
                f"or a FrozenEstimator of either; got {type(obj).__name__}"
                + (" (a skorch net that is not fitted)" if hasattr(obj, "module") else "")
                + "."
            )
        obj = module
    module = copy.deepcopy(obj).to("cpu")
    if any(p.is_floating_point() and p.dtype != torch.float32 for p in module.parameters()):
        module = module.float()
    return module


def get_layer(module, name, owner):
    """Return the submodule ``name`` of ``module``, or raise a ``ValueError`` listing the names."""
    names = dict(module.named_modules())
    if name not in names or name == "":
        shown = [n for n in names if n][:30]
        raise ValueError(f"{owner}: the pretrained network has no layer {name!r}; its layers are {shown}.")
    return names[name]


def layers(module):
    """Return the layers of ``module``: ``[(name, [modules])]`` in ``named_modules()`` order.

    A layer is a module holding parameters of its own; normalisation modules join the
    layer before them (alone when they come first).
    """
    out = []
    for name, sub in module.named_modules():
        if next(sub.parameters(recurse=False), None) is None:
            continue
        if isinstance(sub, _NORMS) and out:
            out[-1][1].append(sub)
        else:
            out.append((name, [sub]))
    return out


def input_width(module):
    """Return the first layer's input width when it is a ``Linear`` (else ``None``)."""
    found = layers(module)
    if found and isinstance(found[0][1][0], nn.Linear):
        return found[0][1][0].in_features
    return None


def replace_module(module, name, new):
    """Put ``new`` in place of the submodule ``name`` of ``module`` (a dotted name)."""
    parent_name, _, child = name.rpartition(".")
    parent = module.get_submodule(parent_name) if parent_name else module
    setattr(parent, child, new)


def first_output(out):
    """Return the first output of a module that returns a tuple (skdomain's nets: ``(output, features)``)."""
    return out[0] if isinstance(out, (tuple, list)) else out


def resolve_device(device):
    """``"auto"`` to CUDA when available; a CUDA device without CUDA is an error that says so."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but torch.cuda.is_available() is False: use device='cpu', or "
            "device='auto' to take a GPU only when there is one."
        )
    return device
