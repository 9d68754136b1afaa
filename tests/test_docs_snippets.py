"""Every Python code block of the documentation's pages runs (docs/check_snippets.py, no Sphinx needed).

One test per page: the blocks of a page share one namespace, in order, as a reader would
paste them. A page whose block raises fails here with the traceback in the output.
"""

import importlib.util
import pathlib

import pytest

DOCS = pathlib.Path(__file__).parents[1] / "docs"
_spec = importlib.util.spec_from_file_location("check_snippets", DOCS / "check_snippets.py")
check_snippets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_snippets)

PAGES = sorted(
    p
    for p in DOCS.rglob("*.rst")
    if not check_snippets.SKIP_DIRS.intersection(p.relative_to(DOCS).parts)
    and any(True for _ in check_snippets.code_blocks(p))
)


def test_pages_with_snippets_exist():
    names = {p.name for p in PAGES}
    assert {"index.rst", "kmm.rst", "negative_transfer.rst"} <= names


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_snippets_run(page, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)  # snippets that write files write them here
    assert check_snippets.run_page(page) == 0
