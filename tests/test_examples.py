"""Every gallery example runs, in its quick mode (as in CI; the docs show the full runs)."""

import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parents[1] / "examples").glob("plot_*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(path, tmp_path):
    pytest.importorskip("matplotlib")
    env = dict(os.environ, SKDOMAIN_DOCS_QUICK="1", MPLBACKEND="Agg")
    res = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]


def test_examples_exist():
    expected = {
        "plot_kmm_weights.py",  # KMM weights as marker sizes, boundary before / after
        "plot_tca_embedding.py",  # the TCA embedding of source vs target
        "plot_model_selection.py",
        "plot_dann_features.py",  # DANN features before / after (PCA)
        "plot_deep_coral.py",  # the features' covariance gap, source only vs Deep CORAL
        "plot_active_learning.py",  # the active-learning curve
        "plot_negative_transfer.py",  # the NTG heatmap (epsilon x L%)
        "plot_dictionary_transfer.py",
        "plot_mnist_digits.py",
        "plot_safe_transfer.py",  # the guard's choice vs every model it weighed
        "plot_tradaboost.py",  # the source rows TrAdaBoost kept, boundaries vs pooled AdaBoost
        "plot_coral_sa.py",  # CORAL and SA against the angle of a linear shift
        "plot_sstca_labels.py",  # TCA vs SSTCA in two components: the label term
        "plot_fine_tuning.py",  # freeze vs fine-tune vs layer-wise rates: a learning curve
        "plot_attention_transfer.py",  # attention maps: teacher, labels-only student, AT student
        "plot_multitask.py",  # learned sigma per task against the noise levels; fixed weights
        "plot_gate_table.py",  # the gate's gain on five deep methods, eps = 0.7, L% = 10%
    }
    assert {p.name for p in EXAMPLES} >= expected
