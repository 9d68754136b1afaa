"""The API reference documents every public name (docs/check_api.py, without Sphinx)."""

import pathlib

# check_api, docs/check_api.py imported from its file, is a fixture of tests/conftest.py
# (tests/test_common.py walks the same public packages for the estimator table).


def test_every_public_name_is_in_api_rst(check_api):
    assert check_api.check_api() == []


def test_every_public_package_is_checked(check_api):
    import skdomain

    subpackages = {
        p.name
        for p in pathlib.Path(skdomain.__file__).parent.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and not p.name.startswith("_")
    }
    checked = {name.split(".")[1] for name in check_api.PACKAGES if "." in name}
    assert subpackages <= checked, subpackages - checked


#: the other public names of skdomain.instance, listed on every test page below
_TRADABOOST = ("TrAdaBoostClassifier", "TrAdaBoostRegressor")


def _page(tmp_path, *entries, module="skdomain"):
    if any(e.startswith("instance.") for e in entries):  # a page for the instance package
        entries = (*entries, *_TRADABOOST)
    body = "\n".join(f"   {e}" for e in entries)
    path = tmp_path / "api.rst"
    path.write_text(
        f"API\n===\n\n.. currentmodule:: {module}\n\n"
        f".. autosummary::\n   :toctree: generated/\n   :template: class.rst\n\n{body}\n\nAfter.\n"
    )
    return path


def test_entries_follow_currentmodule(check_api, tmp_path):
    path = _page(tmp_path, "KMM", "metrics.mmd", module="skdomain")
    assert check_api.autosummary_entries(path) == [("skdomain.KMM", 10), ("skdomain.metrics.mmd", 11)]


def test_missing_name_is_reported(check_api, tmp_path):
    path = _page(tmp_path, "KMM", "instance.kmm_weights")
    problems = check_api.check_api(path, packages=["skdomain.instance"], excluded={})
    assert problems == ["skdomain.instance.kmm_objective is public (in __all__) but has no entry in api.rst"]


def test_reexported_object_needs_one_entry(check_api, tmp_path):
    # skdomain.instance.KMM is skdomain.KMM: one entry, under either name, covers both
    path = _page(tmp_path, "instance.KMM", "instance.kmm_objective", "instance.kmm_weights", "KMM")
    assert check_api.check_api(path, packages=["skdomain.instance"], excluded={}) == []
    path = _page(tmp_path, "KMM", "instance.kmm_objective", "instance.kmm_weights")
    assert check_api.check_api(path, packages=["skdomain.instance"], excluded={}) == []


def test_stale_entry_is_reported(check_api, tmp_path):
    path = _page(tmp_path, "KMM", "instance.kmm_objective", "instance.kmm_weights", "instance.NoSuchThing")
    (problem,) = check_api.check_api(path, packages=["skdomain.instance"], excluded={})
    assert "entry skdomain.instance.NoSuchThing does not import" in problem


def test_exclusions_are_checked(check_api, tmp_path):
    path = _page(tmp_path, "KMM", "instance.kmm_weights")
    excluded = {"skdomain.instance.kmm_objective": "internal helper"}
    assert check_api.check_api(path, packages=["skdomain.instance"], excluded=excluded) == []
    # an excluded name documented anyway, and an exclusion of nothing public
    path = _page(tmp_path, "KMM", "instance.kmm_objective", "instance.kmm_weights")
    excluded["skdomain.instance.gone"] = "removed"
    problems = check_api.check_api(path, packages=["skdomain.instance"], excluded=excluded)
    assert len(problems) == 2
    assert "kmm_objective is excluded (internal helper) but documented" in problems[0]
    assert problems[1] == "exclusion skdomain.instance.gone names no public object"
