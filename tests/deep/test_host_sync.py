"""Host synchronisations in a training epoch (issue 17 §1), counted on the CPU.

On a GPU every read of a device value by the host (``Tensor.item``, ``tolist``,
``cpu``, ``numpy``, ``float(t)``, ``bool(t)``, ...) waits for the queued work: the
per-step overhead that keeps a small net far below the hardware's limit. Without a
GPU the reads are still calls, so they are counted here by patching those methods
for the duration of a fit. What counts as a "device value": a floating-point tensor
(losses, outputs, features); the domain masks and their counts are integer / boolean
tensors that live on the host by design (``DomainBatch``), so they are left out.
Only calls made from skorch's or skdomain's code are counted (not torch's internals).
"""

import os
import sys
from collections import Counter
from contextlib import contextmanager

import numpy as np
import pytest
import skorch
import torch

import skdomain
from skdomain.deep import DANClassifier, DANNClassifier

READS = ("item", "tolist", "cpu", "numpy", "__float__", "__int__", "__bool__", "__index__")
_OURS = tuple(os.path.dirname(m.__file__) + os.sep for m in (skdomain, skorch))


@contextmanager
def count_reads():
    """Count the reads of floating-point tensors made from skorch's / skdomain's code, by caller."""
    counts = Counter()
    saved = {name: getattr(torch.Tensor, name) for name in READS}

    def wrap(name, original):
        def read(self, *args, **kwargs):
            caller = sys._getframe(1).f_code
            if self.is_floating_point() and caller.co_filename.startswith(_OURS):
                counts[(name, os.path.basename(caller.co_filename), caller.co_name)] += 1
            return original(self, *args, **kwargs)

        return read

    for name, original in saved.items():
        setattr(torch.Tensor, name, wrap(name, original))
    try:
        yield counts
    finally:
        for name, original in saved.items():
            setattr(torch.Tensor, name, original)


def test_counter_sees_reads():
    """The patch counts a read from skdomain's code (the counter itself can fail)."""
    from skdomain.deep._net import _to_host

    with count_reads() as counts:
        _to_host([torch.ones(3)])
        float(torch.ones(()))  # from the test's own file: not counted
    assert counts and all(file == "_net.py" for _, file, _ in counts), dict(counts)


@pytest.mark.parametrize("cls", [DANNClassifier, DANClassifier])
@pytest.mark.parametrize("epochs", [1, 3])
def test_reads_per_epoch(cls, epochs, data):
    """Today's reads of a training epoch: skorch's ``loss.item()`` per batch, then one transfer.

    skorch's ``run_single_epoch`` records ``step["loss"].item()`` for every batch; the
    net's ``on_epoch_end`` moves the logged terms and the watched losses in one
    transfer (``_to_host``: ``cpu()`` then ``tolist()``).
    """
    X, y, sd = data
    net = cls(max_epochs=epochs, batch_size=8, module__hidden_units=(8,), random_state=0)
    with count_reads() as counts:
        net.fit(X, y, sample_domain=sd)
    n_batches = len(net.history[-1]["batches"])
    assert n_batches == 8  # 60 source rows, 8 per batch: 8 steps
    assert dict(counts) == {
        ("item", "net.py", "run_single_epoch"): n_batches * epochs,
        ("cpu", "_net.py", "_to_host"): epochs,
        ("tolist", "_net.py", "_to_host"): epochs,
    }
    # the history is complete: a host float per batch and its epoch's mean
    for row in net.history:
        losses = [b["train_loss"] for b in row["batches"]]
        assert len(losses) == n_batches and all(type(v) is float for v in losses)
        sizes = [b["train_batch_size"] for b in row["batches"]]
        assert row["train_loss"] == pytest.approx(np.average(losses, weights=sizes), rel=1e-12)
