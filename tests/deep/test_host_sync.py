"""Host synchronisations in a training epoch (issue 17 §1), counted on the CPU.

On a GPU every read of a device value by the host (``Tensor.item``, ``tolist``,
``cpu``, ``numpy``, ``float(t)``, ``bool(t)``, ...) waits for the queued work: the
per-step overhead that keeps a small net far below the hardware's limit. Without a
GPU the reads are still calls, so they are counted here by patching those methods
for the duration of a fit. What counts as a "device value": a floating-point tensor
(losses, outputs, features); the domain masks and their counts are integer / boolean
tensors that live on the host by design (``DomainBatch``), so they are left out.
Only calls made from skorch's or skdomain's code are counted (not torch's internals).

skorch's own loop reads ``step["loss"].item()`` after every batch (one read per
batch, plus the net's one transfer of its logged terms at the epoch's end: 8 + 1 per
epoch below); ``DomainNet.run_single_epoch`` keeps the batch losses on the device and
reads them with the terms, once per epoch, unless a callback may read per-batch values
during the epoch.
"""

import os
import sys
from collections import Counter
from contextlib import contextmanager

import numpy as np
import pytest
import skorch
import torch
from skorch.callbacks import Callback, LRScheduler
from torch.optim.lr_scheduler import ReduceLROnPlateau, StepLR

import skdomain
from skdomain.deep import DANClassifier, DANNClassifier, LabeledValidSplit
from skdomain.deep._net import _reads_batches

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


class BatchHook(Callback):
    """A callback with a batch hook: it may read per-batch values during the epoch."""

    def on_batch_end(self, net, **kwargs):
        pass


class StopAtStep(Callback):
    """Interrupt the fit (as Ctrl-C would) in the backward of the ``n``-th step (no batch hook)."""

    def __init__(self, n):
        self.n = n

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt


def small(cls=DANNClassifier, **params):
    return cls(**{**dict(max_epochs=2, batch_size=8, module__hidden_units=(8,), random_state=0), **params})


def history_rows(net):
    """Return the history without the timings, key order included."""
    return [
        [(k, v) for k, v in row.items() if k != "dur" and k != "batches"]
        + [[list(b.items()) for b in row["batches"]]]
        for row in net.history
    ]


@pytest.mark.parametrize("cls", [DANNClassifier, DANClassifier])
@pytest.mark.parametrize("epochs", [1, 3])
def test_one_read_per_epoch(cls, epochs, data):
    """A training epoch reads the device once: the batch losses and the logged terms in one transfer."""
    X, y, sd = data
    net = small(cls, max_epochs=epochs)
    with count_reads() as counts:
        net.fit(X, y, sample_domain=sd)
    n_batches = len(net.history[-1]["batches"])
    assert n_batches == 8  # 60 source rows, 8 per batch: 8 steps
    assert dict(counts) == {("tolist", "_net.py", "_to_host"): epochs}
    # the history is complete: a host float per batch and its epoch's mean
    for row in net.history:
        losses = [b["train_loss"] for b in row["batches"]]
        assert len(losses) == n_batches and all(type(v) is float for v in losses)
        sizes = [b["train_batch_size"] for b in row["batches"]]
        assert row["train_loss"] == pytest.approx(np.average(losses, weights=sizes), rel=1e-12)
        assert row["train_batch_count"] == n_batches


def test_batch_hook_keeps_skorch_loop(data):
    """With a callback that has a batch hook, skorch's loop reads every batch's loss (as before)."""
    X, y, sd = data
    net = small(callbacks=[BatchHook()])
    with count_reads() as counts:
        net.fit(X, y, sample_domain=sd)
    assert dict(counts) == {
        ("item", "net.py", "run_single_epoch"): 16,
        ("tolist", "_net.py", "_to_host"): 2,
    }


def test_history_identical_to_skorch_loop(data):
    """The deferred reads write the same history (keys, order, values) as skorch's per-batch loop."""
    X, y, sd = data
    deferred = small(train_split=LabeledValidSplit(0.3)).fit(X, y, sample_domain=sd)
    per_batch = small(train_split=LabeledValidSplit(0.3), callbacks=[BatchHook()]).fit(X, y, sample_domain=sd)
    assert not any(_reads_batches(cb) for _, cb in deferred.callbacks_)
    assert history_rows(deferred) == history_rows(per_batch)
    assert "valid_loss" in deferred.history[-1] and "valid_loss" in deferred.history[-1]["batches"][-1]


def test_validation_pass_reads_once(data):
    """With a validation split, its pass adds one read per epoch."""
    X, y, sd = data
    net = small(train_split=LabeledValidSplit(0.3))
    with count_reads() as counts:
        net.fit(X, y, sample_domain=sd)
    assert dict(counts) == {("tolist", "_net.py", "_to_host"): 4}


def test_plateau_per_batch_reads_each_batch(data):
    """ReduceLROnPlateau stepped per batch reads ``train_loss`` as each batch ends: skorch's loop runs."""
    X, y, sd = data
    plateau = LRScheduler(ReduceLROnPlateau, monitor="train_loss", step_every="batch", patience=0)
    net = small(callbacks=[plateau]).fit(X, y, sample_domain=sd)
    assert net.optimizer_.param_groups[0]["lr"] < net.lr  # it saw the losses, and acted on them
    per_epoch = LRScheduler(StepLR, step_size=1, step_every="batch")
    net = small(callbacks=[per_epoch])
    with count_reads() as counts:
        net.fit(X, y, sample_domain=sd)
    assert dict(counts) == {("tolist", "_net.py", "_to_host"): 2}  # a plain schedule defers


def test_interrupted_epoch_keeps_its_batch_values(data):
    """An epoch interrupted mid-way keeps the losses of its finished batches, as skorch's loop does."""
    X, y, sd = data
    deferred = small(callbacks=[StopAtStep(11)]).fit(X, y, sample_domain=sd)
    per_batch = small(callbacks=[StopAtStep(11), BatchHook()]).fit(X, y, sample_domain=sd)
    assert history_rows(deferred) == history_rows(per_batch)
    assert [type(b.get("train_loss")) for b in deferred.history[-1]["batches"]] == [float, float, type(None)]
