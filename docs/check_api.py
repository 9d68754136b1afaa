"""Check that the API reference (``docs/api.rst``) covers every public name.

A public name is one listed in ``__all__`` of ``skdomain`` or of one of its
public subpackages (:data:`PACKAGES`). It is *documented* when one of the
``autosummary`` entries of ``api.rst`` resolves to the same object: a class
re-exported at the top level (``skdomain.KMM`` is ``skdomain.instance.KMM``)
needs one entry, under either name. A name may be left out deliberately by
listing it in :data:`EXCLUDED` with the reason. Conversely, every entry of
``api.rst`` must import (no stale entries) and every exclusion must still name
a public object (no stale exclusions).

The check imports skdomain but not Sphinx, so the test suite runs it
(``tests/test_docs_api.py``).

Usage::

    python docs/check_api.py        # exit status 1 and a list when something is missing
"""

import importlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
API_RST = HERE / "api.rst"

#: The packages whose ``__all__`` is public API.
PACKAGES = (
    "skdomain",
    "skdomain.active",
    "skdomain.datasets",
    "skdomain.deep",
    "skdomain.exceptions",
    "skdomain.feature",
    "skdomain.instance",
    "skdomain.metrics",
    "skdomain.model_selection",
    "skdomain.parameter",
    "skdomain.transfer",
    "skdomain.utils",
)

#: ``"package.name": "reason"`` for public names deliberately not in api.rst.
EXCLUDED = {}

_CURRENTMODULE = re.compile(r"^\.\.\s+currentmodule::\s+(?P<module>\S+)\s*$")
_AUTOSUMMARY = re.compile(r"^(?P<indent>\s*)\.\.\s+autosummary::\s*$")


def autosummary_entries(path=API_RST):
    """Return the entries of the ``autosummary`` blocks of an rst file.

    Parameters
    ----------
    path : path-like, default=docs/api.rst
        The rst file.

    Returns
    -------
    entries : list of (str, int)
        ``(qualified_name, line_number)`` for each entry, the name prefixed with
        the ``currentmodule`` in force at the block.
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    module, entries, i = None, [], 0
    while i < len(lines):
        line = lines[i]
        match = _CURRENTMODULE.match(line)
        if match:
            module = match.group("module")
        match = _AUTOSUMMARY.match(line)
        i += 1
        if not match:
            continue
        base = len(match.group("indent"))
        while i < len(lines):
            text = lines[i]
            if text.strip() and len(text) - len(text.lstrip()) <= base:
                break
            name = text.strip()
            if name and not name.startswith(":") and not name.startswith(".."):
                entries.append((f"{module}.{name}" if module else name, i + 1))
            i += 1
    return entries


def resolve(qualified_name):
    """Import the object named ``qualified_name`` (``package.sub.Name``)."""
    parts = qualified_name.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for attr in parts[k:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"cannot import {qualified_name!r}")


def public_names(packages=PACKAGES):
    """Return ``{"package.name": object}`` for every name in the packages' ``__all__``."""
    names = {}
    for package in packages:
        module = importlib.import_module(package)
        if not hasattr(module, "__all__"):
            raise AttributeError(f"public package {package} defines no __all__")
        for name in module.__all__:
            names[f"{package}.{name}"] = getattr(module, name)
    return names


def check_api(path=API_RST, packages=PACKAGES, excluded=None):
    """Compare the public names with the entries of the API reference.

    Parameters
    ----------
    path : path-like, default=docs/api.rst
        The API reference page.
    packages : sequence of str, default=PACKAGES
        The packages whose ``__all__`` is public.
    excluded : dict or None, default=None
        ``{"package.name": reason}`` names deliberately left out; None means
        :data:`EXCLUDED`.

    Returns
    -------
    problems : list of str
        One line per problem: a public name not documented, an entry of the
        page that does not import, an exclusion that names nothing public, or
        an excluded name documented anyway. Empty when the reference is complete.
    """
    excluded = EXCLUDED if excluded is None else excluded
    problems = []
    documented = {}
    for name, line in autosummary_entries(path):
        try:
            documented[id(resolve(name))] = name
        except (ImportError, AttributeError) as exc:
            problems.append(f"{Path(path).name}:{line}: entry {name} does not import ({exc})")
    names = public_names(packages)
    for name, obj in names.items():
        if name in excluded:
            if id(obj) in documented:
                problems.append(
                    f"{name} is excluded ({excluded[name]}) but documented as {documented[id(obj)]}"
                )
        elif id(obj) not in documented:
            problems.append(f"{name} is public (in __all__) but has no entry in {Path(path).name}")
    for name in sorted(set(excluded) - set(names)):
        problems.append(f"exclusion {name} names no public object")
    return problems


def main():
    """Print the problems of the API reference; return 1 if there is one, else 0."""
    problems = check_api()
    for problem in problems:
        print(problem)
    n_names = len(public_names())
    if problems:
        print(f"{len(problems)} problem(s) in the API reference")
        return 1
    print(f"all {n_names} public names of {len(PACKAGES)} packages are in {API_RST.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
