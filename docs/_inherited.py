"""Members that skdomain's classes inherit from other libraries, for ``make -C docs validate``.

numpydoc validates every documented member, inherited ones included. Our nets
inherit some forty methods from skorch's ``NeuralNet`` (``check_data``,
``get_all_learnable_params``, ``save_params``, ...) whose docstrings are
skorch's, not ours: their findings are not ours to fix. :func:`inherited_patterns`
lists them as ``numpydoc_validation_exclude`` patterns, so the validation
reports only the docstrings written in skdomain: a member is skipped when the
class that defines it (the first in the MRO holding the name) lives outside
skdomain. A method that skdomain overrides (``DomainNet.get_loss``) is defined in
skdomain and stays validated.
"""

import importlib
import inspect
import pkgutil
import re


def _skdomain_classes(package="skdomain"):
    """Every class defined in ``package`` and its submodules (private modules included)."""
    root = importlib.import_module(package)
    modules = [root]
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if info.name.split(".")[-1] == "__main__":
            continue
        modules.append(importlib.import_module(info.name))
    seen = {}
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__.startswith(package):
                seen[id(cls)] = cls
    return list(seen.values())


def _defined_in(cls, name):
    """Return the module of the class that defines ``cls.name`` (first of the MRO holding it)."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass.__module__
    return None


def inherited_patterns(package="skdomain"):
    r"""``numpydoc_validation_exclude`` patterns of members inherited from outside ``package``.

    Parameters
    ----------
    package : str, default="skdomain"
        The package whose own docstrings are validated.

    Returns
    -------
    patterns : set of str
        One regular expression ``\.Class\.member$`` per public member that every class
        of that name inherits from another library (numpydoc names a member by the
        path it is documented under, ``skdomain.DANNClassifier.check_data`` or
        ``skdomain.deep.DomainNet.check_data``, so the class name anchors it).
    """
    by_name = {}
    for cls in _skdomain_classes(package):
        for name in dir(cls):
            if name.startswith("_"):
                continue
            origin = _defined_in(cls, name)
            inherited = origin is not None and not origin.startswith(package)
            key = (cls.__name__, name)
            # a class name shared by two classes: skip only what both inherit
            by_name[key] = by_name.get(key, True) and inherited
    return {rf"\.{re.escape(c)}\.{re.escape(m)}$" for (c, m), inherited in by_name.items() if inherited}
