"""The demo (python -m skdomain) runs and reports the adaptation gain."""

import io
import subprocess
import sys

from skdomain.__main__ import run


def test_demo_table_and_gain():
    out = io.StringIO()
    rows = run(n_source=200, n_target=200, seed=0, out=out)
    text = out.getvalue()
    assert "target acc" in text and "KMM" in text and "TCA" in text
    by = {r["method"]: r for r in rows}
    assert by["KMM (B=10)"]["gain"] > 0.15
    assert by["TCA (m=5) + LR"]["gain"] > 0.15


def test_module_entry_point_quick():
    res = subprocess.run(
        [sys.executable, "-m", "skdomain", "--quick", "--n-source", "100", "--n-target", "100"],
        capture_output=True, text=True, timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert "source only" in res.stdout
