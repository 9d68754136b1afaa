"""Sphinx configuration of the skdomain documentation.

Build with ``make -C docs html`` (warnings are errors). Set
``SKDOMAIN_DOCS_QUICK=1`` to run the gallery examples on fewer samples
(``make -C docs html-quick``), or ``make -C docs html-noplot`` to skip them.
No extension here needs network access (intersphinx is deliberately off).
"""

import os
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

QUICK = os.environ.get("SKDOMAIN_DOCS_QUICK", "0").strip().lower() not in ("", "0", "false", "no")

# -- General -------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
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
autodoc_default_options = {"members": False, "inherited-members": False}
autodoc_typehints = "none"

numpydoc_show_class_members = True
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# numpydoc's docstring validation is not part of the -W build; run it on demand
# with SKDOMAIN_DOCS_VALIDATE=1 (its findings are then warnings, hence errors).
if os.environ.get("SKDOMAIN_DOCS_VALIDATE"):
    numpydoc_validation_checks = {"all", "ES01", "EX01", "SA01", "SS05", "RT02", "GL08"}

# -- sphinx-gallery ------------------------------------------------------------


def _gallery_mode_changed():
    """Whether the gallery was last built in the other mode (quick / full).

    sphinx-gallery skips examples whose source is unchanged; the figures of a
    quick build must not be reused by a full one (and vice versa).
    """
    stamp = HERE / "auto_examples" / ".skdomain_docs_mode"
    mode = "quick" if QUICK else "full"
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
    "reference_url": {"skdomain": None},
    "min_reported_time": 1,
    "run_stale_examples": _gallery_mode_changed(),
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "show_memory": False,
    "plot_gallery": "True",
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
