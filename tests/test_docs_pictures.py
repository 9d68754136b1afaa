"""The pictures of the domain contract page (docs/_pictures.py) draw what the library returns."""

import importlib.util
import pathlib

import numpy as np
import pytest

DOCS = pathlib.Path(__file__).parents[1] / "docs"


@pytest.fixture(scope="module")
def pictures():
    pytest.importorskip("matplotlib")
    spec = importlib.util.spec_from_file_location("_pictures", DOCS / "_pictures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_layout_has_the_groups_the_braces_name(pictures):
    X, y, sd = pictures.layout_data()
    assert X.shape == (12, 3) and len(y) == len(sd) == 12
    # sources first (0 then 1), then the target; two labeled target rows, then masked ones
    np.testing.assert_array_equal(sd, [0] * 4 + [1] * 3 + [-1] * 5)
    np.testing.assert_array_equal(y[sd < 0], [2, 0, -1, -1, -1])
    assert np.all(y[sd >= 0] >= 0)


def test_inference_panels_follow_the_rule(pictures):
    panels = pictures.inference_panels()
    assert [p[0].split(":")[0] for p in panels] == ["classification", "regression", "labeled target rows"]
    for _, y, inferred, _ in panels:
        masked = np.isnan(y) if y.dtype.kind == "f" else y == -1
        np.testing.assert_array_equal(inferred, np.where(masked, -1, 0))
    # the third panel: the labeled target rows are the rows inference gets wrong
    _, y, inferred, true = panels[2]
    wrong = np.flatnonzero(true != inferred)
    np.testing.assert_array_equal(wrong, np.flatnonzero((true < 0) & (y != -1)))
    assert len(wrong) == 2


def test_make_pictures_writes_pngs_once(pictures, tmp_path):
    paths = pictures.make_pictures(tmp_path, dpi=40)
    assert sorted(p.name for p in paths) == sorted(pictures.PICTURES)
    stamps = {}
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        stamps[p] = p.stat().st_mtime_ns
    # the same pictures again: the files are not rewritten (Sphinx does not re-read the page)
    pictures.make_pictures(tmp_path, dpi=40)
    assert {p: p.stat().st_mtime_ns for p in paths} == stamps
