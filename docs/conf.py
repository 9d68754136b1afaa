"""Sphinx configuration of the skdomain documentation.

Build with ``make -C docs html`` (warnings are errors). Set
``SKDOMAIN_DOCS_QUICK=1`` to run the gallery examples on fewer samples
(``make -C docs html-quick``), or ``SKDOMAIN_DOCS_NOPLOT=1`` to skip them
(``make -C docs html-noplot``; not ``-D plot_gallery=0``, which would leave
stale example pages behind for the next full build).
No extension here needs network access (intersphinx is deliberately off), and
the built site needs none either (MathJax is served from its own _static/).
"""

import os
import re
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import skdomain  # noqa: E402

# -- Project -------------------------------------------------------------------

project = "skdomain"
author = "skdomain developers"
copyright = "skdomain developers"
release = skdomain.__version__
version = ".".join(release.split(".")[:2])


def _env_flag(name):
    return os.environ.get(name, "0").strip().lower() not in ("", "0", "false", "no")


# SKDOMAIN_DOCS_QUICK=1: the examples run on fewer samples (they read it too).
# SKDOMAIN_DOCS_NOPLOT=1: the examples are not run (``make html-noplot``).
QUICK = _env_flag("SKDOMAIN_DOCS_QUICK")
NOPLOT = _env_flag("SKDOMAIN_DOCS_NOPLOT")

# -- General -------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax from the build's own _static/mathjax/ (copied from the package), not
    # from a CDN: maths render in a site built and read without network.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.codeobj.json",
    "auto_examples/*.md5",
]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"
# Warnings are errors (-W in the Makefile); a reference that cannot be resolved
# without intersphinx (e.g. to scikit-learn classes) is rendered as plain text.
nitpicky = False

# -- autodoc / autosummary / numpydoc ------------------------------------------

autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"

numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# numpydoc's docstring validation is not part of the -W build; run it on demand
# with SKDOMAIN_DOCS_VALIDATE=1: its findings are reported as warnings
# (``make -C docs validate``). Methods inherited from scikit-learn are skipped,
# and so is every member inherited from another library and not overridden in
# skdomain (skorch's NeuralNet methods on our nets: docs/_inherited.py).
if os.environ.get("SKDOMAIN_DOCS_VALIDATE"):
    numpydoc_validation_checks = {"all", "ES01", "EX01", "SA01", "SS05", "RT02", "GL08"}
    numpydoc_validation_exclude = {
        r"\.get_params$",
        r"\.set_params$",
        r"\.set_\w+_request$",
        r"\.get_metadata_routing$",
        r"\.set_output$",
        r"\.get_feature_names_out$",
        r"\.__init__$",
    }
    sys.path.insert(0, str(HERE))
    try:
        from _inherited import inherited_patterns
    finally:
        sys.path.remove(str(HERE))
    numpydoc_validation_exclude |= inherited_patterns()

# -- sphinx-gallery ------------------------------------------------------------


def _gallery_mode_changed():
    """Whether the gallery was last built in another mode (full / quick / noplot).

    sphinx-gallery skips examples whose source is unchanged; the output of a
    quick or a no-plot build must not be reused by a full one (and vice versa),
    so a change of mode re-runs every example.
    """
    stamp = HERE / "auto_examples" / ".skdomain_docs_mode"
    mode = "noplot" if NOPLOT else ("quick" if QUICK else "full")
    previous = stamp.read_text().strip() if stamp.exists() else None
    if stamp.parent.exists():
        stamp.write_text(mode)
    else:
        stamp.parent.mkdir(parents=True)
        stamp.write_text(mode)
    return previous is not None and previous != mode


sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skdomain",),
    "backreferences_dir": "generated/backreferences",
    "min_reported_time": 1,
    "run_stale_examples": _gallery_mode_changed(),
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "show_memory": False,
    "plot_gallery": "False" if NOPLOT else "True",
}

# Matplotlib without a display; examples read SKDOMAIN_DOCS_QUICK themselves.
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings(
    "ignore",
    category=UserWarning,
    message="Matplotlib is currently using agg, which is a non-GUI backend",
)

# -- HTML ----------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skdomain {release}"
html_static_path = []
html_theme_options = {
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_sidebars = {"index": [], "benchmarks": []}
html_show_sourcelink = False
html_context = {"default_mode": "light"}


# -- Docstrings inherited from scikit-learn ------------------------------------
# Methods that skdomain's estimators inherit from scikit-learn (get_params,
# set_fit_request, set_output, ...) carry docstrings with cross-references into
# scikit-learn's own documentation (``:ref:`metadata_routing```,
# ``:term:`meta-estimator```). Without intersphinx (no network at build time)
# those are unresolvable, so they are turned into plain text, for objects
# defined in scikit-learn only; skdomain's own docstrings are left untouched.

_SKLEARN_ROLE_WITH_TEXT = re.compile(r":(?:ref|term|doc):`([^`<]+?)\s*<[^`>]+>`")
_SKLEARN_ROLE = re.compile(r":(?:ref|term|doc):`([^`]+)`")


def _plain_sklearn_refs(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    # set_*_request methods are written by scikit-learn's routing machinery, also where a
    # class of another library (skorch's NeuralNet) holds them
    generated = re.search(r"\.set_\w+_request$", name) is not None
    if not (module == "sklearn" or module.startswith("sklearn.") or generated):
        return
    for i, line in enumerate(lines):
        line = _SKLEARN_ROLE_WITH_TEXT.sub(r"\1", line)
        lines[i] = _SKLEARN_ROLE.sub(r"\1", line)


def _skip_namedtuple_fields(app, what, name, obj, skip, options):
    # The fields of a named tuple (utils.DomainData) are documented in its docstring
    # (as its Parameters); their generated descriptors ("Alias for field number 0") add nothing.
    if (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


def _make_pictures(app):
    # The pictures of the domain contract page (docs/_pictures.py), drawn at every
    # build into generated/pictures/ (ignored by git); unchanged files are not rewritten.
    sys.path.insert(0, str(HERE))
    try:
        import _pictures
    finally:
        sys.path.remove(str(HERE))
    _pictures.make_pictures(HERE / "generated" / "pictures")


def setup(app):
    """Connect this file's event handlers (Sphinx calls it on a project's conf.py)."""
    app.connect("autodoc-process-docstring", _plain_sklearn_refs)
    app.connect("builder-inited", _make_pictures)
    app.connect("autodoc-skip-member", _skip_namedtuple_fields)
