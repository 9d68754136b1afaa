"""Inference in bounded memory: ``predict`` / ``predict_proba`` forward ``batch_size`` rows at a time.

skorch's ``forward_iter`` runs the prediction batches of ``iterator_valid``
(``batch_size`` rows, or ``iterator_valid__batch_size``) and keeps only each
batch's output, so memory is the input, the output and one batch. Measured at
1,000,000 rows (benchmarks/bench_scale.py, ``--deep``): see docs/benchmarks.rst.
"""

import numpy as np
import pytest
import torch

from skdomain.deep import DANNClassifier, DANNRegressor


def _fit(cls, data):
    X, y, sd = data
    if cls is DANNRegressor:
        y = np.where(y >= 0, X[:, 0], np.nan)
    return cls(max_epochs=2, batch_size=16, random_state=0).fit(X, y, sample_domain=sd)


@pytest.mark.parametrize("cls", [DANNClassifier, DANNRegressor])
def test_prediction_forwards_batches_of_batch_size_rows(cls, data, monkeypatch):
    net = _fit(cls, data)
    X_new = np.random.default_rng(1).normal(size=(203, data[0].shape[1]))
    predict = net.predict_proba if cls is DANNClassifier else net.predict
    seen = []
    forward = net._forward_module

    def spy(X):
        seen.append(X.shape[0])
        return forward(X)

    monkeypatch.setattr(net, "_forward_module", spy)
    blocked = predict(X_new)
    assert seen == [16] * 12 + [11]  # 203 rows in batches of batch_size=16
    seen.clear()
    net.iterator_valid__batch_size = 1000  # one batch
    whole = predict(X_new)
    assert seen == [203]
    # torch's CPU kernels round differently for different batch shapes: equal to float32
    # rounding, not bit for bit (TCA's blocked transform is bit-identical, see test_tca.py)
    np.testing.assert_allclose(blocked, whole, rtol=1e-5, atol=1e-6)
    assert blocked.dtype == whole.dtype and blocked.shape == whole.shape


def test_predict_proba_batches_keep_no_graph(data):
    net = _fit(DANNClassifier, data)
    outs = list(net.forward_iter(data[0][:40]))
    assert all(not t.requires_grad for out in outs for t in out if isinstance(t, torch.Tensor))
